// SPDX-License-Identifier: MIT
/*
 * vmm_flat_text_diff(): two `info mtree -f` texts compared range by range.
 * Identical views and views in another block order are the same; a missing
 * range, a changed type, an address space present on one side only and a
 * different root are each reported (a range changed in place once); a " KVM" mark counts unless ignored.
 */
#include <errno.h>

#include <vmm/qemu.h>

#include "tap.h"

static const char base[] =
	"FlatView #0\n"
	" AS \"memory\", root: system\n"
	" AS \"cpu-memory-0\", root: system\n"
	" Root memory region: system\n"
	"  0000000000000000-000000000009ffff (prio 0, ram): pc.ram KVM\n"
	"  00000000000c0000-00000000000dffff (prio 1, rom): pc.rom KVM\n"
	"  00000000fec00000-00000000fec00fff (prio 0, i/o): kvm-ioapic\n"
	"\n"
	"FlatView #1\n"
	" AS \"I/O\", root: io\n"
	" Root memory region: io\n"
	"  0000000000000000-0000000000000007 (prio 0, i/o): dma-chan\n"
	"  0000000000000008-000000000000ffff (prio 0, i/o): io @0000000000000008\n"
	"\n";

static char rep[8192];

static int diff(const char *a, const char *b, unsigned flags)
{
	struct vmm_err err = { 0 };
	struct vmm_buf out;
	int n;

	vmm_buf_init(&out);
	n = vmm_flat_text_diff_flags(a, strlen(a), b, strlen(b), flags, &out, &err);
	snprintf(rep, sizeof(rep), "%s", out.data ? out.data : "");
	vmm_buf_free(&out);
	return n;
}

/* @s with the first occurrence of @from replaced by @to (static buffer). */
static const char *edit(const char *s, const char *from, const char *to)
{
	static char buf[4096];
	const char *p = strstr(s, from);

	if (!p)
		return s;
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return buf;
}

int main(void)
{
	const char *swapped =
		"FlatView #0\n"
		" AS \"I/O\", root: io\n"
		" Root memory region: io\n"
		"  0000000000000000-0000000000000007 (prio 0, i/o): dma-chan\n"
		"  0000000000000008-000000000000ffff (prio 0, i/o): io @0000000000000008\n"
		"\n"
		"FlatView #1\n"
		" AS \"memory\", root: system\n"
		" AS \"cpu-memory-0\", root: system\n"
		" Root memory region: system\n"
		"  0000000000000000-000000000009ffff (prio 0, ram): pc.ram KVM\n"
		"  00000000000c0000-00000000000dffff (prio 1, rom): pc.rom KVM\n"
		"  00000000fec00000-00000000fec00fff (prio 0, i/o): kvm-ioapic\n"
		"\n";

	is(diff(base, base, 0), 0, "a text equals itself");
	is(diff(base, swapped, 0), 0, "block order does not matter");
	is(diff(base, edit(base, "  00000000fec00000-00000000fec00fff (prio 0, i/o): kvm-ioapic\n", ""), 0),
	   1, "a missing range is one difference");
	ok(strstr(rep, "- 00000000fec00000-00000000fec00fff (prio 0, i/o): kvm-ioapic\n") != NULL,
	   "reported as '-' in QEMU's format");
	ok(strstr(rep, "AS \"memory\", AS \"cpu-memory-0\":\n") != NULL,
	   "address spaces sharing the view are named once, together");
	is(diff(base, edit(base, "(prio 1, rom): pc.rom", "(prio 1, ram): pc.rom"), 0), 1,
	   "a range changed in place is one difference");
	ok(strstr(rep, "- 00000000000c0000-00000000000dffff (prio 1, rom): pc.rom KVM\n"
		       "+ 00000000000c0000-00000000000dffff (prio 1, ram): pc.rom KVM\n") != NULL,
	   "shown as '-' then '+'");
	is(diff(base, edit(base, "pc.ram KVM", "pc.ram"), 0), 1, "a KVM mark counts");
	is(diff(base, edit(base, "pc.ram KVM", "pc.ram"), VMM_QDIFF_IGNORE_KVM), 0,
	   "unless KVM marks are ignored");
	is(diff(base, edit(base, " AS \"cpu-memory-0\", root: system\n", ""), 0), 3,
	   "an address space on one side only: each of its ranges differs");
	ok(strstr(rep, "cpu-memory-0\": only in the first") != NULL, "is named");
	is(diff(base, edit(base, "Root memory region: io", "Root memory region: other"), 0), 1,
	   "a different flat-view root");
	is(diff(base, "FlatView #0\n bogus\n", 0), -EINVAL, "bad text is an error");
	return done_testing();
}
