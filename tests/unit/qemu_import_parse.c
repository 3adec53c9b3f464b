// SPDX-License-Identifier: MIT
/*
 * The importer's reading of `info mtree -D` text on small hand-written dumps:
 * sizes (including 2^64), names with spaces, disabled regions, alias windows
 * and targets found through memory-region sections, a region printed twice
 * (group root and alias target) created once, repeated names getting distinct
 * IDs, and the subregion order that equal-address equal-priority siblings
 * print in. Also the rejections, each naming its line.
 */
#include <errno.h>

#include <vmm/qemu.h>

#include "tap.h"

static char script[16384];

static int import(const char *tree, const char *flat, struct vmm_err *err)
{
	struct vmm_buf out;
	int r;

	vmm_buf_init(&out);
	r = vmm_qemu_import(tree, strlen(tree), flat, flat ? strlen(flat) : 0, &out, err);
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

/* Index of @line in the script (for order checks), or -1. */
static long pos(const char *line)
{
	char want[512];
	const char *p;

	snprintf(want, sizeof(want), "\n%s\n", line);
	p = strstr(script, want);
	return p ? p - script : -1;
}

static const char dump[] =
	"address-space: cpu-memory-0\n"
	"address-space: memory\n"
	"  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
	"    0000000000000000-0000000007ffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-0000000007ffffff\n"
	"    0000000000000000-ffffffffffffffff (prio -1, i/o): pci\n"
	"      00000000000c0000-00000000000dffff (prio 1, rom): pc.rom\n"
	"    00000000000c0000-00000000000c3fff (prio 1, ram): alias pam-ram @pc.ram 00000000000c0000-00000000000c3fff [disabled]\n"
	"    00000000000c0000-00000000000c3fff (prio 1, i/o): alias pam-pci @pci 00000000000c0000-00000000000c3fff\n"
	"    00000000fec00000-00000000fec00fff (prio 0, i/o): kvm ioapic\n"
	"\n"
	"address-space: I/O\n"
	"  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
	"    0000000000000020-0000000000000021 (prio 0, i/o): pic\n"
	"    00000000000000a0-00000000000000a1 (prio 0, i/o): pic\n"
	"\n"
	"memory-region: pc.ram\n"
	"  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n"
	"\n"
	"memory-region: pci\n"
	"  0000000000000000-ffffffffffffffff (prio -1, i/o): pci\n"
	"    00000000000c0000-00000000000dffff (prio 1, rom): pc.rom\n"
	"\n";

static void test_basic(void)
{
	struct vmm_err err = { 0 };

	is(import(dump, NULL, &err), 0, "small pc-like dump imports (%s)", err.msg);
	ok(has("container system 16E"), "2^64 container printed as 16E");
	ok(has("ram pc.ram 0x8000000"), "section-only ram region is created");
	ok(has("rom pc.rom 0x20000"), "rom region");
	ok(has("io kvm_ioapic 0x1000 name=\"kvm ioapic\""), "space in a name: sanitised ID, quoted name");
	ok(has("io pic 0x2") && has("io pic.2 0x2 name=pic"), "repeated names get distinct IDs");
	ok(has("alias ram-below-4g pc.ram 0x0 0x8000000"), "alias with target and window");
	ok(has("alias pam-pci pci 0xc0000 0x4000"), "alias of a container target");
	ok(has("set pam-ram enabled off"), "[disabled] becomes enabled off");
	ok(has("map pci in system at 0x0 prio -1"), "negative priority");
	ok(has("address-space memory system") && has("address-space cpu-memory-0 system") &&
	   has("address-space I/O io"), "address spaces of a shared group");
	ok(strstr(script, "container pci ") == strstr(script, "container pci") &&
	   !strstr(script, "pci.2"), "pci printed in a group and as a section is created once");
	ok(pos("ram pc.ram 0x8000000") < pos("alias ram-below-4g pc.ram 0x0 0x8000000"),
	   "an alias is created after its target");
}

/*
 * Equal address, equal priority: printed in list order, which is newest first,
 * so the first printed must be mapped last.
 */
static void test_order(void)
{
	static const char d[] =
		"address-space: memory\n"
		"  0000000000000000-000000000000ffff (prio 0, i/o): root\n"
		"    0000000000001000-0000000000001fff (prio 1, ram): alias a @r 0000000000000000-0000000000000fff\n"
		"    0000000000001000-0000000000001fff (prio 1, ram): alias b @r 0000000000000000-0000000000000fff\n"
		"    0000000000001000-0000000000001fff (prio 1, ram): alias c @r 0000000000000000-0000000000000fff\n"
		"\n"
		"memory-region: r\n"
		"  0000000000000000-0000000000000fff (prio 0, ram): r\n"
		"\n";
	struct vmm_err err = { 0 };
	long pa, pb, pc;

	is(import(d, NULL, &err), 0, "equal siblings import");
	pa = pos("map a in root at 0x1000 prio 1");
	pb = pos("map b in root at 0x1000 prio 1");
	pc = pos("map c in root at 0x1000 prio 1");
	ok(pa > 0 && pb > 0 && pc > 0 && pc < pb && pb < pa,
	   "mapped in reverse of printed order (c, b, a) so a ends first in the list");
}

static void test_errors(void)
{
	struct vmm_err err = { 0 };

	is(import("address-space: memory\n  nonsense\n", NULL, &err), -EINVAL, "garbage line rejected");
	ok(strstr(err.msg, "line 2") != NULL, "error names line 2: %s", err.msg);
	is(import("address-space: memory\n"
		  "  0000000000000000-000000000000ffff (prio 0, i/o): root\n"
		  "      0000000000000000-0000000000000fff (prio 0, i/o): deep\n", NULL, &err),
	   -EINVAL, "indent jumping two levels rejected");
	ok(strstr(err.msg, "line 3") != NULL, "error names line 3: %s", err.msg);
	is(import("address-space: memory\n"
		  "  0000000000000000-000000000000ffff (prio 0, i/o): root\n"
		  "    0000000000000000-0000000000000fff (prio 0, ram): alias x @nowhere 0000000000000000-0000000000000fff\n",
		  NULL, &err), -EINVAL, "alias to an unknown target rejected");
	ok(strstr(err.msg, "line 3") && strstr(err.msg, "nowhere"), "error names the alias: %s",
	   err.msg);
	is(import("", NULL, &err), -EINVAL, "empty dump rejected");
	is(import("address-space: memory\n\n", NULL, &err), -EINVAL, "address space without a tree");
	is(import(dump, "FlatView #0\n garbage\n", &err), -EINVAL, "bad -f text rejected");
	ok(strstr(err.msg, "line 2") != NULL, "-f error names line 2: %s", err.msg);
}

int main(void)
{
	test_basic();
	test_order();
	test_errors();
	return done_testing();
}
