// SPDX-License-Identifier: MIT
/*
 * The region-count cap (VMM_REGIONS_MAX in memory.h): a model takes exactly
 * that many regions; one more is ENOSPC with a reason, through the C API and
 * the control language, for every kind (container, ram, io, alias) and
 * changes nothing; deleting one region makes room for exactly one again; a
 * multi-line write that would cross the cap creates none of its regions.
 * Creating 2^20 unmapped containers takes well under a second here.
 */
#include <errno.h>

#include <vmm/ctl.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "tap.h"

static struct vmm_err err;

static int run(struct vmm_memory *m, const char *text)
{
	struct vmm_ctl_ctx ctx = { .mem = m };

	return vmm_ctl_exec(&ctx, text, strlen(text), &err);
}

/* Fill @m up to the cap with containers c0, c1, ...; false on an early failure. */
static bool fill(struct vmm_memory *m)
{
	char id[32];
	struct vmm_mr *mr;
	size_t i;

	for (i = vmm_memory_region_count(m); i < VMM_REGIONS_MAX; i++) {
		snprintf(id, sizeof(id), "c%zu", i);
		if (vmm_mr_new_container(m, id, NULL, 4096, &mr, &err)) {
			diag("creating region %zu: %s", i, err.msg);
			return false;
		}
	}
	return true;
}

static void full(struct vmm_memory *m, struct vmm_mr *target)
{
	struct vmm_mr *mr = NULL;
	size_t rb = vmm_ramlist_count(vmm_memory_ramlist(m));

	is(vmm_mr_new_container(m, "one-more", NULL, 4096, &mr, &err), -ENOSPC,
	   "container number %u+1 is refused (%s)", VMM_REGIONS_MAX, err.msg);
	ok(strstr(err.msg, "too many regions") != NULL, "  the reason names the limit");
	is(vmm_mr_new_ram(m, VMM_MR_RAM, "one-more", NULL, 4096, NULL, &mr, &err), -ENOSPC,
	   "  so is a ram region (%s)", err.msg);
	is(vmm_ramlist_count(vmm_memory_ramlist(m)), rb, "  and it left no RAM block");
	is(vmm_mr_new_io(m, "one-more", NULL, 4096, NULL, &mr, &err), -ENOSPC,
	   "  and an io region");
	is(vmm_mr_new_alias(m, "one-more", NULL, target, 0, 4096, &mr, &err), -ENOSPC,
	   "  and an alias");
	is(run(m, "container one-more 4K\n"), -ENOSPC, "  ctl gives ENOSPC too (%s)", err.msg);
	ok(!vmm_mr_find(m, "one-more"), "  nothing named one-more exists");
	is(vmm_memory_region_count(m), VMM_REGIONS_MAX, "  the count stays at the cap");
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *first;

	if (!m)
		return ok(0, "model"), done_testing();
	is(run(m, "ram first 4K\n"), 0, "a RAM region to alias (%s)", err.msg);
	first = vmm_mr_find(m, "first");
	ok(fill(m), "%u regions fit", VMM_REGIONS_MAX);
	is(vmm_memory_region_count(m), VMM_REGIONS_MAX, "the model counts them all");
	full(m, first);
	is(run(m, "delete c1\ndelete c2\n"), 0, "deleting two regions (%s)", err.msg);
	is(run(m, "container n1 4K\ncontainer n2 4K\ncontainer n3 4K\n"), -ENOSPC,
	   "a write creating three where two fit is refused (%s)", err.msg);
	ok(!vmm_mr_find(m, "n1") && !vmm_mr_find(m, "n2"), "  and creates none of them");
	is(run(m, "container n1 4K\nalias n2 first 0 4K\n"), 0,
	   "two fit again (%s)", err.msg);
	is(run(m, "begin\ndelete n2\ncontainer n3 4K\nabort\n"), 0,
	   "delete-then-create inside an aborted batch (%s)", err.msg);
	full(m, first);
	vmm_memory_free(m);
	return done_testing();
}
