// SPDX-License-Identifier: MIT
/*
 * One-region edits at 1k, 10k and 100k regions (README, Performance: an edit costs
 * the same at 100k regions as at 1k, with only the memslot ioctls its changed
 * ranges need). The address space "memory" holds N io regions (so N flat
 * ranges that never become memslots), a pc.ram-like RAM region and a small
 * RAM region that the edits move, re-map, make readonly and log (and one at
 * a lower priority than all the io regions, whose re-insertion on a move must
 * not walk its siblings); the KVM
 * listener runs on the in-process (soft) memslot table. Asserted: the ioctl
 * count of each kind of edit and that commits took the incremental path.
 * Printed (diag, not asserted): the time per edit at each size, in the
 * default mode and with VMM_RENDER_FULL (the behaviour before incremental
 * commits), so the two can be compared in the same run.
 */
#include <time.h>

#include <vmm/kvm.h>

#include "mem_util.h"

#define EDITS 64	/* each kind, per size */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct world {
	struct vmm_memory *m;
	struct vmm_accel *a;
	struct vmm_listener *l;
	struct vmm_mr *sys, *small, *low, *dev;
};

/* N io regions of 4 KiB every 8 KiB, RAM at 0 (below) and the small RAM above them. */
static int build(struct world *w, unsigned n)
{
	struct vmm_err err = { 0 };
	int fails = 0;
	char id[32];

	w->m = vmm_memory_new();
	w->a = vmm_accel_new_soft(512);
	w->l = w->a ? vmm_kvm_listener_new(w->a) : NULL;
	if (!w->m || !w->l)
		return -1;
	vmm_memory_begin(w->m);
	w->sys = mk_container(w->m, "system", VMM_U64_LIMIT);
	for (unsigned i = 0; i < n; i++) {
		struct vmm_mr *mr = NULL;

		snprintf(id, sizeof(id), "io%u", i);
		fails += vmm_mr_new_io(w->m, id, NULL, SZ(0x1000), NULL, &mr, &err) != 0;
		fails += mr && vmm_mr_map(mr, w->sys, 0x100000000ull + i * 0x2000ull, 0, &err);
	}
	do_map(mk_ram(w->m, VMM_MR_RAM, "pc.ram", SZ(0x200000)), w->sys, 0, 0);
	w->small = mk_ram(w->m, VMM_MR_RAM, "small", SZ(0x10000));
	do_map(w->small, w->sys, 0x80000000ull, 0);
	/* below every io region in the sibling list: re-inserting it must not walk them */
	w->low = mk_ram(w->m, VMM_MR_RAM, "low", SZ(0x10000));
	do_map(w->low, w->sys, 0x90000000ull, -1);
	w->dev = vmm_mr_find(w->m, "io7");
	fails += vmm_as_new(w->m, "memory", w->sys, NULL, &err) != 0;
	fails += vmm_memory_commit(w->m, &err) != 0;
	fails += vmm_memory_listener_register(w->m, w->l, &err) != 0;
	return fails ? -1 : 0;
}

static void teardown(struct world *w)
{
	vmm_memory_listener_unregister(w->m, w->l);
	vmm_memory_free(w->m);
	vmm_kvm_listener_free(w->l);
	vmm_accel_free(w->a);
}

static uint64_t ioctls(const struct world *w)
{
	struct vmm_accel_stats st;

	vmm_accel_stats(w->a, &st);
	return st.set_memslot_calls;
}

/* One kind of edit, EDITS times alternating on/off: seconds per edit and ioctls per edit. */
struct kind {
	const char *what;
	unsigned ioctls;	/* expected per edit */
	int (*edit)(struct world *w, unsigned k, struct vmm_err *err);
};

static int move_ram(struct world *w, unsigned k, struct vmm_err *err)
{
	return vmm_mr_set_addr(w->small, 0x80000000ull + !(k & 1) * 0x100000, err);
}

static int move_low(struct world *w, unsigned k, struct vmm_err *err)
{
	return vmm_mr_set_addr(w->low, 0x90000000ull + !(k & 1) * 0x100000, err);
}

static int readonly_ram(struct world *w, unsigned k, struct vmm_err *err)
{
	return vmm_mr_set_readonly(w->small, !(k & 1), err);
}

static int remap_ram(struct world *w, unsigned k, struct vmm_err *err)
{
	if (!(k & 1))
		return vmm_mr_unmap(w->small, err);
	return vmm_mr_map(w->small, w->sys, 0x80000000ull, 0, err);
}

static int log_ram(struct world *w, unsigned k, struct vmm_err *err)
{
	return vmm_mr_set_log_dirty(w->small, !(k & 1), err);
}

static int toggle_io(struct world *w, unsigned k, struct vmm_err *err)
{
	return vmm_mr_set_enabled(w->dev, k & 1, err);
}

static int move_io(struct world *w, unsigned k, struct vmm_err *err)
{
	return vmm_mr_set_addr(w->dev, 0x100000000ull + 7 * 0x2000ull + !(k & 1) * 0x1000, err);
}

static const struct kind kinds[] = {
	{ "move a RAM region", 2, move_ram },
	{ "move a lowest-priority RAM region", 2, move_low },
	{ "readonly on/off a RAM region", 2, readonly_ram },
	{ "unmap/map a RAM region", 1, remap_ram },
	{ "log-dirty on/off a RAM region", 1, log_ram },
	{ "disable/enable an io region", 0, toggle_io },
	{ "move an io region", 0, move_io },
};

static double run_kind(struct world *w, const struct kind *kd, unsigned n, bool check)
{
	struct vmm_render_stats s0, s1;
	struct vmm_err err = { 0 };
	uint64_t c0 = ioctls(w);
	unsigned fails = 0;
	double t0 = now(), dt;

	vmm_memory_render_stats(w->m, &s0);
	for (unsigned k = 0; k < EDITS; k++)
		fails += kd->edit(w, k, &err) != 0;
	dt = (now() - t0) / EDITS;
	vmm_memory_render_stats(w->m, &s1);
	if (!check)
		return dt;
	ok(fails == 0, "%u regions: %s: %u edits succeed", n, kd->what, EDITS);
	is(ioctls(w) - c0, (uint64_t)kd->ioctls * EDITS, "%u regions: %s: %u memslot ioctls an edit",
	   n, kd->what, kd->ioctls);
	ok(s1.full == s0.full && s1.incremental - s0.incremental == EDITS,
	   "%u regions: %s: every commit incremental (%llu full renders)", n, kd->what,
	   (unsigned long long)(s1.full - s0.full));
	return dt;
}

static void one_size(unsigned n, double *avg)
{
	struct world w = { 0 };
	double tsum = 0, tfull = 0;
	size_t k;

	if (build(&w, n)) {
		ok(0, "%u regions: build", n);
		return;
	}
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		double t = run_kind(&w, &kinds[k], n, true);

		diag("%6u regions: %-32s %8.1f us/edit", n, kinds[k].what, t * 1e6);
		tsum += t;
	}
	vmm_memory_set_render_mode(w.m, VMM_RENDER_FULL);
	for (k = 0; k < 2; k++)
		tfull += run_kind(&w, &kinds[k], n, false);
	*avg = tsum / (sizeof(kinds) / sizeof(kinds[0]));
	diag("%6u regions: mean %.1f us/edit incremental; RAM move/readonly with full renders "
	     "(VMM_RENDER_FULL) %.1f us/edit", n, *avg * 1e6, tfull / 2 * 1e6);
	teardown(&w);
}

int main(void)
{
	static const unsigned sizes[] = { 1000, 10000, 100000 };
	double avg[3] = { 0 };

	for (unsigned i = 0; i < 3; i++)
		one_size(sizes[i], &avg[i]);
	diag("per-edit time 100k/1k: %.2fx (target <= 2x)", avg[0] > 0 ? avg[2] / avg[0] : 0);
	return done_testing();
}
