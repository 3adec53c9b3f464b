// SPDX-License-Identifier: MIT
/*
 * The real KVM accelerator: its capabilities agree with what the kernel says
 * through KVM_CHECK_EXTENSION, manual dirty-log protection is on when
 * offered, and the dirty log of a logging slot goes through KVM_GET_DIRTY_LOG
 * (and KVM_CLEAR_DIRTY_LOG) merged with host-side writes, each read clearing
 * what it returned; a slot that does not log answers ENOENT, as the kernel
 * itself does. Skips without /dev/kvm.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vmm/kvm.h>

#include "tap.h"

#define PG 4096ull

static void test_caps(struct vmm_accel *a)
{
	const struct vmm_kvm_caps *c = vmm_accel_caps(a);
	int fd = vmm_accel_kvm_fd(a);

	is_str(vmm_accel_name(a), "kvm", "named kvm");
	ok(vmm_accel_vm_fd(a) >= 0 && fd >= 0, "has a VM fd and a /dev/kvm fd");
	is(c->api_version, 12, "API version 12");
	is(c->nr_memslots, ioctl(vmm_accel_vm_fd(a), KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS),
	   "nr_memslots as KVM_CAP_NR_MEMSLOTS");
	is(vmm_accel_check_extension(a, KVM_CAP_NR_MEMSLOTS), c->nr_memslots,
	   "vmm_accel_check_extension");
	is(c->readonly_mem, ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0,
	   "readonly_mem as KVM_CAP_READONLY_MEM");
	is(c->manual_dirty_log,
	   (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) & 1) != 0,
	   "manual dirty-log protection on exactly when offered");
	is(vmm_accel_vcpu_mmap_size(a), ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0), "vcpu mmap size");
	ok(c->max_gpa_bits >= 32 && c->max_gpa_bits <= 57, "max gpa bits %u", c->max_gpa_bits);
	ok(c->memslot_gpa_bits >= 36 && c->memslot_gpa_bits <= 63, "memslot gpa bits %u",
	   c->memslot_gpa_bits);
	ok(c->max_vcpus >= 1, "max vcpus %u", c->max_vcpus);
	is(vmm_accel_memslot_count(a), 0, "the gpa probe left no slot behind");
}

static void test_dirty(struct vmm_accel *a, void *mem)
{
	uint64_t hva = (uint64_t)(uintptr_t)mem, bm[2] = { ~0ull, ~0ull };
	struct kvm_dirty_log raw = { .slot = 1, .dirty_bitmap = bm };
	struct vmm_accel_stats st;

	is(vmm_accel_set_memslot(a, 0, 0, VMM_MEM_LOG_DIRTY_PAGES, 0x100000, 70 * PG, hva), 0,
	   "logging slot of 70 pages");
	is(vmm_accel_set_memslot(a, 1, 0, 0, 0x200000, PG, hva), 0, "slot without logging");
	is(vmm_accel_get_dirty_log(a, 0, bm), 0, "KVM_GET_DIRTY_LOG");
	ok(bm[0] == 0 && bm[1] == 0, "nothing written yet: clean");
	vmm_accel_mark_dirty(a, 0x100000 + 65 * PG + 10, 1);
	vmm_accel_mark_dirty(a, 0x100000 - PG, 2 * PG);
	is(vmm_accel_get_dirty_log(a, 0, bm), 0, "read again");
	ok(bm[0] == 1 && bm[1] == 2, "host writes to pages 0 and 65 are reported");
	is(vmm_accel_get_dirty_log(a, 0, bm), 0, "and once more");
	ok(bm[0] == 0 && bm[1] == 0, "reading cleared them");
	is(vmm_accel_get_dirty_log(a, 1, bm), -ENOENT, "not logging: ENOENT");
	is(ioctl(vmm_accel_vm_fd(a), KVM_GET_DIRTY_LOG, &raw) < 0 ? -errno : 0, -ENOENT,
	   "which is what the kernel answers");
	vmm_accel_stats(a, &st);
	is(st.dirty_log_calls, 4, "dirty-log reads counted");
	is(vmm_accel_set_memslot(a, 0, 0, 0, 0x100000, 70 * PG, hva), 0, "logging off");
	is(vmm_accel_get_dirty_log(a, 0, bm), -ENOENT, "then ENOENT");
}

int main(void)
{
	struct vmm_err err = { 0 };
	struct vmm_accel *a;
	void *mem;

	if (access("/dev/kvm", R_OK | W_OK))
		skip_all("no usable /dev/kvm");
	a = vmm_accel_new_kvm(&err);
	if (!a)
		skip_all("KVM VM cannot be created here");
	mem = mmap(NULL, 70 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	test_caps(a);
	if (ok(mem != MAP_FAILED, "guest memory"))
		test_dirty(a, mem);
	vmm_accel_free(a);
	munmap(mem, 70 * PG);
	return done_testing();
}
