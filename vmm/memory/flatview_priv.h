/* SPDX-License-Identifier: MIT */
/*
 * The chunked, copy-on-write range store of flat views (flatview.c):
 * the representation behind struct vmm_flatview's slots, shared by the full
 * renderer and the splicer.
 */
#ifndef VMM_MEMORY_FLATVIEW_PRIV_H
#define VMM_MEMORY_FLATVIEW_PRIV_H

#include <vmm/flatview.h>

#define FV_CHUNK_MAX	64	/* ranges a chunk holds at most */
#define FV_CHUNK_MIN	16	/* a rebuilt chunk smaller than this absorbs a neighbour */

/* Immutable once shared; holds one reference on each range's region. */
struct mem_fv_chunk {
	atomic_uint refs;
	unsigned nr;
	struct vmm_flat_range r[];
};

struct mem_fv_slot {
	struct mem_fv_chunk *chunk;
	size_t first;		/* view index of the chunk's first range */
};

/* One rebuilt run of a spliced view: old chunks [oc0, oc1) became new slots [nc0, nc1). */
struct mem_fv_group {
	size_t oc0, oc1, nc0, nc1;
};

/* A spliced view's slots outside its groups borrow @old's chunk references. */
struct mem_fv_pending {
	size_t n;
	struct mem_fv_group g[];
};

struct mem_fv_chunk *mem_chunk_new(const struct vmm_flat_range *r, size_t n);
void mem_chunk_unref(struct mem_fv_chunk *c);
struct vmm_flatview *mem_flatview_alloc(struct vmm_mr *root);
struct vmm_flatview *mem_flatview_empty(void);
int mem_fv_push_slot(struct vmm_flatview *fv, struct mem_fv_chunk *c, size_t *cap);
int mem_fv_push_ranges(struct vmm_flatview *fv, size_t *cap, const struct vmm_flat_range *r,
		       size_t n);
size_t mem_fv_chunk_of(const struct vmm_flatview *fv, size_t i);
void mem_flatview_discard(struct vmm_flatview *fv);
void mem_flatview_settle(struct vmm_flatview *o, struct vmm_flatview *n, bool steal);
bool mem_fr_same(const struct vmm_flat_range *x, const struct vmm_flat_range *y);
bool mem_flatview_same(const struct vmm_flatview *a, const struct vmm_flatview *b);

#endif
