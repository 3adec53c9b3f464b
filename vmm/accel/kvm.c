// SPDX-License-Identifier: MIT
/*
 * The real accelerator: a KVM VM from /dev/kvm. It checks the API version,
 * creates the VM, reads the capabilities the rest of the VMM needs (memslot
 * count, address spaces, READONLY memory, manual dirty-log protection, which
 * it turns on, vCPU limits, guest physical address bits and the highest
 * address a memslot may reach), and carries out KVM_SET_USER_MEMORY_REGION
 * and the dirty-log ioctls, keeping the mirror table of memslot.c in step
 * with what the kernel accepted. vCPUs are created by the machine code on top
 * of vmm_accel_vm_fd().
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "accel_priv.h"

int vmm_accel_check_extension(const struct vmm_accel *a, unsigned cap)
{
	int r;

	if (a->kind != VMM_ACCEL_KVM)
		return 0;
	r = ioctl(a->vm_fd, KVM_CHECK_EXTENSION, (unsigned long)cap);
	return r > 0 ? r : 0;
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
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
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

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
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
		uint64_t gpa = (1ull << mid) - VMM_PAGE_SIZE;

		if (raw_set(vm_fd, slot, 0, gpa, VMM_PAGE_SIZE, 0) == 0) {
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
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r > 0 ? r : 0;
}

/* Fill a->caps from the VM; turn on manual dirty-log protection when offered. */
static void read_caps(struct vmm_accel *a)
{
	struct vmm_kvm_caps *c = &a->caps;
	int manual;

	c->nr_memslots = (unsigned)ext(a->vm_fd, KVM_CAP_NR_MEMSLOTS);
	if (!c->nr_memslots || c->nr_memslots > 0x10000)
		c->nr_memslots = 32;	/* KVM's historic minimum */
	c->nr_as = (unsigned)ext(a->vm_fd, KVM_CAP_MULTI_ADDRESS_SPACE);
	if (!c->nr_as)
		c->nr_as = 1;
	c->readonly_mem = ext(a->vm_fd, KVM_CAP_READONLY_MEM) > 0;
	c->max_vcpus = (unsigned)ext(a->vm_fd, KVM_CAP_MAX_VCPUS);
	if (!c->max_vcpus)
		c->max_vcpus = (unsigned)ext(a->vm_fd, KVM_CAP_NR_VCPUS);
	if (!c->max_vcpus)
		c->max_vcpus = 4;	/* documented default when the cap is absent */
	c->max_gpa_bits = supported_phys_bits(a->kvm_fd);
	manual = ext(a->vm_fd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	if (manual & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
		/*
		 * Without KVM_DIRTY_LOG_INITIALLY_SET: a fresh log is clean, as in
		 * the soft table, so "dirty" means written since logging began.
		 */
		struct kvm_enable_cap ec = {
			.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE },
		};

		c->manual_dirty_log = ioctl(a->vm_fd, KVM_ENABLE_CAP, &ec) == 0;
	}
	c->memslot_gpa_bits = probe_memslot_gpa_bits(a->vm_fd, c->nr_memslots - 1);
	if (!c->max_gpa_bits)
		c->max_gpa_bits = c->memslot_gpa_bits;
}

/* Open /dev/kvm and create the VM: 0 or -errno with the reason in @err. */
static int open_vm(struct vmm_accel *a, struct vmm_err *err)
{
	int v;

	a->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (a->kvm_fd < 0)
		return vmm_err_set(err, -errno, "/dev/kvm: %s", strerror(errno));
	v = ioctl(a->kvm_fd, KVM_GET_API_VERSION, 0);
	a->caps.api_version = v;
	if (v != KVM_API_VERSION)
		return vmm_err_set(err, -EINVAL, "KVM API version %d, need %d", v,
				   KVM_API_VERSION);
	do {
		a->vm_fd = ioctl(a->kvm_fd, KVM_CREATE_VM, 0);
	} while (a->vm_fd < 0 && errno == EINTR);
	if (a->vm_fd < 0)
		return vmm_err_set(err, -errno, "KVM_CREATE_VM: %s", strerror(errno));
	a->vcpu_mmap_size = ioctl(a->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (a->vcpu_mmap_size < (int)sizeof(struct kvm_run))
		return vmm_err_set(err, -EINVAL, "KVM_GET_VCPU_MMAP_SIZE: %d",
				   a->vcpu_mmap_size);
	return 0;
}

struct vmm_accel *vmm_accel_new_kvm(struct vmm_err *err)
{
	struct vmm_accel *a = calloc(1, sizeof(*a));
	int r;

	if (!a) {
		vmm_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	a->kind = VMM_ACCEL_KVM;
	a->kvm_fd = a->vm_fd = -1;
	r = open_vm(a, err);
	if (r)
		goto fail_close;
	read_caps(a);
	r = vmm_memslot_table_init(&a->t, &a->caps);
	if (r) {
		vmm_err_set(err, r, "out of memory");
		goto fail_close;
	}
	return a;

fail_close:
	vmm_kvm_close(a);
	free(a);
	errno = -r;
	return NULL;
}

void vmm_kvm_close(struct vmm_accel *a)
{
	if (a->vm_fd >= 0)
		close(a->vm_fd);
	if (a->kvm_fd >= 0)
		close(a->kvm_fd);
	a->vm_fd = a->kvm_fd = -1;
}

int vmm_kvm_set_memslot(struct vmm_accel *a, uint32_t slot, uint16_t as_id, uint32_t flags,
			uint64_t gpa, uint64_t size, uint64_t hva)
{
	int r = raw_set(a->vm_fd, ((uint32_t)as_id << 16) | slot, flags, gpa, size, hva);

	if (r)
		return r;
	/* The kernel holds the slot now; only the soft dirty bitmap can fail to follow. */
	vmm_memslot_table_apply(&a->t, slot, as_id, flags, gpa, size, hva);
	return 0;
}

int vmm_kvm_get_dirty_log(struct vmm_accel *a, const struct vmm_memslot *s, uint64_t *bitmap)
{
	uint32_t field = ((uint32_t)s->as_id << 16) | s->slot;
	struct kvm_dirty_log d = { .slot = field, .dirty_bitmap = bitmap };
	struct kvm_clear_dirty_log c = {
		.slot = field, .first_page = 0,
		.num_pages = (uint32_t)(s->size / VMM_PAGE_SIZE), .dirty_bitmap = bitmap,
	};
	size_t words = (s->size / VMM_PAGE_SIZE + 63) / 64;
	bool any = false;

	if (ioctl(a->vm_fd, KVM_GET_DIRTY_LOG, &d) < 0)
		return -errno;
	if (!a->caps.manual_dirty_log)
		return 0;
	for (size_t i = 0; i < words && !any; i++)
		any = bitmap[i] != 0;
	/* With manual protection the pages stay unprotected until cleared. */
	if (any && ioctl(a->vm_fd, KVM_CLEAR_DIRTY_LOG, &c) < 0)
		return -errno;
	return 0;
}
