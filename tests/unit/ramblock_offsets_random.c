// SPDX-License-Identifier: MIT
/*
 * RAM block placement and list order against a naive reference written here,
 * QEMU 7.2's find_ram_offset() walk as it is (every block proposes its end
 * rounded up to 256 KiB, the gap to the nearest block at or above it is
 * measured by walking all blocks, the smallest fitting gap wins and the first
 * in list order wins ties) and its biggest-first list insertion: thousands of
 * random sequences of creations, removals, resizes and creations failed by an
 * injected fault, with sizes that make equal gaps common, must give every
 * block the reference's offset and leave the list in the reference's order.
 * RAMBLOCK_SEED=N replays one seed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ramblock.h>

#include "tap.h"

#define K		(1ull << 10)
#define M		(1ull << 20)
#define ALIGN		(256 * K)
#define MAX_BLOCKS	512
#define SEQUENCES	2000

struct ref {
	char name[16];
	uint64_t offset, max_length;
	struct vmm_ramblock *rb;
};

/* The reference list, in list order. */
static struct ref refs[MAX_BLOCKS];
static unsigned nrefs;

struct tally {
	unsigned long creates, placed_wrong, order_wrong, lookups_wrong, fails, resizes;
	char first[200];
};

/* find_ram_offset() as QEMU writes it: O(n^2), obviously right. */
static uint64_t ref_offset(uint64_t size, bool *none)
{
	uint64_t offset = UINT64_MAX, mingap = UINT64_MAX;

	*none = false;
	if (!nrefs)
		return 0;
	for (unsigned i = 0; i < nrefs; i++) {
		uint64_t cand, next = UINT64_MAX, end = refs[i].offset + refs[i].max_length;

		if (end > UINT64_MAX - ALIGN)
			continue;
		cand = (end + ALIGN - 1) / ALIGN * ALIGN;
		for (unsigned j = 0; j < nrefs; j++)
			if (refs[j].offset >= cand && refs[j].offset < next)
				next = refs[j].offset;
		if (next - cand >= size && next - cand < mingap) {
			offset = cand;
			mingap = next - cand;
		}
	}
	*none = offset == UINT64_MAX;
	return offset;
}

/* Insert before the first strictly smaller block. */
static void ref_insert(const struct ref *r)
{
	unsigned i = 0;

	while (i < nrefs && refs[i].max_length >= r->max_length)
		i++;
	memmove(&refs[i + 1], &refs[i], (nrefs - i) * sizeof(refs[0]));
	refs[i] = *r;
	nrefs++;
}

static void ref_remove(unsigned i)
{
	memmove(&refs[i], &refs[i + 1], (nrefs - i - 1) * sizeof(refs[0]));
	nrefs--;
}

static void note(struct tally *t, unsigned long *counter, const char *what, unsigned seed)
{
	if (!t->first[0])
		snprintf(t->first, sizeof(t->first), "%s (seed %u)", what, seed);
	(*counter)++;
}

/* Sizes that collide: 256 KiB multiples leave equal gaps, odd pages leave slack. */
static uint64_t random_size(void)
{
	static const uint64_t sizes[] = { 4 * K, 8 * K, 64 * K, 200 * K, 256 * K, 260 * K,
					  512 * K, M, 3 * M };

	if (rand() % 4 == 0)
		return (uint64_t)(1 + rand() % 512) * 4 * K;
	return sizes[rand() % (sizeof(sizes) / sizeof(sizes[0]))];
}

static void check_list(struct vmm_ramlist *rl, struct tally *t, unsigned seed)
{
	struct vmm_ramblock *rb = vmm_ramlist_first(rl);
	unsigned i;

	for (i = 0; i < nrefs && rb; i++, rb = rb->next)
		if (rb != refs[i].rb)
			break;
	if (i != nrefs || rb || vmm_ramlist_count(rl) != nrefs)
		note(t, &t->order_wrong, "list order differs", seed);
	for (i = 0; i < nrefs; i++)
		if (vmm_ramlist_find(rl, refs[i].name) != refs[i].rb)
			note(t, &t->lookups_wrong, "a block is not found by name", seed);
}

static void do_create(struct vmm_ramlist *rl, struct tally *t, unsigned seed, unsigned *id,
		      bool fault)
{
	struct vmm_ramblock *rb = NULL;
	uint64_t size = random_size(), max = 0, want;
	struct ref r = { 0 };
	bool none;
	int rc;

	if (rand() % 5 == 0)
		max = size + random_size();
	snprintf(r.name, sizeof(r.name), "b%u", (*id)++);
	if (fault)
		vmm_ramlist_inject_fault(rl, 1, -ENOMEM);
	rc = vmm_ramblock_new(rl, r.name, size, max, "anon", &rb, NULL);
	vmm_ramlist_inject_fault(rl, 0, 0);
	r.max_length = max ? max : size;
	want = ref_offset(r.max_length, &none);
	if (fault) {
		t->fails++;
		if (rc != -ENOMEM)
			note(t, &t->placed_wrong, "an injected fault did not fail creation", seed);
		return;
	}
	t->creates++;
	if (rc || none || rb->offset != want || rb->max_length != r.max_length) {
		note(t, &t->placed_wrong, "a block is placed elsewhere than the reference", seed);
		if (rc)
			return;
	}
	r.offset = rb->offset;
	r.rb = rb;
	ref_insert(&r);
}

static void do_resize(struct tally *t, unsigned seed)
{
	struct vmm_ramblock *rb = refs[rand() % nrefs].rb;
	uint64_t n = 4 * K * (uint64_t)(1 + rand() % (int)(rb->max_length / (4 * K)));
	int rc = vmm_ramblock_resize(rb, n, NULL);

	t->resizes++;
	if ((rb->flags & VMM_RB_RESIZEABLE) || n == rb->used_length) {
		if (rc || rb->used_length != n)
			note(t, &t->placed_wrong, "resize within max_length failed", seed);
	} else if (rc != -EINVAL) {
		note(t, &t->placed_wrong, "a fixed block was resized", seed);
	}
}

/* One sequence of @ops random operations, growing towards about @target blocks. */
static void sequence(unsigned seed, unsigned ops, unsigned target, struct tally *t)
{
	struct vmm_ramlist *rl = vmm_ramlist_new();
	unsigned id = 0;

	srand(seed);
	nrefs = 0;
	for (unsigned i = 0; i < ops; i++) {
		int p = rand() % 100;
		bool grow = nrefs < target ? p < 60 : p < 35;

		if (!nrefs || (grow && nrefs < MAX_BLOCKS)) {
			do_create(rl, t, seed, &id, rand() % 20 == 0);
		} else if (p < 85) {
			unsigned k = (unsigned)rand() % nrefs;

			vmm_ramblock_remove(rl, refs[k].rb);
			ref_remove(k);
		} else {
			do_resize(t, seed);
		}
		check_list(rl, t, seed);
	}
	vmm_ramlist_free(rl);
}

int main(void)
{
	const char *env = getenv("RAMBLOCK_SEED");
	struct tally t = { 0 };

	if (env) {
		sequence((unsigned)strtoul(env, NULL, 0), 200, 40, &t);
	} else {
		for (unsigned s = 1; s <= SEQUENCES; s++)
			sequence(s, 30 + s % 70, 2 + s % 40, &t);
		/* Deeper trees: one long sequence up to a few hundred blocks. */
		sequence(SEQUENCES + 1, 1500, 400, &t);
	}
	diag("%lu creations, %lu injected failures, %lu resizes", t.creates, t.fails, t.resizes);
	if (t.first[0])
		diag("first difference: %s", t.first);
	ok(env ? t.creates > 0 : t.creates > 1000 && t.fails > 50,
	   "the sequences create blocks and inject faults");
	is(t.placed_wrong, 0, "every block gets the reference's offset; faults and resizes agree");
	is(t.order_wrong, 0, "after every operation the list is in the reference's order");
	is(t.lookups_wrong, 0, "after every operation every block is found by its name");
	return done_testing();
}
