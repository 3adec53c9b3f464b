// SPDX-License-Identifier: MIT
/*
 * Readers on other threads hold flat views while the writer commits: each
 * reader takes the current view with vmm_as_get_flatview(), walks and looks
 * up its ranges and drops it, while the main thread keeps moving, toggling,
 * creating and deleting regions. Old views must stay intact until their last
 * reference goes (run under TSan/ASan by `make sanitize`).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "mem_util.h"

static atomic_bool stop;
static atomic_ulong bad, seen;

static void *reader(void *arg)
{
	struct vmm_as *as = arg;

	while (!atomic_load(&stop)) {
		struct vmm_flatview *fv = vmm_as_get_flatview(as);
		size_t i;

		for (i = 0; i < fv->nr; i++) {
			const struct vmm_flat_range *r = vmm_flatview_range(fv, i);

			if (vmm_flatview_lookup(fv, r->start) != (ssize_t)i || !r->mr->id[0] ||
			    (i && vmm_flatview_range(fv, i - 1)->start + vmm_flatview_range(fv, i - 1)->size > r->start))
				atomic_fetch_add(&bad, 1);
		}
		atomic_fetch_add(&seen, 1);
		vmm_flatview_unref(fv);
	}
	return NULL;
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x1000000));
	struct vmm_mr *mv = mk_io(m, "mover", SZ(0x3000));
	struct vmm_err err = { 0 };
	struct vmm_as *as = NULL;
	pthread_t th[2];
	char id[32];
	int fails = 0;
	unsigned i;

	do_map(mk_io(m, "bg", SZ(0x1000000)), sys, 0, -1);
	do_map(mv, sys, 0, 1);
	vmm_as_new(m, "memory", sys, &as, &err);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reader, as);
	for (i = 0; i < 3000; i++) {
		struct vmm_mr *t = NULL;

		snprintf(id, sizeof(id), "tmp%u", i);
		fails += vmm_mr_set_addr(mv, (i * 0x1000) % 0x800000, &err) != 0;
		fails += vmm_mr_new_io(m, id, NULL, SZ(0x800), NULL, &t, &err) != 0;
		fails += t && vmm_mr_map(t, sys, 0x900000 + (i % 7) * 0x1000, 2, &err) != 0;
		fails += t && vmm_mr_unmap(t, &err) != 0;
		fails += t && vmm_mr_delete(t, &err) != 0;
	}
	atomic_store(&stop, true);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	is(fails, 0, "writer edits all succeeded");
	is(atomic_load(&bad), 0, "readers never saw a broken view");
	ok(atomic_load(&seen) > 0, "readers ran (%lu views)", (unsigned long)atomic_load(&seen));
	is(vmm_memory_region_count(m), 3, "temporary regions are gone");
	vmm_memory_free(m);
	return done_testing();
}
