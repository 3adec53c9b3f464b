// SPDX-License-Identifier: MIT
/*
 * `info mtree -f`, `info ramblock` and `info memslots` details on small
 * topologies. Expectations follow QEMU 7.2's mtree_print_flatview() and
 * ram_block_format(), as also seen on the real QEMU here: a range reached
 * through a readonly alias prints rom (pc: "pc.bios @0000000000020000" via the
 * readonly isa-bios alias), "@offset" only when the offset is not zero,
 * "No rendered FlatView" for a root that renders nothing (pc's bus-master
 * spaces), ", alias TARGET" when a space's root is an alias, spaces sharing a
 * view listed in creation order, page sizes as size_to_str() writes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/kvm.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include "tap.h"

static struct vmm_memory *m;
static struct vmm_err e;

static struct vmm_mr *mk(enum vmm_mr_type t, const char *id, vmm_u128 size)
{
	struct vmm_mr *mr = NULL;
	int r;

	if (t == VMM_MR_CONTAINER)
		r = vmm_mr_new_container(m, id, NULL, size, &mr, &e);
	else if (t == VMM_MR_IO)
		r = vmm_mr_new_io(m, id, NULL, size, NULL, &mr, &e);
	else
		r = vmm_mr_new_ram(m, t, id, NULL, size, NULL, &mr, &e);
	if (r)
		diag("%s: %s", id, e.msg);
	return mr;
}

static void map(struct vmm_mr *mr, struct vmm_mr *p, uint64_t addr, int prio)
{
	if (vmm_mr_map(mr, p, addr, prio, &e))
		diag("map %s: %s", mr->id, e.msg);
}

static void test_flat(void)
{
	struct vmm_mr *sys, *r, *bios, *ro, *win, *big, *empty;
	struct vmm_buf b;

	m = vmm_memory_new();
	sys = mk(VMM_MR_CONTAINER, "system", VMM_U64_LIMIT);
	r = mk(VMM_MR_RAM, "pc.ram", 0x100000);
	bios = mk(VMM_MR_ROM, "pc.bios", 0x40000);
	vmm_mr_new_alias(m, "ram-lo", NULL, r, 0, 0x100000, NULL, &e);
	map(vmm_mr_find(m, "ram-lo"), sys, 0, 0);
	vmm_mr_new_alias(m, "isa-bios", NULL, r, 0x20000, 0x20000, &ro, &e);
	vmm_mr_set_readonly(ro, true, &e);
	map(ro, sys, 0xe0000, 1);
	map(bios, sys, 0xfffc0000, 0);
	map(mk(VMM_MR_IO, "hpet", 0x400), sys, 0xfed00000, 0);
	big = mk(VMM_MR_CONTAINER, "big", 0x10000);
	map(mk(VMM_MR_RAM, "inner", 0x4000), big, 0x8000, 0);
	vmm_mr_new_alias(m, "win", NULL, big, 0x8000, 0x8000, &win, &e);
	vmm_mr_new_container(m, "bmc", "bus master container", VMM_U64_LIMIT, &empty, &e);
	vmm_as_new(m, "memory", sys, NULL, &e);
	vmm_as_new(m, "window", win, NULL, &e);
	vmm_as_new(m, "bm", empty, NULL, &e);
	vmm_as_new(m, "cpu-memory-0", sys, NULL, &e);

	vmm_buf_init(&b);
	vmm_print_flatview(m, NULL, &b);
	is_str(b.data,
	       "FlatView #0\n"
	       " AS \"memory\", root: system\n"
	       " AS \"cpu-memory-0\", root: system\n"
	       " Root memory region: system\n"
	       "  0000000000000000-00000000000dffff (prio 0, ram): pc.ram\n"
	       "  00000000000e0000-00000000000fffff (prio 0, rom): pc.ram @0000000000020000\n"
	       "  00000000fed00000-00000000fed003ff (prio 0, i/o): hpet\n"
	       "  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
	       "\n"
	       "FlatView #1\n"
	       " AS \"window\", root: win, alias big\n"
	       " Root memory region: win\n"
	       "  0000000000000000-0000000000003fff (prio 0, ram): inner\n"
	       "\n"
	       "FlatView #2\n"
	       " AS \"bm\", root: bus master container\n"
	       " Root memory region: (none)\n"
	       "  No rendered FlatView\n"
	       "\n", "info mtree -f: rom for readonly ranges, @offset, alias root, empty view");
	vmm_buf_free(&b);
}

/* QEMU's header and row formats; "4 KiB" from size_to_str(4096). */
static void test_ramblock(void)
{
	struct vmm_buf b;

	vmm_buf_init(&b);
	vmm_print_ramblock(m, &b);
	is_str(b.data,
	       "              Block Name    PSize              Offset               Used"
	       "              Total\n"
	       "                  pc.ram    4 KiB  0x0000000000000000 0x0000000000100000"
	       " 0x0000000000100000\n"
	       "                 pc.bios    4 KiB  0x0000000000100000 0x0000000000040000"
	       " 0x0000000000040000\n"
	       "                   inner    4 KiB  0x0000000000140000 0x0000000000004000"
	       " 0x0000000000004000\n"
	       , "info ramblock: biggest first, QEMU's columns");
	vmm_buf_free(&b);
}

/* Our own table: documented in vmm/print/print_flat.c; only the header without an accelerator. */
static void test_memslots(void)
{
	struct vmm_accel *a = vmm_accel_new_soft(0);
	struct vmm_buf b;
	int r;

	vmm_buf_init(&b);
	vmm_print_memslots(NULL, &b);
	is_str(b.data, " slot as_id     guest_phys_addr        memory_size     userspace_addr  flags\n",
	       "memslots header alone without an accelerator");
	vmm_buf_reset(&b);
	if (!a) {
		diag("no soft accelerator");
		return;
	}
	r = vmm_accel_set_memslot(a, 0, 0, 0, 0, 0xa0000, 0x7f0000000000ull);
	r |= vmm_accel_set_memslot(a, 3, 0, VMM_MEM_READONLY | VMM_MEM_LOG_DIRTY_PAGES,
				   0xfffc0000, 0x40000, 0x7f0000200000ull);
	is(r, 0, "soft slots registered");
	vmm_print_memslots(a, &b);
	is_str(b.data,
	       " slot as_id     guest_phys_addr        memory_size     userspace_addr  flags\n"
	       "    0     0  0x0000000000000000 0x00000000000a0000 0x00007f0000000000  -\n"
	       "    3     0  0x00000000fffc0000 0x0000000000040000 0x00007f0000200000  "
	       "LOG_DIRTY_PAGES|READONLY\n", "memslots rows in slot order, flags spelled");
	vmm_buf_free(&b);
	vmm_accel_free(a);
}

int main(void)
{
	test_flat();
	test_ramblock();
	test_memslots();
	vmm_memory_free(m);
	return done_testing();
}
