// SPDX-License-Identifier: MIT
/*
 * The printers handle big models: `info mtree -D`, `info mtree -f` and the
 * JSON dump of 100k regions (every fourth one an alias, so the alias-target
 * queue is exercised) print every region. The times are reported as
 * diagnostics only; speed is judged by `make bench`, not by this test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmm/memory.h>
#include <vmm/print.h>
#include "tap.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct vmm_memory *build(unsigned n)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *root, *mr, *prev = NULL;
	struct vmm_err e;
	char id[32];
	unsigned i;
	int r;

	vmm_memory_begin(m);
	r = vmm_mr_new_container(m, "root", NULL, VMM_U64_LIMIT, &root, &e);
	for (i = 0; i < n && !r; i++) {
		snprintf(id, sizeof(id), "r%u", i);
		if (i % 4 == 3 && prev)
			r = vmm_mr_new_alias(m, id, NULL, prev, 0, 0x800, &mr, &e);
		else
			r = vmm_mr_new_io(m, id, NULL, 0x1000, NULL, &mr, &e);
		/* mapped in descending address order so the printer has to sort */
		if (!r)
			r = vmm_mr_map(mr, root, (uint64_t)(n - i) * 0x1000, 0, &e);
		prev = mr;
	}
	if (!r)
		r = vmm_as_new(m, "memory", root, NULL, &e);
	if (vmm_memory_commit(m, &e) || r) {
		diag("build %u: %s", n, e.msg);
		vmm_memory_free(m);
		return NULL;
	}
	return m;
}

static double cost(struct vmm_memory *m, int which, size_t *len)
{
	struct vmm_buf b;
	double t0 = now(), t;

	vmm_buf_init(&b);
	if (which == 0)
		vmm_print_mtree(m, VMM_PRINT_DISABLED, &b);
	else if (which == 1)
		vmm_print_flatview(m, NULL, &b);
	else
		vmm_print_json(m, NULL, &b);
	t = now() - t0;
	*len = b.oom ? 0 : b.len;
	vmm_buf_free(&b);
	return t;
}

int main(void)
{
	static const char *const what[] = { "info mtree -D", "info mtree -f", "json" };
	struct vmm_memory *small = build(10000), *big = build(100000);
	size_t ls, lb;
	int i;

	if (!ok(small && big, "10k and 100k region models built"))
		return done_testing();
	for (i = 0; i < 3; i++) {
		double ts = cost(small, i, &ls), tb = cost(big, i, &lb);

		/* Timings are information only; make bench measures speed. */
		diag("%s: 10k %.4fs, 100k %.4fs", what[i], ts, tb);
		ok(ls && lb > 9 * ls, "%s printed all of 100k", what[i]);
	}
	vmm_memory_free(small);
	vmm_memory_free(big);
	return done_testing();
}
