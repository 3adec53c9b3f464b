// SPDX-License-Identifier: MIT
/*
 * A rejection says why in words, and a size of 2^64 (the largest a region
 * may have, "16E") is spelled 0x10000000000000000 in those words: printing
 * its low 64 bits ("window 0x0+0x0 is outside ...") would name a window that
 * does fit. Checked for a new alias, a grown alias, a retargeted alias and a
 * mapping that ends beyond 2^64.
 */
#include <errno.h>
#include <string.h>

#include "mem_util.h"

static void says(int r, int want, const struct vmm_err *e, const char *needle, const char *what)
{
	is(r, want, "%s: errno", what);
	if (!ok(strstr(e->msg, needle) != NULL, "%s: the reason names %s", what, needle))
		diag("  reason: %s", e->msg);
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", VMM_U64_LIMIT);
	struct vmm_mr *big = mk_container(m, "big", VMM_U64_LIMIT);
	struct vmm_mr *small = mk_container(m, "small", SZ(0x10000));
	struct vmm_mr *a = mk_alias(m, "a", small, 0, SZ(0x1000)), *out = NULL;
	struct vmm_mr *whole = mk_alias(m, "whole", big, 0, VMM_U64_LIMIT);
	struct vmm_err e = { 0 };

	says(vmm_mr_new_alias(m, "b", NULL, small, 0, VMM_U64_LIMIT, &out, &e), -EINVAL, &e,
	     "0x10000000000000000", "a 2^64 alias of a 64 KiB region");
	says(vmm_mr_set_size(a, VMM_U64_LIMIT, &e), -EINVAL, &e, "0x10000000000000000",
	     "growing an alias to 2^64");
	says(vmm_mr_set_alias_target(whole, small, &e), -EINVAL, &e, "0x10000000000000000",
	     "retargeting a 2^64 alias at a small region");
	says(vmm_mr_map(big, sys, 0x1000, 0, &e), -ERANGE, &e, "0x10000000000000000",
	     "mapping a 2^64 region at 0x1000");
	ok(!big->container && vmm_mr_find(m, "b") == NULL && a->size == 0x1000 &&
	   whole->alias == big, "nothing changed");
	vmm_memory_free(m);
	return done_testing();
}
