/* SPDX-License-Identifier: MIT */
/*
 * Private state of the memory model shared by memory.c (regions and the
 * registry), mem-topo.c (topology edits), mem-txn.c (transactions, undo log,
 * listeners), flatview.c (rendering) and access.c. Every region is allocated
 * as a struct mr_int so the model can keep its bookkeeping (hash chain, the
 * mark used by the cycle search) beside the public struct vmm_mr.
 */
#ifndef VMM_MEMORY_INTERNAL_H
#define VMM_MEMORY_INTERNAL_H

#include <stdio.h>
#include <pthread.h>
#include <vmm/flatview.h>
#include <vmm/memory.h>

struct mr_int {
	struct vmm_mr pub;
	struct mr_int *hnext;	/* registry hash chain */
	uint64_t mark;		/* cycle-search epoch */
	bool dead;		/* deleted in the open transaction (graveyard) */

	/* children index (mem-index.c): a treap keyed by (addr, pointer) */
	struct mr_int *ix_l, *ix_r;	/* as a child: its subtree in the parent's index */
	uint32_t ix_pri;		/* heap priority */
	vmm_u128 ix_max;		/* largest end (addr + size) in the subtree */
	struct mr_int *ix_root;		/* as a parent: root of its children's index */
	size_t nr_children;
	uint64_t link_seq;		/* newer links sort first among equal priorities */

	/* reverse alias links: aliases whose target is this region */
	struct mr_int *alias_head, *alias_next, *alias_prev;

	/*
	 * as a parent: its children's priority groups, highest priority first
	 * (the sibling list is sorted by priority), and its last child, so a
	 * link finds QEMU's insertion point in O(distinct priorities), not
	 * O(siblings); the array never shrinks, so an undo relink cannot fail
	 */
	struct mem_prio_group *pg;
	size_t npg, pg_cap;
	struct vmm_mr *tail;
};

struct mem_prio_group {
	int prio;
	size_t n;		/* children with this priority */
	struct vmm_mr *head;	/* the first of them in the sibling list */
};

static inline struct mr_int *mr_int(const struct vmm_mr *mr)
{
	return (struct mr_int *)mr;
}

/* One primitive mutation; undo replays the inverse. */
enum undo_op {
	U_CREATE,	/* region created: inverse destroys it */
	U_DELETE,	/* region moved to the graveyard: inverse revives it */
	U_LINK,		/* region linked into a container: inverse unlinks (@old: link_seq) */
	U_UNLINK,	/* region unlinked: inverse relinks at the same place */
	U_FIELD,	/* an attribute changed: inverse restores @old */
	U_AS_NEW,	/* address space created */
	U_AS_DEL,	/* address space unlinked */
};

enum mr_field {
	F_ENABLED, F_READONLY, F_NONVOLATILE, F_ROMD, F_LOG, F_PRIO, F_ADDR,
	F_ALIAS_OFFSET, F_SIZE, F_ALIAS,
};

struct undo_rec {
	enum undo_op op;
	enum mr_field field;
	struct vmm_mr *mr;
	struct vmm_as *as;
	struct vmm_mr *parent, *sib_prev;	/* U_UNLINK */
	struct vmm_as *as_prev;			/* U_AS_DEL */
	vmm_u128 old;
	struct vmm_mr *old_ptr;
};

/*
 * A dirty window: [lo, hi) in the coordinates of flat-view root @root, where
 * the rendering may have changed in the open transaction (mem-dirty.c).
 */
struct mem_win {
	struct vmm_mr *root;
	vmm_u128 lo, hi;
};

struct mem_dirty {
	struct mem_win *w;
	size_t nr, cap;
	bool full;		/* a structural change: render every view from scratch */
	struct vmm_mr **roots;	/* scratch: flat-view roots before a primitive */
	size_t nroots, roots_cap;
};

struct vmm_memory {
	struct mr_int **htab;
	size_t hsize;
	size_t nr_regions;
	struct vmm_mr *all_head, *all_tail;
	struct vmm_as *as_head;
	struct vmm_listener *listeners;	/* registration order */

	unsigned depth;
	struct undo_rec *log;
	size_t log_nr, log_cap;
	size_t *marks;		/* log position at each open begin */
	size_t marks_cap;
	bool in_commit;

	uint64_t generation;
	uint64_t next_seq;
	uint64_t next_fv_id;
	uint64_t epoch;
	pthread_mutex_t view_lock;	/* guards every as->current swap */

	uint64_t next_link_seq;
	struct mem_dirty dirty;		/* windows the open transaction touched */
	enum vmm_render_mode render_mode;
	struct vmm_render_stats stats;

	struct vmm_ramlist *rl;
	bool own_rl;
	vmm_device_factory factory;
	void *factory_ctx;
};

/* memory.c */
void mem_region_unlink_registry(struct vmm_memory *m, struct vmm_mr *mr);
void mem_region_relink_registry(struct vmm_memory *m, struct vmm_mr *mr);
void mem_region_destroy(struct vmm_mr *mr);
void mem_region_release_rb(struct vmm_memory *m, struct vmm_mr *mr);
void mem_as_free(struct vmm_as *as);

/* mem-topo.c */
int mem_link_reserve(struct vmm_mr *parent);
void mem_link(struct vmm_mr *mr, struct vmm_mr *parent, struct vmm_mr *after);
void mem_unlink(struct vmm_mr *mr);
void mem_field_apply(struct vmm_mr *mr, enum mr_field f, vmm_u128 v, struct vmm_mr *ptr);
vmm_u128 mem_field_get(const struct vmm_mr *mr, enum mr_field f, struct vmm_mr **ptr);

/* mem-txn.c */
int mem_log_push(struct vmm_memory *m, const struct undo_rec *r);
void mem_txn_enter(struct vmm_memory *m);
int mem_txn_leave(struct vmm_memory *m, int r, struct vmm_err *err);
void mem_publish(struct vmm_as *as, struct vmm_flatview *fv);

/* mem-index.c */
void mem_index_insert(struct vmm_mr *parent, struct vmm_mr *mr);
void mem_index_remove(struct vmm_mr *parent, struct vmm_mr *mr);
void mem_set_geometry(struct vmm_mr *mr, enum mr_field f, vmm_u128 v);
size_t mem_index_query(struct vmm_mr *parent, vmm_u128 lo, vmm_u128 hi,
		       struct vmm_mr ***buf, size_t *cap);
void mem_sort_list_order(struct vmm_mr **v, size_t n);
void mem_alias_attach(struct vmm_mr *alias, struct vmm_mr *target);
void mem_alias_detach(struct vmm_mr *alias);

/* mem-dirty.c */
void mem_dirty_before(struct vmm_memory *m, struct vmm_mr *mr);
void mem_dirty_after(struct vmm_memory *m, struct vmm_mr *mr);
void mem_dirty_structural(struct vmm_memory *m);
void mem_dirty_reset(struct vmm_memory *m);
size_t mem_dirty_windows(struct vmm_memory *m, struct vmm_mr *root, struct mem_win **out);

/* flatview.c */
struct vmm_flatview *mem_flatview_empty(void);
bool mem_flatview_same(const struct vmm_flatview *a, const struct vmm_flatview *b);
int mem_render_ranges(struct vmm_mr *root, vmm_u128 lo, vmm_u128 hi,
		      struct vmm_flat_range **out, size_t *nr);
bool mem_fr_can_merge(const struct vmm_flat_range *a, const struct vmm_flat_range *b);
bool mem_fr_same(const struct vmm_flat_range *x, const struct vmm_flat_range *y);

/* flatview-store.c: the chunked, copy-on-write range store */
#define FV_CHUNK_MAX	64	/* ranges a chunk holds at most */
#define FV_CHUNK_MIN	16	/* a rebuilt chunk smaller than this absorbs a neighbour */

/* Immutable once shared; holds one reference on each range's region. */
struct vmm_fv_chunk {
	atomic_uint refs;
	unsigned nr;
	struct vmm_flat_range r[];
};

struct vmm_fv_slot {
	struct vmm_fv_chunk *chunk;
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

struct vmm_fv_chunk *mem_chunk_new(const struct vmm_flat_range *r, size_t n);
void mem_chunk_unref(struct vmm_fv_chunk *c);
struct vmm_flatview *mem_flatview_alloc(struct vmm_mr *root);
int mem_fv_push_slot(struct vmm_flatview *fv, struct vmm_fv_chunk *c, size_t *cap);
int mem_fv_push_ranges(struct vmm_flatview *fv, size_t *cap, const struct vmm_flat_range *r,
		       size_t n);
size_t mem_fv_chunk_of(const struct vmm_flatview *fv, size_t i);
void mem_flatview_discard(struct vmm_flatview *fv);
void mem_flatview_settle(struct vmm_flatview *o, struct vmm_flatview *n, bool steal);

/* flatview-splice.c */
struct vmm_flatview *mem_flatview_splice(const struct vmm_flatview *old,
					 const struct mem_win *w, size_t nw);
struct mem_span {
	size_t o0, o1;	/* old ranges [o0, o1) */
	size_t n0, n1;	/* new ranges [n0, n1) */
};
int mem_plan_incremental(struct vmm_memory *m, struct vmm_as *as, struct vmm_mr *root,
			 struct vmm_flatview **nv, struct mem_span **spans, size_t *nspans,
			 bool *borrow);
size_t mem_flatview_spans(const struct vmm_flatview *o, const struct vmm_flatview *n,
			  const struct mem_win *w, size_t nw, struct mem_span *out);

/*
 * A size for a reason in words: "0x%llx", but 2^64 (a whole address space)
 * spelled out rather than as its low 64 bits. Use as mem_hex(v).s inside one
 * full expression (the temporary lives until its end).
 */
struct mem_hexbuf {
	char s[24];
};

static inline struct mem_hexbuf mem_hex(vmm_u128 v)
{
	struct mem_hexbuf b;

	if (v >= VMM_U64_LIMIT)
		snprintf(b.s, sizeof(b.s), "0x10000000000000000");
	else
		snprintf(b.s, sizeof(b.s), "0x%llx", (unsigned long long)v);
	return b;
}

#endif
