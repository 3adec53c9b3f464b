// SPDX-License-Identifier: MIT
/*
 * Edits QEMU would assert on or loop forever over are refused with the
 * closest errno and a reason, and leave the model exactly as it was: cycles
 * through containers and aliases (ELOOP), addr+size beyond 2^64 (ERANGE),
 * mapping a mapped region (EBUSY), alias windows outside the target (EINVAL),
 * deleting a region that is mapped, aliased, an address-space root or a
 * parent (EBUSY), duplicate IDs (EEXIST) — also inside an open transaction.
 */
#include <errno.h>

#include "mem_util.h"

static char *snap;

static void check(struct vmm_memory *m, int got, int want, const struct vmm_err *e,
		  const char *what)
{
	char *s = model_text(m);

	if (want)
		ok(got == want && e->code == want && e->msg[0], "%s: %d (%s)", what, got, e->msg);
	is_str(s, snap, "%s: nothing changed", what);
	free(s);
}

/* A legitimate edit between the rejections: take a new snapshot after it. */
static void step(struct vmm_memory *m, int got, const char *what)
{
	is(got, 0, "%s", what);
	free(snap);
	snap = model_text(m);
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", VMM_U64_LIMIT);
	struct vmm_mr *p = mk_container(m, "p", SZ(0x10000));
	struct vmm_mr *q = mk_container(m, "q", SZ(0x10000));
	struct vmm_mr *t = mk_io(m, "t", SZ(0x4000));
	struct vmm_mr *al = mk_alias(m, "al", p, 0, SZ(0x1000));
	struct vmm_mr *lone = mk_io(m, "lone", SZ(0x2000));
	struct vmm_mr *out = NULL;
	struct vmm_err e = { 0 };

	do_map(p, sys, 0, 0);
	do_map(q, p, 0x1000, 0);
	do_map(t, sys, 0x100000, 0);
	vmm_as_new(m, "memory", sys, NULL, &e);
	snap = model_text(m);

	step(m, vmm_mr_unmap(p, &e), "unmap p");
	check(m, vmm_mr_map(p, p, 0, 0, &e), -ELOOP, &e, "map into itself");
	check(m, vmm_mr_map(p, q, 0, 0, &e), -ELOOP, &e, "map a container into its child");
	check(m, vmm_mr_map(al, q, 0, 0, &e), -ELOOP, &e, "alias of p mapped below p");
	step(m, vmm_mr_set_alias_target(al, q, &e), "retarget al to q");
	check(m, vmm_mr_map(al, q, 0, 0, &e), -ELOOP, &e, "alias of q mapped into q");
	step(m, vmm_mr_map(p, sys, 0, 0, &e), "map p back");

	check(m, vmm_mr_map(lone, sys, 0xfffffffffffff000ull, 0, &e), -ERANGE, &e,
	      "addr + size beyond 2^64");
	check(m, vmm_mr_set_addr(t, 0xfffffffffffffff0ull, &e), -ERANGE, &e, "move beyond 2^64");
	check(m, vmm_mr_set_size(t, VMM_U64_LIMIT, &e), -ERANGE, &e, "grow beyond 2^64");
	check(m, vmm_mr_map(q, sys, 0, 0, &e), -EBUSY, &e, "map a mapped region");
	check(m, vmm_mr_map(lone, al, 0, 0, &e), -EINVAL, &e, "map into an alias");
	check(m, vmm_mr_new_alias(m, "w", NULL, t, 0x3000, SZ(0x2000), &out, &e), -EINVAL, &e,
	      "alias window beyond its target");
	check(m, vmm_mr_set_alias_offset(al, 0xf800, &e), -EINVAL, &e, "alias offset beyond");
	check(m, vmm_mr_set_size(al, SZ(0x10001), &e), -EINVAL, &e, "alias size beyond");
	check(m, vmm_mr_delete(t, &e), -EBUSY, &e, "delete a mapped region");
	check(m, vmm_mr_delete(q, &e), -EBUSY, &e, "delete an alias target");
	step(m, vmm_mr_unmap(p, &e), "unmap p again");
	check(m, vmm_mr_delete(p, &e), -EBUSY, &e, "delete a region with subregions");
	check(m, vmm_mr_delete(sys, &e), -EBUSY, &e, "delete an address-space root");
	check(m, vmm_mr_new_io(m, "t", NULL, SZ(1), NULL, &out, &e), -EEXIST, &e, "duplicate ID");
	check(m, vmm_mr_new_io(m, "..", NULL, SZ(1), NULL, &out, &e), -EINVAL, &e, "bad ID");
	check(m, vmm_mr_new_container(m, "huge", NULL, VMM_U64_LIMIT + 1, &out, &e), -ERANGE, &e,
	      "size above 2^64");
	check(m, vmm_mr_unmap(lone, &e), -EINVAL, &e, "unmap an unmapped region");

	vmm_memory_begin(m);
	do_map(lone, sys, 0x200000, 0);
	is(vmm_mr_map(lone, sys, 0, 0, &e), -EBUSY, "inside a transaction: double map refused");
	ok(lone->container == sys && lone->addr == 0x200000, "the earlier edit of the transaction stays");
	vmm_memory_abort(m);
	check(m, 0, 0, &e, "abort restores the model");
	free(snap);
	vmm_memory_free(m);
	return done_testing();
}
