/* SPDX-License-Identifier: MIT */
/*
 * Inside struct vmm_accel: the memslot table both accelerators keep (the soft
 * one as the truth, the KVM one as a mirror of what the kernel accepted),
 * the rule check that reproduces virt/kvm/kvm_main.c, and the hooks kvm.c
 * plugs in for the real ioctls. Shared by memslot.c and kvm.c only.
 */
#ifndef VMM_ACCEL_INTERNAL_H
#define VMM_ACCEL_INTERNAL_H

#include <vmm/kvm.h>

/* Values of this kernel family (x86-64): KVM_USER_MEM_SLOTS, KVM_MEM_MAX_NR_PAGES. */
#define VMM_KVM_USER_MEM_SLOTS	32764u
#define VMM_KVM_MAX_NR_PAGES	((1ull << 31) - 1)
#define VMM_PAGE_SIZE		4096ull

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

struct vmm_accel {
	enum vmm_accel_kind kind;
	struct vmm_kvm_caps caps;
	struct memslot_table t;
	struct vmm_accel_stats stats;
	unsigned fault_countdown;
	int fault_errno;
	int kvm_fd, vm_fd;
	int vcpu_mmap_size;
};

int vmm_memslot_table_init(struct memslot_table *t, const struct vmm_kvm_caps *caps);
void vmm_memslot_table_fini(struct memslot_table *t);
/* What KVM would return for this call (0 or -errno), without changing anything. */
int vmm_memslot_table_check(const struct memslot_table *t, uint32_t slot, uint16_t as_id,
			    uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva);
/* Record a call that succeeded: create, delete, move or flag change. */
int vmm_memslot_table_apply(struct memslot_table *t, uint32_t slot, uint16_t as_id,
			    uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva);
/* Highest address + 1 userspace_addr ranges may reach on this host (TASK_SIZE_MAX). */
uint64_t vmm_memslot_user_addr_end(void);

/* kvm.c: the real ioctls behind the accelerator. */
int vmm_kvm_set_memslot(struct vmm_accel *a, uint32_t slot, uint16_t as_id, uint32_t flags,
			uint64_t gpa, uint64_t size, uint64_t hva);
int vmm_kvm_get_dirty_log(struct vmm_accel *a, const struct vmm_memslot *s, uint64_t *bitmap);
void vmm_kvm_close(struct vmm_accel *a);

#endif
