// SPDX-License-Identifier: MIT
/*
 * `info ramblock` as the importer's third input: the imported script must
 * rebuild the block list QEMU printed, byte for byte: idstrs with device
 * paths, offsets that creation order alone would not give (a device's ROM
 * below the RAM, a hole QEMU left by freeing a block), used and max lengths
 * of a resizeable block, and blocks no region maps. The unmapped blocks must
 * not show in the tree, and text that is not `info ramblock` is refused with
 * its line.
 */
#include <errno.h>

#include <vmm/ctl.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include <vmm/qemu.h>

#include "tap.h"

static const char tree[] =
	"address-space: memory\n"
	"  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
	"    0000000000000000-0000000000ffffff (prio 0, ram): ram\n"
	"    00000000fd000000-00000000fd0fffff (prio 1, ram): vga.vram\n"
	"    00000000fffc0000-00000000ffffffff (prio 0, rom): bios\n"
	"\n";

/* vga.vram was made first; a 1 MiB block QEMU freed left the hole at 0x140000. */
static const char blocks[] =
	"              Block Name    PSize              Offset               Used              Total\n"
	"                     ram    4 KiB  0x0000000000240000 0x0000000001000000 0x0000000001000000\n"
	"    /rom@etc/acpi/tables    4 KiB  0x0000000001240000 0x0000000000020000 0x0000000000200000\n"
	"   0000:00:02.0/vga.vram    4 KiB  0x0000000000000000 0x0000000000100000 0x0000000000100000\n"
	"                    bios    4 KiB  0x0000000000100000 0x0000000000040000 0x0000000000040000\n"
	"    0000:00:02.0/vga.rom    4 KiB  0x0000000001440000 0x0000000000010000 0x0000000000010000\n";

static int import(const char *rb, struct vmm_buf *out, struct vmm_err *err)
{
	struct vmm_qemu_dump d = {
		.tree = tree, .tree_len = strlen(tree),
		.ramblock = rb, .ramblock_len = strlen(rb),
	};

	vmm_buf_init(out);
	return vmm_qemu_import_dump(&d, out, err);
}

static void test_exact(void)
{
	struct vmm_ctl_ctx ctx = { 0 };
	struct vmm_err err = { 0 };
	struct vmm_buf out, printed;
	int r;

	r = import(blocks, &out, &err);
	is(r, 0, "dump and ramblock text import (%s)", err.msg);
	ctx.mem = vmm_memory_new();
	r = out.data ? vmm_ctl_exec(&ctx, out.data, out.len, &err) : -EINVAL;
	is(r, 0, "the script executes (%s)", err.msg);
	vmm_buf_init(&printed);
	vmm_print_ramblock(ctx.mem, &printed);
	ok(printed.data && !strcmp(printed.data, blocks), "info ramblock is QEMU's, byte for byte");
	if (!printed.data || strcmp(printed.data, blocks))
		diag("script:\n%s\ngot:\n%s", out.data, printed.data ? printed.data : "(nothing)");
	vmm_buf_free(&printed);
	vmm_buf_init(&printed);
	vmm_print_mtree(ctx.mem, VMM_PRINT_DISABLED, &printed);
	ok(printed.data && !strcmp(printed.data, tree), "the unmapped blocks stay out of the tree");
	ok(vmm_mr_find(ctx.mem, "vga.rom") && !vmm_mr_find(ctx.mem, "vga.rom")->container,
	   "an unmapped block is an unmapped region named after it");
	ok(out.data && !strstr(out.data, "# note:"), "no list order is lost");
	vmm_buf_free(&printed);
	vmm_buf_free(&out);
	vmm_memory_free(ctx.mem);
}

static void test_rejects(void)
{
	struct vmm_err err = { 0 };
	struct vmm_buf out;

	is(import("Block Name\n  ram 4 KiB 0x0 0x1000\n", &out, &err), -EINVAL,
	   "a row with a field missing is refused");
	ok(strstr(err.msg, "ramblock line 2") != NULL, "the error names the line (%s)", err.msg);
	vmm_buf_free(&out);
	is(import("  ram 4 KiB 0x0 0x2000 0x1000\n", &out, &err), -EINVAL,
	   "used above max is refused");
	vmm_buf_free(&out);
	is(import("  ram 4 KiB 0x0 0x1000000 0x1000000\n"
		  "  bios 4 KiB 0x40000 0x40000 0x40000\n", &out, &err), -EINVAL,
	   "overlapping blocks are refused");
	vmm_buf_free(&out);
}

int main(void)
{
	test_exact();
	test_rejects();
	return done_testing();
}
