// SPDX-License-Identifier: MIT
/*
 * Transactions nest and abort exactly: everything done since the matching
 * begin (creations, deletions with ID reuse, maps, re-inserts, attribute and
 * size changes, address spaces, RAM blocks) is undone and the model is
 * byte-for-byte what it was, while an inner commit only merges into the
 * outer transaction and nothing is published before the outermost commit.
 */
#include <errno.h>

#include "mem_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x100000));
	struct vmm_mr *a = mk_io(m, "a", SZ(0x1000)), *b = mk_io(m, "b", SZ(0x1000));
	struct vmm_mr *r = mk_ram(m, VMM_MR_RAM, "r", SZ(0x2000));
	struct vmm_mr *x, *old_b = b;
	struct vmm_as *as = NULL;
	struct vmm_err err = { 0 };
	struct vmm_flatview *fv0, *fv;
	char *snap, *s;
	uint64_t gen;
	size_t nrb;

	do_map(a, sys, 0, 0);
	do_map(r, sys, 0x10000, 0);
	is(vmm_as_new(m, "memory", sys, &as, &err), 0, "address space");
	snap = model_text(m);
	gen = vmm_memory_generation(m);
	nrb = vmm_ramlist_count(vmm_memory_ramlist(m));
	fv0 = vmm_as_get_flatview(as);

	vmm_memory_begin(m);
	is(vmm_memory_depth(m), 1, "depth 1");
	do_map(b, sys, 0, 0);
	is(vmm_mr_set_priority(a, 3, &err), 0, "re-insert a");
	is(vmm_mr_set_readonly(r, true, &err), 0, "readonly r");
	is(vmm_mr_delete(b, &err), -EBUSY, "mapped b cannot be deleted");
	is(vmm_mr_unmap(b, &err), 0, "unmap b");
	is(vmm_mr_delete(b, &err), 0, "delete b");
	ok(vmm_mr_find(m, "b") == NULL, "b is gone from the registry");
	x = mk_container(m, "b", SZ(0x1000));
	ok(x && x != old_b, "the ID b is reusable inside the transaction");
	mk_ram(m, VMM_MR_ROM, "newrom", SZ(0x1000));
	is(vmm_ramlist_count(vmm_memory_ramlist(m)), nrb + 1, "a RAM block was added");

	vmm_memory_begin(m);
	is(vmm_mr_set_addr(r, 0x20000, &err), 0, "inner: move r");
	is(vmm_mr_set_size(sys, SZ(0x200000), &err), 0, "inner: grow sys");
	is(vmm_as_new(m, "io", x, NULL, &err), 0, "inner: address space");
	is(vmm_memory_commit(m, &err), 0, "inner commit");
	is(vmm_memory_depth(m), 1, "back to depth 1");
	fv = vmm_as_get_flatview(as);
	ok(fv == fv0, "nothing published before the outermost commit");
	vmm_flatview_unref(fv);

	vmm_memory_begin(m);
	is(vmm_mr_set_enabled(a, false, &err), 0, "inner 2: disable a");
	vmm_memory_abort(m);
	ok(a->enabled, "inner abort undid only the inner work");
	ok(r->addr == 0x20000, "the merged inner transaction is still applied");

	vmm_memory_abort(m);
	is(vmm_memory_depth(m), 0, "depth 0");
	is_str(s = model_text(m), snap, "outer abort restores the model exactly"); free(s);
	ok(vmm_mr_find(m, "b") == old_b, "the deleted b is revived, same object");
	is(vmm_ramlist_count(vmm_memory_ramlist(m)), nrb, "the new RAM block is gone");
	is(vmm_memory_generation(m), gen, "generation unchanged by an abort");
	ok(vmm_as_find(m, "io") == NULL, "the new address space is gone");

	vmm_memory_begin(m);
	is(vmm_mr_set_priority(a, 3, &err), 0, "again: re-insert a");
	is(vmm_memory_commit(m, &err), 0, "outermost commit");
	ok(vmm_memory_generation(m) == gen + 1, "generation bumped once");
	vmm_memory_begin(m);
	is(vmm_memory_commit(m, &err), 0, "empty transaction");
	ok(vmm_memory_generation(m) == gen + 1, "an empty commit changes nothing");
	is(vmm_memory_commit(m, &err), -EINVAL, "commit without begin is refused");
	vmm_flatview_unref(fv0);
	free(snap);
	vmm_memory_free(m);
	return done_testing();
}
