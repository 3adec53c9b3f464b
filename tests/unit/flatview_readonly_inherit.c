// SPDX-License-Identifier: MIT
/*
 * readonly and nonvolatile are inherited down the rendering path: from
 * containers and aliases to every leaf below them, and a rom region is
 * readonly by itself. What is not on the path does not count: an alias
 * renders its target directly, so the target's own container's flags do not
 * reach the alias's view.
 */
#include "mem_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x100000));
	struct vmm_mr *p = mk_container(m, "p", SZ(0x4000));
	struct vmm_mr *q = mk_container(m, "q", SZ(0x4000));
	struct vmm_mr *ram = mk_ram(m, VMM_MR_RAM, "r", SZ(0x1000));
	struct vmm_mr *rom = mk_ram(m, VMM_MR_ROM, "rom", SZ(0x1000));
	struct vmm_mr *io = mk_io(m, "io", SZ(0x1000));
	struct vmm_mr *t = mk_io(m, "t", SZ(0x1000));
	struct vmm_err err = { 0 };
	char *s;

	ok(rom->readonly, "a rom region is readonly");
	do_map(p, sys, 0, 0);
	do_map(ram, p, 0, 0);
	do_map(io, p, 0x1000, 0);
	do_map(rom, sys, 0x10000, 0);
	do_map(q, sys, 0x20000, 0);
	do_map(t, q, 0, 0);
	do_map(mk_alias(m, "ta", t, 0, SZ(0x1000)), sys, 0x30000, 0);
	is_str(s = render_text(sys),
	       "0-fff r\n1000-1fff io\n10000-10fff rom ro\n20000-20fff t\n30000-30fff t\n",
	       "only the rom is readonly"); free(s);

	is(vmm_mr_set_readonly(p, true, &err), 0, "readonly container p");
	is(vmm_mr_set_nonvolatile(q, true, &err), 0, "nonvolatile container q");
	is_str(s = render_text(sys),
	       "0-fff r ro\n1000-1fff io ro\n10000-10fff rom ro\n20000-20fff t nv\n"
	       "30000-30fff t\n",
	       "ram and io inherit readonly; q's nonvolatile does not reach the alias view");
	free(s);

	is(vmm_mr_set_readonly(vmm_mr_find(m, "ta"), true, &err), 0, "readonly alias");
	is(vmm_mr_set_readonly(rom, false, &err), 0, "rom made writable");
	is_str(s = render_text(sys),
	       "0-fff r ro\n1000-1fff io ro\n10000-10fff rom\n20000-20fff t nv\n"
	       "30000-30fff t ro\n", "the alias's readonly reaches its view; rom writable");
	free(s);
	vmm_memory_free(m);
	return done_testing();
}
