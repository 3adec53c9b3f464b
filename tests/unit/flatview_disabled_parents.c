// SPDX-License-Identifier: MIT
/*
 * Disabled regions: a disabled container, alias or terminating region hides
 * its whole subtree (render_memory_region returns at once), lower-priority
 * siblings show through instead, and re-enabling restores the previous view.
 * A disabled root renders to nothing.
 */
#include "mem_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x10000));
	struct vmm_mr *bg = mk_io(m, "bg", SZ(0x10000));
	struct vmm_mr *p = mk_container(m, "p", SZ(0x2000));
	struct vmm_mr *x = mk_io(m, "x", SZ(0x1000));
	struct vmm_mr *dev = mk_io(m, "dev", SZ(0x2000));
	struct vmm_mr *al = mk_alias(m, "al", dev, 0, SZ(0x2000));
	struct vmm_err err = { 0 };
	char *s, *before;

	do_map(bg, sys, 0, -1);
	do_map(p, sys, 0x1000, 0);
	do_map(x, p, 0, 0);
	do_map(dev, sys, 0x4000, 0);
	do_map(mk_io(m, "devkid", SZ(0x800)), dev, 0, 0);
	do_map(al, sys, 0x8000, 0);
	before = render_text(sys);
	is_str(before, "0-fff bg\n1000-1fff x\n2000-3fff bg @2000\n4000-47ff devkid\n"
		       "4800-5fff dev @800\n6000-7fff bg @6000\n8000-87ff devkid\n"
		       "8800-9fff dev @800\na000-ffff bg @a000\n", "everything enabled");

	is(vmm_mr_set_enabled(p, false, &err), 0, "disable container p");
	is_str(s = render_text(sys), "0-3fff bg\n4000-47ff devkid\n4800-5fff dev @800\n"
	       "6000-7fff bg @6000\n8000-87ff devkid\n8800-9fff dev @800\na000-ffff bg @a000\n",
	       "x vanishes with its disabled parent although x is enabled"); free(s);

	is(vmm_mr_set_enabled(dev, false, &err), 0, "disable terminating dev");
	is_str(s = render_text(sys), "0-ffff bg\n",
	       "dev's child and dev's alias view are gone too (the alias renders dev)"); free(s);

	is(vmm_mr_set_enabled(p, true, &err), 0, "enable p");
	is(vmm_mr_set_enabled(dev, true, &err), 0, "enable dev");
	is(vmm_mr_set_enabled(al, false, &err), 0, "disable the alias");
	is_str(s = render_text(sys), "0-fff bg\n1000-1fff x\n2000-3fff bg @2000\n4000-47ff devkid\n"
	       "4800-5fff dev @800\n6000-ffff bg @6000\n", "a disabled alias shows nothing"); free(s);
	is(vmm_mr_set_enabled(al, true, &err), 0, "enable the alias");
	is_str(s = render_text(sys), before, "re-enabling restores the view"); free(s);

	is(vmm_mr_set_enabled(sys, false, &err), 0, "disable the root");
	ok(vmm_flatview_root_of(sys) == NULL, "disabled root has no flat-view root");
	is_str(s = render_text(sys), "", "and renders nothing"); free(s);
	free(before);
	vmm_memory_free(m);
	return done_testing();
}
