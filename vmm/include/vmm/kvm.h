/* SPDX-License-Identifier: MIT */
/*
 * Accelerators and memslots. struct vmm_accel is either a real KVM VM
 * (/dev/kvm) or the in-process memslot table that enforces the same rules as
 * virt/kvm/kvm_main.c; both keep a mirror of the registered slots so they can
 * be listed. The KVM listener (accel/kvm/kvm-all.c's kvm_region_add/del)
 * turns the flat view of the address space named "memory" into memslots.
 */
#ifndef VMM_KVM_H
#define VMM_KVM_H

#include <vmm/base.h>

struct vmm_memory;
struct vmm_listener;

/* Flags as in <linux/kvm.h>. */
#define VMM_MEM_LOG_DIRTY_PAGES	(1u << 0)
#define VMM_MEM_READONLY	(1u << 1)

/**
 * struct vmm_memslot - one registered slot (a mirror of what KVM holds)
 * @gpa, @size, @hva: guest_phys_addr, memory_size, userspace_addr
 */
struct vmm_memslot {
	uint32_t slot;
	uint16_t as_id;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	uint64_t hva;
};

enum vmm_accel_kind { VMM_ACCEL_NONE, VMM_ACCEL_KVM };

/**
 * struct vmm_kvm_caps - what the accelerator offers
 */
struct vmm_kvm_caps {
	unsigned nr_memslots;		/* KVM_CAP_NR_MEMSLOTS */
	unsigned nr_as;			/* KVM_CAP_MULTI_ADDRESS_SPACE (1 when absent) */
	bool readonly_mem;		/* KVM_CAP_READONLY_MEM */
	bool manual_dirty_log;		/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 */
	unsigned max_gpa_bits;		/* from CPUID 0x80000008 / KVM_CAP_VM_TYPES fallback */
	int api_version;
	unsigned max_vcpus;
	/*
	 * A slot must end at or below 2^memslot_gpa_bits (kvm_mmu_max_gfn():
	 * the host's MAXPHYADDR with TDP, 52 with shadow paging); probed on KVM.
	 */
	unsigned memslot_gpa_bits;
};

struct vmm_accel;

/* The in-process table: same rules as KVM, @nr_slots slots (0: 32764 as here). */
struct vmm_accel *vmm_accel_new_soft(unsigned nr_slots);
/*
 * An in-process table with exactly the rules of the accelerator whose
 * capabilities are @caps (slot count, address spaces, READONLY support, gpa
 * limit): the differential tests compare it against that real VM.
 */
struct vmm_accel *vmm_accel_new_soft_like(const struct vmm_kvm_caps *caps);
/* A real KVM VM; NULL with errno when /dev/kvm is missing or unusable. */
struct vmm_accel *vmm_accel_new_kvm(struct vmm_err *err);
void vmm_accel_free(struct vmm_accel *a);

enum vmm_accel_kind vmm_accel_kind(const struct vmm_accel *a);
const char *vmm_accel_name(const struct vmm_accel *a);	/* "kvm" / "none" */
const struct vmm_kvm_caps *vmm_accel_caps(const struct vmm_accel *a);
int vmm_accel_vm_fd(const struct vmm_accel *a);	/* -1 for the soft table */
int vmm_accel_kvm_fd(const struct vmm_accel *a);
/* KVM_GET_VCPU_MMAP_SIZE (size of the kvm_run mapping of a vCPU fd); 0 for the soft table. */
int vmm_accel_vcpu_mmap_size(const struct vmm_accel *a);
/*
 * One ioctl on a KVM fd (/dev/kvm, a VM or a vCPU), the only way the VMM
 * issues them: the non-negative result, or -errno. @arg is the pointer, or an
 * integer argument cast to one.
 */
int vmm_kvm_ioctl(int fd, unsigned long request, void *arg);
/* KVM_CHECK_EXTENSION on the VM fd: the value, 0 when absent or for the soft table. */
int vmm_accel_check_extension(const struct vmm_accel *a, unsigned cap);

/*
 * KVM_SET_USER_MEMORY_REGION, raw: returns 0 or the -errno KVM (or the soft
 * table, identically) gives. Counted in vmm_accel_stats().
 */
int vmm_accel_set_memslot(struct vmm_accel *a, uint32_t slot, uint16_t as_id, uint32_t flags,
			  uint64_t gpa, uint64_t size, uint64_t hva);
/* The registered slot @slot of @as_id, or NULL. */
const struct vmm_memslot *vmm_accel_memslot(const struct vmm_accel *a, uint16_t as_id,
					    uint32_t slot);
/* Iterate registered slots in slot order: start with *iter = 0; NULL at the end. */
const struct vmm_memslot *vmm_accel_memslot_next(const struct vmm_accel *a, uint32_t *iter);
/* The slot covering [gpa, gpa+size) exactly (as_id 0), or NULL: " KVM" marks in info mtree -f. */
const struct vmm_memslot *vmm_accel_memslot_exact(const struct vmm_accel *a, uint64_t gpa,
						  uint64_t size);
unsigned vmm_accel_memslot_count(const struct vmm_accel *a);

/*
 * Dirty log of @slot: @bitmap gets one bit per page (size/4096 bits, rounded up
 * to 64). KVM_GET_DIRTY_LOG; with manual protect also KVM_CLEAR_DIRTY_LOG of
 * what was read. The soft table reports the pages written through
 * vmm_accel_mark_dirty() (host-side writes).
 */
int vmm_accel_get_dirty_log(struct vmm_accel *a, uint32_t slot, uint64_t *bitmap);
void vmm_accel_mark_dirty(struct vmm_accel *a, uint64_t gpa, uint64_t len);
/*
 * Host-side write of @len bytes at host address @host: marks the pages dirty
 * in every logging slot whose userspace range holds them (a page an alias
 * maps twice is dirty in both slots), as QEMU marks its own writes.
 */
void vmm_accel_mark_dirty_host(struct vmm_accel *a, const void *host, uint64_t len);

/**
 * struct vmm_accel_stats - ioctl accounting for tests and benchmarks
 */
struct vmm_accel_stats {
	uint64_t set_memslot_calls;
	uint64_t set_memslot_errors;
	uint64_t dirty_log_calls;
};
void vmm_accel_stats(const struct vmm_accel *a, struct vmm_accel_stats *out);

/* Test hook: make the @n-th next set_memslot call fail with @neg_errno without calling KVM. */
void vmm_accel_inject_fault(struct vmm_accel *a, unsigned n, int neg_errno);

/*
 * The KVM memory listener for @a on the address space named "memory":
 * registers every RAM-backed range as a page-aligned memslot (lowest free
 * slot id), READONLY for readonly/romd leaves, LOG_DIRTY_PAGES when logging.
 */
struct vmm_listener *vmm_kvm_listener_new(struct vmm_accel *a);
void vmm_kvm_listener_free(struct vmm_listener *l);

#endif
