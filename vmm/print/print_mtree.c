// SPDX-License-Identifier: MIT
/*
 * `info mtree` and `info mtree -D`, byte for byte as QEMU 7.2's mtree_info()
 * prints them (softmmu/memory.c), with "\n" line ends. Address spaces are
 * grouped by root region (one tree per root, the group's `address-space:`
 * lines sorted by name as g_slist_insert_sorted() leaves them: byte order,
 * equal names newest first); groups follow creation order where QEMU follows
 * its hash table. Children print sorted by address, then higher priority, then
 * list order. Every alias target met along the way (aliases hidden because
 * disabled included) is queued once and printed afterwards as a
 * `memory-region:` tree, which may queue further targets. Everything here is
 * linear in the number of regions apart from the per-container sort.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/memory.h>
#include <vmm/text.h>
#include <vmm/print.h>
#include "print_priv.h"

/**
 * struct mtree_ctx - state of one `info mtree` run
 * @out: destination
 * @disabled: -D
 * @queue, @nq, @capq: alias targets in first-seen order (QEMU's alias_print_queue)
 * @queued: membership of @queue
 * @kids, @nkids, @capk: scratch stack of children being sorted; a container's
 *        children occupy a segment above its caller's
 */
struct mtree_ctx {
	struct vmm_buf *out;
	bool disabled;
	const struct vmm_mr **queue;
	size_t nq, capq;
	struct print_ptrmap queued;
	const struct vmm_mr **kids;
	size_t nkids, capk;
};

static void mtree_oom(struct mtree_ctx *c)
{
	c->out->oom = true;
}

static void mtree_queue_alias(struct mtree_ctx *c, const struct vmm_mr *target)
{
	int r = print_ptrmap_put(&c->queued, target, 0);

	if (r <= 0) {
		if (r < 0)
			mtree_oom(c);
		return;
	}
	if (c->nq == c->capq) {
		size_t cap = c->capq ? c->capq * 2 : 16;
		const struct vmm_mr **q = realloc(c->queue, cap * sizeof(*q));

		if (!q) {
			mtree_oom(c);
			return;
		}
		c->queue = q;
		c->capq = cap;
	}
	c->queue[c->nq++] = target;
}

static void mtree_indent(struct vmm_buf *out, unsigned level)
{
	while (level--)
		vmm_buf_put(out, "  ", 2);
}

static void mtree_line(struct mtree_ctx *c, const struct vmm_mr *mr, unsigned level,
		       uint64_t start, uint64_t end)
{
	struct vmm_buf *out = c->out;
	char nb[PRINT_NAME_BUF];

	mtree_indent(out, level);
	vmm_buf_printf(out, "%016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s): ", start, end,
		       mr->priority, mr->nonvolatile ? "nv-" : "", print_mr_type(mr));
	if (mr->type == VMM_MR_ALIAS && mr->alias) {
		vmm_buf_puts(out, "alias ");
		vmm_buf_put_name(out, mr->name);
		vmm_buf_printf(out, " @%s %016" PRIx64 "-%016" PRIx64,
			       PRINT_NAME(mr->alias->name, nb), mr->alias_offset,
			       mr->alias_offset + print_last(mr->size));
	} else {
		vmm_buf_put_name(out, mr->name);
	}
	vmm_buf_puts(out, mr->enabled ? "\n" : " [disabled]\n");
}

/* The order QEMU's insertion into submr_print_queue produces: a stable sort. */
static int mtree_child_cmp(const void *pa, const void *pb)
{
	const struct vmm_mr *a = *(const struct vmm_mr *const *)pa;
	const struct vmm_mr *b = *(const struct vmm_mr *const *)pb;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	return 0;
}

/* Push @mr's children on the scratch stack; returns false on allocation failure. */
static bool mtree_push_children(struct mtree_ctx *c, const struct vmm_mr *mr)
{
	const struct vmm_mr *s;

	for (s = mr->subregions; s; s = s->sib_next) {
		if (c->nkids == c->capk) {
			size_t cap = c->capk ? c->capk * 2 : 64;
			const struct vmm_mr **k = realloc(c->kids, cap * sizeof(*k));

			if (!k)
				return false;
			c->kids = k;
			c->capk = cap;
		}
		c->kids[c->nkids++] = s;
		if (s->sib_next == mr->subregions)
			break;	/* tolerate a circular sibling list */
	}
	return true;
}

/*
 * qsort is not stable, so ties on (addr, priority) are broken by the index in
 * the sibling list, kept in a parallel pass: sort (child, index) pairs.
 */
struct mtree_kid {
	const struct vmm_mr *mr;
	size_t idx;
};

static int mtree_kid_cmp(const void *pa, const void *pb)
{
	const struct mtree_kid *a = pa, *b = pb;
	int r = mtree_child_cmp(&a->mr, &b->mr);

	if (r)
		return r;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static bool mtree_sort(const struct vmm_mr **v, size_t n)
{
	struct mtree_kid *t;
	size_t i;

	for (i = 1; i < n && mtree_child_cmp(&v[i - 1], &v[i]) <= 0; i++)
		;
	if (i >= n)
		return true;	/* already in order: the common case */
	t = malloc(n * sizeof(*t));
	if (!t)
		return false;
	for (i = 0; i < n; i++)
		t[i] = (struct mtree_kid){ v[i], i };
	qsort(t, n, sizeof(*t), mtree_kid_cmp);
	for (i = 0; i < n; i++)
		v[i] = t[i].mr;
	free(t);
	return true;
}

static void mtree_print_mr(struct mtree_ctx *c, const struct vmm_mr *mr, unsigned level,
			   uint64_t base)
{
	uint64_t start = base + mr->addr;
	uint64_t end = start + print_last(mr->size);
	size_t lo, hi, i;

	/* QEMU flags wrapped arithmetic in front of whatever it prints next. */
	if (start < base || end < start)
		vmm_buf_puts(c->out, "[DETECTED OVERFLOW!] ");
	if (mr->type == VMM_MR_ALIAS && mr->alias)
		mtree_queue_alias(c, mr->alias);
	if (mr->enabled || c->disabled)
		mtree_line(c, mr, level, start, end);

	lo = c->nkids;
	/* kids stays NULL until a region with children is printed: no NULL + 0 */
	if (!mtree_push_children(c, mr) ||
	    (c->nkids > lo && !mtree_sort(c->kids + lo, c->nkids - lo))) {
		mtree_oom(c);
		c->nkids = lo;
		return;
	}
	hi = c->nkids;
	for (i = lo; i < hi; i++)
		mtree_print_mr(c, c->kids[i], level + 1, start);
	c->nkids = lo;
}

/*
 * One entry per address space; sorted by (group, name, newest first) it gives
 * the groups in creation order of their first member and, inside a group, the
 * order g_slist_insert_sorted() leaves: byte order, equal names newest first.
 */
struct mtree_asent {
	struct vmm_as *as;
	size_t group;
	size_t idx;
};

static int mtree_asent_cmp(const void *pa, const void *pb)
{
	const struct mtree_asent *a = pa, *b = pb;
	int r;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	r = strcmp(a->as->name, b->as->name);
	if (r)
		return r;
	return a->idx > b->idx ? -1 : a->idx < b->idx;
}

/* Fill *@out with the sorted entries; returns their count, or -ENOMEM. */
static ssize_t mtree_groups(struct vmm_memory *m, struct mtree_asent **out)
{
	struct print_ptrmap byroot;
	struct mtree_asent *v;
	size_t n = 0, i;
	struct vmm_as *as;

	for (as = vmm_memory_first_as(m); as; as = as->next)
		n++;
	*out = NULL;
	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	print_ptrmap_init(&byroot);
	for (as = vmm_memory_first_as(m), i = 0; as; as = as->next, i++) {
		/* a root-less space still needs a non-NULL key of its own */
		const void *key = as->root ? (const void *)as->root : (const void *)as;

		if (print_ptrmap_number(&byroot, key, &v[i].group) < 0) {
			print_ptrmap_free(&byroot);
			free(v);
			return -ENOMEM;
		}
		v[i].as = as;
		v[i].idx = i;
	}
	print_ptrmap_free(&byroot);
	qsort(v, n, sizeof(*v), mtree_asent_cmp);
	*out = v;
	return (ssize_t)n;
}

/**
 * vmm_print_mtree() - QEMU's `info mtree`, or `info mtree -D`
 * @m: the model
 * @flags: VMM_PRINT_DISABLED to show disabled regions (-D)
 * @out: appended to; out->oom is set if memory ran out
 */
void vmm_print_mtree(struct vmm_memory *m, unsigned flags, struct vmm_buf *out)
{
	struct mtree_ctx c = { .out = out, .disabled = flags & VMM_PRINT_DISABLED };
	struct mtree_asent *v;
	ssize_t n = mtree_groups(m, &v);
	size_t i;

	if (n < 0) {
		out->oom = true;
		return;
	}
	print_ptrmap_init(&c.queued);
	for (i = 0; i < (size_t)n; i++) {
		vmm_buf_puts(out, "address-space: ");
		vmm_buf_put_name(out, v[i].as->name);
		vmm_buf_puts(out, "\n");
		if (i + 1 < (size_t)n && v[i + 1].group == v[i].group)
			continue;
		if (v[i].as->root)
			mtree_print_mr(&c, v[i].as->root, 1, 0);
		vmm_buf_puts(out, "\n");
	}
	/* the queue grows while it is walked: targets of aliases inside targets */
	for (i = 0; i < c.nq; i++) {
		vmm_buf_puts(out, "memory-region: ");
		vmm_buf_put_name(out, c.queue[i]->name);
		vmm_buf_puts(out, "\n");
		mtree_print_mr(&c, c.queue[i], 1, 0);
		vmm_buf_puts(out, "\n");
	}
	free(v);
	print_ptrmap_free(&c.queued);
	free(c.queue);
	free(c.kids);
}
