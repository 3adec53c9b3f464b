// SPDX-License-Identifier: MIT
/*
 * Dirty windows of a transaction. Every primitive mutation of a region can
 * change the rendering only where that region is rendered, before or after
 * the change: the region's extent, translated up through its containers and
 * through every alias that shows it or one of its ancestors, into the
 * coordinates of each flat-view root above it. The mutators call
 * mem_dirty_before() and mem_dirty_after() around each primitive; the
 * outermost commit re-renders only those windows. A primitive that changes
 * which region an address space renders (its flat-view root), address-space
 * creation or deletion, or a walk that grows too large marks the whole
 * transaction for full rendering instead.
 */
#include <stdlib.h>
#include <string.h>

#include "dirty_window_priv.h"

#define WALK_BUDGET	4096	/* placements followed per primitive */
#define WINDOWS_MAX	(1u << 20)

struct walk {
	struct vmm_memory *m;
	unsigned steps;
};

static void push_win(struct vmm_memory *m, struct vmm_mr *root, vmm_u128 lo, vmm_u128 hi)
{
	struct mem_dirty *d = &m->dirty;

	if (d->nr && d->w[d->nr - 1].root == root && d->w[d->nr - 1].lo == lo &&
	    d->w[d->nr - 1].hi == hi)
		return;	/* the same window before and after an attribute change */
	if (d->nr == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		struct mem_win *w = cap <= WINDOWS_MAX ? realloc(d->w, cap * sizeof(*w)) : NULL;

		if (!w) {
			d->full = true;
			return;
		}
		d->w = w;
		d->cap = cap;
	}
	d->w[d->nr++] = (struct mem_win){ root, lo, hi };
}

static bool is_root(const struct vmm_memory *m, const struct vmm_mr *mr)
{
	for (size_t i = 0; i < m->dirty.nroots; i++)
		if (m->dirty.roots[i] == mr)
			return true;
	return false;
}

/* Record where [lo, hi) of @x (offsets inside @x) is rendered. */
static void walk_up(struct walk *w, struct vmm_mr *x, vmm_u128 lo, vmm_u128 hi)
{
	struct vmm_memory *m = w->m;
	struct mr_int *a;

	if (hi > x->size)
		hi = x->size;
	if (lo >= hi || m->dirty.full)
		return;
	if (++w->steps > WALK_BUDGET) {
		m->dirty.full = true;
		return;
	}
	if (is_root(m, x)) {
		vmm_u128 b = x->addr, wl = b + lo, wh = b + hi;

		if (wh > VMM_U64_LIMIT)
			wh = VMM_U64_LIMIT;
		if (wl < wh)
			push_win(m, x, wl, wh);
	}
	if (x->container)
		walk_up(w, x->container, lo + x->addr, hi + x->addr);
	for (a = mr_int(x)->alias_head; a; a = a->alias_next) {
		vmm_u128 wl = a->pub.alias_offset, wh = wl + a->pub.size;

		wl = wl > lo ? wl : lo;
		wh = wh < hi ? wh : hi;
		if (wl < wh)
			walk_up(w, &a->pub, wl - a->pub.alias_offset, wh - a->pub.alias_offset);
	}
}

/* The current flat-view roots of every address space, into @out (NULLs included). */
static bool roots_now(struct vmm_memory *m, struct vmm_mr ***out, size_t *n, size_t *cap)
{
	struct vmm_as *as;
	size_t k = 0;

	for (as = m->as_head; as; as = as->next) {
		if (k == *cap) {
			size_t c = *cap ? *cap * 2 : 8;
			struct vmm_mr **v = realloc(*out, c * sizeof(*v));

			if (!v)
				return false;
			*out = v;
			*cap = c;
		}
		(*out)[k++] = vmm_flatview_root_of(as->root);
	}
	*n = k;
	return true;
}

static void record(struct vmm_memory *m, struct vmm_mr *mr)
{
	struct walk w = { .m = m };

	walk_up(&w, mr, 0, mr->size);
}

/**
 * mem_dirty_before() - note where @mr renders before a primitive changes it
 * @m: model
 * @mr: the region about to change (its attributes or its link)
 */
void mem_dirty_before(struct vmm_memory *m, struct vmm_mr *mr)
{
	struct mem_dirty *d = &m->dirty;

	if (d->full)
		return;
	if (!roots_now(m, &d->roots, &d->nroots, &d->roots_cap)) {
		d->full = true;
		return;
	}
	record(m, mr);
}

/**
 * mem_dirty_after() - note where @mr renders after the primitive
 * @m: model
 * @mr: the region that changed
 *
 * A changed flat-view root of any address space makes the transaction
 * structural.
 */
void mem_dirty_after(struct vmm_memory *m, struct vmm_mr *mr)
{
	struct mem_dirty *d = &m->dirty;
	struct vmm_as *as;
	size_t i = 0;

	if (d->full)
		return;
	for (as = m->as_head; as; as = as->next, i++) {
		if (i >= d->nroots || vmm_flatview_root_of(as->root) != d->roots[i]) {
			d->full = true;
			return;
		}
	}
	if (i != d->nroots) {
		d->full = true;
		return;
	}
	record(m, mr);
}

void mem_dirty_structural(struct vmm_memory *m)
{
	m->dirty.full = true;
}

void mem_dirty_reset(struct vmm_memory *m)
{
	m->dirty.nr = 0;
	m->dirty.full = false;
}

static int cmp_win(const void *a, const void *b)
{
	const struct mem_win *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/**
 * mem_dirty_windows() - the merged, sorted dirty windows of flat-view root @root
 * @m: model
 * @root: a flat-view root
 * @out: a new array (free it), NULL when there is none
 *
 * Return: the number of windows, or (size_t)-1 when out of memory.
 */
size_t mem_dirty_windows(struct vmm_memory *m, struct vmm_mr *root, struct mem_win **out)
{
	struct mem_dirty *d = &m->dirty;
	struct mem_win *v;
	size_t i, n = 0, k = 0;

	*out = NULL;
	for (i = 0; i < d->nr; i++)
		n += d->w[i].root == root;
	if (!n)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return (size_t)-1;
	for (i = 0; i < d->nr; i++)
		if (d->w[i].root == root)
			v[k++] = d->w[i];
	qsort(v, n, sizeof(*v), cmp_win);
	for (i = 1, k = 0; i < n; i++) {
		if (v[i].lo <= v[k].hi) {
			if (v[i].hi > v[k].hi)
				v[k].hi = v[i].hi;
		} else {
			v[++k] = v[i];
		}
	}
	*out = v;
	return k + 1;
}
