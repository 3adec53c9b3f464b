// SPDX-License-Identifier: MIT
/*
 * begin/commit/abort across calls (the ctl file's batching across writes):
 * nothing renders while a batch is open, commit renders once, abort restores
 * the model exactly, batches nest, a failing write inside a batch undoes only
 * itself, and commit/abort lines that close an earlier write's batch settle
 * the lines before them.
 */
#include "ctl_helpers.h"

/* The flat view of "memory" as text, to see what is rendered right now. */
static char *flat(struct vmm_memory *m)
{
	struct vmm_flatview *fv = vmm_as_get_flatview(vmm_as_find(m, "memory"));
	struct vmm_buf b;

	vmm_buf_init(&b);
	for (size_t i = 0; fv && i < fv->nr; i++)
		vmm_buf_printf(&b, "%llx+%llx %s\n", (unsigned long long)vmm_flatview_range(fv, i)->start,
			       (unsigned long long)vmm_flatview_range(fv, i)->size, vmm_flatview_range(fv, i)->mr->id);
	if (fv)
		vmm_flatview_unref(fv);
	return vmm_buf_steal(&b, NULL);
}

static void batch_commit(struct vmm_memory *m)
{
	char *f0 = flat(m), *f1;
	uint64_t gen = vmm_memory_generation(m);

	is(exec(m, "begin\n"), 0, "begin");
	is(vmm_memory_depth(m), 1, "a batch is open after the write");
	is(exec(m, "ram r1 64K\nmap r1 in system at 0x10000\n"), 0, "edits inside the batch");
	is(exec(m, "set r1 addr 0x20000\n"), 0, "another write inside the batch");
	f1 = flat(m);
	is_str(f1, f0, "nothing rendered while the batch is open");
	free(f1);
	is(vmm_memory_generation(m), gen, "generation unchanged while open");
	is(exec(m, "commit\n"), 0, "commit");
	is(vmm_memory_depth(m), 0, "batch closed");
	f1 = flat(m);
	if (!ok(strstr(f1, "20000+10000 r1") != NULL, "commit rendered the batch"))
		diag("%s", f1);
	ok(vmm_memory_generation(m) > gen, "generation bumped by the commit");
	free(f0);
	free(f1);
}

static void batch_abort(struct vmm_memory *m)
{
	char *before = snapshot(m), *after;

	is(exec(m, "begin\ncontainer c1 4K\nmap c1 in system at 0x40000\n"), 0,
	   "a write that opens a batch and edits");
	is(vmm_memory_depth(m), 1, "its begin outlives it");
	is(exec(m, "set r1 prio 4\nunmap r1\n"), 0, "more edits");
	is(exec(m, "abort\n"), 0, "abort");
	after = snapshot(m);
	is_str(after, before, "abort restores the model exactly");
	free(before);
	free(after);
	is(vmm_memory_depth(m), 0, "nothing open");
}

static void batch_with_failure(struct vmm_memory *m)
{
	is(exec(m, "begin\n"), 0, "begin");
	is(exec(m, "ram r2 64K\nmap r2 in system at 0x80000\n"), 0, "good write");
	is(exec(m, "ram r3 64K\nmap r3 in nosuch at 0\n"), -ENOENT, "failing write in the batch");
	ok(!vmm_mr_find(m, "r3"), "the failing write is undone");
	ok(vmm_mr_find(m, "r2") && vmm_mr_find(m, "r2")->container, "the good write is still pending");
	is(vmm_memory_depth(m), 1, "the batch is still open");
	is(exec(m, "commit\n"), 0, "commit");
	ok(vmm_mr_find(m, "r2") && vmm_mr_find(m, "r2")->container, "the good write is applied");
}

static void nesting(struct vmm_memory *m)
{
	char *before = snapshot(m), *after;

	is(exec(m, "begin\nset r2 prio 1\n"), 0, "outer batch");
	is(exec(m, "begin\nset r2 prio 2\n"), 0, "inner batch");
	is(vmm_memory_depth(m), 2, "two levels open");
	is(exec(m, "commit\n"), 0, "inner commit");
	is(vmm_memory_depth(m), 1, "one level left");
	is(vmm_mr_find(m, "r2")->priority, 2, "inner edit visible in the model");
	is(exec(m, "abort\n"), 0, "outer abort");
	after = snapshot(m);
	is_str(after, before, "outer abort undoes the committed inner batch too");
	free(before);
	free(after);

	is(exec(m, "begin\nbegin\nset r2 prio 3\nabort\nset r2 prio 4\ncommit\n"), 0,
	   "a nested batch inside one write");
	is(vmm_mr_find(m, "r2")->priority, 4, "inner abort undid prio 3, outer kept prio 4");
	is(vmm_memory_depth(m), 0, "all closed");
}

static void barriers(struct vmm_memory *m)
{
	is(exec(m, "begin\n"), 0, "begin");
	is(exec(m, "set r2 prio 5\ncommit\nset r2 prio 6\nset r2 colour red\n"), -EINVAL,
	   "commit then a failing line in one write");
	is(vmm_memory_depth(m), 0, "the earlier batch was committed");
	is(vmm_mr_find(m, "r2")->priority, 5, "lines before the commit are settled, after it undone");
	is(exec(m, "container c2 4K\nbegin\nmap c2 in system at 0x90000\n"), 0,
	   "edits before a lasting begin");
	is(exec(m, "abort\n"), 0, "abort");
	ok(vmm_mr_find(m, "c2") && !vmm_mr_find(m, "c2")->container,
	   "the creation before begin stays, the map after it is undone");
}

static void region_batch(struct vmm_memory *m)
{
	is(exec_in(m, "r2", "begin\nset prio 9\n"), 0, "a batch opened from a region's ctl");
	is(exec_in(m, "r2", "set enabled off\n"), 0, "more through the region's ctl");
	is(exec(m, "commit\n"), 0, "committed from the global ctl");
	ok(vmm_mr_find(m, "r2")->priority == 9 && !vmm_mr_find(m, "r2")->enabled,
	   "both applied to the implied region");
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();

	if (!m)
		return 1;
	is(exec(m, "container system 16E\nram low 64K in system at 0\naddress-space memory system\n"),
	   0, "base (%s)", last_err.msg);
	batch_commit(m);
	batch_abort(m);
	batch_with_failure(m);
	nesting(m);
	barriers(m);
	region_batch(m);
	vmm_memory_free(m);
	return done_testing();
}
