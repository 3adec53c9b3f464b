// SPDX-License-Identifier: MIT
/*
 * What only `info mtree -f` can tell the importer, on hand-written dumps: an
 * i/o region with ranges of its own is an io region, one without is a
 * container; a one-byte span that renders nothing is an empty region; a ram
 * region whose ranges print as rom below one alias but as ram below another
 * makes only the first alias readonly. Then the round trip: the imported
 * script, executed on a fresh model, prints the same -D text back.
 */
#include <errno.h>

#include <vmm/ctl.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include <vmm/qemu.h>

#include "tap.h"

static char script[16384];

static int import(const char *tree, const char *flat)
{
	struct vmm_err err = { 0 };
	struct vmm_buf out;
	int r;

	vmm_buf_init(&out);
	r = vmm_qemu_import(tree, strlen(tree), flat, flat ? strlen(flat) : 0, &out, &err);
	if (r)
		diag("import: %s", err.msg);
	snprintf(script, sizeof(script), "%s", out.data ? out.data : "");
	vmm_buf_free(&out);
	return r;
}

static int has(const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	return strstr(script, want) != NULL;
}

static const char tree[] =
	"address-space: memory\n"
	"  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
	"    0000000000000000-0000000007ffffff (prio 0, ram): alias low @ram 0000000000000000-0000000007ffffff\n"
	"    00000000000c0000-00000000000c3fff (prio 1, ram): alias shadow @ram 00000000000c0000-00000000000c3fff\n"
	"    00000000000e0000-00000000000e3fff (prio 1, ram): alias shadow @ram 00000000000e0000-00000000000e3fff\n"
	"    00000000fe000000-00000000fe003fff (prio 1, i/o): bar\n"
	"      00000000fe000000-00000000fe000fff (prio 0, i/o): regs\n"
	"    00000000fe100000-00000000fe100fff (prio 1, i/o): dev\n"
	"      00000000fe100000-00000000fe1000ff (prio 0, i/o): msix\n"
	"    00000000fe200000-00000000fe200000 (prio 1, i/o): blackhole\n"
	"    00000000fe300000-00000000fe300000 (prio 1, i/o): port\n"
	"\n"
	"memory-region: ram\n"
	"  0000000000000000-0000000007ffffff (prio 0, ram): ram\n"
	"\n";

static const char flat[] =
	"FlatView #0\n"
	" AS \"memory\", root: system\n"
	" Root memory region: system\n"
	"  0000000000000000-00000000000bffff (prio 0, ram): ram\n"
	"  00000000000c0000-00000000000c3fff (prio 0, rom): ram @00000000000c0000\n"
	"  00000000000c4000-0000000007ffffff (prio 0, ram): ram @00000000000c4000\n"
	"  00000000fe000000-00000000fe000fff (prio 0, i/o): regs\n"
	"  00000000fe100000-00000000fe1000ff (prio 0, i/o): msix\n"
	"  00000000fe100100-00000000fe100fff (prio 1, i/o): dev @0000000000000100\n"
	"  00000000fe300000-00000000fe300000 (prio 1, i/o): port\n"
	"\n";

static void test_evidence(void)
{
	is(import(tree, flat), 0, "dump with -f imports");
	ok(has("container bar 0x4000"), "i/o region without ranges of its own is a container");
	ok(has("io dev 0x1000"), "i/o region with a range of its own (after a child) is io");
	ok(has("io blackhole 0x0"), "one-byte span rendering nothing is an empty io region");
	ok(has("io port 0x1"), "one-byte span with a range is one byte");
	ok(has("set shadow readonly on"), "alias whose ranges print rom is readonly");
	ok(!has("set low readonly on"), "alias below it with ram ranges is not");
	ok(!has("set shadow.2 readonly on"), "covered-by-ram alias of the same name is not");

	is(import(tree, NULL), 0, "same dump without -f imports");
	ok(has("container bar 0x4000") && has("container dev 0x1000"),
	   "without -f, i/o regions with children are containers");
	ok(has("io blackhole 0x1"), "without -f, a one-byte span is one byte");
	ok(!strstr(script, "readonly"), "without -f, no alias is readonly");
}

/* Execute the script on a fresh model and print -D: it must be the input. */
static void test_round_trip(void)
{
	struct vmm_ctl_ctx ctx = { 0 };
	struct vmm_err err = { 0 };
	struct vmm_buf out;
	int r;

	if (import(tree, flat))
		return;
	ctx.mem = vmm_memory_new();
	r = vmm_ctl_exec(&ctx, script, strlen(script), &err);
	is(r, 0, "imported script executes (%s)", err.msg);
	vmm_buf_init(&out);
	vmm_print_mtree(ctx.mem, VMM_PRINT_DISABLED, &out);
	ok(out.data && !strcmp(out.data, tree), "info mtree -D of the model is the dump");
	if (!out.data || strcmp(out.data, tree))
		diag("got:\n%s", out.data ? out.data : "(nothing)");
	vmm_buf_free(&out);
	vmm_memory_free(ctx.mem);
}

int main(void)
{
	test_evidence();
	test_round_trip();
	return done_testing();
}
