/* SPDX-License-Identifier: MIT */
/*
 * Flat views: the rendered, simplified, sorted list of ranges an address
 * space resolves to (QEMU's FlatView/FlatRange). A flat view is immutable once
 * published and reference counted, so readers can hold one while the topology
 * changes; address spaces whose flat-view root is the same region share one.
 */
#ifndef VMM_FLATVIEW_H
#define VMM_FLATVIEW_H

#include <stdatomic.h>
#include <sys/types.h>
#include <vmm/memory.h>

/**
 * struct vmm_flat_range - one range of a flat view
 * @start, @size: guest range [start, start+size)
 * @mr: leaf region (holds a reference)
 * @offset_in_region: offset of @start inside @mr
 * @readonly, @nonvolatile, @romd_mode, @dirty_log_mask: effective attributes
 */
struct vmm_flat_range {
	vmm_u128 start;
	vmm_u128 size;
	struct vmm_mr *mr;
	vmm_u128 offset_in_region;
	bool readonly;
	bool nonvolatile;
	bool romd_mode;
	uint8_t dirty_log_mask;
};

struct mem_fv_slot;
struct mem_fv_pending;

/**
 * struct vmm_flatview
 * @root: the flat-view root region (after QEMU's root simplification), or NULL
 *        ("Root memory region: (none)")
 * @nr: number of ranges (sorted, disjoint, simplified); read them with
 *      vmm_flatview_range() or vmm_flatview_for_each()
 * @refs: references (each address space using it holds one)
 * @id: stable number for the filesystem (flatviews/N), unique per model
 * @slots, @nslots, @pending: private to the memory model. The ranges live in
 *      immutable, reference-counted chunks that successive views share, so a
 *      commit that changes a few ranges builds its view by copying the chunk
 *      table and rebuilding only the chunks it touched.
 */
struct vmm_flatview {
	struct vmm_mr *root;
	size_t nr;
	atomic_uint refs;
	uint64_t id;
	struct mem_fv_slot *slots;
	size_t nslots;
	struct mem_fv_pending *pending;
};

/* Current flat view of @as with a reference taken; release with vmm_flatview_unref. */
struct vmm_flatview *vmm_as_get_flatview(struct vmm_as *as);
void vmm_flatview_ref(struct vmm_flatview *fv);
void vmm_flatview_unref(struct vmm_flatview *fv);

/**
 * vmm_flatview_range() - range @i of @fv (0 <= @i < fv->nr)
 * @fv: a view the caller holds a reference on
 * @i: index in address order
 *
 * The pointer stays valid while the view is held. O(log n); walk a whole
 * view with vmm_flatview_for_each() instead.
 *
 * Return: the range (never NULL for a valid index).
 */
const struct vmm_flat_range *vmm_flatview_range(const struct vmm_flatview *fv, size_t i);

/**
 * struct vmm_fv_iter - cursor for walking a flat view in address order
 * @fv: the view
 * @i: index of the range the next vmm_fv_iter_next() returns
 * @c, @k: representation-private position of @i
 */
struct vmm_fv_iter {
	const struct vmm_flatview *fv;
	size_t i;
	size_t c, k;
};

/* Position @it before range @i of @fv (@i may be fv->nr: at the end). */
void vmm_fv_iter_init(struct vmm_fv_iter *it, const struct vmm_flatview *fv, size_t i);
/* The range at @it (then advance), or NULL at the end. O(1). */
const struct vmm_flat_range *vmm_fv_iter_next(struct vmm_fv_iter *it);

/* for (each range @fr of @fv in address order), using caller-declared iterator @it. */
#define vmm_flatview_for_each(fr, it, fv)					\
	for (vmm_fv_iter_init(&(it), (fv), 0); ((fr) = vmm_fv_iter_next(&(it))) != NULL;)

/* Index of the range containing @addr, or -1 (binary search). */
ssize_t vmm_flatview_lookup(const struct vmm_flatview *fv, vmm_u128 addr);
/* Index of the first range ending after @addr (for SEEK_DATA), or fv->nr. */
size_t vmm_flatview_lower_bound(const struct vmm_flatview *fv, vmm_u128 addr);

/*
 * Host address of guest address @addr inside flat range @fr (start <= @addr <
 * start + size), or NULL when its region has no RAM there: the one GPA to
 * host translation for accesses and for the filesystem's ram files.
 */
void *vmm_flat_range_host(const struct vmm_flat_range *fr, vmm_u128 addr);

/* QEMU's memory_region_get_flatview_root(): NULL when it renders to nothing. */
struct vmm_mr *vmm_flatview_root_of(struct vmm_mr *root);

/*
 * Render @root from scratch into a new flat view (refs = 1), exactly as QEMU's
 * generate_memory_topology(): render_memory_region + flatview_simplify.
 * @root is rendered as given (pass vmm_flatview_root_of(as->root) to get what
 * an address space shows; NULL gives an empty view). fv->id is 0: ids are
 * assigned when a commit publishes a view.
 * Used by commit and by tests; returns NULL with errno on allocation failure.
 */
struct vmm_flatview *vmm_flatview_render(struct vmm_mr *root);

#endif
