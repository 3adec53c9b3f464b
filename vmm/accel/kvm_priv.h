/* SPDX-License-Identifier: MIT */
/*
 * The KVM back end (kvm.c): a VM from /dev/kvm and the ioctls the
 * accelerator front end needs. It knows nothing of the memslot table, so
 * calls run one way, from accel.c down to here.
 */
#ifndef VMM_ACCEL_KVM_PRIV_H
#define VMM_ACCEL_KVM_PRIV_H

#include <vmm/kvm.h>

struct kvm_vm {
	int kvm_fd, vm_fd;
	int vcpu_mmap_size;
};

/* Open /dev/kvm, create the VM and fill @caps: 0 or -errno with the reason in @err. */
int kvm_vm_open(struct kvm_vm *vm, struct vmm_kvm_caps *caps, struct vmm_err *err);
void kvm_vm_close(struct kvm_vm *vm);
/* KVM_SET_USER_MEMORY_REGION: 0 or the kernel's -errno. */
int kvm_vm_set_memslot(const struct kvm_vm *vm, uint32_t slot, uint16_t as_id,
		       uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva);
/* KVM_GET_DIRTY_LOG of @s, and with @manual protection KVM_CLEAR_DIRTY_LOG of it. */
int kvm_vm_get_dirty_log(const struct kvm_vm *vm, bool manual, const struct vmm_memslot *s,
			 uint64_t *bitmap);

#endif
