// SPDX-License-Identifier: MIT
/*
 * RAM block bookkeeping against QEMU 7.2's physmem.c rules: the ram_addr
 * offset is the best-fitting gap after some block's end rounded up to 256 KiB
 * (never below the lowest block once the list is not empty), the list is
 * biggest first with ties in insertion order, sizes are rounded to the host
 * page, idstrs are unique and resize follows qemu_ram_resize().
 */
#include <errno.h>
#include <vmm/ramblock.h>

#include "tap.h"

#define K (1ull << 10)
#define M (1ull << 20)

static struct vmm_ramblock *mk(struct vmm_ramlist *rl, const char *id, uint64_t size,
			       uint64_t max)
{
	struct vmm_ramblock *rb = NULL;
	struct vmm_err err = { 0 };
	int r = vmm_ramblock_new(rl, id, size, max, "anon", &rb, &err);

	if (!ok(r == 0, "create %s (0x%llx)", id, (unsigned long long)size))
		diag("  %d: %s", r, err.msg);
	return rb;
}

static void test_best_fit(void)
{
	struct vmm_ramlist *rl = vmm_ramlist_new();
	struct vmm_ramblock *a, *b, *c, *d, *e, *f, *g, *h;

	a = mk(rl, "a", M, 0);
	b = mk(rl, "b", M, 0);
	c = mk(rl, "c", 4 * K, 0);
	d = mk(rl, "d", 64 * K, 0);
	if (!a || !b || !c || !d)
		goto out;
	is(a->offset, 0, "first block at 0");
	is(b->offset, M, "second block right after the first (1M is 256K aligned)");
	is(c->offset, 2 * M, "third after the second");
	is(d->offset, 2 * M + 256 * K, "fourth at the 4K block's end rounded up to 256K");
	vmm_ramblock_remove(rl, b);
	e = mk(rl, "e", 512 * K, 0);
	is(e ? e->offset : 1, M, "a removed block's hole is reused");
	f = mk(rl, "f", 256 * K, 0);
	is(f ? f->offset : 1, M + 512 * K, "best fit: the 512K hole, not the open end");
	g = mk(rl, "g", 200 * K, 0);
	is(g ? g->offset : 1, M + 768 * K, "best fit: the 256K hole below c");
	vmm_ramblock_remove(rl, a);
	h = mk(rl, "h", 64 * K, 0);
	is(h ? h->offset : 1, 2 * M + 512 * K, "the space below the lowest block is not offered");
out:
	vmm_ramlist_free(rl);
}

static void test_order_and_names(void)
{
	struct vmm_ramlist *rl = vmm_ramlist_new();
	const char *want[] = { "big", "mid1", "mid2", "mid3", "small" };
	struct vmm_ramblock *rb;
	struct vmm_err err = { 0 };
	unsigned i = 0;
	bool order = true;

	mk(rl, "mid1", 64 * K, 0);
	mk(rl, "small", 1, 0);
	mk(rl, "mid2", 64 * K, 0);
	mk(rl, "big", 8 * M, 0);
	mk(rl, "mid3", 60 * K + 1, 0);
	for (rb = vmm_ramlist_first(rl); rb; rb = rb->next, i++)
		if (i >= 5 || strcmp(rb->idstr, want[i]))
			order = false;
	ok(order && i == 5, "list is biggest first, equal sizes in insertion order");
	is(vmm_ramlist_count(rl), 5, "count");
	rb = vmm_ramlist_find(rl, "small");
	is(rb ? rb->used_length : 0, 4 * K, "1 byte rounds up to one page");
	rb = vmm_ramlist_find(rl, "mid3");
	is(rb ? rb->max_length : 0, 64 * K, "60K+1 rounds up to 64K");
	is(vmm_ramblock_new(rl, "mid1", 4 * K, 0, "anon", NULL, &err), -EEXIST,
	   "duplicate idstr is EEXIST");
	ok(err.msg[0] != 0, "with a reason: %s", err.msg);
	is(vmm_ramblock_new(rl, "zero", 0, 0, "anon", NULL, NULL), -EINVAL, "size 0 is EINVAL");
	is(vmm_ramblock_new(rl, "x", 4 * K, 0, "tmpfs", NULL, NULL), -EINVAL,
	   "unknown backend is EINVAL");
	is(vmm_ramblock_new(rl, "x", 8 * K, 4 * K, "anon", NULL, NULL), -EINVAL,
	   "max below size is EINVAL");
	is(vmm_ramlist_count(rl), 5, "failed creations leave the list alone");
	vmm_ramlist_free(rl);
}

static void test_resize(void)
{
	struct vmm_ramlist *rl = vmm_ramlist_new();
	struct vmm_ramblock *r1 = mk(rl, "rs", M, 4 * M), *r2 = mk(rl, "fixed", M, 0);
	struct vmm_err err = { 0 };

	if (!r1 || !r2)
		goto out;
	ok(r1->flags & VMM_RB_RESIZEABLE, "max given: resizeable");
	is(r1->used_length, M, "used_length is the size");
	is(r1->max_length, 4 * M, "max_length is the reservation");
	is(r2->offset, 4 * M, "offset allocation uses max_length");
	is(vmm_ramblock_resize(r1, 3 * M - 5, &err), 0, "grow within max");
	is(r1->used_length, 3 * M, "new used_length, page rounded");
	is(vmm_ramblock_resize(r1, 4 * M + 1, &err), -EINVAL, "beyond max is EINVAL");
	is(r1->used_length, 3 * M, "unchanged after failure");
	is(vmm_ramblock_resize(r1, 4 * K, &err), 0, "shrink");
	is(vmm_ramblock_resize(r2, M - 100, &err), 0, "same rounded size is fine when fixed");
	is(vmm_ramblock_resize(r2, 2 * M, &err), -EINVAL, "fixed block cannot change");
	is(vmm_ramblock_resize(r1, 0, &err), -EINVAL, "size 0 is EINVAL");
out:
	vmm_ramlist_free(rl);
}

static void test_fault(void)
{
	struct vmm_ramlist *rl = vmm_ramlist_new();

	vmm_ramlist_inject_fault(rl, 2, -ENOMEM);
	is(vmm_ramblock_new(rl, "f1", 4 * K, 0, "anon", NULL, NULL), 0, "first allocation fine");
	is(vmm_ramblock_new(rl, "f2", 4 * K, 0, "anon", NULL, NULL), -ENOMEM,
	   "second allocation fails as injected");
	is(vmm_ramblock_new(rl, "f2", 4 * K, 0, "anon", NULL, NULL), 0, "fault fires once");
	is(vmm_ramlist_count(rl), 2, "failed block not listed");
	vmm_ramlist_free(rl);
}

int main(void)
{
	test_best_fit();
	test_order_and_names();
	test_resize();
	test_fault();
	return done_testing();
}
