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

#include <pthread.h>
#include <vmm/flatview.h>
#include <vmm/memory.h>

struct mr_int {
	struct vmm_mr pub;
	struct mr_int *hnext;	/* registry hash chain */
	uint64_t mark;		/* cycle-search epoch */
	bool dead;		/* deleted in the open transaction (graveyard) */
};

static inline struct mr_int *mr_int(const struct vmm_mr *mr)
{
	return (struct mr_int *)mr;
}

/* One primitive mutation; undo replays the inverse. */
enum undo_op {
	U_CREATE,	/* region created: inverse destroys it */
	U_DELETE,	/* region moved to the graveyard: inverse revives it */
	U_LINK,		/* region linked into a container: inverse unlinks */
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
void mem_link(struct vmm_mr *mr, struct vmm_mr *parent, struct vmm_mr *after);
void mem_unlink(struct vmm_mr *mr);
void mem_field_apply(struct vmm_mr *mr, enum mr_field f, vmm_u128 v, struct vmm_mr *ptr);
vmm_u128 mem_field_get(const struct vmm_mr *mr, enum mr_field f, struct vmm_mr **ptr);

/* mem-txn.c */
int mem_log_push(struct vmm_memory *m, const struct undo_rec *r);
void mem_txn_enter(struct vmm_memory *m);
int mem_txn_leave(struct vmm_memory *m, int r, struct vmm_err *err);
void mem_publish(struct vmm_as *as, struct vmm_flatview *fv);

/* flatview.c */
struct vmm_flatview *mem_flatview_empty(void);
bool mem_flatview_same(const struct vmm_flatview *a, const struct vmm_flatview *b);

#endif
