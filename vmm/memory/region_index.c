// SPDX-License-Identifier: MIT
/*
 * Indexes that let a commit touch only what an edit changed: each region's
 * children are kept, beside QEMU's ordered sibling list, in a treap keyed by
 * address whose nodes know the largest end in their subtree, so the children
 * that intersect a clip are found in O(log n + k) rather than by walking all
 * of them; and each region knows the aliases that target it (reverse alias
 * links), so a change can be followed into every window that shows it. The
 * sibling list stays the authority for rendering order: the children found
 * are sorted back into it by (priority, link sequence), which is exactly the
 * list's order (highest priority first, the newest link first among equals).
 */
#include <stdlib.h>

#include "region_index_priv.h"

static vmm_u128 end_of(const struct mr_int *x)
{
	return (vmm_u128)x->pub.addr + x->pub.size;
}

static bool key_less(const struct mr_int *a, const struct mr_int *b)
{
	if (a->pub.addr != b->pub.addr)
		return a->pub.addr < b->pub.addr;
	return (uintptr_t)a < (uintptr_t)b;
}

static void pull(struct mr_int *x)
{
	vmm_u128 mx = end_of(x);

	if (x->ix_l && x->ix_l->ix_max > mx)
		mx = x->ix_l->ix_max;
	if (x->ix_r && x->ix_r->ix_max > mx)
		mx = x->ix_r->ix_max;
	x->ix_max = mx;
}

/* Split @t into keys before @k (or up to and including @k when @incl) and the rest. */
static void split(struct mr_int *t, const struct mr_int *k, bool incl, struct mr_int **l,
		  struct mr_int **r)
{
	if (!t) {
		*l = *r = NULL;
		return;
	}
	if (key_less(t, k) || (incl && t == k)) {
		split(t->ix_r, k, incl, &t->ix_r, r);
		*l = t;
	} else {
		split(t->ix_l, k, incl, l, &t->ix_l);
		*r = t;
	}
	pull(t);
}

static struct mr_int *merge(struct mr_int *a, struct mr_int *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->ix_pri > b->ix_pri) {
		a->ix_r = merge(a->ix_r, b);
		pull(a);
		return a;
	}
	b->ix_l = merge(a, b->ix_l);
	pull(b);
	return b;
}

static uint32_t hash_ptr(const void *p)
{
	uint64_t x = (uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint32_t)x;
}

void mem_index_insert(struct vmm_mr *parent, struct vmm_mr *mr)
{
	struct mr_int *p = mr_int(parent), *x = mr_int(mr), *l, *r;

	x->ix_l = x->ix_r = NULL;
	x->ix_pri = hash_ptr(x);
	pull(x);
	split(p->ix_root, x, false, &l, &r);
	p->ix_root = merge(merge(l, x), r);
	p->nr_children++;
}

void mem_index_remove(struct vmm_mr *parent, struct vmm_mr *mr)
{
	struct mr_int *p = mr_int(parent), *x = mr_int(mr), *l, *mid, *r;

	split(p->ix_root, x, false, &l, &mid);
	split(mid, x, true, &mid, &r);
	p->ix_root = merge(l, r);
	x->ix_l = x->ix_r = NULL;
	p->nr_children--;
}

/* Change addr or size, keeping the parent's index in step. */
void mem_set_geometry(struct vmm_mr *mr, enum mr_field f, vmm_u128 v)
{
	struct vmm_mr *parent = mr->container;

	if (parent)
		mem_index_remove(parent, mr);
	if (f == F_ADDR)
		mr->addr = (uint64_t)v;
	else
		mr->size = v;
	if (parent)
		mem_index_insert(parent, mr);
}

struct query {
	vmm_u128 lo, hi;
	struct vmm_mr **v;
	size_t n, cap;
	bool oom;
};

static void push(struct query *q, struct vmm_mr *mr)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct vmm_mr **v = realloc(q->v, cap * sizeof(*v));

		if (!v) {
			q->oom = true;
			return;
		}
		q->v = v;
		q->cap = cap;
	}
	q->v[q->n++] = mr;
}

static void query(struct mr_int *t, struct query *q)
{
	while (t && t->ix_max > q->lo && !q->oom) {
		query(t->ix_l, q);
		if (t->pub.addr >= q->hi)
			return;
		if (end_of(t) > q->lo)
			push(q, &t->pub);
		t = t->ix_r;
	}
}

/**
 * mem_index_query() - the children of @parent that intersect [@lo, @hi)
 * @parent: region
 * @lo, @hi: clip in @parent's coordinates
 * @buf, @cap: growable result array (kept by the caller between calls)
 *
 * Return: the number found (in address order), or (size_t)-1 when out of memory.
 */
size_t mem_index_query(struct vmm_mr *parent, vmm_u128 lo, vmm_u128 hi,
		       struct vmm_mr ***buf, size_t *cap)
{
	struct query q = { .lo = lo, .hi = hi, .v = *buf, .cap = *cap };

	query(mr_int(parent)->ix_root, &q);
	*buf = q.v;
	*cap = q.cap;
	return q.oom ? (size_t)-1 : q.n;
}

static int cmp_list_order(const void *a, const void *b)
{
	const struct vmm_mr *x = *(struct vmm_mr *const *)a, *y = *(struct vmm_mr *const *)b;
	uint64_t sx = mr_int(x)->link_seq, sy = mr_int(y)->link_seq;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return sx > sy ? -1 : sx < sy;
}

/* Sort siblings into their sibling-list order. */
void mem_sort_list_order(struct vmm_mr **v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_list_order);
}

/* Point @alias at @target and record the reverse link. */
void mem_alias_attach(struct vmm_mr *alias, struct vmm_mr *target)
{
	struct mr_int *a = mr_int(alias), *t = mr_int(target);

	alias->alias = target;
	target->alias_refs++;
	a->alias_prev = NULL;
	a->alias_next = t->alias_head;
	if (t->alias_head)
		t->alias_head->alias_prev = a;
	t->alias_head = a;
}

/* Drop the reverse link; alias->alias stays set so an undo can re-attach. */
void mem_alias_detach(struct vmm_mr *alias)
{
	struct mr_int *a = mr_int(alias), *t = mr_int(alias->alias);

	t->pub.alias_refs--;
	if (a->alias_prev)
		a->alias_prev->alias_next = a->alias_next;
	else
		t->alias_head = a->alias_next;
	if (a->alias_next)
		a->alias_next->alias_prev = a->alias_prev;
	a->alias_next = a->alias_prev = NULL;
}
