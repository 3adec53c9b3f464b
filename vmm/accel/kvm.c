// SPDX-License-Identifier: MIT
/*
 * The real accelerator's back end: the only file that talks to /dev/kvm.
 * Every KVM ioctl of the VMM goes through vmm_kvm_ioctl(), which returns the
 * raw result or -errno as the kernel's KVM selftests' __kvm_ioctl() does. On
 * top of it: checking the API version and creating the VM, reading the
 * capabilities the rest of the VMM needs (memslot count, address spaces,
 * READONLY memory, manual dirty-log protection, which it turns on, vCPU
 * limits, guest physical address bits and the highest address a memslot may
 * reach), KVM_SET_USER_MEMORY_REGION and the dirty-log ioctls. It is a leaf:
 * the front end (accel.c) calls it and keeps the memslot mirror table in
 * step with what the kernel accepted. vCPUs are created by the machine code
 * on top of vmm_accel_vm_fd() and vmm_kvm_ioctl().
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_priv.h"

#define KVM_PAGE_SIZE	4096ull

/**
 * vmm_kvm_ioctl() - one ioctl on a KVM fd (system, VM or vCPU)
 * @fd: the fd
 * @request: the KVM_* request
 * @arg: its argument: a pointer, or an integer cast to one
 *
 * Return: the ioctl's non-negative result, or -errno.
 */
int vmm_kvm_ioctl(int fd, unsigned long request, void *arg)
{
	int r = ioctl(fd, request, arg);

	return r < 0 ? -errno : r;
}

/* Physical address bits KVM reports for guests (CPUID 0x80000008 EAX[7:0]), or 0. */
static unsigned supported_phys_bits(int kvm_fd)
{
	struct kvm_cpuid2 *c;
	unsigned bits = 0, n = 256;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return 0;
	c->nent = n;
	if (vmm_kvm_ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
		for (unsigned i = 0; i < c->nent; i++)
			if (c->entries[i].function == 0x80000008u)
				bits = c->entries[i].eax & 0xff;
	}
	free(c);
	return bits;
}

static int raw_set(int vm_fd, uint32_t field, uint32_t flags, uint64_t gpa, uint64_t size,
		   uint64_t hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = field, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = hva,
	};

	return vmm_kvm_ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

/*
 * kvm_mmu_max_gfn() is not reported anywhere: find the largest b for which a
 * one-page slot ending at 2^b is accepted. Runs before any slot exists, so
 * nothing can overlap; the probe slot is deleted again.
 */
static unsigned probe_memslot_gpa_bits(int vm_fd, uint32_t slot)
{
	unsigned lo = 32, hi = 63;

	while (lo < hi) {
		unsigned mid = (lo + hi + 1) / 2;
		uint64_t gpa = (1ull << mid) - KVM_PAGE_SIZE;

		if (raw_set(vm_fd, slot, 0, gpa, KVM_PAGE_SIZE, 0) == 0) {
			raw_set(vm_fd, slot, 0, gpa, 0, 0);
			lo = mid;
		} else {
			hi = mid - 1;
		}
	}
	return lo;
}

static int ext(int fd, long cap)
{
	int r = vmm_kvm_ioctl(fd, KVM_CHECK_EXTENSION, (void *)cap);

	return r > 0 ? r : 0;
}

/* Fill @c from the VM; turn on manual dirty-log protection when offered. */
static void read_caps(struct kvm_vm *vm, struct vmm_kvm_caps *c)
{
	int manual;

	c->nr_memslots = (unsigned)ext(vm->vm_fd, KVM_CAP_NR_MEMSLOTS);
	if (!c->nr_memslots || c->nr_memslots > 0x10000)
		c->nr_memslots = 32;	/* KVM's historic minimum */
	c->nr_as = (unsigned)ext(vm->vm_fd, KVM_CAP_MULTI_ADDRESS_SPACE);
	if (!c->nr_as)
		c->nr_as = 1;
	c->readonly_mem = ext(vm->vm_fd, KVM_CAP_READONLY_MEM) > 0;
	c->max_vcpus = (unsigned)ext(vm->vm_fd, KVM_CAP_MAX_VCPUS);
	if (!c->max_vcpus)
		c->max_vcpus = (unsigned)ext(vm->vm_fd, KVM_CAP_NR_VCPUS);
	if (!c->max_vcpus)
		c->max_vcpus = 4;	/* documented default when the cap is absent */
	c->max_gpa_bits = supported_phys_bits(vm->kvm_fd);
	manual = ext(vm->vm_fd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	if (manual & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
		/*
		 * Without KVM_DIRTY_LOG_INITIALLY_SET: a fresh log is clean, as in
		 * the soft table, so "dirty" means written since logging began.
		 */
		struct kvm_enable_cap ec = {
			.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE },
		};

		c->manual_dirty_log = vmm_kvm_ioctl(vm->vm_fd, KVM_ENABLE_CAP, &ec) == 0;
	}
	c->memslot_gpa_bits = probe_memslot_gpa_bits(vm->vm_fd, c->nr_memslots - 1);
	if (!c->max_gpa_bits)
		c->max_gpa_bits = c->memslot_gpa_bits;
}

/* Open /dev/kvm and create the VM: 0 or -errno with the reason in @err. */
static int open_vm(struct kvm_vm *vm, struct vmm_kvm_caps *c, struct vmm_err *err)
{
	int v;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return vmm_err_set(err, -errno, "/dev/kvm: %s", strerror(errno));
	v = vmm_kvm_ioctl(vm->kvm_fd, KVM_GET_API_VERSION, NULL);
	c->api_version = v;
	if (v != KVM_API_VERSION)
		return vmm_err_set(err, -EINVAL, "KVM API version %d, need %d", v,
				   KVM_API_VERSION);
	do {
		vm->vm_fd = vmm_kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, NULL);
	} while (vm->vm_fd == -EINTR);
	if (vm->vm_fd < 0) {
		int r = vm->vm_fd;

		vm->vm_fd = -1;
		return vmm_err_set(err, r, "KVM_CREATE_VM: %s", strerror(-r));
	}
	vm->vcpu_mmap_size = vmm_kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (vm->vcpu_mmap_size < (int)sizeof(struct kvm_run))
		return vmm_err_set(err, -EINVAL, "KVM_GET_VCPU_MMAP_SIZE: %d",
				   vm->vcpu_mmap_size);
	return 0;
}

int kvm_vm_open(struct kvm_vm *vm, struct vmm_kvm_caps *caps, struct vmm_err *err)
{
	int r;

	vm->kvm_fd = vm->vm_fd = -1;
	r = open_vm(vm, caps, err);
	if (r) {
		kvm_vm_close(vm);
		return r;
	}
	read_caps(vm, caps);
	return 0;
}

void kvm_vm_close(struct kvm_vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
}

int kvm_vm_set_memslot(const struct kvm_vm *vm, uint32_t slot, uint16_t as_id,
		       uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva)
{
	return raw_set(vm->vm_fd, ((uint32_t)as_id << 16) | slot, flags, gpa, size, hva);
}

int kvm_vm_get_dirty_log(const struct kvm_vm *vm, bool manual, const struct vmm_memslot *s,
			 uint64_t *bitmap)
{
	uint32_t field = ((uint32_t)s->as_id << 16) | s->slot;
	struct kvm_dirty_log d = { .slot = field, .dirty_bitmap = bitmap };
	struct kvm_clear_dirty_log c = {
		.slot = field, .first_page = 0,
		.num_pages = (uint32_t)(s->size / KVM_PAGE_SIZE), .dirty_bitmap = bitmap,
	};
	size_t words = (s->size / KVM_PAGE_SIZE + 63) / 64;
	bool any = false;

	int r = vmm_kvm_ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &d);

	if (r < 0)
		return r;
	if (!manual)
		return 0;
	for (size_t i = 0; i < words && !any; i++)
		any = bitmap[i] != 0;
	/* With manual protection the pages stay unprotected until cleared. */
	r = any ? vmm_kvm_ioctl(vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &c) : 0;
	return r < 0 ? r : 0;
}
