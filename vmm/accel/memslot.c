// SPDX-License-Identifier: MIT
/*
 * The memslot table. It answers every KVM_SET_USER_MEMORY_REGION exactly as
 * virt/kvm/kvm_main.c does on this host (checked against it by
 * tests/unit/memslot_soft_vs_kvm.c): alignment,
 * id and address-space range, flag validity, wrap and size limits are
 * EINVAL; a slot overlapping another is EEXIST; an existing slot may only
 * move or change flags other than READONLY; size 0 deletes and deleting a
 * free id is EINVAL. Without /dev/kvm the table is the accelerator ("none");
 * with KVM it mirrors what the kernel accepted. The public vmm_accel_*
 * calls on top of it are in accel.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memslot_priv.h"

/* TASK_SIZE_MAX: 2^47 - 4 KiB with 4-level paging, 2^56 - 4 KiB with 5-level. */
uint64_t memslot_user_addr_end(void)
{
	static uint64_t cached;
	uint64_t end = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	long p;

	if (end)
		return end;
	/*
	 * A hint above 2^47 only succeeds with 5-level paging. The raw syscall
	 * keeps sanitizer runtimes (TSan) from vetoing an address outside their
	 * application range; the page is unmapped at once.
	 */
	p = syscall(SYS_mmap, (void *)(1ull << 50), MEMSLOT_PAGE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != -1 && (uint64_t)p == (1ull << 50)) {
		syscall(SYS_munmap, p, MEMSLOT_PAGE);
		end = (1ull << 56) - MEMSLOT_PAGE;
	} else {
		end = (1ull << 47) - MEMSLOT_PAGE;
	}
	__atomic_store_n(&cached, end, __ATOMIC_RELAXED);
	return end;
}

int memslot_table_init(struct memslot_table *t, const struct vmm_kvm_caps *caps)
{
	unsigned bits = caps->memslot_gpa_bits ? caps->memslot_gpa_bits : 52;

	memset(t, 0, sizeof(*t));
	t->nr_slots = caps->nr_memslots;
	t->nr_as = caps->nr_as ? caps->nr_as : 1;
	t->valid_flags = VMM_MEM_LOG_DIRTY_PAGES | (caps->readonly_mem ? VMM_MEM_READONLY : 0);
	t->max_gfn = bits >= 64 ? (UINT64_MAX >> 12) : ((1ull << bits) >> 12) - 1;
	t->hva_end = memslot_user_addr_end();
	t->ent = calloc((size_t)t->nr_slots * t->nr_as, sizeof(*t->ent));
	t->by_gpa = calloc(t->nr_as, sizeof(*t->by_gpa));
	t->nr_by_gpa = calloc(t->nr_as, sizeof(*t->nr_by_gpa));
	if (!t->ent || !t->by_gpa || !t->nr_by_gpa)
		goto fail;
	for (unsigned i = 0; i < t->nr_as; i++) {
		t->by_gpa[i] = malloc(sizeof(uint32_t) * t->nr_slots);
		if (!t->by_gpa[i])
			goto fail;
	}
	return 0;
fail:
	memslot_table_fini(t);
	return -ENOMEM;
}

void memslot_table_fini(struct memslot_table *t)
{
	if (t->ent)
		for (size_t i = 0; i < (size_t)t->nr_slots * t->nr_as; i++)
			free(t->ent[i].dirty);
	for (unsigned i = 0; t->by_gpa && i < t->nr_as; i++)
		free(t->by_gpa[i]);
	free(t->by_gpa);
	free(t->nr_by_gpa);
	free(t->ent);
	memset(t, 0, sizeof(*t));
}

unsigned memslot_table_lower_bound(const struct memslot_table *t, uint16_t as_id, uint64_t gpa)
{
	unsigned lo = 0, hi = t->nr_by_gpa[as_id];

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct vmm_memslot *s = &memslot_entry(t, as_id, t->by_gpa[as_id][mid])->s;

		if (s->gpa + s->size <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* kvm_check_memslot_overlap(): another slot of @as_id intersects [gpa, gpa+size). */
static bool overlaps(const struct memslot_table *t, uint16_t as_id, uint32_t id, uint64_t gpa,
		     uint64_t size)
{
	unsigned i = memslot_table_lower_bound(t, as_id, gpa);

	for (; i < t->nr_by_gpa[as_id]; i++) {
		uint32_t other = t->by_gpa[as_id][i];

		if (memslot_entry(t, as_id, other)->s.gpa >= gpa + size)
			return false;
		if (other != id)
			return true;
	}
	return false;
}

/* The checks kvm_set_memory_region() makes before it looks at the slot. */
static int check_args(const struct memslot_table *t, uint32_t slot, uint16_t as_id,
		      uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva)
{
	if (flags & ~t->valid_flags)
		return -EINVAL;
	if ((size | gpa | hva) & (MEMSLOT_PAGE - 1))
		return -EINVAL;
	if (hva + size < hva || hva + size > t->hva_end)
		return -EINVAL;
	if (as_id >= t->nr_as || slot >= t->nr_slots)
		return -EINVAL;
	if (gpa + size < gpa)
		return -EINVAL;
	if (size / MEMSLOT_PAGE > MEMSLOT_MAX_NR_PAGES)
		return -EINVAL;
	return 0;
}

int memslot_table_check(const struct memslot_table *t, uint32_t slot, uint16_t as_id,
			    uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva)
{
	const struct vmm_memslot *old;
	int r = check_args(t, slot, as_id, flags, gpa, size, hva);

	if (r)
		return r;
	old = &memslot_entry(t, as_id, slot)->s;
	if (!size)
		return old->size ? 0 : -EINVAL;
	if (old->size) {
		if (hva != old->hva || size != old->size ||
		    ((flags ^ old->flags) & VMM_MEM_READONLY))
			return -EINVAL;
		if (gpa == old->gpa)
			return 0;	/* flag change or nothing at all */
	}
	if (overlaps(t, as_id, slot, gpa, size))
		return -EEXIST;
	if ((gpa + size) / MEMSLOT_PAGE - 1 > t->max_gfn)
		return -EINVAL;
	return 0;
}

static void by_gpa_remove(struct memslot_table *t, uint16_t as_id, uint32_t id)
{
	uint32_t *v = t->by_gpa[as_id];
	unsigned i = memslot_table_lower_bound(t, as_id, memslot_entry(t, as_id, id)->s.gpa);

	while (i < t->nr_by_gpa[as_id] && v[i] != id)
		i++;
	if (i == t->nr_by_gpa[as_id])
		return;
	memmove(&v[i], &v[i + 1], (t->nr_by_gpa[as_id] - i - 1) * sizeof(*v));
	t->nr_by_gpa[as_id]--;
}

/* Insert @id, whose entry already holds its new gpa and size. */
static void by_gpa_insert(struct memslot_table *t, uint16_t as_id, uint32_t id)
{
	uint32_t *v = t->by_gpa[as_id];
	unsigned i = memslot_table_lower_bound(t, as_id, memslot_entry(t, as_id, id)->s.gpa);

	memmove(&v[i + 1], &v[i], (t->nr_by_gpa[as_id] - i) * sizeof(*v));
	v[i] = id;
	t->nr_by_gpa[as_id]++;
}

/* Dirty bitmaps follow LOG_DIRTY_PAGES: a fresh, clean one when logging starts. */
static int update_dirty(struct memslot_entry *e, uint32_t flags)
{
	bool on = flags & VMM_MEM_LOG_DIRTY_PAGES;

	if (on && !e->dirty) {
		e->dirty = calloc((e->s.size / MEMSLOT_PAGE + 63) / 64, sizeof(uint64_t));
		if (!e->dirty)
			return -ENOMEM;
	} else if (!on) {
		free(e->dirty);
		e->dirty = NULL;
	}
	return 0;
}

int memslot_table_apply(struct memslot_table *t, uint32_t slot, uint16_t as_id,
			    uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva)
{
	struct memslot_entry *e = memslot_entry(t, as_id, slot);
	bool existed = e->s.size != 0;

	if (existed)
		by_gpa_remove(t, as_id, slot);
	if (!size || (existed && gpa != e->s.gpa)) {
		/* like KVM, a moved slot starts a new dirty bitmap */
		free(e->dirty);
		e->dirty = NULL;
	}
	if (!size) {
		memset(e, 0, sizeof(*e));
		t->count--;
		return 0;
	}
	e->s = (struct vmm_memslot){ .slot = slot, .as_id = as_id, .flags = flags,
				     .gpa = gpa, .size = size, .hva = hva };
	by_gpa_insert(t, as_id, slot);
	if (!existed)
		t->count++;
	return update_dirty(e, flags);
}
