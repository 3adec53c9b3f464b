// SPDX-License-Identifier: MIT
/*
 * Aliases into a container window: the "Example memory map" of QEMU's
 * docs/devel/memory.rst (lomem/himem aliases of ram, the vga-window alias of
 * the pci container at priority 1, the pci-hole alias, vga-area banks that
 * alias vram). Expected ranges follow the rules stated there: the vga window
 * obscures RAM where pci maps something and RAM shows through its holes, and
 * BARs outside the pci hole are clipped away.
 */
#include "mem_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "system", (vmm_u128)1 << 48);
	struct vmm_mr *ram = mk_io(m, "ram", SZ(0x100000000));
	struct vmm_mr *pci = mk_container(m, "pci", SZ(0x100000000));
	struct vmm_mr *vga = mk_container(m, "vga-area", SZ(0x20000));
	struct vmm_mr *vram = mk_io(m, "vram", SZ(0x1000000));
	struct vmm_mr *win, *outside;
	struct vmm_err err = { 0 };
	char *s;

	do_map(vga, pci, 0xa0000, 0);
	do_map(mk_alias(m, "bank0", vram, 0x10000, SZ(0x8000)), vga, 0, 0);
	do_map(mk_alias(m, "bank1", vram, 0x20000, SZ(0x8000)), vga, 0x8000, 0);
	do_map(vram, pci, 0xe1000000, 0);
	do_map(mk_io(m, "vga-mmio", SZ(0x10000)), pci, 0xe2000000, 0);
	do_map(mk_alias(m, "lomem", ram, 0, SZ(0xe0000000)), sys, 0, 0);
	do_map(mk_alias(m, "himem", ram, 0xe0000000, SZ(0x20000000)), sys, 0x100000000, 0);
	win = mk_alias(m, "vga-window", pci, 0xa0000, SZ(0x20000));
	do_map(win, sys, 0xa0000, 1);
	do_map(mk_alias(m, "pci-hole", pci, 0xe0000000, SZ(0x20000000)), sys, 0xe0000000, 0);

	is_str(s = render_text(sys),
	       "0-9ffff ram\n"
	       "a0000-a7fff vram @10000\n"
	       "a8000-affff vram @20000\n"
	       "b0000-dfffffff ram @b0000\n"
	       "e1000000-e1ffffff vram\n"
	       "e2000000-e200ffff vga-mmio\n"
	       "100000000-11fffffff ram @e0000000\n",
	       "memory.rst example map"); free(s);

	outside = mk_io(m, "bar-outside", SZ(0x1000));
	do_map(outside, pci, 0xd0000000, 0);
	is_str(s = render_text(sys),
	       "0-9ffff ram\n"
	       "a0000-a7fff vram @10000\n"
	       "a8000-affff vram @20000\n"
	       "b0000-dfffffff ram @b0000\n"
	       "e1000000-e1ffffff vram\n"
	       "e2000000-e200ffff vga-mmio\n"
	       "100000000-11fffffff ram @e0000000\n",
	       "a BAR outside the pci hole is not visible"); free(s);

	is(vmm_mr_unmap(win, &err), 0, "remove the vga window");
	is_str(s = render_text(sys),
	       "0-dfffffff ram\n"
	       "e1000000-e1ffffff vram\n"
	       "e2000000-e200ffff vga-mmio\n"
	       "100000000-11fffffff ram @e0000000\n",
	       "RAM underneath is exposed and merges into one range"); free(s);

	is(vmm_mr_set_alias_offset(vmm_mr_find(m, "bank1"), 0x28000, &err), 0, "move bank1 window");
	do_map(win, sys, 0xa0000, 1);
	is_str(s = render_text(sys),
	       "0-9ffff ram\n"
	       "a0000-a7fff vram @10000\n"
	       "a8000-affff vram @28000\n"
	       "b0000-dfffffff ram @b0000\n"
	       "e1000000-e1ffffff vram\n"
	       "e2000000-e200ffff vga-mmio\n"
	       "100000000-11fffffff ram @e0000000\n",
	       "alias offset change follows"); free(s);
	vmm_memory_free(m);
	return done_testing();
}
