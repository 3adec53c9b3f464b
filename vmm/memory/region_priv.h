/* SPDX-License-Identifier: MIT */
/*
 * A region as the memory model keeps it, the ground floor every memory file
 * stands on: each region is allocated as a struct mr_int so the model can
 * keep its bookkeeping (registry hash chain, cycle-search mark, children
 * index, reverse alias links, priority groups) beside the public struct
 * vmm_mr. Also the names of a region's editable attributes and the size
 * formatting used in reasons.
 */
#ifndef VMM_MEMORY_REGION_PRIV_H
#define VMM_MEMORY_REGION_PRIV_H

#include <stdio.h>
#include <vmm/memory.h>

struct mr_int {
	struct vmm_mr pub;
	struct mr_int *hnext;	/* registry hash chain */
	uint64_t mark;		/* cycle-search epoch */
	bool dead;		/* deleted in the open transaction (graveyard) */

	/* children index (region_index.c): a treap keyed by (addr, pointer) */
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

/* The attributes an edit can change (and an undo record restore). */
enum mr_field {
	F_ENABLED, F_READONLY, F_NONVOLATILE, F_ROMD, F_LOG, F_PRIO, F_ADDR,
	F_ALIAS_OFFSET, F_SIZE, F_ALIAS,
};

void mem_region_destroy(struct vmm_mr *mr);
int mem_region_check_live(struct vmm_mr *mr, struct vmm_err *err);

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
