// SPDX-License-Identifier: MIT
/*
 * Regions of exactly 2^64 bytes (QEMU's int128_2_64): a range can cover the
 * whole address space, sizes are kept in 128 bits, a child at the very top
 * splits it correctly, and an alias of the whole space works.
 */
#include "mem_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *root = mk_container(m, "root", VMM_U64_LIMIT);
	struct vmm_mr *big = mk_io(m, "big", VMM_U64_LIMIT);
	struct vmm_mr *top = mk_io(m, "top", SZ(0x1000));
	struct vmm_mr *root2 = mk_container(m, "root2", VMM_U64_LIMIT);
	struct vmm_flatview *fv;
	char *s;

	do_map(big, root, 0, 0);
	fv = vmm_flatview_render(root);
	ok(fv && fv->nr == 1 && vmm_flatview_range(fv, 0)->start == 0 && vmm_flatview_range(fv, 0)->size == VMM_U64_LIMIT,
	   "one range of exactly 2^64 bytes");
	vmm_flatview_unref(fv);

	do_map(top, root, 0xfffffffffffff000ull, 1);
	is_str(s = render_text(root), "0-ffffffffffffefff big\nfffffffffffff000-ffffffffffffffff top\n",
	       "a page at the very top splits it"); free(s);

	do_map(mk_alias(m, "whole", root, 0, VMM_U64_LIMIT), root2, 0, 0);
	is_str(s = render_text(root2), "0-ffffffffffffefff big\nfffffffffffff000-ffffffffffffffff top\n",
	       "an alias of the whole space renders the same"); free(s);
	ok(vmm_flatview_root_of(root2) == root, "and simplifies to the aliased root");
	fv = vmm_flatview_render(root);
	is(vmm_flatview_lookup(fv, 0xffffffffffffffffull), 1, "lookup of the last byte");
	is(vmm_flatview_lower_bound(fv, VMM_U64_LIMIT), 2, "lower bound past the end");
	vmm_flatview_unref(fv);
	vmm_memory_free(m);
	return done_testing();
}
