// SPDX-License-Identifier: MIT
/*
 * Incremental flat views. A commit that touched only some address windows
 * re-renders each window with the window as the clip (which yields the full
 * rendering cut to the window), and builds the new view from the old one:
 * the chunks of ranges away from the windows are shared (flatview.c),
 * the chunks around each window are rebuilt - old ranges straddling a window
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

#include "dirty_window_priv.h"
#include "render_priv.h"
#include "flatview_splice_priv.h"
#include "flatview_priv.h"

/* A growable run of ranges, merged at the tail as flatview_simplify does. */
struct rbuf {
	struct vmm_flat_range *v;
	size_t n, cap;
	int err;
};

static bool rb_room(struct rbuf *b, size_t more)
{
	if (b->n + more > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		struct vmm_flat_range *v;

		while (cap < b->n + more)
			cap *= 2;
		v = realloc(b->v, cap * sizeof(*v));
		if (!v) {
			b->err = -ENOMEM;
			return false;
		}
		b->v = v;
		b->cap = cap;
	}
	return true;
}

static void rb_merge(struct rbuf *b, const struct vmm_flat_range *r)
{
	if (b->n && mem_fr_can_merge(&b->v[b->n - 1], r))
		b->v[b->n - 1].size += r->size;
	else if (rb_room(b, 1))
		b->v[b->n++] = *r;
}

/* Append ranges already simplified among themselves (and against the tail). */
static void rb_append(struct rbuf *b, const struct vmm_flat_range *r, size_t n)
{
	if (n && rb_room(b, n)) {
		memcpy(&b->v[b->n], r, n * sizeof(*r));
		b->n += n;
	}
}

/* Splices the windows of one group into the group's old ranges @in. */
struct builder {
	struct rbuf *out;
	const struct vmm_flat_range *in;
	size_t nin;
	size_t pos;	/* first old range ending after @at */
	vmm_u128 at;	/* old content below this was copied or replaced */
};

/* First range of @v[0..n) ending after @addr. */
static size_t arr_lower_bound(const struct vmm_flat_range *v, size_t n, vmm_u128 addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].start + v[mid].size <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
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
	size_t i = b->pos, j = arr_lower_bound(b->in, b->nin, limit);
	struct vmm_flat_range p;

	if (i < b->nin && b->in[i].start < limit) {
		p = cut_front(&b->in[i], b->at);
		if (p.start + p.size > limit)
			p.size = limit - p.start;
		rb_merge(b->out, &p);
		i++;
	}
	/* whole old ranges, already simplified among themselves */
	if (j > i) {
		rb_append(b->out, &b->in[i], j - i);
		i = j;
	}
	if (i == j && j < b->nin && b->in[j].start < limit) {
		p = b->in[j];
		p.size = limit - p.start;
		rb_merge(b->out, &p);
	}
	b->at = limit;
	b->pos = j;
}

/* The re-rendered content of one window. */
struct part {
	struct vmm_flat_range *v;
	size_t n;
};

/*
 * A run of old chunks [c0, c1) to rebuild, with the windows [w0, w1) inside
 * it. It reaches one range beyond each window on both sides (or the view's
 * end), so every merge with new content happens inside it, and ranges on its
 * edges are old, unchanged and unmergeable with their outside neighbours.
 */
struct group {
	size_t c0, c1, w0, w1;
};

/* First range of @v starting at or after @a. */
static size_t first_from(const struct vmm_flatview *v, vmm_u128 a)
{
	size_t i = vmm_flatview_lower_bound(v, a);

	if (i < v->nr && vmm_flatview_range(v, i)->start < a)
		i++;
	return i;
}

static size_t plan_groups(const struct vmm_flatview *old, const struct mem_win *w, size_t nw,
			  struct group *g)
{
	size_t k = 0;

	if (!old->nslots) {
		g[0] = (struct group){ 0, 0, 0, nw };
		return 1;
	}
	for (size_t i = 0; i < nw; i++) {
		size_t a = vmm_flatview_lower_bound(old, w[i].lo), b = first_from(old, w[i].hi);
		size_t c0 = mem_fv_chunk_of(old, a ? a - 1 : 0);
		size_t c1 = mem_fv_chunk_of(old, b < old->nr ? b : old->nr - 1) + 1;

		if (k && c0 <= g[k - 1].c1) {	/* overlapping or adjacent: one run */
			g[k - 1].c1 = c1 > g[k - 1].c1 ? c1 : g[k - 1].c1;
			g[k - 1].w1 = i + 1;
		} else {
			g[k++] = (struct group){ c0, c1, i, i + 1 };
		}
	}
	return k;
}

/* The new ranges of group @g into @out, using @in as scratch for its old ones. */
static int build_group(const struct vmm_flatview *old, const struct group *g,
		       const struct mem_win *w, const struct part *part, struct rbuf *in,
		       struct rbuf *out)
{
	struct builder b = { .out = out };
	size_t s, i;

	in->n = 0;
	out->n = 0;
	for (s = g->c0; s < g->c1; s++)
		rb_append(in, old->slots[s].chunk->r, old->slots[s].chunk->nr);
	b.in = in->v;
	b.nin = in->n;
	for (i = g->w0; i < g->w1 && !in->err; i++) {
		copy_until(&b, w[i].lo);
		for (size_t k = 0; k < part[i].n; k++)
			rb_merge(out, &part[i].v[k]);
		b.at = w[i].hi;
		b.pos = arr_lower_bound(b.in, b.nin, w[i].hi);
	}
	copy_until(&b, VMM_U64_LIMIT);
	return in->err ? in->err : out->err;
}

/*
 * Rebuild group @gi, absorbing an untouched neighbour chunk while the result
 * is smaller than FV_CHUNK_MIN, so chunk sizes stay bounded below too.
 */
static int build_balanced(const struct vmm_flatview *old, struct group *g, size_t gi,
			  size_t ng, size_t done, const struct mem_win *w,
			  const struct part *part, struct rbuf *in, struct rbuf *out)
{
	int r = build_group(old, &g[gi], w, part, in, out);

	while (!r && out->n < FV_CHUNK_MIN) {
		if (g[gi].c0 > done)
			g[gi].c0--;
		else if (g[gi].c1 < old->nslots && (gi + 1 == ng || g[gi].c1 < g[gi + 1].c0))
			g[gi].c1++;
		else
			break;
		r = build_group(old, &g[gi], w, part, in, out);
	}
	return r;
}

/* Append @old's chunks [from, to) to @fv, borrowed (no reference taken yet). */
static int push_shared(struct vmm_flatview *fv, size_t *cap, const struct vmm_flatview *old,
		       size_t from, size_t to)
{
	size_t n = to - from, s;

	if (!n)
		return 0;
	if (fv->nslots + n > *cap) {
		size_t nc = (fv->nslots + n) * 2;
		struct mem_fv_slot *v = realloc(fv->slots, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		fv->slots = v;
		*cap = nc;
	}
	/* shift the cumulative index without touching the chunks (no cache misses) */
	memcpy(&fv->slots[fv->nslots], &old->slots[from], n * sizeof(old->slots[0]));
	for (s = fv->nslots; s < fv->nslots + n; s++)
		fv->slots[s].first = fv->slots[s].first - old->slots[from].first + fv->nr;
	fv->nr += (to < old->nslots ? old->slots[to].first : old->nr) - old->slots[from].first;
	fv->nslots += n;
	return 0;
}

static int render_parts(const struct vmm_flatview *old, const struct mem_win *w, size_t nw,
			struct part *part)
{
	for (size_t i = 0; i < nw; i++)
		if (mem_render_ranges(old->root, w[i].lo, w[i].hi, &part[i].v, &part[i].n))
			return -ENOMEM;
	return 0;
}

/* Build @fv from @old and the groups; @fv->pending records what it owns. */
static int assemble(struct vmm_flatview *fv, const struct vmm_flatview *old, struct group *g,
		    size_t ng, const struct mem_win *w, const struct part *part)
{
	struct rbuf in = { 0 }, out = { 0 };
	struct mem_fv_pending *p = fv->pending;
	size_t cap = 0, done = 0, gi;
	int r = 0;

	for (gi = 0; gi < ng && !r; gi++) {
		struct mem_fv_group *pg = &p->g[gi];

		r = build_balanced(old, g, gi, ng, done, w, part, &in, &out);
		if (!r)
			r = push_shared(fv, &cap, old, done, g[gi].c0);
		if (r)
			break;
		pg->oc0 = g[gi].c0;
		pg->oc1 = g[gi].c1;
		pg->nc0 = fv->nslots;
		r = mem_fv_push_ranges(fv, &cap, out.v, out.n);
		pg->nc1 = fv->nslots;
		p->n = gi + 1;
		done = g[gi].c1;
	}
	if (!r)
		r = push_shared(fv, &cap, old, done, old->nslots);
	free(in.v);
	free(out.v);
	return r;
}

/**
 * mem_flatview_splice() - the view @old with windows @w re-rendered
 * @old: the current view (root already checked to be unchanged)
 * @w: sorted, disjoint windows
 * @nw: how many (at least one)
 *
 * Copies @old's chunk table and rebuilds only the chunks around the windows.
 * The copied chunks are borrowed from @old (no reference taken) until the
 * commit settles them with mem_flatview_settle(), or the view is dropped with
 * mem_flatview_discard(); the rebuilt chunks are the view's own.
 *
 * Return: a new view with one reference (id 0), or NULL with errno set.
 */
struct vmm_flatview *mem_flatview_splice(const struct vmm_flatview *old,
					 const struct mem_win *w, size_t nw)
{
	struct part *part = calloc(nw, sizeof(*part));
	struct group *g = malloc(nw * sizeof(*g));
	struct vmm_flatview *fv = mem_flatview_alloc(old->root);
	size_t ng = 0, i;
	int r = -ENOMEM;

	if (part && g && fv) {
		ng = plan_groups(old, w, nw, g);
		fv->pending = calloc(1, sizeof(*fv->pending) + ng * sizeof(fv->pending->g[0]));
		if (fv->pending)
			r = render_parts(old, w, nw, part);
	}
	if (!r)
		r = assemble(fv, old, g, ng, w, part);
	for (i = 0; part && i < nw; i++)
		free(part[i].v);
	free(part);
	free(g);
	if (r) {
		if (fv)
			mem_flatview_discard(fv);
		errno = -r;
		return NULL;
	}
	return fv;
}

/* Widen [*lo, *hi) to the ranges of @v it touches; true if it grew. */
static bool widen(const struct vmm_flatview *v, vmm_u128 *lo, vmm_u128 *hi, size_t *i0,
		  size_t *i1)
{
	bool grew = false;

	*i0 = vmm_flatview_lower_bound(v, *lo);
	*i1 = first_from(v, *hi);
	if (*i0 < *i1) {
		const struct vmm_flat_range *a = vmm_flatview_range(v, *i0);
		const struct vmm_flat_range *z = vmm_flatview_range(v, *i1 - 1);

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

/* Did anything inside the spans change? (Outside them nothing can have.) */
static bool spans_changed(const struct vmm_flatview *o, const struct vmm_flatview *n,
			  const struct mem_span *sp, size_t ns)
{
	struct vmm_fv_iter io, in;

	for (size_t i = 0; i < ns; i++) {
		if (sp[i].o1 - sp[i].o0 != sp[i].n1 - sp[i].n0)
			return true;
		vmm_fv_iter_init(&io, o, sp[i].o0);
		vmm_fv_iter_init(&in, n, sp[i].n0);
		for (size_t k = 0; k < sp[i].o1 - sp[i].o0; k++)
			if (!mem_fr_same(vmm_fv_iter_next(&io), vmm_fv_iter_next(&in)))
				return true;
	}
	return false;
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
 * @borrow: set when @nv borrows chunks of @as->current (settle them with
 *          mem_flatview_settle() before @nv is published or dropped)
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
		if (fv && fv != old)
			mem_flatview_discard(fv);
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
		mem_flatview_discard(fv);
		fv = old;
	}
	*borrow = fv != old;
	if (fv == old) {
		m->stats.kept++;
		vmm_flatview_ref(old);
	} else {
		fv->id = ++m->next_fv_id;
	}
	if (m->render_mode == VMM_RENDER_CHECK && !check_full(m, as, fv)) {
		if (*borrow)
			mem_flatview_settle(old, fv, false);
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
