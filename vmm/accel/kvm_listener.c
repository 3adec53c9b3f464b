// SPDX-License-Identifier: MIT
/*
 * The KVM memory listener, after QEMU 7.2's accel/kvm/kvm-all.c
 * (kvm_region_add/del -> kvm_set_phys_mem, kvm_log_start/stop ->
 * kvm_section_update_flags). It listens to the address space named "memory"
 * (as_id 0) and turns its RAM-backed flat ranges into memslots: ram and rom
 * ranges always, romd ranges only in romd mode (and only when the accelerator
 * has READONLY memory), io ranges never. A section is page aligned first;
 * slots take the lowest free id; flags are READONLY for readonly or romd
 * leaves and LOG_DIRTY_PAGES while dirty logging is on. Every ioctl done
 * since the listener's begin is journaled with the slot's previous state, so
 * a commit that fails later is rolled back exactly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/kvm.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "memslot_priv.h"

/* One accepted ioctl: the slot before (@had_old) and after it. */
struct journal_rec {
	uint32_t slot;
	bool had_old;
	struct vmm_memslot old;
	struct vmm_memslot new;	/* new.size == 0: deleted */
};

struct kvm_listener {
	struct vmm_listener l;	/* the model hands us a pointer to this */
	struct vmm_accel *a;
	struct journal_rec *j;
	size_t nj, cap;
	uint32_t free_hint;	/* no free slot id below this */
};

static struct kvm_listener *kl_of(struct vmm_listener *l)
{
	return container_of(l, struct kvm_listener, l);
}

/* Room for one more record, made before the ioctl so recording cannot fail after it. */
static int journal_reserve(struct kvm_listener *kl)
{
	if (kl->nj == kl->cap) {
		size_t cap = kl->cap ? kl->cap * 2 : 32;
		struct journal_rec *j = realloc(kl->j, cap * sizeof(*j));

		if (!j)
			return -ENOMEM;
		kl->j = j;
		kl->cap = cap;
	}
	return 0;
}

/* KVM_SET_USER_MEMORY_REGION through the accelerator, journaled when accepted. */
static int kl_set(struct kvm_listener *kl, uint32_t slot, uint32_t flags, uint64_t gpa,
		  uint64_t size, uint64_t hva)
{
	const struct vmm_memslot *old = vmm_accel_memslot(kl->a, 0, slot);
	struct journal_rec rec = { .slot = slot, .had_old = old != NULL };
	int r = journal_reserve(kl);

	if (r)
		return r;
	if (old)
		rec.old = *old;
	r = vmm_accel_set_memslot(kl->a, slot, 0, flags, gpa, size, hva);
	if (r)
		return r;
	rec.new = (struct vmm_memslot){ .slot = slot, .flags = flags, .gpa = gpa,
					.size = size, .hva = hva };
	if (!size && slot < kl->free_hint)
		kl->free_hint = slot;
	kl->j[kl->nj++] = rec;
	return 0;
}

/* kvm_alloc_slot(): the lowest id no slot uses; -ENOSPC when all are taken. */
static int alloc_slot(struct kvm_listener *kl, uint32_t *out)
{
	unsigned n = vmm_accel_caps(kl->a)->nr_memslots;
	uint32_t id;

	for (id = kl->free_hint; id < n; id++) {
		if (!vmm_accel_memslot(kl->a, 0, id)) {
			kl->free_hint = id + 1;
			*out = id;
			return 0;
		}
	}
	kl->free_hint = n;
	return -ENOSPC;
}

/*
 * kvm_mem_flags(): of the leaf region, with the dirty-log mask @log_mask.
 * READONLY comes from the region's readonly flag (a ROM is RAM created
 * readonly, so a ROM made writable maps writable) or a ROM device in romd mode.
 */
static uint32_t mem_flags(const struct vmm_accel *a, const struct vmm_mr *mr, unsigned log_mask)
{
	bool ro = mr->readonly || (mr->type == VMM_MR_ROMD && mr->romd_mode);
	uint32_t flags = 0;

	if (log_mask)
		flags |= VMM_MEM_LOG_DIRTY_PAGES;
	if (ro && vmm_accel_caps(a)->readonly_mem)
		flags |= VMM_MEM_READONLY;
	return flags;
}

/**
 * struct slot_span - a section reduced to what a memslot covers
 * @gpa, @size: page aligned (start rounded up, size rounded down)
 * @hva: host address of @gpa
 */
struct slot_span {
	uint64_t gpa, size, hva;
};

/*
 * kvm_align_section(): false when nothing page-sized is left. Sections larger
 * than a slot may be are passed through as is, so KVM refuses them loudly.
 */
static bool align_section(const struct vmm_section *s, struct slot_span *sp)
{
	vmm_u128 start = s->offset_within_as, aligned, delta, size;
	uint64_t mem_offset;

	aligned = (start + MEMSLOT_PAGE - 1) & ~(vmm_u128)(MEMSLOT_PAGE - 1);
	delta = aligned - start;
	if (delta > s->size)
		return false;
	size = (s->size - delta) & ~(vmm_u128)(MEMSLOT_PAGE - 1);
	if (!size || aligned >= VMM_U64_LIMIT)
		return false;
	if (size > UINT64_MAX - MEMSLOT_PAGE + 1)
		size = UINT64_MAX - MEMSLOT_PAGE + 1;
	mem_offset = (uint64_t)(s->offset_within_region + delta);
	sp->gpa = (uint64_t)aligned;
	sp->size = (uint64_t)size;
	sp->hva = (uint64_t)(uintptr_t)s->mr->rb->host + mem_offset;
	return true;
}

/*
 * kvm_set_phys_mem()'s triage: true when the section may hold a slot. Writable
 * non-RAM (io) never does; a ROM device only in romd mode and only if KVM can
 * map memory readonly; everything else must be RAM-backed.
 */
static bool wants_slot(const struct vmm_accel *a, const struct vmm_section *s)
{
	const struct vmm_mr *mr = s->mr;

	if (!vmm_mr_reads_ram(mr, s->romd_mode) || !mr->rb->host)
		return false;
	/* a ROM device in romd mode needs KVM's readonly slots */
	return mr->type != VMM_MR_ROMD || vmm_accel_caps(a)->readonly_mem;
}

static bool is_memory_as(const struct vmm_section *s)
{
	return !s->as || !s->as->name || !strcmp(s->as->name, "memory");
}

static int kl_region_add(struct vmm_listener *l, const struct vmm_section *s)
{
	struct kvm_listener *kl = kl_of(l);
	struct slot_span sp;
	uint32_t id;
	int r;

	if (!is_memory_as(s) || !wants_slot(kl->a, s) || !align_section(s, &sp))
		return 0;
	r = alloc_slot(kl, &id);
	if (r)
		return r;
	r = kl_set(kl, id, mem_flags(kl->a, s->mr, s->dirty_log_mask), sp.gpa, sp.size, sp.hva);
	if (r && id < kl->free_hint)
		kl->free_hint = id;
	return r;
}

/* kvm_set_phys_mem(add = false): drop the slot that matches the aligned section, if any. */
static int kl_region_del(struct vmm_listener *l, const struct vmm_section *s)
{
	struct kvm_listener *kl = kl_of(l);
	const struct vmm_memslot *m;
	struct slot_span sp;

	if (!is_memory_as(s) || !s->mr->rb || !s->mr->rb->host)
		return 0;
	if (s->mr->type != VMM_MR_RAM && s->mr->type != VMM_MR_ROM &&
	    s->mr->type != VMM_MR_ROMD)
		return 0;
	if (!align_section(s, &sp))
		return 0;
	m = vmm_accel_memslot_exact(kl->a, sp.gpa, sp.size);
	if (!m)
		return 0;
	return kl_set(kl, m->slot, 0, m->gpa, 0, m->hva);
}

/* kvm_section_update_flags(): re-issue the section's slot when its flags change. */
static int update_flags(struct kvm_listener *kl, const struct vmm_section *s, unsigned mask)
{
	const struct vmm_memslot *m;
	struct slot_span sp;
	uint32_t flags;

	if (!is_memory_as(s) || !wants_slot(kl->a, s) || !align_section(s, &sp))
		return 0;
	m = vmm_accel_memslot_exact(kl->a, sp.gpa, sp.size);
	if (!m)
		return 0;	/* no slot: every access traps anyway */
	flags = mem_flags(kl->a, s->mr, mask);
	if (flags == m->flags)
		return 0;
	return kl_set(kl, m->slot, flags, m->gpa, m->size, m->hva);
}

static int kl_log_start(struct vmm_listener *l, const struct vmm_section *s, unsigned old_mask,
			unsigned new_mask)
{
	if (old_mask)
		return 0;	/* already logging for another client */
	return update_flags(kl_of(l), s, new_mask);
}

static int kl_log_stop(struct vmm_listener *l, const struct vmm_section *s, unsigned old_mask,
		       unsigned new_mask)
{
	if (new_mask)
		return 0;	/* another client still logs */
	return update_flags(kl_of(l), s, new_mask);
}

static void kl_begin(struct vmm_listener *l)
{
	struct kvm_listener *kl = kl_of(l);

	kl->nj = 0;
}

/*
 * The journal is kept until the next begin: a listener after us may still
 * fail the commit, and then our rollback must find it intact.
 */
static int kl_commit(struct vmm_listener *l)
{
	return 0;
}

/* Undo the journal newest first: each step puts back the state before it. */
static void kl_rollback(struct vmm_listener *l)
{
	struct kvm_listener *kl = kl_of(l);

	while (kl->nj) {
		const struct journal_rec *j = &kl->j[--kl->nj];
		const struct vmm_memslot *o = &j->old;

		if (!j->had_old) {
			vmm_accel_set_memslot(kl->a, j->slot, 0, 0, j->new.gpa, 0, j->new.hva);
			continue;
		}
		if (j->new.size && ((o->flags ^ j->new.flags) & VMM_MEM_READONLY))
			vmm_accel_set_memslot(kl->a, j->slot, 0, 0, j->new.gpa, 0, j->new.hva);
		vmm_accel_set_memslot(kl->a, j->slot, 0, o->flags, o->gpa, o->size, o->hva);
	}
	kl->free_hint = 0;
}

/**
 * vmm_kvm_listener_new() - the KVM memory listener for accelerator @a
 * @a: the accelerator whose memslots the listener manages (as_id 0)
 *
 * Register the result with vmm_memory_listener_register(); it listens only to
 * the address space named "memory".
 *
 * Return: the listener, or NULL with errno set.
 */
struct vmm_listener *vmm_kvm_listener_new(struct vmm_accel *a)
{
	struct kvm_listener *kl = calloc(1, sizeof(*kl));

	if (!kl)
		return NULL;
	kl->a = a;
	kl->l.as_name = "memory";
	kl->l.opaque = a;
	kl->l.begin = kl_begin;
	kl->l.commit = kl_commit;
	kl->l.rollback = kl_rollback;
	kl->l.region_add = kl_region_add;
	kl->l.region_del = kl_region_del;
	kl->l.log_start = kl_log_start;
	kl->l.log_stop = kl_log_stop;
	return &kl->l;
}

/**
 * vmm_kvm_listener_free() - free a listener made by vmm_kvm_listener_new()
 * @l: the listener, already unregistered (or NULL)
 *
 * The slots stay registered (unregistering the listener first reports every
 * range as deleted, which removes them).
 */
void vmm_kvm_listener_free(struct vmm_listener *l)
{
	struct kvm_listener *kl;

	if (!l)
		return;
	kl = kl_of(l);
	free(kl->j);
	free(kl);
}
