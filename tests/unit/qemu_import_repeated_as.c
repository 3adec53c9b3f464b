// SPDX-License-Identifier: MIT
/*
 * Repeated address-space names, as QEMU has them (one "e1000e" per device):
 * the model makes and finds the K-th space of a name by its key "NAME#K",
 * refuses a bare repeat, a skipped ordinal and any other '#'; the importer
 * writes the keys, and the script it writes rebuilds a model that prints
 * QEMU's names unchanged. Before keys the import of such a dump produced a
 * script the model refused ("address space \"e1000e\" already exists").
 */
#include <errno.h>

#include <vmm/ctl.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include <vmm/qemu.h>

#include "tap.h"

static int run(struct vmm_memory *m, const char *text, struct vmm_err *err)
{
	struct vmm_ctl_ctx ctx = { .mem = m };

	return vmm_ctl_exec(&ctx, text, strlen(text), err);
}

static void test_model_keys(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_err err = { 0 };
	struct vmm_as *a, *b, *c;
	char key[VMM_AS_KEY_MAX];

	is(run(m, "container r1 0x1000\ncontainer r2 0x1000\ncontainer r3 0x1000\n"
		  "address-space dev r1\naddress-space dev#2 r2\naddress-space \"dev#3\" r3\n",
	       &err), 0, "dev, dev#2 and \"dev#3\" are created (%s)", err.msg);
	a = vmm_as_find(m, "dev");
	b = vmm_as_find(m, "dev#2");
	c = vmm_as_find(m, "dev#3");
	ok(a && b && c && a != b && b != c && a != c, "each key finds its own space");
	ok(a && b && c && !strcmp(a->name, "dev") && !strcmp(b->name, "dev") &&
	   !strcmp(c->name, "dev"), "all three are named dev");
	ok(a && a->root == vmm_mr_find(m, "r1") && c && c->root == vmm_mr_find(m, "r3"),
	   "in creation order");
	ok(b && !strcmp(vmm_as_key(b, key), "dev#2"), "vmm_as_key gives dev#2 back");
	ok(a && !strcmp(vmm_as_key(a, key), "dev"), "the first keeps its bare name");
	ok(!vmm_as_find(m, "dev#4") && !vmm_as_find(m, "dev#1") && !vmm_as_find(m, "dev#02") &&
	   !vmm_as_find(m, "#2") && !vmm_as_find(m, "dev#2#2"), "no other spelling finds one");

	is(run(m, "address-space dev r1\n", &err), -EEXIST, "a bare repeat is refused");
	is(run(m, "address-space dev#3 r1\n", &err), -EEXIST, "an existing key is refused");
	is(run(m, "address-space dev#5 r1\n", &err), -EINVAL, "a skipped ordinal is refused");
	is(run(m, "address-space \"a#b\" r1\n", &err), -EINVAL, "another '#' is refused");
	is(run(m, "address-space \"x#1\" r1\n", &err), -EINVAL, "#1 is refused (it is the bare name)");
	vmm_memory_free(m);
}

/* Two devices with a bus-master space of one name, as QEMU prints them. */
static const char tree[] =
	"address-space: memory\n"
	"  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
	"    0000000000000000-0000000000ffffff (prio 0, ram): ram\n"
	"\n"
	"address-space: e1000e\n"
	"  0000000000000000-ffffffffffffffff (prio 0, i/o): bus master container\n"
	"    0000000000000000-ffffffffffffffff (prio 0, i/o): alias bus master @system 0000000000000000-ffffffffffffffff\n"
	"\n"
	"address-space: e1000e\n"
	"  0000000000000000-ffffffffffffffff (prio 0, i/o): bus master container\n"
	"    0000000000000000-ffffffffffffffff (prio 0, i/o): alias bus master @system 0000000000000000-ffffffffffffffff [disabled]\n"
	"\n"
	"memory-region: system\n"
	"  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
	"    0000000000000000-0000000000ffffff (prio 0, ram): ram\n"
	"\n";

static void test_import(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_err err = { 0 };
	struct vmm_buf out, printed;
	int r;

	vmm_buf_init(&out);
	r = vmm_qemu_import(tree, strlen(tree), NULL, 0, &out, &err);
	is(r, 0, "a dump repeating e1000e imports (%s)", err.msg);
	ok(out.data && strstr(out.data, "\naddress-space e1000e ") &&
	   strstr(out.data, "\naddress-space \"e1000e#2\" "), "the script names the second e1000e#2");
	r = out.data ? run(m, out.data, &err) : -EINVAL;
	is(r, 0, "the script executes (%s)", err.msg);
	vmm_buf_init(&printed);
	vmm_print_mtree(m, VMM_PRINT_DISABLED, &printed);
	ok(printed.data && !strcmp(printed.data, tree), "info mtree -D prints QEMU's names back");
	if (!printed.data || strcmp(printed.data, tree))
		diag("got:\n%s", printed.data ? printed.data : "(nothing)");
	vmm_buf_free(&printed);
	vmm_buf_free(&out);
	vmm_memory_free(m);
}

/* Two spaces of one name with their own roots, the blocks in either order. */
#define BLOCK_A "FlatView #0\n AS \"e1000e\", root: bm1\n Root memory region: ram\n" \
	"  0000000000000000-0000000000000fff (prio 0, ram): ram\n\n"
#define BLOCK_B "FlatView #1\n AS \"e1000e\", root: bm2\n Root memory region: (none)\n" \
	"  No rendered FlatView\n\n"

static void test_diff(void)
{
	static const char ab[] = BLOCK_A BLOCK_B, ba[] = BLOCK_B BLOCK_A;
	static const char ab_changed[] = BLOCK_A
		"FlatView #1\n AS \"e1000e\", root: bm2\n Root memory region: ram\n"
		"  0000000000000000-0000000000000fff (prio 0, ram): ram\n\n";
	struct vmm_buf out;

	vmm_buf_init(&out);
	is(vmm_flat_text_diff(ab, strlen(ab), ba, strlen(ba), &out), 0,
	   "diff matches spaces of one name by their roots, in any block order");
	if (out.len)
		diag("%s", out.data);
	vmm_buf_free(&out);
	vmm_buf_init(&out);
	ok(vmm_flat_text_diff(ab, strlen(ab), ab_changed, strlen(ab_changed), &out) > 0,
	   "and still sees the second one change");
	vmm_buf_free(&out);
}

int main(void)
{
	test_model_keys();
	test_import();
	test_diff();
	return done_testing();
}
