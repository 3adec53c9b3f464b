// SPDX-License-Identifier: MIT
/*
 * Incremental flat views. A commit that touched only some address windows
 * re-renders each window with the window as the clip (which yields the full
 * rendering cut to the window), and builds the new view from the old one:
 * ranges outside the windows are copied in bulk, ranges straddling a window
 * edge are cut, and flatview_simplify's merge is applied only where the
 * pieces meet (everything else was already simplified). The result equals a
 * full render, because a simplified view is the unique maximal merge of the
 * address -> (region, offset, attributes) function, and that function only
 * changed inside the windows. The spans found here bound the listener diff:
 * outside them old and new ranges are identical one for one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory-internal.h"

struct builder {
	struct vmm_flatview *fv;
	const struct vmm_flatview *old;
	size_t pos;	/* first old range ending after @at */
	vmm_u128 at;	/* old content below this was copied or replaced */
};

static void push_merge(struct builder *b, const struct vmm_flat_range *r)
{
	struct vmm_flatview *fv = b->fv;

	if (fv->nr && mem_fr_can_merge(&fv->ranges[fv->nr - 1], r))
		fv->ranges[fv->nr - 1].size += r->size;
	else
		fv->ranges[fv->nr++] = *r;
}

/* The part of @r at or above @from (which lies inside it). */
static struct vmm_flat_range cut_front(const struct vmm_flat_range *r, vmm_u128 from)
{
	struct vmm_flat_range p = *r;

	if (from > r->start) {
		p.start = from;
		p.size = r->start + r->size - from;
		p.offset_in_region = r->offset_in_region + (from - r->start);
	}
	return p;
}

/* Copy the old content of [b->at, limit). */
static void copy_until(struct builder *b, vmm_u128 limit)
{
	const struct vmm_flatview *o = b->old;
	size_t i = b->pos, j = vmm_flatview_lower_bound(o, limit);
	struct vmm_flat_range p;

	if (i < o->nr && o->ranges[i].start < limit) {
		p = cut_front(&o->ranges[i], b->at);
		if (p.start + p.size > limit)
			p.size = limit - p.start;
		push_merge(b, &p);
		i++;
	}
	/* whole old ranges, already simplified among themselves */
	if (j > i) {
		memcpy(&b->fv->ranges[b->fv->nr], &o->ranges[i], (j - i) * sizeof(o->ranges[0]));
		b->fv->nr += j - i;
		i = j;
	}
	if (i == j && j < o->nr && o->ranges[j].start < limit) {
		p = o->ranges[j];
		p.size = limit - p.start;
		push_merge(b, &p);
	}
	b->at = limit;
	b->pos = j;
}

/**
 * mem_flatview_splice() - the view @old with windows @w re-rendered
 * @old: the current view (root already checked to be unchanged)
 * @w: sorted, disjoint windows
 * @nw: how many
 *
 * The ranges hold no region references yet: those inside the spans are
 * taken by mem_plan_incremental(), those outside are borrowed from @old until
 * the commit settles them (mem_flatview_settle()).
 *
 * Return: a new view with one reference (id 0), or NULL with errno set.
 */
struct vmm_flatview *mem_flatview_splice(const struct vmm_flatview *old,
					 const struct mem_win *w, size_t nw)
{
	struct vmm_flatview **part = calloc(nw ? nw : 1, sizeof(*part));
	struct builder b = { .old = old };
	size_t i, cap = old->nr + 2 * nw + 1;
	int r = 0;

	b.fv = calloc(1, sizeof(*b.fv));
	if (!part || !b.fv)
		r = -ENOMEM;
	for (i = 0; i < nw && !r; i++) {
		part[i] = mem_flatview_render_clip(old->root, w[i].lo, w[i].hi);
		if (!part[i])
			r = -ENOMEM;
		else
			cap += part[i]->nr;
	}
	if (!r) {
		b.fv->ranges = malloc(cap * sizeof(b.fv->ranges[0]));
		if (!b.fv->ranges)
			r = -ENOMEM;
	}
	for (i = 0; i < nw && !r; i++) {
		copy_until(&b, w[i].lo);
		for (size_t k = 0; k < part[i]->nr; k++)
			push_merge(&b, &part[i]->ranges[k]);
		b.at = w[i].hi;
		b.pos = vmm_flatview_lower_bound(old, w[i].hi);
	}
	for (i = 0; part && i < nw; i++)
		vmm_flatview_unref(part[i]);
	free(part);
	if (r) {
		if (b.fv)
			free(b.fv->ranges);
		free(b.fv);
		errno = -r;
		return NULL;
	}
	copy_until(&b, VMM_U64_LIMIT);
	b.fv->cap = cap;
	b.fv->root = old->root;
	b.fv->refs = 1;
	return b.fv;
}

/* First range of @v starting at or after @a. */
static size_t first_from(const struct vmm_flatview *v, vmm_u128 a)
{
	size_t lo = 0, hi = v->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->ranges[mid].start < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Widen [*lo, *hi) to the ranges of @v it touches; true if it grew. */
static bool widen(const struct vmm_flatview *v, vmm_u128 *lo, vmm_u128 *hi, size_t *i0,
		  size_t *i1)
{
	bool grew = false;

	*i0 = vmm_flatview_lower_bound(v, *lo);
	*i1 = first_from(v, *hi);
	if (*i0 < *i1) {
		const struct vmm_flat_range *a = &v->ranges[*i0], *z = &v->ranges[*i1 - 1];

		if (a->start < *lo) {
			*lo = a->start;
			grew = true;
		}
		if (z->start + z->size > *hi) {
			*hi = z->start + z->size;
			grew = true;
		}
	}
	return grew;
}

/**
 * mem_flatview_spans() - where old view @o and spliced view @n may differ
 * @o, @n: the views
 * @w, @nw: the windows @n was spliced with
 * @out: room for @nw spans
 *
 * Each window is widened to the ranges of either view it touches until that
 * is stable; overlapping results are merged. Outside the spans the two views
 * hold the same ranges in the same order.
 *
 * Return: the number of spans written.
 */
size_t mem_flatview_spans(const struct vmm_flatview *o, const struct vmm_flatview *n,
			  const struct mem_win *w, size_t nw, struct mem_span *out)
{
	vmm_u128 plo = 0, phi = 0;
	size_t k = 0, i;

	for (i = 0; i < nw; i++) {
		vmm_u128 lo = w[i].lo, hi = w[i].hi;
		struct mem_span s;
		bool grew;

		do {
			grew = widen(o, &lo, &hi, &s.o0, &s.o1);
			grew |= widen(n, &lo, &hi, &s.n0, &s.n1);
			if (k && lo < phi) {	/* reaches into the previous span: one span */
				lo = lo < plo ? lo : plo;
				hi = hi > phi ? hi : phi;
				k--;
				phi = 0;
				grew = true;
			}
		} while (grew);
		out[k++] = s;
		plo = lo;
		phi = hi;
	}
	return k;
}

static bool range_same(const struct vmm_flat_range *x, const struct vmm_flat_range *y)
{
	return x->start == y->start && x->size == y->size && x->mr == y->mr &&
	       x->offset_in_region == y->offset_in_region && x->readonly == y->readonly &&
	       x->nonvolatile == y->nonvolatile && x->romd_mode == y->romd_mode &&
	       x->dirty_log_mask == y->dirty_log_mask;
}

/* Did anything inside the spans change? (Outside them nothing can have.) */
static bool spans_changed(const struct vmm_flatview *o, const struct vmm_flatview *n,
			  const struct mem_span *sp, size_t ns)
{
	for (size_t i = 0; i < ns; i++) {
		if (sp[i].o1 - sp[i].o0 != sp[i].n1 - sp[i].n0)
			return true;
		for (size_t k = 0; k < sp[i].o1 - sp[i].o0; k++)
			if (!range_same(&o->ranges[sp[i].o0 + k], &n->ranges[sp[i].n0 + k]))
				return true;
	}
	return false;
}

static void ref_spans(struct vmm_flatview *n, const struct mem_span *sp, size_t ns)
{
	for (size_t i = 0; i < ns; i++)
		for (size_t k = sp[i].n0; k < sp[i].n1; k++)
			vmm_mr_ref(n->ranges[k].mr);
}

/**
 * mem_flatview_settle() - give spliced view @n its own references outside the spans
 * @o: the view @n was spliced from
 * @n: the spliced view, holding references only inside @sp
 * @sp, @ns: the spans
 * @steal: nobody but the caller's address spaces holds @o, and it is about to
 *         be dropped: move its references to @n instead of taking new ones
 *
 * Stealing makes a commit O(spans) in reference counting rather than
 * O(ranges): @o keeps only its ranges inside the spans (the ones its free
 * must release), which no reader can observe because none holds @o.
 */
void mem_flatview_settle(struct vmm_flatview *o, struct vmm_flatview *n,
			 const struct mem_span *sp, size_t ns, bool steal)
{
	size_t i, k, prev = 0, kept = 0;

	if (!steal) {
		for (i = 0; i <= ns; i++) {
			size_t end = i < ns ? sp[i].n0 : n->nr;

			for (k = prev; k < end; k++)
				vmm_mr_ref(n->ranges[k].mr);
			prev = i < ns ? sp[i].n1 : n->nr;
		}
		return;
	}
	for (i = 0; i < ns; i++) {
		memmove(&o->ranges[kept], &o->ranges[sp[i].o0],
			(sp[i].o1 - sp[i].o0) * sizeof(o->ranges[0]));
		kept += sp[i].o1 - sp[i].o0;
	}
	o->nr = kept;
}

/* AUTO: re-rendering windows that hold most of the view gains nothing. */
static bool too_big(const struct vmm_flatview *o, const struct mem_win *w, size_t nw)
{
	size_t covered = 0;

	for (size_t i = 0; i < nw; i++)
		covered += vmm_flatview_lower_bound(o, w[i].hi) - vmm_flatview_lower_bound(o, w[i].lo);
	return covered > 64 && covered > o->nr / 2;
}

/* VMM_RENDER_CHECK: does the incremental view equal a full render? */
static bool check_full(struct vmm_memory *m, struct vmm_as *as, const struct vmm_flatview *fv)
{
	struct vmm_flatview *full = vmm_flatview_render(fv->root);
	bool same = full && mem_flatview_same(full, fv);

	if (full && !same) {
		m->stats.mismatches++;
		fprintf(stderr, "vmm: incremental flat view of \"%s\" differs from a full render "
			"(%zu vs %zu ranges)\n", as->name, fv->nr, full->nr);
	}
	vmm_flatview_unref(full);
	return same;
}

/**
 * mem_plan_incremental() - bring @as's view up to date from its dirty windows
 * @m: model
 * @as: a live address space whose flat-view root is now @root
 * @root: the new flat-view root
 * @nv: the new view, referenced (the old one when nothing changed)
 * @spans, @nspans: where old and new differ (a new array; free it)
 * @borrow: set when @nv borrows @as->current's references outside the spans
 *          (settle them with mem_flatview_settle() before @nv is published
 *          or dropped)
 *
 * Return: 1 when done incrementally, 0 when a full render is needed
 * (structural change, mode, windows too large, a CHECK mismatch), -ENOMEM.
 */
int mem_plan_incremental(struct vmm_memory *m, struct vmm_as *as, struct vmm_mr *root,
			 struct vmm_flatview **nv, struct mem_span **spans, size_t *nspans,
			 bool *borrow)
{
	struct vmm_flatview *old = as->current, *fv;
	struct mem_win *w;
	size_t nw;

	if (m->render_mode == VMM_RENDER_FULL || m->dirty.full || old->root != root)
		return 0;
	nw = mem_dirty_windows(m, root, &w);
	if (nw == (size_t)-1)
		return -ENOMEM;
	if (m->render_mode == VMM_RENDER_AUTO && nw && too_big(old, w, nw)) {
		free(w);
		return 0;
	}
	fv = nw ? mem_flatview_splice(old, w, nw) : old;
	*spans = malloc((nw ? nw : 1) * sizeof(**spans));
	if (!fv || !*spans) {
		if (fv != old)
			vmm_flatview_unref(fv);
		free(w);
		free(*spans);
		*spans = NULL;
		return -ENOMEM;
	}
	*nspans = nw ? mem_flatview_spans(old, fv, w, nw, *spans) : 0;
	free(w);
	m->stats.incremental++;
	m->stats.windows += nw;
	if (fv != old && !spans_changed(old, fv, *spans, *nspans)) {
		free(fv->ranges);	/* holds no references yet */
		free(fv);
		fv = old;
	}
	if (fv != old) {
		ref_spans(fv, *spans, *nspans);
		*borrow = true;
	}
	if (fv == old) {
		m->stats.kept++;
		vmm_flatview_ref(old);
	} else {
		fv->id = ++m->next_fv_id;
	}
	if (m->render_mode == VMM_RENDER_CHECK && !check_full(m, as, fv)) {
		if (*borrow)
			mem_flatview_settle(old, fv, *spans, *nspans, false);
		*borrow = false;
		vmm_flatview_unref(fv);
		free(*spans);
		*spans = NULL;
		*nspans = 0;
		return 0;
	}
	*nv = fv;
	return 1;
}
