/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer harnesses: an offline model with the soft memslot
 * table and the KVM listener attached (what `mtree render` builds), a text
 * snapshot of everything observable (info mtree -D, -f, ramblock, memslots,
 * the dumped script) to prove that a rejected input changed nothing, and the
 * invariant checks every harness runs after each input or operation: flat
 * views sorted, disjoint and without empty ranges; the memslot table equal to
 * what QEMU's KVM listener rules derive from the "memory" flat view; no cycle
 * through containers and aliases. A broken invariant aborts, which libFuzzer
 * records as a crash with the input that caused it.
 */
#ifndef MTREEFS_FUZZ_UTIL_H
#define MTREEFS_FUZZ_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ctl.h>
#include <vmm/flatview.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include <vmm/qemu.h>
#include <vmm/ramblock.h>

#define FUZZ_PAGE 4096ull

/* Range @i of a flat view, whether the view exposes an array or an accessor. */
#ifdef vmm_flatview_for_each
#define FUZZ_FV_RANGE(fv, i) vmm_flatview_range((fv), (i))
#else
#define FUZZ_FV_RANGE(fv, i) ((const struct vmm_flat_range *)&(fv)->ranges[(i)])
#endif

#define FUZZ_CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz invariant broken at %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fprintf(stderr, "\n"); \
		abort(); \
	} \
} while (0)

/**
 * struct fuzz_env - an offline model with a soft accelerator and KVM listener
 * @nr_slots: slots of the soft table (0: KVM's 32764)
 */
struct fuzz_env {
	struct vmm_memory *mem;
	struct vmm_accel *accel;
	struct vmm_listener *kvm;
	bool registered;
};

static inline void fuzz_env_free(struct fuzz_env *e)
{
	if (e->registered)
		vmm_memory_listener_unregister(e->mem, e->kvm);
	vmm_memory_free(e->mem);
	vmm_kvm_listener_free(e->kvm);
	if (e->accel)
		vmm_accel_free(e->accel);
	memset(e, 0, sizeof(*e));
}

static inline void fuzz_env_init(struct fuzz_env *e, unsigned nr_slots)
{
	struct vmm_err err = { 0 };

	memset(e, 0, sizeof(*e));
	e->mem = vmm_memory_new();
	e->accel = vmm_accel_new_soft(nr_slots);
	e->kvm = e->accel ? vmm_kvm_listener_new(e->accel) : NULL;
	FUZZ_CHECK(e->mem && e->kvm, "cannot set up the model");
	vmm_memory_set_device_factory(e->mem, vmm_devices_create, NULL);
	FUZZ_CHECK(!vmm_memory_listener_register(e->mem, e->kvm, &err), "register: %s", err.msg);
	e->registered = true;
}

/* Run @text as a script; 0 or -errno. */
static inline int fuzz_exec(struct fuzz_env *e, const char *text, size_t len,
			    struct vmm_err *err)
{
	struct vmm_ctl_ctx ctx = { .mem = e->mem };

	return vmm_ctl_exec(&ctx, text, len, err);
}

/*
 * Inputs that name a file backend are skipped: "backend=file:PATH" would let
 * the fuzzer create or map arbitrary files of the machine. Quotes and
 * backslashes are dropped first, since the tokenizer joins quoted pieces.
 */
static inline bool fuzz_unsafe_text(const uint8_t *data, size_t len)
{
	static const char pat[] = "file:";
	size_t i, k = 0;

	for (i = 0; i < len; i++) {
		char c = (char)data[i];

		if (c == '"' || c == '\\')
			continue;
		k = c == pat[k] ? k + 1 : (c == pat[0] ? 1 : 0);
		if (k == sizeof(pat) - 1)
			return true;
	}
	return false;
}

/*
 * Everything observable about the model (caller frees); with @slots also the
 * memslot table, whose host addresses differ from one model to another.
 */
static inline char *fuzz_snapshot_opt(struct fuzz_env *e, bool slots)
{
	struct vmm_buf b;
	char *s;

	vmm_buf_init(&b);
	vmm_print_mtree(e->mem, VMM_PRINT_DISABLED, &b);
	vmm_buf_puts(&b, "----\n");
	vmm_print_flatview(e->mem, e->accel, &b);
	vmm_buf_puts(&b, "----\n");
	vmm_print_ramblock(e->mem, &b);
	vmm_buf_puts(&b, "----\n");
	if (slots)
		vmm_print_memslots(e->accel, &b);
	vmm_buf_puts(&b, "----\n");
	vmm_ctl_dump_script(e->mem, &b);
	FUZZ_CHECK(!b.oom, "snapshot: out of memory");
	s = vmm_buf_steal(&b, NULL);
	return s ? s : strdup("");
}

static inline char *fuzz_snapshot(struct fuzz_env *e)
{
	return fuzz_snapshot_opt(e, true);
}

/* Every flat view: sorted, disjoint, no empty range, inside 2^64, terminating leaves. */
static inline void fuzz_check_flatviews(struct vmm_memory *m)
{
	for (struct vmm_as *as = vmm_memory_first_as(m); as; as = as->next) {
		struct vmm_flatview *fv = vmm_as_get_flatview(as);
		vmm_u128 end = 0;

		FUZZ_CHECK(fv, "address space %s has no flat view", as->name);
		for (size_t i = 0; i < fv->nr; i++) {
			const struct vmm_flat_range *r = vmm_flatview_range(fv, i);

			FUZZ_CHECK(r->size > 0, "%s: range %zu is empty", as->name, i);
			FUZZ_CHECK(r->start >= end, "%s: range %zu overlaps or is unsorted",
				   as->name, i);
			FUZZ_CHECK(r->start + r->size <= VMM_U64_LIMIT,
				   "%s: range %zu ends beyond 2^64", as->name, i);
			FUZZ_CHECK(r->mr && vmm_mr_is_terminating(r->mr),
				   "%s: range %zu has no terminating leaf", as->name, i);
			end = r->start + r->size;
		}
		vmm_flatview_unref(fv);
	}
}

/* @free: flag bits whose value the flat view alone does not settle */
struct fuzz_slot {
	uint64_t gpa, size, hva;
	uint32_t flags;
	uint32_t free;
};

static inline int fuzz_slot_cmp(const void *a, const void *b)
{
	const struct fuzz_slot *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/*
 * The slot QEMU 7.2's kvm_set_phys_mem() gives flat range @r, if any: RAM and
 * ROM always, a ROM device only in romd mode, io never; the section page
 * aligned (start up, size down); READONLY for a readonly or ROM(D) leaf,
 * LOG_DIRTY_PAGES while logging. QEMU takes READONLY from the leaf region, but
 * re-issues a slot only when its flat range changes: toggling a RAM leaf's
 * readonly under an already readonly ancestor leaves the range equal (a
 * region_nop), so the slot keeps its old READONLY bit. For a readonly range
 * of RAM that bit is therefore history, not a function of the view.
 */
static inline bool fuzz_expected_slot(const struct vmm_flat_range *r, struct fuzz_slot *s)
{
	const struct vmm_mr *mr = r->mr;
	vmm_u128 start, delta;

	if (!mr->rb || !mr->rb->host)
		return false;
	if (mr->type != VMM_MR_RAM && mr->type != VMM_MR_ROM &&
	    !(mr->type == VMM_MR_ROMD && r->romd_mode))
		return false;
	start = (r->start + FUZZ_PAGE - 1) / FUZZ_PAGE * FUZZ_PAGE;
	delta = start - r->start;
	if (delta >= r->size || start >= VMM_U64_LIMIT)
		return false;
	s->size = (uint64_t)((r->size - delta) / FUZZ_PAGE * FUZZ_PAGE);
	if (!s->size)
		return false;
	s->gpa = (uint64_t)start;
	s->hva = (uint64_t)(uintptr_t)mr->rb->host + (uint64_t)(r->offset_in_region + delta);
	s->flags = r->dirty_log_mask ? VMM_MEM_LOG_DIRTY_PAGES : 0;
	if (mr->readonly || mr->type == VMM_MR_ROMD)
		s->flags |= VMM_MEM_READONLY;
	s->free = mr->type != VMM_MR_ROMD && r->readonly ? VMM_MEM_READONLY : 0;
	return true;
}

/* The soft table holds exactly the slots the "memory" flat view gives. */
static inline void fuzz_check_memslots(struct fuzz_env *e)
{
	struct vmm_as *as = vmm_as_find(e->mem, "memory");
	unsigned nact = vmm_accel_memslot_count(e->accel), nexp = 0, i = 0;
	struct fuzz_slot *exp, *act;
	const struct vmm_memslot *ms;
	struct vmm_flatview *fv = as ? vmm_as_get_flatview(as) : NULL;
	uint32_t it = 0;

	exp = calloc((fv ? fv->nr : 0) + 1, sizeof(*exp));
	act = calloc(nact + 1, sizeof(*act));
	FUZZ_CHECK(exp && act, "out of memory");
	for (size_t k = 0; fv && k < fv->nr; k++)
		nexp += fuzz_expected_slot(vmm_flatview_range(fv, k), &exp[nexp]);
	while ((ms = vmm_accel_memslot_next(e->accel, &it))) {
		FUZZ_CHECK(i < nact, "more slots than vmm_accel_memslot_count says");
		FUZZ_CHECK(ms->as_id == 0, "slot %u in address space %u", ms->slot, ms->as_id);
		act[i++] = (struct fuzz_slot){ .gpa = ms->gpa, .size = ms->size, .hva = ms->hva,
					   .flags = ms->flags };
	}
	FUZZ_CHECK(i == nact, "memslot count %u, iterated %u", nact, i);
	FUZZ_CHECK(nexp == nact, "%u memslots registered, the flat view gives %u", nact, nexp);
	qsort(exp, nexp, sizeof(*exp), fuzz_slot_cmp);
	qsort(act, nact, sizeof(*act), fuzz_slot_cmp);
	for (i = 0; i < nexp; i++)
		FUZZ_CHECK(exp[i].gpa == act[i].gpa && exp[i].size == act[i].size &&
			   exp[i].hva == act[i].hva &&
			   !((exp[i].flags ^ act[i].flags) & ~exp[i].free),
			   "slot %u: gpa %#llx size %#llx flags %#x, want gpa %#llx size %#llx "
			   "flags %#x", i, (unsigned long long)act[i].gpa,
			   (unsigned long long)act[i].size, act[i].flags,
			   (unsigned long long)exp[i].gpa, (unsigned long long)exp[i].size,
			   exp[i].flags);
	if (fv)
		vmm_flatview_unref(fv);
	free(exp);
	free(act);
}

static inline int fuzz_ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

static inline size_t fuzz_index(struct vmm_mr **all, size_t n, const struct vmm_mr *mr)
{
	struct vmm_mr **p = bsearch(&mr, all, n, sizeof(*all), fuzz_ptr_cmp);

	FUZZ_CHECK(p, "region %s is reachable but not in the model", mr->id);
	return (size_t)(p - all);
}

/* Depth-first walk over subregion and alias edges; false on a back edge. */
static inline bool fuzz_acyclic_from(struct vmm_mr **all, size_t n, unsigned char *color,
				     size_t i)
{
	struct vmm_mr *c;

	if (color[i] == 2)
		return true;
	if (color[i] == 1)
		return false;
	color[i] = 1;
	if (all[i]->alias && !fuzz_acyclic_from(all, n, color, fuzz_index(all, n, all[i]->alias)))
		return false;
	for (c = all[i]->subregions; c; c = c->sib_next) {
		FUZZ_CHECK(c->container == all[i], "%s in the list of %s but not its child",
			   c->id, all[i]->id);
		if (!fuzz_acyclic_from(all, n, color, fuzz_index(all, n, c)))
			return false;
	}
	color[i] = 2;
	return true;
}

/* No cycle through containers and aliases; alias_refs counts agree. */
static inline void fuzz_check_acyclic(struct vmm_memory *m)
{
	size_t n = vmm_memory_region_count(m), i = 0;
	struct vmm_mr **all = calloc(n + 1, sizeof(*all));
	unsigned char *color = calloc(n + 1, 1);
	unsigned *refs = calloc(n + 1, sizeof(*refs));

	FUZZ_CHECK(all && color && refs, "out of memory");
	for (struct vmm_mr *mr = vmm_memory_first_region(m); mr; mr = mr->all_next) {
		FUZZ_CHECK(i < n, "more regions than vmm_memory_region_count says");
		all[i++] = mr;
	}
	FUZZ_CHECK(i == n, "region count %zu, listed %zu", n, i);
	qsort(all, n, sizeof(*all), fuzz_ptr_cmp);
	for (i = 0; i < n; i++)
		if (all[i]->alias)
			refs[fuzz_index(all, n, all[i]->alias)]++;
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(refs[i] == all[i]->alias_refs, "%s: alias_refs %u, %u aliases",
			   all[i]->id, all[i]->alias_refs, refs[i]);
		FUZZ_CHECK(fuzz_acyclic_from(all, n, color, i), "cycle through %s", all[i]->id);
	}
	free(all);
	free(color);
	free(refs);
}

/*
 * Memslots follow the flat views of the last outermost commit; inside a
 * transaction an address space may already be gone (vmm_as_delete) while its
 * slots wait for the commit, so they are compared only outside one.
 */
static inline void fuzz_check_all(struct fuzz_env *e)
{
	fuzz_check_flatviews(e->mem);
	if (!vmm_memory_depth(e->mem))
		fuzz_check_memslots(e);
	fuzz_check_acyclic(e->mem);
}

#endif
