/* SPDX-License-Identifier: MIT */
/*
 * The memslot table (memslot.c): the slots registered by id and by guest
 * address, and the rule check that reproduces virt/kvm/kvm_main.c. The soft
 * accelerator keeps it as the truth, the KVM one as a mirror of what the
 * kernel accepted; accel.c owns one inside each struct vmm_accel.
 */
#ifndef VMM_ACCEL_MEMSLOT_PRIV_H
#define VMM_ACCEL_MEMSLOT_PRIV_H

#include <vmm/kvm.h>

/* Values of this kernel family (x86-64): KVM_USER_MEM_SLOTS, KVM_MEM_MAX_NR_PAGES. */
#define MEMSLOT_USER_MEM_SLOTS	32764u
#define MEMSLOT_MAX_NR_PAGES	((1ull << 31) - 1)
#define MEMSLOT_PAGE		4096ull

/**
 * struct memslot_entry - one slot id of one address space
 * @s: the registered slot; s.size == 0 means the id is free
 * @dirty: soft dirty bitmap while logging (soft table only)
 */
struct memslot_entry {
	struct vmm_memslot s;
	uint64_t *dirty;
};

/**
 * struct memslot_table - registered slots, by id and by guest address
 * @ent: nr_as * nr_slots entries, [as_id * nr_slots + id]
 * @by_gpa: per address space, the ids of registered slots sorted by gpa
 * @nr_by_gpa: entries used in each @by_gpa
 * @max_gfn: last guest frame a slot may cover (kvm_mmu_max_gfn())
 * @hva_end: userspace_addr + memory_size may not exceed this (access_ok())
 */
struct memslot_table {
	unsigned nr_slots, nr_as;
	struct memslot_entry *ent;
	uint32_t **by_gpa;
	unsigned *nr_by_gpa;
	unsigned count;
	uint32_t valid_flags;
	uint64_t max_gfn;
	uint64_t hva_end;
};

static inline struct memslot_entry *memslot_entry(const struct memslot_table *t,
						  uint16_t as_id, uint32_t id)
{
	return &t->ent[(size_t)as_id * t->nr_slots + id];
}

/* memslot.c: the table. */
int memslot_table_init(struct memslot_table *t, const struct vmm_kvm_caps *caps);
void memslot_table_fini(struct memslot_table *t);
/* What KVM would return for this call (0 or -errno), without changing anything. */
int memslot_table_check(const struct memslot_table *t, uint32_t slot, uint16_t as_id,
			uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva);
/* Record a call that succeeded: create, delete, move or flag change. */
int memslot_table_apply(struct memslot_table *t, uint32_t slot, uint16_t as_id,
			uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva);
/* Index in by_gpa[as_id] of the first slot that ends after @gpa. */
unsigned memslot_table_lower_bound(const struct memslot_table *t, uint16_t as_id,
				   uint64_t gpa);
/* Highest address + 1 userspace_addr ranges may reach on this host (TASK_SIZE_MAX). */
uint64_t memslot_user_addr_end(void);

#endif
