// SPDX-License-Identifier: MIT
/*
 * The RAM block list of one model, after QEMU 7.2's softmmu/physmem.c: the
 * blocks biggest first (equal sizes in insertion order), found by idstr, and
 * each new block placed in the ram_addr space the way find_ram_offset()
 * places it. QEMU walks every block, and for each every other block, to find
 * the best gap, so creating a block slows as blocks accumulate; here three
 * trees and a list in ram_addr order give the same answers in O(log n):
 * blocks by name, blocks in list order (to link a new one after the last of
 * its size) and the free gaps keyed by (size, list order of the block they
 * follow), where the best fit is the first gap at least as big as the block.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ramlist_priv.h"

#define RB_OF(node, member) \
	((struct rb_int *)((char *)(node) - offsetof(struct rb_int, member)))

static int seq_cmp(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* List order: bigger max_length first, then the earlier insertion. */
static int order_cmp_int(const struct rb_int *a, const struct rb_int *b)
{
	if (a->pub.max_length != b->pub.max_length)
		return a->pub.max_length > b->pub.max_length ? -1 : 1;
	return seq_cmp(a->seq, b->seq);
}

static int order_cmp(const struct rtree_node *a, const struct rtree_node *b)
{
	return order_cmp_int(RB_OF(a, by_order), RB_OF(b, by_order));
}

/* The best fit is the smallest gap; among equal gaps QEMU keeps the first in list order. */
static int gap_cmp(const struct rtree_node *a, const struct rtree_node *b)
{
	const struct rb_int *x = RB_OF(a, by_gap), *y = RB_OF(b, by_gap);

	if (x->gap != y->gap)
		return seq_cmp(x->gap, y->gap);
	return order_cmp_int(x, y);
}

static int name_cmp(const struct rtree_node *a, const struct rtree_node *b)
{
	return strcmp(RB_OF(a, by_name)->pub.idstr, RB_OF(b, by_name)->pub.idstr);
}

struct vmm_ramlist *vmm_ramlist_new(void)
{
	struct vmm_ramlist *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return NULL;
	rl->names.cmp = name_cmp;
	rl->order.cmp = order_cmp;
	rl->gaps.cmp = gap_cmp;
	return rl;
}

struct vmm_ramblock *vmm_ramlist_first(struct vmm_ramlist *rl)
{
	return rl->head;
}

struct vmm_ramblock *vmm_ramlist_find(struct vmm_ramlist *rl, const char *idstr)
{
	struct rb_int probe = { .pub.idstr = (char *)idstr };
	struct rtree_node *n = rtree_find(&rl->names, &probe.by_name);

	return n ? &RB_OF(n, by_name)->pub : NULL;
}

size_t vmm_ramlist_count(const struct vmm_ramlist *rl)
{
	return rl->count;
}

void vmm_ramlist_inject_fault(struct vmm_ramlist *rl, unsigned n, int neg_errno)
{
	rl->fault_errno = neg_errno;
	rl->fault_countdown = neg_errno ? n : 0;
}

/* The injected fault (-errno), if this allocation is the one a test armed it for. */
int ramlist_fault_take(struct vmm_ramlist *rl)
{
	if (!rl->fault_countdown || --rl->fault_countdown)
		return 0;
	return rl->fault_errno;
}

/*
 * The offset a block proposes: its end rounded up to 256 KiB. QEMU skips a
 * block whose end is too close to the top of the ram_addr space to round.
 */
static bool candidate(const struct rb_int *b, uint64_t *cand)
{
	uint64_t end = b->pub.offset + b->pub.max_length;

	if (end > RAM_ADDR_MAX - RAM_OFFSET_ALIGN)
		return false;
	*cand = (end + RAM_OFFSET_ALIGN - 1) & ~(RAM_OFFSET_ALIGN - 1);
	return true;
}

/*
 * Re-key @b's gap after its upper neighbour changed. Offsets are 256 KiB
 * aligned and blocks never overlap, so the first block at or above @b's
 * candidate, which QEMU searches all blocks for, is its neighbour above.
 */
static void gap_update(struct vmm_ramlist *rl, struct rb_int *b)
{
	uint64_t cand;

	if (b->has_gap) {
		rtree_remove(&rl->gaps, &b->by_gap);
		b->has_gap = false;
	}
	if (!candidate(b, &cand))
		return;
	b->gap = (b->higher ? b->higher->pub.offset : RAM_ADDR_MAX) - cand;
	rtree_insert(&rl->gaps, &b->by_gap);
	b->has_gap = true;
}

/*
 * find_ram_offset(): the smallest gap that fits @size, the first in list
 * order among equal ones; 0 for an empty list, and the space below the lowest
 * block is never offered. @after is the block the new one will follow.
 */
int ramlist_place(const struct vmm_ramlist *rl, uint64_t size, uint64_t *offset,
		  struct rb_int **after)
{
	struct rb_int probe = { .gap = size, .pub.max_length = UINT64_MAX, .seq = 0 };
	struct rtree_node *n;

	*after = NULL;
	if (!rl->count) {
		*offset = 0;
		return 0;
	}
	/* The probe sorts before every real block of its gap size: the first fit. */
	n = rtree_ceil(&rl->gaps, &probe.by_gap);
	if (!n)
		return -ENOSPC;
	*after = RB_OF(n, by_gap);
	candidate(*after, offset);
	return 0;
}

/* Put @b, whose offset ramlist_place() gave with @after, into every index. */
void ramlist_link(struct vmm_ramlist *rl, struct rb_int *b, struct rb_int *after)
{
	struct rtree_node *n;
	struct rb_int *prev;

	b->owner = rl;
	b->seq = ++rl->seq;
	b->lower = after;
	b->higher = after ? after->higher : NULL;
	if (b->higher)
		b->higher->lower = b;
	if (after) {
		after->higher = b;
		gap_update(rl, after);
	}
	gap_update(rl, b);
	/* After the last block at least as big: equal sizes keep insertion order. */
	n = rtree_below(&rl->order, &b->by_order);
	prev = n ? RB_OF(n, by_order) : NULL;
	rtree_insert(&rl->order, &b->by_order);
	b->prev = prev;
	b->pub.next = prev ? prev->pub.next : rl->head;
	if (b->pub.next)
		rb_int(b->pub.next)->prev = b;
	if (prev)
		prev->pub.next = &b->pub;
	else
		rl->head = &b->pub;
	rtree_insert(&rl->names, &b->by_name);
	rl->count++;
}

/* Take @b out of every index; the block below it now borders whatever was above. */
void ramlist_unlink(struct vmm_ramlist *rl, struct rb_int *b)
{
	struct vmm_ramblock *next = b->pub.next;

	rtree_remove(&rl->names, &b->by_name);
	rtree_remove(&rl->order, &b->by_order);
	if (b->has_gap) {
		rtree_remove(&rl->gaps, &b->by_gap);
		b->has_gap = false;
	}
	if (b->prev)
		b->prev->pub.next = next;
	else
		rl->head = next;
	if (next)
		rb_int(next)->prev = b->prev;
	if (b->higher)
		b->higher->lower = b->lower;
	if (b->lower) {
		b->lower->higher = b->higher;
		gap_update(rl, b->lower);
	}
	b->owner = NULL;
	b->prev = b->lower = b->higher = NULL;
	b->pub.next = NULL;
	rl->count--;
}
