// SPDX-License-Identifier: MIT
/*
 * Incremental commits against the chunked range store (vmm/memory/flatview.c):
 * edits of the ranges on either side of every chunk boundary, ranges that
 * merge or split across a boundary, a chunk that grows past its maximum (it
 * must split), mass deletions (chunks must merge back), and many edits in one
 * transaction. The model runs in VMM_RENDER_CHECK mode, so every incremental
 * view is also compared with a full render by the model itself; the test
 * compares the view with a full render of its own too, and checks the store's
 * invariants (chunk sizes, the cumulative index, lookups) after every commit.
 */
#include <stdlib.h>
#include <string.h>

#include "../../vmm/memory/flatview_priv.h"
#include "mem_util.h"

#define N	1000		/* io regions, 4 KiB every 8 KiB, over a RAM background */
#define BASE	0x100000ull
#define STEP	0x2000ull

static struct vmm_memory *m;
static struct vmm_mr *sys, *bg, *io[N];
static struct vmm_as *as;
static unsigned bad_views, commits;

/* The store's invariants, and the view equal to a from-scratch render. */
static bool view_sound(const char *what)
{
	struct vmm_flatview *fv = vmm_as_get_flatview(as);
	char *got = fv_text(fv), *want = render_text(sys);
	size_t s, total = 0;
	bool good = got && want && !strcmp(got, want);

	for (s = 0; s < fv->nslots && good; s++) {
		const struct mem_fv_chunk *c = fv->slots[s].chunk;

		good = c->nr >= 1 && c->nr <= FV_CHUNK_MAX && fv->slots[s].first == total;
		total += c->nr;
	}
	good = good && total == fv->nr;
	for (s = 0; s < fv->nr && good; s += 7) {
		const struct vmm_flat_range *r = vmm_flatview_range(fv, s);

		good = vmm_flatview_lookup(fv, r->start + r->size - 1) == (ssize_t)s &&
		       vmm_flatview_lower_bound(fv, r->start) == s;
	}
	if (!good) {
		diag("%s: view of %zu ranges in %zu chunks is not sound", what, fv->nr,
		     fv->nslots);
		if (got && want && strcmp(got, want))
			tap_show_diff(got, want);
		bad_views++;
	}
	free(got);
	free(want);
	vmm_flatview_unref(fv);
	return good;
}

static void checked(int r, const char *what)
{
	commits++;
	if (r)
		ok(0, "%s failed (%d)", what, r);
	view_sound(what);
}

/* Chunk @s's first range index in the current view. */
static size_t boundary(size_t s)
{
	struct vmm_flatview *fv = vmm_as_get_flatview(as);
	size_t f = s < fv->nslots ? fv->slots[s].first : fv->nr;

	vmm_flatview_unref(fv);
	return f;
}

static size_t nslots_now(void)
{
	struct vmm_flatview *fv = vmm_as_get_flatview(as);
	size_t n = fv->nslots;

	vmm_flatview_unref(fv);
	return n;
}

/* io region shown by view range @i (ranges alternate background / io). */
static struct vmm_mr *io_at(size_t i)
{
	struct vmm_flatview *fv = vmm_as_get_flatview(as);
	struct vmm_mr *mr = i < fv->nr ? vmm_flatview_range(fv, i)->mr : NULL;

	vmm_flatview_unref(fv);
	return mr && mr != bg ? mr : NULL;
}

static void build(void)
{
	struct vmm_err err = { 0 };
	char id[32];

	m = vmm_memory_new();
	vmm_memory_set_render_mode(m, VMM_RENDER_CHECK);
	vmm_memory_begin(m);
	sys = mk_container(m, "sys", SZ(0x100000000ull));
	bg = mk_ram(m, VMM_MR_RAM, "bg", SZ(0x1000000));
	do_map(bg, sys, 0, -1);
	for (unsigned i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "io%u", i);
		io[i] = mk_io(m, id, SZ(0x1000));
		do_map(io[i], sys, BASE + i * STEP, 0);
	}
	vmm_as_new(m, "memory", sys, &as, &err);
	checked(vmm_memory_commit(m, &err), "build");
}

/* Disable and re-enable the io ranges on both sides of every chunk boundary. */
static void boundary_toggles(void)
{
	struct vmm_err err = { 0 };
	size_t s, k, n = nslots_now();
	unsigned edits = 0;

	for (s = 1; s < n; s++) {
		size_t f = boundary(s);

		for (k = f > 2 ? f - 2 : 0; k <= f + 1; k++) {
			struct vmm_mr *mr = io_at(k);

			if (!mr)
				continue;
			checked(vmm_mr_set_enabled(mr, false, &err), "disable at a boundary");
			checked(vmm_mr_set_enabled(mr, true, &err), "enable at a boundary");
			edits += 2;
		}
	}
	ok(edits >= 2 * (n - 1), "%u toggles of ranges next to %zu chunk boundaries", edits,
	   n - 1);
}

/* Two background pieces on either side of a boundary merge when the io between goes. */
static void merge_across(void)
{
	struct vmm_err err = { 0 };
	size_t f = boundary(1);
	struct vmm_mr *mr = io_at(f) ? io_at(f) : io_at(f - 1);
	struct vmm_flatview *before = vmm_as_get_flatview(as), *after;

	checked(vmm_mr_unmap(mr, &err), "unmap across a boundary");
	after = vmm_as_get_flatview(as);
	is(after->nr, before->nr - 2, "the io range and one background piece are gone: merged "
	   "across the chunk boundary");
	vmm_flatview_unref(after);
	checked(vmm_mr_map(mr, sys, mr->addr, 0, &err), "map back across a boundary");
	after = vmm_as_get_flatview(as);
	is(after->nr, before->nr, "split again");
	vmm_flatview_unref(after);
	vmm_flatview_unref(before);
}

/* 300 small regions inside one chunk's addresses: it must split, staying <= max. */
static struct vmm_mr *small[300];

static void grow_one_chunk(void)
{
	struct vmm_err err = { 0 };
	size_t before = nslots_now();
	char id[32];

	for (unsigned i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "small%u", i);
		small[i] = mk_io(m, id, SZ(0x10));
		checked(vmm_mr_map(small[i], sys, BASE + 40 * STEP + 0x1000 + i * 0x20, 1, &err),
			"map into one chunk");
	}
	ok(nslots_now() >= before + 2, "the grown chunk split (%zu -> %zu chunks)", before,
	   nslots_now());
}

/* Remove them and most io regions again: chunks must merge back. */
static void shrink(void)
{
	struct vmm_err err = { 0 };
	struct vmm_flatview *fv;

	for (unsigned i = 0; i < 300; i++)
		checked(vmm_mr_unmap(small[i], &err), "unmap from one chunk");
	for (unsigned i = 0; i < N; i++)
		if (i % 16)
			checked(vmm_mr_unmap(io[i], &err), "unmap most io");
	fv = vmm_as_get_flatview(as);
	ok(fv->nslots <= fv->nr / FV_CHUNK_MIN + 2, "after deletions %zu ranges sit in %zu chunks "
	   "(small chunks absorbed their neighbours)", fv->nr, fv->nslots);
	vmm_flatview_unref(fv);
}

/* Many edits spread over many chunks in one transaction, then undone in another. */
static void one_transaction(void)
{
	struct vmm_err err = { 0 };
	struct vmm_render_stats s0, s1;
	int r = 0;

	vmm_memory_render_stats(m, &s0);
	vmm_memory_begin(m);
	for (unsigned i = 0; i < N; i += 16)
		r |= vmm_mr_map(io[i + 1], sys, BASE + (i + 1) * STEP, 0, &err);
	for (unsigned i = 0; i < N; i += 48)
		r |= vmm_mr_set_addr(io[i], BASE + i * STEP + 0x800, &err);
	checked(r ? r : vmm_memory_commit(m, &err), "one transaction over many chunks");
	vmm_memory_begin(m);
	for (unsigned i = 0; i < N; i += 48)
		r |= vmm_mr_set_addr(io[i], BASE + i * STEP, &err);
	for (unsigned i = 0; i < N; i += 16)
		r |= vmm_mr_set_readonly(bg, (i / 16) & 1, &err);
	checked(r ? r : vmm_memory_commit(m, &err), "a second one");
	vmm_memory_render_stats(m, &s1);
	ok(s1.incremental - s0.incremental == 2 && s1.full == s0.full,
	   "both transactions were incremental");
}

int main(void)
{
	struct vmm_render_stats st;

	build();
	ok(nslots_now() > 8, "the view spans %zu chunks", nslots_now());
	boundary_toggles();
	merge_across();
	grow_one_chunk();
	shrink();
	one_transaction();
	vmm_memory_render_stats(m, &st);
	is(bad_views, 0, "%u commits: every view equals a full render and keeps the invariants",
	   commits);
	is(st.mismatches, 0, "the model's own check mode found no mismatch (%llu incremental)",
	   (unsigned long long)st.incremental);
	is(st.full, 1, "only the first commit (a new address space) rendered from scratch "
	   "(%llu incremental)", (unsigned long long)st.incremental);
	vmm_memory_free(m);
	return done_testing();
}
