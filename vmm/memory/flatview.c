// SPDX-License-Identifier: MIT
/*
 * Flat views as objects (the public flatview.h): their range store,
 * reference counting, lookup, iteration and comparison. A view's ranges
 * live in immutable chunks of at most FV_CHUNK_MAX ranges; a view is a table
 * of chunk pointers with the index of each chunk's first range. Chunks are
 * reference counted and shared between successive views: a commit that
 * changed a few ranges copies the table (n / FV_CHUNK_MAX entries) and
 * rebuilds only the chunks it touched, instead of copying every range. Each
 * chunk holds one reference on the region of each of its ranges, so sharing
 * a chunk costs one reference, not one per range. Readers see an immutable
 * view: ranges by index (O(log n)), by address (O(log n)) or with an
 * O(1)-a-step iterator.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flatview_priv.h"

/**
 * mem_chunk_new() - an unshared chunk holding copies of @r[0..n)
 * @r: ranges (sorted, simplified among themselves)
 * @n: 1..FV_CHUNK_MAX
 *
 * Return: the chunk with one reference (and one on each range's region), or NULL.
 */
struct mem_fv_chunk *mem_chunk_new(const struct vmm_flat_range *r, size_t n)
{
	struct mem_fv_chunk *c = malloc(sizeof(*c) + n * sizeof(c->r[0]));

	if (!c)
		return NULL;
	atomic_init(&c->refs, 1);
	c->nr = (unsigned)n;
	memcpy(c->r, r, n * sizeof(c->r[0]));
	for (size_t i = 0; i < n; i++)
		vmm_mr_ref(c->r[i].mr);
	return c;
}

void mem_chunk_unref(struct mem_fv_chunk *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (unsigned i = 0; i < c->nr; i++)
		vmm_mr_unref(c->r[i].mr);
	free(c);
}

/* An empty view of @root with one reference; NULL with errno on ENOMEM. */
struct vmm_flatview *mem_flatview_alloc(struct vmm_mr *root)
{
	struct vmm_flatview *fv = calloc(1, sizeof(*fv));

	if (!fv) {
		errno = ENOMEM;
		return NULL;
	}
	fv->root = root;
	atomic_init(&fv->refs, 1);
	return fv;
}

/* Append chunk @c (its reference moves to @fv) to the table of @fv (@cap: table room). */
int mem_fv_push_slot(struct vmm_flatview *fv, struct mem_fv_chunk *c, size_t *cap)
{
	if (fv->nslots == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct mem_fv_slot *s = realloc(fv->slots, nc * sizeof(*s));

		if (!s)
			return -ENOMEM;
		fv->slots = s;
		*cap = nc;
	}
	fv->slots[fv->nslots].chunk = c;
	fv->slots[fv->nslots++].first = fv->nr;
	fv->nr += c->nr;
	return 0;
}

/*
 * Append @r[0..n) as new chunks of even size, at most FV_CHUNK_MAX each (so
 * at least FV_CHUNK_MAX / 2 when there are two or more).
 */
int mem_fv_push_ranges(struct vmm_flatview *fv, size_t *cap, const struct vmm_flat_range *r,
		       size_t n)
{
	size_t k = (n + FV_CHUNK_MAX - 1) / FV_CHUNK_MAX, i, at = 0;

	for (i = 0; i < k; i++) {
		size_t len = n / k + (i < n % k);
		struct mem_fv_chunk *c = mem_chunk_new(&r[at], len);

		if (!c)
			return -ENOMEM;
		if (mem_fv_push_slot(fv, c, cap)) {
			mem_chunk_unref(c);
			return -ENOMEM;
		}
		at += len;
	}
	return 0;
}

/* The slot holding range @i (< fv->nr). */
size_t mem_fv_chunk_of(const struct vmm_flatview *fv, size_t i)
{
	size_t lo = 0, hi = fv->nslots;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (fv->slots[mid].first <= i)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void free_view(struct vmm_flatview *fv)
{
	free(fv->slots);
	free(fv->pending);
	free(fv);
}

/**
 * mem_flatview_discard() - free a spliced view that was never settled
 * @fv: the view (one reference, borrowed slots still pending)
 *
 * Only the chunks the splice built are released: O(rebuilt chunks).
 */
void mem_flatview_discard(struct vmm_flatview *fv)
{
	const struct mem_fv_pending *p = fv->pending;

	for (size_t i = 0; p && i < p->n; i++)
		for (size_t s = p->g[i].nc0; s < p->g[i].nc1; s++)
			mem_chunk_unref(fv->slots[s].chunk);
	free_view(fv);
}

/**
 * mem_flatview_settle() - give spliced view @n its own references on borrowed chunks
 * @o: the view @n was spliced from
 * @n: the spliced view
 * @steal: nobody but the caller's address spaces holds @o, and it is about to
 *         be dropped: move its chunk references to @n instead of taking new ones
 *
 * Stealing makes a commit O(rebuilt chunks) in reference counting: @o keeps
 * only the chunks @n replaced (the ones its free must release), which no
 * reader can observe because none holds @o.
 */
void mem_flatview_settle(struct vmm_flatview *o, struct vmm_flatview *n, bool steal)
{
	struct mem_fv_pending *p = n->pending;
	size_t i, s, kept = 0, from = 0;

	if (!p)
		return;
	if (!steal) {	/* reference the borrowed runs between the rebuilt groups */
		for (i = 0; i <= p->n; i++) {
			size_t to = i < p->n ? p->g[i].nc0 : n->nslots;

			for (s = from; s < to; s++)
				atomic_fetch_add(&n->slots[s].chunk->refs, 1);
			from = i < p->n ? p->g[i].nc1 : n->nslots;
		}
	} else {
		for (i = 0; i < p->n; i++)
			for (s = p->g[i].oc0; s < p->g[i].oc1; s++)
				o->slots[kept++] = o->slots[s];
		o->nslots = kept;
	}
	free(p);
	n->pending = NULL;
}

struct vmm_flatview *mem_flatview_empty(void)
{
	return mem_flatview_alloc(NULL);
}

/* Every field equal (flatview_equal's per-range test). */
bool mem_fr_same(const struct vmm_flat_range *x, const struct vmm_flat_range *y)
{
	return x->start == y->start && x->size == y->size && x->mr == y->mr &&
	       x->offset_in_region == y->offset_in_region && x->readonly == y->readonly &&
	       x->nonvolatile == y->nonvolatile && x->romd_mode == y->romd_mode &&
	       x->dirty_log_mask == y->dirty_log_mask;
}

/* Are @a and @b the same rendering (same root, same ranges, same attributes)? */
bool mem_flatview_same(const struct vmm_flatview *a, const struct vmm_flatview *b)
{
	const struct vmm_flat_range *x, *y;
	struct vmm_fv_iter ia, ib;

	if (a->root != b->root || a->nr != b->nr)
		return false;
	vmm_fv_iter_init(&ib, b, 0);
	vmm_flatview_for_each(x, ia, a) {
		y = vmm_fv_iter_next(&ib);
		if (!mem_fr_same(x, y))
			return false;
	}
	return true;
}

void vmm_flatview_ref(struct vmm_flatview *fv)
{
	atomic_fetch_add(&fv->refs, 1);
}

void vmm_flatview_unref(struct vmm_flatview *fv)
{
	if (!fv || atomic_fetch_sub(&fv->refs, 1) != 1)
		return;
	for (size_t s = 0; s < fv->nslots; s++)
		mem_chunk_unref(fv->slots[s].chunk);
	free_view(fv);
}

/**
 * vmm_flatview_range() - range @i of @fv (0 <= @i < fv->nr)
 * @fv: a view the caller holds a reference on
 * @i: index in address order
 *
 * Return: the range; valid while the view is held.
 */
const struct vmm_flat_range *vmm_flatview_range(const struct vmm_flatview *fv, size_t i)
{
	const struct mem_fv_slot *s = &fv->slots[mem_fv_chunk_of(fv, i)];

	return &s->chunk->r[i - s->first];
}

/**
 * vmm_fv_iter_init() - position @it before range @i of @fv
 * @it: iterator
 * @fv: a view the caller holds
 * @i: first range the iterator returns (fv->nr: none)
 */
void vmm_fv_iter_init(struct vmm_fv_iter *it, const struct vmm_flatview *fv, size_t i)
{
	it->fv = fv;
	it->i = i;
	it->c = i < fv->nr ? mem_fv_chunk_of(fv, i) : fv->nslots;
	it->k = i < fv->nr ? i - fv->slots[it->c].first : 0;
}

/**
 * vmm_fv_iter_next() - the range at @it, then advance
 * @it: iterator
 *
 * Return: the range, or NULL past the last one.
 */
const struct vmm_flat_range *vmm_fv_iter_next(struct vmm_fv_iter *it)
{
	const struct mem_fv_chunk *c;

	if (it->c >= it->fv->nslots)
		return NULL;
	c = it->fv->slots[it->c].chunk;
	it->i++;
	if (it->k + 1 < c->nr)
		return &c->r[it->k++];
	it->c++;
	it->k = 0;
	return &c->r[c->nr - 1];
}

/**
 * vmm_flatview_lower_bound() - index of the first range ending after @addr
 * @fv: view
 * @addr: address
 *
 * Return: the index, or fv->nr when every range ends at or below @addr.
 */
size_t vmm_flatview_lower_bound(const struct vmm_flatview *fv, vmm_u128 addr)
{
	size_t lo = 0, hi = fv->nslots, klo, khi;
	const struct mem_fv_chunk *c;

	while (lo < hi) {	/* the first chunk whose last range ends after @addr */
		size_t mid = lo + (hi - lo) / 2;
		const struct vmm_flat_range *r;

		c = fv->slots[mid].chunk;
		r = &c->r[c->nr - 1];
		if (r->start + r->size <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == fv->nslots)
		return fv->nr;
	c = fv->slots[lo].chunk;
	klo = 0;
	khi = c->nr;
	while (klo < khi) {
		size_t mid = klo + (khi - klo) / 2;

		if (c->r[mid].start + c->r[mid].size <= addr)
			klo = mid + 1;
		else
			khi = mid;
	}
	return fv->slots[lo].first + klo;
}

/**
 * vmm_flatview_lookup() - index of the range containing @addr
 * @fv: view
 * @addr: address
 *
 * Return: the index, or -1 when @addr is in a hole.
 */
ssize_t vmm_flatview_lookup(const struct vmm_flatview *fv, vmm_u128 addr)
{
	size_t i = vmm_flatview_lower_bound(fv, addr);

	if (i < fv->nr && vmm_flatview_range(fv, i)->start <= addr)
		return (ssize_t)i;
	return -1;
}
