// SPDX-License-Identifier: MIT
/*
 * Zero-size regions render nothing (QEMU's addrrange_intersects is false for
 * an empty range), whether a leaf, a container with children or an alias,
 * and a child clipped to nothing by its parent leaves no empty range behind.
 */
#include "mem_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x10000));
	struct vmm_mr *z = mk_io(m, "z", 0);
	struct vmm_mr *zc = mk_container(m, "zc", 0);
	struct vmm_mr *t = mk_io(m, "t", SZ(0x1000));
	struct vmm_mr *p = mk_container(m, "p", SZ(0x1000));
	struct vmm_flatview *fv;
	char *s;
	size_t i;
	int empty = 0;

	do_map(z, sys, 0x100, 5);
	do_map(zc, sys, 0x2000, 0);
	do_map(mk_io(m, "zkid", SZ(0x1000)), zc, 0, 0);
	do_map(mk_alias(m, "za", t, 0x800, 0), sys, 0x3000, 0);
	do_map(mk_io(m, "bg", SZ(0x10000)), sys, 0, -1);
	do_map(p, sys, 0x5000, 0);
	do_map(mk_io(m, "beyond", SZ(0x1000)), p, 0x1000, 0);
	is_str(s = render_text(sys), "0-ffff bg\n", "nothing but the background renders"); free(s);

	fv = vmm_flatview_render(sys);
	for (i = 0; fv && i < fv->nr; i++)
		empty += vmm_flatview_range(fv, i)->size == 0;
	is(empty, 0, "no zero-size ranges");
	vmm_flatview_unref(fv);
	vmm_memory_free(m);
	return done_testing();
}
