// SPDX-License-Identifier: MIT
/*
 * Flat-view roots (QEMU's memory_region_get_flatview_root) and sharing:
 * whole-target aliases and single-child containers are looked through, so
 * address spaces that end at the same region share one flat view object;
 * partial aliases, terminating regions and containers with several enabled
 * children are roots themselves; a container with no enabled child has no
 * root and an empty view ("Root memory region: (none)").
 */
#include "mem_util.h"

static struct vmm_as *mk_as(struct vmm_memory *m, const char *name, struct vmm_mr *root)
{
	struct vmm_as *as = NULL;
	struct vmm_err e = { 0 };

	if (vmm_as_new(m, name, root, &as, &e))
		ok(0, "address space %s: %s", name, e.msg);
	return as;
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *r = mk_container(m, "r", SZ(0x10000));
	struct vmm_mr *whole = mk_alias(m, "whole", r, 0, SZ(0x10000));
	struct vmm_mr *part = mk_alias(m, "part", r, 0x1000, SZ(0x2000));
	struct vmm_mr *w = mk_container(m, "w", SZ(0x10000));
	struct vmm_mr *two = mk_container(m, "two", SZ(0x10000));
	struct vmm_mr *none = mk_container(m, "none", SZ(0x10000));
	struct vmm_mr *off = mk_io(m, "off", SZ(0x1000));
	struct vmm_mr *dev = mk_io(m, "dev", SZ(0x10000));
	struct vmm_as *a1, *a2, *a3, *a4, *a5, *a6;
	struct vmm_flatview *f1, *f2, *f3, *f4, *f5, *f6;
	struct vmm_err err = { 0 };

	do_map(mk_io(m, "x", SZ(0x4000)), r, 0, 0);
	do_map(mk_io(m, "x2", SZ(0x1000)), r, 0x8000, 0);
	do_map(whole, w, 0, 0);
	do_map(mk_io(m, "y", SZ(0x1000)), two, 0, 0);
	do_map(mk_io(m, "z", SZ(0x1000)), two, 0x1000, 0);
	do_map(off, none, 0, 0);
	do_map(mk_io(m, "kid", SZ(0x1000)), dev, 0, 0);
	is(vmm_mr_set_enabled(off, false, &err), 0, "disable none's only child");

	ok(vmm_flatview_root_of(whole) == r, "whole-target alias -> target");
	ok(vmm_flatview_root_of(w) == r, "single child at 0 -> child -> alias target");
	ok(vmm_flatview_root_of(part) == part, "partial alias is its own root");
	ok(vmm_flatview_root_of(two) == two, "two enabled children: no simplification");
	ok(vmm_flatview_root_of(none) == NULL, "no enabled child: no root");
	ok(vmm_flatview_root_of(dev) == dev, "terminating region is a root despite one child");

	a1 = mk_as(m, "a1", r);
	a2 = mk_as(m, "a2", whole);
	a3 = mk_as(m, "a3", w);
	a4 = mk_as(m, "a4", part);
	a5 = mk_as(m, "a5", none);
	a6 = mk_as(m, "a6", two);
	f1 = vmm_as_get_flatview(a1);
	f2 = vmm_as_get_flatview(a2);
	f3 = vmm_as_get_flatview(a3);
	f4 = vmm_as_get_flatview(a4);
	f5 = vmm_as_get_flatview(a5);
	f6 = vmm_as_get_flatview(a6);
	ok(f1 == f2 && f2 == f3, "a1, a2, a3 share one flat view");
	ok(f1->root == r, "its root is r");
	ok(f4 != f1 && f4->root == part && f4->nr == 1 && vmm_flatview_range(f4, 0)->offset_in_region == 0x1000,
	   "the partial alias has its own view");
	ok(f5->root == NULL && f5->nr == 0, "no root: empty view");
	ok(f6 != f1 && f6->root == two && f6->nr == 2, "two children: own view");
	ok(f1->id != f4->id && f1->id != f5->id && f4->id != f6->id, "distinct views, distinct ids");

	vmm_flatview_unref(f1); vmm_flatview_unref(f2); vmm_flatview_unref(f3);
	vmm_flatview_unref(f4); vmm_flatview_unref(f5); vmm_flatview_unref(f6);

	is(vmm_mr_set_enabled(off, true, &err), 0, "enable none's child");
	f5 = vmm_as_get_flatview(a5);
	ok(f5->root == off && f5->nr == 1, "now the child is the root");
	vmm_flatview_unref(f5);
	f1 = vmm_as_get_flatview(a1);
	f2 = vmm_as_get_flatview(a3);
	ok(f1 == f2, "sharing survives an unrelated commit");
	vmm_flatview_unref(f1); vmm_flatview_unref(f2);

	is(vmm_mr_set_readonly(w, true, &err), 0, "readonly on the looked-through container");
	f2 = vmm_as_get_flatview(a3);
	ok(f2->root == r && !vmm_flatview_range(f2, 0)->readonly,
	   "as in QEMU, a skipped root's readonly flag is not applied");
	vmm_flatview_unref(f2);
	vmm_memory_free(m);
	return done_testing();
}
