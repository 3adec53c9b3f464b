// SPDX-License-Identifier: MIT
/*
 * Readers on other threads hold flat views while the writer commits: each
 * reader takes the current view with vmm_as_get_flatview(), walks it with the
 * iterator, looks its ranges up by index and address, and keeps the last few
 * views it took, re-checking each one against a fingerprint taken when it got
 * it before dropping it, while the main thread keeps moving, toggling,
 * creating and deleting regions. The view spans many chunks of the range
 * store, so held old views share chunks with the new ones the writer
 * publishes. Old views must stay intact until their last reference goes (run
 * under TSan/ASan by `make sanitize`).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "mem_util.h"

#define FIXED	600	/* background io regions: the view holds ~1200 ranges */
#define HELD	4	/* views each reader keeps while newer ones are published */

static atomic_bool stop;
static atomic_ulong bad, seen;

/* Walk @fv; return a fingerprint of its ranges, or 0 when it is broken. */
static uint64_t walk(const struct vmm_flatview *fv)
{
	const struct vmm_flat_range *r, *prev = NULL;
	struct vmm_fv_iter it;
	uint64_t h = 1469598103934665603ull;
	size_t i = 0;

	vmm_flatview_for_each(r, it, fv) {
		if (vmm_flatview_range(fv, i) != r || !r->mr->id[0] ||
		    (i % 13 == 0 && vmm_flatview_lookup(fv, r->start) != (ssize_t)i) ||
		    (prev && prev->start + prev->size > r->start))
			return 0;
		h = (h ^ (uint64_t)r->start ^ (uintptr_t)r->mr) * 1099511628211ull;
		prev = r;
		i++;
	}
	return i == fv->nr ? h | 1 : 0;
}

static void *reader(void *arg)
{
	struct vmm_flatview *held[HELD] = { 0 };
	uint64_t print[HELD] = { 0 };
	struct vmm_as *as = arg;
	unsigned k = 0;

	while (!atomic_load(&stop)) {
		struct vmm_flatview *fv = vmm_as_get_flatview(as);

		if (held[k]) {
			if (walk(held[k]) != print[k])
				atomic_fetch_add(&bad, 1);
			vmm_flatview_unref(held[k]);
		}
		held[k] = fv;
		print[k] = walk(fv);
		if (!print[k])
			atomic_fetch_add(&bad, 1);
		k = (k + 1) % HELD;
		atomic_fetch_add(&seen, 1);
	}
	for (k = 0; k < HELD; k++)
		vmm_flatview_unref(held[k]);
	return NULL;
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x1000000));
	struct vmm_mr *mv = mk_io(m, "mover", SZ(0x3000));
	struct vmm_mr *fixed[FIXED];
	struct vmm_err err = { 0 };
	struct vmm_as *as = NULL;
	pthread_t th[2];
	char id[32];
	int fails = 0;
	unsigned i;

	do_map(mk_io(m, "bg", SZ(0x1000000)), sys, 0, -1);
	do_map(mv, sys, 0, 1);
	for (i = 0; i < FIXED; i++) {
		snprintf(id, sizeof(id), "fixed%u", i);
		fixed[i] = mk_io(m, id, SZ(0x800));
		do_map(fixed[i], sys, 0xa00000 + i * 0x1000, 0);
	}
	vmm_as_new(m, "memory", sys, &as, &err);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reader, as);
	for (i = 0; i < 3000; i++) {
		struct vmm_mr *t = NULL, *f = fixed[(i * 37) % FIXED];

		snprintf(id, sizeof(id), "tmp%u", i);
		fails += vmm_mr_set_addr(mv, (i * 0x1000) % 0x800000, &err) != 0;
		fails += vmm_mr_set_enabled(f, !f->enabled, &err) != 0;
		fails += vmm_mr_new_io(m, id, NULL, SZ(0x800), NULL, &t, &err) != 0;
		fails += t && vmm_mr_map(t, sys, 0x900000 + (i % 7) * 0x1000, 2, &err) != 0;
		fails += t && vmm_mr_unmap(t, &err) != 0;
		fails += t && vmm_mr_delete(t, &err) != 0;
	}
	atomic_store(&stop, true);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	is(fails, 0, "writer edits all succeeded");
	is(atomic_load(&bad), 0, "readers never saw a broken or changing view");
	ok(atomic_load(&seen) > 0, "readers ran (%lu views)", (unsigned long)atomic_load(&seen));
	is(vmm_memory_region_count(m), 3 + FIXED, "temporary regions are gone");
	vmm_memory_free(m);
	return done_testing();
}
