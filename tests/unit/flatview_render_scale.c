// SPDX-License-Identifier: MIT
/*
 * Rendering scales: 100k sibling io regions in one container, with a
 * background region filling the 100k gaps between them and a terminating
 * region with 100k children, render to the expected number of ranges. QEMU
 * inserts each range into a sorted array (O(n) per insert); our skip list
 * keeps it near O(n log n). The times go to diag output, not assertions.
 */
#include <time.h>

#include "mem_util.h"

#define N 100000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", VMM_U64_LIMIT);
	struct vmm_mr *dev = mk_io(m, "dev", SZ(2ull * N * 0x1000));
	struct vmm_flatview *fv;
	struct vmm_err err = { 0 };
	struct vmm_as *as = NULL;
	char id[32];
	double t0, t1;
	int fails = 0;
	unsigned i;

	t0 = now();
	vmm_memory_begin(m);
	for (i = 0; i < N; i++) {
		struct vmm_mr *mr = NULL;

		snprintf(id, sizeof(id), "r%u", i);
		fails += vmm_mr_new_io(m, id, NULL, SZ(0x1000), NULL, &mr, &err) != 0;
		fails += mr && vmm_mr_map(mr, sys, (uint64_t)i * 0x2000, 0, &err) != 0;
	}
	do_map(mk_io(m, "bg", SZ(2ull * N * 0x1000)), sys, 0, -1);
	fails += vmm_as_new(m, "memory", sys, &as, &err) != 0;
	t1 = now();
	fails += vmm_memory_commit(m, &err) != 0;
	diag("create+map %u regions: %.3f s; first commit (render): %.3f s", N, t1 - t0,
	     now() - t1);
	is(fails, 0, "all created and mapped");
	ok(vmm_mr_find(m, "r54321") && vmm_memory_region_count(m) == N + 3, "registry lookup");

	fv = vmm_as_get_flatview(as);
	is(fv->nr, 2 * N, "100k regions + 100k background gaps");
	ok(fv->nr == 2 * N && vmm_flatview_range(fv, 1)->mr == vmm_mr_find(m, "bg") &&
	   vmm_flatview_range(fv, 1)->offset_in_region == 0x1000 && vmm_flatview_range(fv, 2 * N - 2)->start ==
	   (vmm_u128)(N - 1) * 0x2000, "ranges in order with the right offsets");
	vmm_flatview_unref(fv);

	t0 = now();
	fv = vmm_flatview_render(sys);
	diag("full render of %zu ranges: %.3f s", fv ? fv->nr : 0, now() - t0);
	vmm_flatview_unref(fv);

	t0 = now();
	is(vmm_mr_set_enabled(vmm_mr_find(m, "r500"), false, &err), 0, "one-region edit");
	diag("one-region edit + commit at %u regions: %.3f s", N, now() - t0);

	vmm_memory_begin(m);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "r%u", i);
		vmm_mr_unmap(vmm_mr_find(m, id), &err);
		fails += vmm_mr_map(vmm_mr_find(m, id), dev, (uint64_t)i * 0x2000, 0, &err) != 0;
	}
	do_map(dev, sys, 0x1000000000ull, 1);
	t0 = now();
	fails += vmm_memory_commit(m, &err) != 0;
	diag("terminating region with %u children: commit %.3f s", N, now() - t0);
	fv = vmm_as_get_flatview(as);
	is(fails, 0, "moved under dev");
	/* 99999 enabled children, 99999 gaps (r500 is disabled: its slot joins two gaps), bg */
	is(fv->nr, 2 * N - 1, "dev fills its children's gaps");
	ok(vmm_flatview_range(fv, fv->nr - 1)->mr == dev && vmm_flatview_range(fv, 0)->mr == vmm_mr_find(m, "bg"),
	   "bg first, dev last");
	vmm_flatview_unref(fv);
	vmm_memory_free(m);
	return done_testing();
}
