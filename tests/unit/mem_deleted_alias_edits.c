// SPDX-License-Identifier: MIT
/*
 * A caller may keep a reference on a region past its deletion (the
 * filesystem does while a file is open). Edits through such a stale pointer
 * must say ENOENT without touching anything - in particular a deleted
 * alias's window must not be checked against its target, which may be gone
 * too (run under ASan to see the read of freed memory this guards against).
 */
#include <errno.h>

#include "mem_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *t = mk_container(m, "t", SZ(0x10000));
	struct vmm_mr *a = mk_alias(m, "a", t, 0, SZ(0x1000));
	struct vmm_err e = { 0 };

	vmm_mr_ref(a);
	is(vmm_mr_delete(a, &e), 0, "delete the alias (a reference is still held)");
	is(vmm_mr_delete(t, &e), 0, "then its target");
	is(vmm_mr_set_alias_offset(a, 0x2000, &e), -ENOENT, "moving the deleted alias's window");
	is(vmm_mr_set_alias_offset(a, 0x20000, &e), -ENOENT, "even to outside the old target");
	is(vmm_mr_set_size(a, SZ(0x2000), &e), -ENOENT, "resizing the deleted alias");
	is(vmm_mr_set_romd(a, true, &e), -ENOENT, "romd on the deleted alias");
	is(vmm_mr_set_log_dirty(a, true, &e), -ENOENT, "log-dirty on the deleted alias");
	is(a->alias_offset, 0, "its window did not move");
	vmm_mr_unref(a);
	vmm_memory_free(m);
	return done_testing();
}
