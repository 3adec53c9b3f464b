// SPDX-License-Identifier: MIT
/*
 * Rendering flat views: QEMU's render_memory_region + flatview_simplify and
 * memory_region_get_flatview_root, into the range store of flatview.c, whole
 * or restricted to a window (which incremental commits splice in).
 * Rendering keeps the ranges rendered so far in a skip list ordered by
 * start, so a terminating region finds the gaps inside its clip in O(log n)
 * instead of QEMU's array insertion (O(n) each), and 100k sibling regions
 * render in milliseconds. The output is identical: earlier-rendered ranges
 * win and gaps are filled in address order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render_priv.h"
#include "flatview_priv.h"
#include "region_index_priv.h"

typedef __int128 s128;	/* QEMU's Int128: alias bases may go below zero */

#define SL_LEVELS 24
#define INDEX_MIN 16	/* fewer children are simply walked */

struct sl_node {
	struct vmm_flat_range fr;
	unsigned level;
	struct sl_node *next[];
};

/* The ranges rendered so far, disjoint, ordered by start. */
struct render {
	struct sl_node *head;
	size_t nr;
	uint64_t rng;
	int err;
};

static unsigned sl_random_level(struct render *rd)
{
	unsigned lvl = 1;

	rd->rng ^= rd->rng << 13;
	rd->rng ^= rd->rng >> 7;
	rd->rng ^= rd->rng << 17;
	for (uint64_t x = rd->rng; (x & 3) == 0 && lvl < SL_LEVELS; x >>= 2)
		lvl++;
	return lvl;
}

/* Fill @upd with the last node at each level whose start is below @key. */
static void sl_find(struct render *rd, vmm_u128 key, struct sl_node **upd)
{
	struct sl_node *x = rd->head;
	int i;

	for (i = SL_LEVELS - 1; i >= 0; i--) {
		while (x->next[i] && x->next[i]->fr.start < key)
			x = x->next[i];
		upd[i] = x;
	}
}

static void sl_insert(struct render *rd, const struct vmm_flat_range *fr)
{
	struct sl_node *upd[SL_LEVELS], *n;
	unsigned lvl = sl_random_level(rd), i;

	n = malloc(sizeof(*n) + lvl * sizeof(n->next[0]));
	if (!n) {
		rd->err = -ENOMEM;
		return;
	}
	n->fr = *fr;
	n->level = lvl;
	sl_find(rd, fr->start, upd);
	for (i = 0; i < lvl; i++) {
		n->next[i] = upd[i]->next[i];
		upd[i]->next[i] = n;
	}
	rd->nr++;
}

/* The first rendered range that ends after @addr, or NULL. */
static struct sl_node *sl_first_after(struct render *rd, vmm_u128 addr)
{
	struct sl_node *upd[SL_LEVELS], *x;

	sl_find(rd, addr, upd);
	x = upd[0];
	if (x != rd->head && x->fr.start + x->fr.size > addr)
		return x;
	return x->next[0];
}

static void sl_free(struct render *rd)
{
	struct sl_node *x = rd->head, *n;

	while (x) {
		n = x->next[0];
		free(x);
		x = n;
	}
	rd->head = NULL;
}

/* Fill the gaps in [lo, hi) with @mr, offsets counted from @base. */
static void render_gaps(struct render *rd, struct vmm_mr *mr, s128 base, vmm_u128 lo,
			vmm_u128 hi, bool readonly, bool nonvolatile)
{
	struct vmm_flat_range fr = {
		.mr = mr, .readonly = readonly, .nonvolatile = nonvolatile,
		.romd_mode = mr->romd_mode, .dirty_log_mask = mr->dirty_log_mask,
	};
	struct sl_node *n = sl_first_after(rd, lo);
	vmm_u128 pos = lo;

	while (pos < hi && !rd->err) {
		vmm_u128 end = (!n || n->fr.start >= hi) ? hi : n->fr.start;

		if (end > pos) {
			fr.start = pos;
			fr.size = end - pos;
			fr.offset_in_region = (vmm_u128)((s128)pos - base);
			sl_insert(rd, &fr);
		}
		if (!n || n->fr.start >= hi)
			break;
		pos = n->fr.start + n->fr.size;
		n = n->next[0];
	}
}

static void render_mr(struct render *rd, struct vmm_mr *mr, s128 base, s128 clo, s128 chi,
		      bool readonly, bool nonvolatile);

/*
 * Render only the children of @mr that intersect the clip [lo, hi), found
 * through the children index and put back into sibling-list order: the
 * others would be clipped away, so the result is the same as walking them all.
 */
static void render_some(struct render *rd, struct vmm_mr *mr, s128 base, s128 lo, s128 hi,
			bool readonly, bool nonvolatile)
{
	struct vmm_mr **v = NULL;
	size_t cap = 0, n, i;

	n = mem_index_query(mr, (vmm_u128)(lo - base), (vmm_u128)(hi - base), &v, &cap);
	if (n == (size_t)-1) {
		rd->err = -ENOMEM;
	} else {
		mem_sort_list_order(v, n);
		for (i = 0; i < n; i++)
			render_mr(rd, v[i], base, lo, hi, readonly, nonvolatile);
	}
	free(v);
}

/* render_memory_region(): @clip is [clo, chi) in address-space coordinates. */
static void render_mr(struct render *rd, struct vmm_mr *mr, s128 base, s128 clo, s128 chi,
		      bool readonly, bool nonvolatile)
{
	struct vmm_mr *sub;
	s128 lo, hi;

	if (!mr->enabled || rd->err)
		return;
	base += mr->addr;
	readonly |= mr->readonly;
	nonvolatile |= mr->nonvolatile;
	lo = base > clo ? base : clo;
	hi = base + (s128)mr->size < chi ? base + (s128)mr->size : chi;
	if (lo >= hi)
		return;
	if (mr->alias) {
		base -= mr->alias->addr;
		base -= mr->alias_offset;
		render_mr(rd, mr->alias, base, lo, hi, readonly, nonvolatile);
		return;
	}
	if (mr_int(mr)->nr_children > INDEX_MIN && (lo > base || hi < base + (s128)mr->size))
		render_some(rd, mr, base, lo, hi, readonly, nonvolatile);
	else
		for (sub = mr->subregions; sub; sub = sub->sib_next)
			render_mr(rd, sub, base, lo, hi, readonly, nonvolatile);
	if (vmm_mr_is_terminating(mr))
		render_gaps(rd, mr, base, (vmm_u128)lo, (vmm_u128)hi, readonly, nonvolatile);
}

/* flatview_simplify's merge rule. */
bool mem_fr_can_merge(const struct vmm_flat_range *a, const struct vmm_flat_range *b)
{
	return a->start + a->size == b->start && a->mr == b->mr &&
	       a->offset_in_region + a->size == b->offset_in_region &&
	       a->dirty_log_mask == b->dirty_log_mask && a->romd_mode == b->romd_mode &&
	       a->readonly == b->readonly && a->nonvolatile == b->nonvolatile;
}

/* Copy the skip list into a new array, merging as flatview_simplify does. */
static int flatten(struct render *rd, struct vmm_flat_range **out, size_t *nr)
{
	struct vmm_flat_range *v = malloc((rd->nr ? rd->nr : 1) * sizeof(*v));
	struct vmm_flat_range prev = { 0 };
	struct sl_node *x;
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (x = rd->head->next[0]; x; x = x->next[0]) {
		if (n && mem_fr_can_merge(&prev, &x->fr))
			v[n - 1].size += x->fr.size;
		else
			v[n++] = x->fr;
		prev = x->fr;
	}
	*out = v;
	*nr = n;
	return 0;
}

/**
 * vmm_flatview_render() - render @root into a new flat view
 * @root: the region to render as the root (already simplified by
 *        vmm_flatview_root_of(), as commit does), or NULL for an empty view
 *
 * Exactly QEMU's generate_memory_topology(): render_memory_region() with base
 * 0 and a clip of [0, 2^64), then flatview_simplify().
 *
 * Return: a view with one reference, or NULL with errno set.
 */
struct vmm_flatview *vmm_flatview_render(struct vmm_mr *root)
{
	struct vmm_flat_range *v;
	struct vmm_flatview *fv;
	size_t n, cap = 0;
	int r;

	r = mem_render_ranges(root, 0, VMM_U64_LIMIT, &v, &n);
	if (r) {
		errno = -r;
		return NULL;
	}
	fv = mem_flatview_alloc(root);
	if (fv && mem_fv_push_ranges(fv, &cap, v, n)) {
		vmm_flatview_unref(fv);
		fv = NULL;
		errno = ENOMEM;
	}
	free(v);
	return fv;
}

/**
 * mem_render_ranges() - render @root restricted to [@lo, @hi)
 * @root: flat-view root (or NULL)
 * @lo, @hi: window in address-space coordinates
 * @out: a new array of the ranges (free it; no region references taken)
 * @nr: how many
 *
 * Rendering with a clip gives exactly the full rendering cut to the clip
 * (every step of render_memory_region intersects with it), simplified inside
 * it; that is what lets a commit re-render only its dirty windows.
 *
 * Return: 0 or -ENOMEM.
 */
int mem_render_ranges(struct vmm_mr *root, vmm_u128 lo, vmm_u128 hi,
		      struct vmm_flat_range **out, size_t *nr)
{
	struct render rd = { .rng = 0x9e3779b97f4a7c15ull };
	int r;

	rd.head = calloc(1, sizeof(*rd.head) + SL_LEVELS * sizeof(rd.head->next[0]));
	if (!rd.head)
		return -ENOMEM;
	rd.head->level = SL_LEVELS;
	if (root)
		render_mr(&rd, root, 0, (s128)lo, (s128)hi, false, false);
	r = rd.err;
	if (!r)
		r = flatten(&rd, out, nr);
	sl_free(&rd);
	return r;
}

/* A container's only enabled child when it covers it from 0 (see root_of). */
static struct vmm_mr *only_child(struct vmm_mr *mr, unsigned *found)
{
	struct vmm_mr *c, *next = NULL;

	*found = 0;
	for (c = mr->subregions; c; c = c->sib_next) {
		if (!c->enabled)
			continue;
		if (++*found > 1)
			return NULL;
		if (c->addr == 0 && mr->size >= c->size)
			next = c;
	}
	return next;
}

/**
 * vmm_flatview_root_of() - QEMU's memory_region_get_flatview_root()
 * @root: an address space's root region
 *
 * Whole-target aliases are replaced by their target and containers with a
 * single enabled child covering them from 0 by that child, so that address
 * spaces can share views.
 *
 * Return: the region to render, or NULL when it renders to nothing.
 */
struct vmm_mr *vmm_flatview_root_of(struct vmm_mr *root)
{
	struct vmm_mr *mr = root, *next;
	unsigned found;

	while (mr && mr->enabled) {
		if (mr->alias) {
			if (!mr->alias_offset && mr->size >= mr->alias->size) {
				mr = mr->alias;
				continue;
			}
		} else if (!vmm_mr_is_terminating(mr)) {
			next = only_child(mr, &found);
			if (!found)
				return NULL;
			if (next) {
				mr = next;
				continue;
			}
		}
		return mr;
	}
	return NULL;
}
