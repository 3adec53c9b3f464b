/* SPDX-License-Identifier: MIT */
/*
 * What ramblock.c (a block: its backend and host mapping) and ramlist.c (the
 * list of one model: order, names, ram_addr placement) share: the block as
 * the list indexes it, and the list itself.
 */
#ifndef RAMLIST_PRIV_H
#define RAMLIST_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <vmm/ramblock.h>

#include "ram_tree_priv.h"

/* QEMU aligns ram_addr offsets to one long of dirty bitmap: 64 pages of 4 KiB. */
#define RAM_OFFSET_ALIGN	(64ull << 12)
#define RAM_ADDR_MAX		UINT64_MAX

/* A block with the list's bookkeeping; pub comes first, so the two pointers are one. */
struct rb_int {
	struct vmm_ramblock pub;
	struct vmm_ramlist *owner;	/* the list it is in, NULL once removed */
	struct rb_int *prev;		/* before it in list order (pub.next is after) */
	struct rb_int *lower, *higher;	/* its neighbours in ram_addr order */
	uint64_t seq;			/* insertion number: list order among equal sizes */
	uint64_t gap;			/* bytes from its candidate offset to @higher */
	bool has_gap;			/* in the gap index (its end leaves room to round up) */
	struct rtree_node by_name, by_order, by_gap;
};

static inline struct rb_int *rb_int(struct vmm_ramblock *rb)
{
	return (struct rb_int *)rb;
}

struct vmm_ramlist {
	struct vmm_ramblock *head;	/* list order: max_length descending */
	size_t count;
	uint64_t seq;			/* last insertion number given */
	struct rtree names;		/* by idstr */
	struct rtree order;		/* by (max_length descending, seq) = list order */
	struct rtree gaps;		/* by (gap, list order): where a new block goes */
	/* fault injection: the fault_countdown-th next allocation fails with fault_errno */
	unsigned fault_countdown;
	int fault_errno;
};

int ramlist_fault_take(struct vmm_ramlist *rl);
int ramlist_place(const struct vmm_ramlist *rl, uint64_t size, uint64_t *offset,
		  struct rb_int **after);
void ramlist_link(struct vmm_ramlist *rl, struct rb_int *b, struct rb_int *after);
void ramlist_unlink(struct vmm_ramlist *rl, struct rb_int *b);

#endif
