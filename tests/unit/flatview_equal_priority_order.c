// SPDX-License-Identifier: MIT
/*
 * Subregion order as QEMU's memory_region_update_container_subregions keeps
 * it: a new subregion goes before the first sibling whose priority is <= its
 * own, so among equal priorities the newest comes first and wins the render;
 * changing priority or address re-inserts the region at the front of its
 * (new) priority group; setting an unchanged value does not move it.
 */
#include "mem_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x10000));
	struct vmm_mr *a = mk_io(m, "a", SZ(0x1000)), *b = mk_io(m, "b", SZ(0x1000));
	struct vmm_mr *c = mk_io(m, "c", SZ(0x1000)), *d = mk_io(m, "d", SZ(0x1000));
	struct vmm_mr *e = mk_io(m, "e", SZ(0x1000)), *f = mk_io(m, "f", SZ(0x1000));
	struct vmm_err err = { 0 };
	char *s;

	do_map(a, sys, 0, 0);
	do_map(b, sys, 0, 0);
	do_map(c, sys, 0, 0);
	is_str(s = child_order(sys), "c b a", "equal priorities: newest first"); free(s);
	is_str(s = render_text(sys), "0-fff c\n", "newest of equal priority wins"); free(s);

	do_map(d, sys, 0, 1);
	do_map(e, sys, 0, -1);
	is_str(s = child_order(sys), "d c b a e", "higher priority first, lower last"); free(s);
	is_str(s = render_text(sys), "0-fff d\n", "highest priority wins"); free(s);

	do_map(f, sys, 0x3000, 0);
	is_str(s = child_order(sys), "d f c b a e", "new prio-0 region heads its group"); free(s);

	is(vmm_mr_set_priority(a, 0, &err), 0, "same priority accepted");
	is_str(s = child_order(sys), "d f c b a e", "unchanged priority does not move"); free(s);
	is(vmm_mr_set_priority(a, 1, &err), 0, "raise a to prio 1");
	is_str(s = child_order(sys), "a d f c b e", "re-inserted before d (prio 1 <= 1)"); free(s);
	is_str(s = render_text(sys), "0-fff a\n3000-3fff f\n", "a now wins at 0"); free(s);

	is(vmm_mr_set_addr(c, 0, &err), 0, "same address accepted");
	is_str(s = child_order(sys), "a d f c b e", "unchanged address does not move"); free(s);
	is(vmm_mr_set_addr(b, 0x1000, &err), 0, "move b");
	is_str(s = child_order(sys), "a d b f c e", "moved region heads its priority group"); free(s);
	is_str(s = render_text(sys), "0-fff a\n1000-1fff b\n3000-3fff f\n", "b rendered at 0x1000");
	free(s);

	is(vmm_mr_set_priority(d, -1, &err), 0, "lower d to -1");
	is_str(s = child_order(sys), "a b f c d e", "d goes before e (equal prio, newer)"); free(s);

	is(vmm_mr_unmap(a, &err), 0, "unmap a");
	is_str(s = render_text(sys), "0-fff c\n1000-1fff b\n3000-3fff f\n",
	       "c is next at 0 (prio 0 before d and e)"); free(s);
	vmm_memory_free(m);
	return done_testing();
}
