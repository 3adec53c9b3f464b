// SPDX-License-Identifier: MIT
/*
 * Aliases of aliases: offsets add up along the chain, the target's own
 * address cancels out (base -= target.addr + alias_offset), a readonly flag
 * anywhere on the alias path is inherited by the leaf's ranges, and the
 * window of an alias can never reach beyond the alias it looks through.
 */
#include <errno.h>

#include "mem_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x1000000));
	struct vmm_mr *t = mk_io(m, "t", SZ(0x10000));
	struct vmm_mr *a1 = mk_alias(m, "a1", t, 0x1000, SZ(0x4000));
	struct vmm_mr *a2 = mk_alias(m, "a2", a1, 0x1000, SZ(0x2000));
	struct vmm_err err = { 0 };
	char *s;

	do_map(a2, sys, 0x100000, 0);
	is_str(s = render_text(sys), "100000-101fff t @2000\n", "offsets add along the chain");
	free(s);

	do_map(t, sys, 0x50000, 0);
	do_map(a1, sys, 0x200000, 0);
	is_str(s = render_text(sys),
	       "50000-5ffff t\n100000-101fff t @2000\n200000-203fff t @1000\n",
	       "the target's own address cancels out"); free(s);

	is(vmm_mr_set_readonly(a1, true, &err), 0, "a1 readonly");
	is_str(s = render_text(sys),
	       "50000-5ffff t\n100000-101fff t @2000 ro\n200000-203fff t @1000 ro\n",
	       "readonly of the inner alias reaches the leaf through a2"); free(s);
	is(vmm_mr_set_readonly(a1, false, &err), 0, "a1 writable again");

	is(vmm_mr_set_size(a1, SZ(0x1800), &err), -EBUSY,
	   "shrinking a1 below a2's window is refused");
	ok(a1->size == 0x4000 && err.msg[0], "a1 unchanged, reason given: %s", err.msg);
	is(vmm_mr_set_size(a1, SZ(0x3000), &err), 0, "shrink a1 to the end of a2's window");
	is_str(s = render_text(sys),
	       "50000-5ffff t\n100000-101fff t @2000\n200000-202fff t @1000\n",
	       "a1 shows less, a2 still all of its window"); free(s);
	is(vmm_mr_set_size(a1, SZ(0x4000), &err), 0, "grow a1 back");

	is(vmm_mr_set_alias_target(a2, t, &err), 0, "retarget a2 to t");
	is_str(s = render_text(sys),
	       "50000-5ffff t\n100000-101fff t @1000\n200000-203fff t @1000\n",
	       "after retargeting, a2's offset is relative to t"); free(s);
	is(a1->alias_refs, 0, "a1 lost its alias reference");
	is(t->alias_refs, 2, "t has two aliases");
	vmm_memory_free(m);
	return done_testing();
}
