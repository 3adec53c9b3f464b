// SPDX-License-Identifier: MIT
/*
 * `info mtree [-D]` formatting rules on small topologies built through the
 * memory API. Each expectation follows QEMU 7.2's mtree_print_mr()/
 * mtree_info_as() (softmmu/memory.c) and, where a pc machine shows the same
 * situation, what the real QEMU printed here (noted at each case):
 * children sorted by address, then higher priority, then list order (newest
 * first among equal priorities); a disabled region's line only with -D but
 * its children always; every alias target (also of hidden aliases) queued
 * once for a `memory-region:` section, which can queue more; type words
 * follow aliases; nv- is the region's own flag; a zero-size region prints
 * start-start; a 2^64 region ends at ffffffffffffffff; spaces sharing a root
 * are one group with names in byte order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/memory.h>
#include <vmm/print.h>
#include "tap.h"

static struct vmm_memory *m;
static struct vmm_err e;

static struct vmm_mr *cont(const char *id, vmm_u128 size)
{
	struct vmm_mr *mr = NULL;

	if (vmm_mr_new_container(m, id, NULL, size, &mr, &e))
		diag("container %s: %s", id, e.msg);
	return mr;
}

static struct vmm_mr *io(const char *id, vmm_u128 size)
{
	struct vmm_mr *mr = NULL;

	if (vmm_mr_new_io(m, id, NULL, size, NULL, &mr, &e))
		diag("io %s: %s", id, e.msg);
	return mr;
}

static struct vmm_mr *ram(enum vmm_mr_type t, const char *id, vmm_u128 size)
{
	struct vmm_mr *mr = NULL;

	if (vmm_mr_new_ram(m, t, id, NULL, size, NULL, &mr, &e))
		diag("ram %s: %s", id, e.msg);
	return mr;
}

static struct vmm_mr *alias(const char *id, struct vmm_mr *t, uint64_t off, vmm_u128 size)
{
	struct vmm_mr *mr = NULL;

	if (vmm_mr_new_alias(m, id, NULL, t, off, size, &mr, &e))
		diag("alias %s: %s", id, e.msg);
	return mr;
}

static int map(struct vmm_mr *mr, struct vmm_mr *parent, uint64_t addr, int prio)
{
	int r = vmm_mr_map(mr, parent, addr, prio, &e);

	if (r)
		diag("map %s: %s", mr ? mr->id : "?", e.msg);
	return r;
}

static void expect(unsigned flags, const char *want, const char *what)
{
	struct vmm_buf b;

	vmm_buf_init(&b);
	vmm_print_mtree(m, flags, &b);
	is_str(b.data, want, "%s", what);
	vmm_buf_free(&b);
}

static void fresh(void)
{
	if (m)
		vmm_memory_free(m);
	m = vmm_memory_new();
}

/* Sort order: c (prio 5) first at 0x1000, then d before b (d mapped later, same prio). */
static void test_order(void)
{
	struct vmm_mr *root;

	fresh();
	root = cont("root", 0x10000);
	map(ram(VMM_MR_RAM, "a", 0x1000), root, 0x2000, 0);
	map(io("b", 0x1000), root, 0x1000, 0);
	map(io("c", 0x1000), root, 0x1000, 5);
	map(io("d", 0x1000), root, 0x1000, 0);
	vmm_as_new(m, "t", root, NULL, &e);
	expect(0,
	       "address-space: t\n"
	       "  0000000000000000-000000000000ffff (prio 0, i/o): root\n"
	       "    0000000000001000-0000000000001fff (prio 5, i/o): c\n"
	       "    0000000000001000-0000000000001fff (prio 0, i/o): d\n"
	       "    0000000000001000-0000000000001fff (prio 0, i/o): b\n"
	       "    0000000000002000-0000000000002fff (prio 0, ram): a\n"
	       "\n", "children by addr, then prio desc, then newest first");
	/* set_priority re-inserts: b moves to the front of its new priority group */
	vmm_mr_set_priority(vmm_mr_find(m, "b"), 5, &e);
	expect(0,
	       "address-space: t\n"
	       "  0000000000000000-000000000000ffff (prio 0, i/o): root\n"
	       "    0000000000001000-0000000000001fff (prio 5, i/o): b\n"
	       "    0000000000001000-0000000000001fff (prio 5, i/o): c\n"
	       "    0000000000001000-0000000000001fff (prio 0, i/o): d\n"
	       "    0000000000002000-0000000000002fff (prio 0, ram): a\n"
	       "\n", "a re-prioritised region goes first among its new equals");
}

/*
 * Disabled regions (pc: piix4-pm [disabled] with acpi-evt... below it, and the
 * disabled "bus master" aliases whose target still gets "memory-region: system").
 */
static void test_disabled(void)
{
	struct vmm_mr *root, *box, *tgt, *al;

	fresh();
	root = cont("root", VMM_U64_LIMIT);
	box = cont("box", 0x100);
	tgt = ram(VMM_MR_RAM, "tgt", 0x2000);
	al = alias("win", tgt, 0x1000, 0x1000);
	map(box, root, 0x100, 0);
	map(io("kid", 0x10), box, 0x20, 0);
	map(al, root, 0x8000, 1);
	vmm_mr_set_enabled(box, false, &e);
	vmm_mr_set_enabled(al, false, &e);
	vmm_as_new(m, "t", root, NULL, &e);
	expect(0,
	       "address-space: t\n"
	       "  0000000000000000-ffffffffffffffff (prio 0, i/o): root\n"
	       "      0000000000000120-000000000000012f (prio 0, i/o): kid\n"
	       "\n"
	       "memory-region: tgt\n"
	       "  0000000000000000-0000000000001fff (prio 0, ram): tgt\n"
	       "\n", "without -D: disabled lines hidden, children and alias targets kept");
	expect(VMM_PRINT_DISABLED,
	       "address-space: t\n"
	       "  0000000000000000-ffffffffffffffff (prio 0, i/o): root\n"
	       "    0000000000000100-00000000000001ff (prio 0, i/o): box [disabled]\n"
	       "      0000000000000120-000000000000012f (prio 0, i/o): kid\n"
	       "    0000000000008000-0000000000008fff (prio 1, ram): alias win @tgt "
	       "0000000000001000-0000000000001fff [disabled]\n"
	       "\n"
	       "memory-region: tgt\n"
	       "  0000000000000000-0000000000001fff (prio 0, ram): tgt\n"
	       "\n", "-D: [disabled] suffix on regions and aliases");
}

/*
 * memory-region: sections come in first-seen order, once each, even for a
 * region already printed in an address space (pc: "memory-region: system"),
 * and a target holding aliases queues their targets behind it.
 */
static void test_alias_queue(void)
{
	struct vmm_mr *root, *top, *inner, *deep, *rom;

	fresh();
	root = cont("root", 0x100000);
	top = cont("top", 0x100000);
	inner = cont("inner", 0x10000);
	deep = ram(VMM_MR_RAM, "deep", 0x1000);
	rom = ram(VMM_MR_ROM, "bios", 0x1000);
	map(alias("in-alias", deep, 0, 0x1000), inner, 0x1000, 0);
	map(alias("w1", inner, 0, 0x10000), root, 0x20000, 0);
	map(alias("w2", root, 0, 0x1000), top, 0x40000, 0);
	map(alias("w3", inner, 0x1000, 0x1000), root, 0x50000, 0);
	map(alias("w4", rom, 0x800, 0x800), root, 0x60000, 0);
	vmm_as_new(m, "t", root, NULL, &e);
	vmm_as_new(m, "u", top, NULL, &e);
	expect(0,
	       "address-space: t\n"
	       "  0000000000000000-00000000000fffff (prio 0, i/o): root\n"
	       "    0000000000020000-000000000002ffff (prio 0, i/o): alias w1 @inner "
	       "0000000000000000-000000000000ffff\n"
	       "    0000000000050000-0000000000050fff (prio 0, i/o): alias w3 @inner "
	       "0000000000001000-0000000000001fff\n"
	       "    0000000000060000-00000000000607ff (prio 0, rom): alias w4 @bios "
	       "0000000000000800-0000000000000fff\n"
	       "\n"
	       "address-space: u\n"
	       "  0000000000000000-00000000000fffff (prio 0, i/o): top\n"
	       "    0000000000040000-0000000000040fff (prio 0, i/o): alias w2 @root "
	       "0000000000000000-0000000000000fff\n"
	       "\n"
	       "memory-region: inner\n"
	       "  0000000000000000-000000000000ffff (prio 0, i/o): inner\n"
	       "    0000000000001000-0000000000001fff (prio 0, ram): alias in-alias @deep "
	       "0000000000000000-0000000000000fff\n"
	       "\n"
	       "memory-region: bios\n"
	       "  0000000000000000-0000000000000fff (prio 0, rom): bios\n"
	       "\n"
	       "memory-region: root\n"
	       "  0000000000000000-00000000000fffff (prio 0, i/o): root\n"
	       "    0000000000020000-000000000002ffff (prio 0, i/o): alias w1 @inner "
	       "0000000000000000-000000000000ffff\n"
	       "    0000000000050000-0000000000050fff (prio 0, i/o): alias w3 @inner "
	       "0000000000001000-0000000000001fff\n"
	       "    0000000000060000-00000000000607ff (prio 0, rom): alias w4 @bios "
	       "0000000000000800-0000000000000fff\n"
	       "\n"
	       "memory-region: deep\n"
	       "  0000000000000000-0000000000000fff (prio 0, ram): deep\n"
	       "\n", "alias targets queued once, in first-seen order, transitively");
}

/*
 * Type words (memory_region_type): romd only in romd mode, else i/o (pc with
 * pflash printed "romd): system.flash0"); ram made readonly prints rom; nv-
 * is the region's own flag (nvdimm printed "nv-ram): alias nvdimm-memory");
 * empty regions print start-start (MR_SIZE of 0 is 0).
 */
static void test_types(void)
{
	struct vmm_mr *root, *flash, *r, *nv;

	fresh();
	root = cont("root", 0x100000);
	flash = ram(VMM_MR_ROMD, "flash", 0x1000);
	r = ram(VMM_MR_RAM, "r", 0x1000);
	nv = ram(VMM_MR_RAM, "nv", 0x1000);
	map(flash, root, 0x1000, 0);
	map(r, root, 0x2000, 0);
	map(nv, root, 0x3000, 0);
	map(alias("nv-alias", nv, 0, 0x1000), root, 0x4000, 0);
	map(io("empty", 0), root, 0x5000, 0);
	vmm_mr_set_romd(flash, true, &e);
	vmm_mr_set_readonly(r, true, &e);
	vmm_mr_set_nonvolatile(nv, true, &e);
	vmm_mr_set_nonvolatile(vmm_mr_find(m, "nv-alias"), false, &e);
	vmm_as_new(m, "t", root, NULL, &e);
	expect(0,
	       "address-space: t\n"
	       "  0000000000000000-00000000000fffff (prio 0, i/o): root\n"
	       "    0000000000001000-0000000000001fff (prio 0, romd): flash\n"
	       "    0000000000002000-0000000000002fff (prio 0, rom): r\n"
	       "    0000000000003000-0000000000003fff (prio 0, nv-ram): nv\n"
	       "    0000000000004000-0000000000004fff (prio 0, ram): alias nv-alias @nv "
	       "0000000000000000-0000000000000fff\n"
	       "    0000000000005000-0000000000005000 (prio 0, i/o): empty\n"
	       "\n"
	       "memory-region: nv\n"
	       "  0000000000003000-0000000000003fff (prio 0, nv-ram): nv\n"
	       "\n", "romd, rom, nv-, empty region");
	vmm_mr_set_romd(flash, false, &e);
	vmm_mr_set_readonly(r, false, &e);
	expect(0,
	       "address-space: t\n"
	       "  0000000000000000-00000000000fffff (prio 0, i/o): root\n"
	       "    0000000000001000-0000000000001fff (prio 0, i/o): flash\n"
	       "    0000000000002000-0000000000002fff (prio 0, ram): r\n"
	       "    0000000000003000-0000000000003fff (prio 0, nv-ram): nv\n"
	       "    0000000000004000-0000000000004fff (prio 0, ram): alias nv-alias @nv "
	       "0000000000000000-0000000000000fff\n"
	       "    0000000000005000-0000000000005000 (prio 0, i/o): empty\n"
	       "\n"
	       "memory-region: nv\n"
	       "  0000000000003000-0000000000003fff (prio 0, nv-ram): nv\n"
	       "\n", "romd device out of romd mode prints i/o; writable ram prints ram");
}

/*
 * Address-space groups: one tree per root, names sorted by byte order (pc:
 * "address-space: cpu-memory-0" before "address-space: memory"), groups in
 * creation order of their first space.
 */
static void test_groups(void)
{
	struct vmm_mr *sys, *pio;

	fresh();
	sys = cont("sys", VMM_U64_LIMIT);
	pio = io("pio", 0x10000);
	vmm_as_new(m, "memory", sys, NULL, &e);
	vmm_as_new(m, "I/O", pio, NULL, &e);
	vmm_as_new(m, "cpu-memory-0", sys, NULL, &e);
	vmm_as_new(m, "Zeta", sys, NULL, &e);
	expect(0,
	       "address-space: Zeta\n"
	       "address-space: cpu-memory-0\n"
	       "address-space: memory\n"
	       "  0000000000000000-ffffffffffffffff (prio 0, i/o): sys\n"
	       "\n"
	       "address-space: I/O\n"
	       "  0000000000000000-000000000000ffff (prio 0, i/o): pio\n"
	       "\n", "spaces sharing a root form one group, names in byte order");
}

/* QEMU prefixes "[DETECTED OVERFLOW!] " when base + addr wraps (mtree_print_mr). */
static void test_overflow(void)
{
	struct vmm_mr *root, *box, *kid;

	fresh();
	root = cont("root", VMM_U64_LIMIT);
	box = cont("box", 0x2000);
	kid = io("kid", 0x1000);
	map(box, root, 0x1000, 0);
	if (vmm_mr_map(kid, box, 0xfffffffffffff000ull, 0, &e)) {
		diag("model refuses a child past 2^64 from its container (%s): nothing to print",
		     e.msg);
		return;
	}
	vmm_as_new(m, "t", root, NULL, &e);
	expect(0,
	       "address-space: t\n"
	       "  0000000000000000-ffffffffffffffff (prio 0, i/o): root\n"
	       "    0000000000001000-0000000000002fff (prio 0, i/o): box\n"
	       "[DETECTED OVERFLOW!]       0000000000000000-0000000000000fff (prio 0, i/o): kid\n"
	       "\n", "wrapped address flagged as QEMU does");
}

int main(void)
{
	test_order();
	test_disabled();
	test_alias_queue();
	test_types();
	test_groups();
	test_overflow();
	vmm_memory_free(m);
	return done_testing();
}
