// SPDX-License-Identifier: MIT
/*
 * The importer refuses a dump whose aliases reach back into themselves
 * (directly, through their container, or through a chain of aliases) with
 * ELOOP and the offending line, instead of walking it forever; an alias into
 * a sibling container, which is no cycle, still imports.
 */
#include <errno.h>

#include <vmm/qemu.h>

#include "tap.h"

static int import(const char *tree, struct vmm_err *err)
{
	struct vmm_buf out;
	int r;

	vmm_buf_init(&out);
	r = vmm_qemu_import(tree, strlen(tree), NULL, 0, &out, err);
	vmm_buf_free(&out);
	return r;
}

int main(void)
{
	struct vmm_err err;

	/* found by fuzz_import: two aliases of pci inside pci took exponential time */
	is(import("address-space: memory\n"
		  "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
		  "    0000000000000000-ffffffffffffffff (prio -1, i/o): pci\n"
		  "      0000000000000000-000000000000ffff (prio 1, i/o): alias a1 @pci 0000000000000000-000000000000ffff\n"
		  "      0000000000000000-000000000000ffff (prio 2, i/o): alias a2 @pci 0000000000000000-000000000000ffff\n",
		  &err), -ELOOP, "aliases of their own container are a cycle");
	ok(strstr(err.msg, "line 4") && strstr(err.msg, "a1"), "the reason names the line and alias: %s",
	   err.msg);

	is(import("address-space: memory\n"
		  "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
		  "    0000000000000000-0000000000000fff (prio 0, i/o): alias x @y 0000000000000000-0000000000000fff\n"
		  "\n"
		  "memory-region: y\n"
		  "  0000000000000000-0000000000000fff (prio 0, i/o): y\n"
		  "    0000000000000000-0000000000000fff (prio 0, i/o): alias z @x 0000000000000000-0000000000000fff\n",
		  &err), -ELOOP, "an alias chain that comes back is a cycle");

	is(import("address-space: memory\n"
		  "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
		  "    0000000000000000-0000000000000fff (prio 0, i/o): alias x @y 0000000000000000-0000000000000fff\n"
		  "\n"
		  "memory-region: y\n"
		  "  0000000000000000-0000000000000fff (prio 0, ram): y\n",
		  &err), 0, "an alias of another region imports");
	return done_testing();
}
