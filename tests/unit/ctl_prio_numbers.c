// SPDX-License-Identifier: MIT
/*
 * Priorities are numbers of the control language like every other: decimal
 * or 0x hex, with a sign. A leading zero is not octal ("prio 010" is ten, as
 * QEMU prints it with %d and as "at 010" already reads), so "prio 08" and
 * "prio 09" are valid, and anything that is not a whole number is EINVAL
 * with the model unchanged.
 */
#include "ctl_helpers.h"

static int prio_after(struct vmm_memory *m, const char *cmd)
{
	struct vmm_mr *mr;

	if (exec(m, cmd))
		return -9999;
	mr = vmm_mr_find(m, "r");
	return mr ? mr->priority : -9998;
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	static const char *const bad[] = { "1.5", "0x", "--1", "+-1", " 1", "1K", "08x",
					   "2147483648", "-2147483649", "0x80000000" };
	char cmd[64];

	is(exec(m, "container sys 1M\nio r 0x1000 in sys at 010 prio 010\n"), 0,
	   "create with a zero-padded priority");
	is(vmm_mr_find(m, "r")->addr, 10, "at 010 is decimal ten");
	is(vmm_mr_find(m, "r")->priority, 10, "prio 010 is decimal ten, not octal eight");
	is(prio_after(m, "set r prio 08"), 8, "prio 08 is eight");
	is(prio_after(m, "set r prio 09"), 9, "prio 09 is nine");
	is(prio_after(m, "set r prio -010"), -10, "prio -010 is minus ten");
	is(prio_after(m, "set r prio 0x10"), 16, "prio 0x10 is hex");
	is(prio_after(m, "set r prio -0x10"), -16, "prio -0x10 is minus sixteen");
	is(prio_after(m, "set r prio +3"), 3, "an explicit plus sign");
	is(prio_after(m, "set r prio -2147483648"), -2147483647 - 1, "INT_MIN");
	is(prio_after(m, "set r prio 2147483647"), 2147483647, "INT_MAX");
	is(prio_after(m, "set r prio 0"), 0, "back to zero");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		snprintf(cmd, sizeof(cmd), "set r prio \"%s\"", bad[i]);
		r = exec(m, cmd);
		ok(r == -EINVAL || r == -ERANGE, "prio '%s' is refused (%d: %s)", bad[i], r,
		   last_err.msg);
		is(vmm_mr_find(m, "r")->priority, 0, "and changes nothing");
	}
	vmm_memory_free(m);
	return done_testing();
}
