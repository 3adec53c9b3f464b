// SPDX-License-Identifier: MIT
/*
 * The accelerator front end: the public vmm_accel_* calls, common to the
 * in-process table ("none") and a real KVM VM. Each call checks or records in
 * the memslot table (memslot.c) and, on KVM, hands the real ioctl to the back
 * end (kvm.c) first, so the table mirrors only what the kernel accepted. It
 * also keeps the ioctl statistics, the per-accelerator fault injection the
 * tests use, and the soft dirty log of host-side writes.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accel_priv.h"

static struct vmm_accel *accel_soft_new(const struct vmm_kvm_caps *caps)
{
	struct vmm_accel *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->kind = VMM_ACCEL_NONE;
	a->caps = *caps;
	a->vm.kvm_fd = a->vm.vm_fd = -1;
	if (memslot_table_init(&a->t, &a->caps)) {
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	return a;
}

/* Guest physical address bits of the host CPU (CPUID 0x80000008 EAX[7:0]). */
static unsigned host_phys_bits(void)
{
	unsigned eax = 0, ebx, ecx, edx;

#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx)
			 : "a"(0x80000000u), "c"(0));
	if (eax >= 0x80000008u)
		__asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx)
				 : "a"(0x80000008u), "c"(0));
	else
		eax = 36;
#endif
	return (eax & 0xff) ? (eax & 0xff) : 36;
}

struct vmm_accel *vmm_accel_new_soft(unsigned nr_slots)
{
	struct vmm_kvm_caps caps = {
		.nr_memslots = nr_slots ? nr_slots : MEMSLOT_USER_MEM_SLOTS,
		.nr_as = 1,
		.readonly_mem = true,
		.max_gpa_bits = host_phys_bits(),
		.memslot_gpa_bits = 52,
	};

	if (caps.nr_memslots > MEMSLOT_USER_MEM_SLOTS) {
		errno = EINVAL;
		return NULL;
	}
	return accel_soft_new(&caps);
}

struct vmm_accel *vmm_accel_new_soft_like(const struct vmm_kvm_caps *caps)
{
	if (!caps->nr_memslots || caps->nr_memslots > 0x10000) {
		errno = EINVAL;
		return NULL;
	}
	return accel_soft_new(caps);
}

/* A real KVM VM; its table gets the limits the kernel reported. */
struct vmm_accel *vmm_accel_new_kvm(struct vmm_err *err)
{
	struct vmm_accel *a = calloc(1, sizeof(*a));
	int r;

	if (!a) {
		vmm_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	a->kind = VMM_ACCEL_KVM;
	r = kvm_vm_open(&a->vm, &a->caps, err);
	if (r)
		goto free_a;
	r = memslot_table_init(&a->t, &a->caps);
	if (r) {
		vmm_err_set(err, r, "out of memory");
		goto close_vm;
	}
	return a;

close_vm:
	kvm_vm_close(&a->vm);
free_a:
	free(a);
	errno = -r;
	return NULL;
}

void vmm_accel_free(struct vmm_accel *a)
{
	if (!a)
		return;
	if (a->kind == VMM_ACCEL_KVM)
		kvm_vm_close(&a->vm);
	memslot_table_fini(&a->t);
	free(a);
}

enum vmm_accel_kind vmm_accel_kind(const struct vmm_accel *a)
{
	return a->kind;
}

const char *vmm_accel_name(const struct vmm_accel *a)
{
	return a->kind == VMM_ACCEL_KVM ? "kvm" : "none";
}

const struct vmm_kvm_caps *vmm_accel_caps(const struct vmm_accel *a)
{
	return &a->caps;
}

int vmm_accel_vm_fd(const struct vmm_accel *a)
{
	return a->vm.vm_fd;
}

int vmm_accel_kvm_fd(const struct vmm_accel *a)
{
	return a->vm.kvm_fd;
}

int vmm_accel_vcpu_mmap_size(const struct vmm_accel *a)
{
	return a->vm.vcpu_mmap_size;
}

int vmm_accel_check_extension(const struct vmm_accel *a, unsigned cap)
{
	int r;

	if (a->kind != VMM_ACCEL_KVM)
		return 0;
	r = vmm_kvm_ioctl(a->vm.vm_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)cap);
	return r > 0 ? r : 0;
}

/* The injected fault, if this call is the one it was armed for. */
static int fault_take(struct vmm_accel *a)
{
	if (!a->fault_countdown || --a->fault_countdown)
		return 0;
	return a->fault_errno;
}

int vmm_accel_set_memslot(struct vmm_accel *a, uint32_t slot, uint16_t as_id, uint32_t flags,
			  uint64_t gpa, uint64_t size, uint64_t hva)
{
	int r = fault_take(a);

	a->stats.set_memslot_calls++;
	if (!r && slot >= 0x10000)
		r = -EINVAL;	/* would spill into the as_id half of KVM's slot field */
	if (!r && a->kind == VMM_ACCEL_KVM)
		r = kvm_vm_set_memslot(&a->vm, slot, as_id, flags, gpa, size, hva);
	else if (!r)
		r = memslot_table_check(&a->t, slot, as_id, flags, gpa, size, hva);
	if (r) {
		a->stats.set_memslot_errors++;
		return r;
	}
	r = memslot_table_apply(&a->t, slot, as_id, flags, gpa, size, hva);
	/* The kernel holds the slot now; only the soft dirty bitmap can fail to follow. */
	if (a->kind == VMM_ACCEL_KVM)
		return 0;
	if (r)
		a->stats.set_memslot_errors++;
	return r;
}

void vmm_accel_inject_fault(struct vmm_accel *a, unsigned n, int neg_errno)
{
	a->fault_errno = neg_errno;
	a->fault_countdown = neg_errno ? n : 0;
}

void vmm_accel_stats(const struct vmm_accel *a, struct vmm_accel_stats *out)
{
	*out = a->stats;
}

const struct vmm_memslot *vmm_accel_memslot(const struct vmm_accel *a, uint16_t as_id,
					    uint32_t slot)
{
	const struct memslot_entry *e;

	if (as_id >= a->t.nr_as || slot >= a->t.nr_slots)
		return NULL;
	e = memslot_entry(&a->t, as_id, slot);
	return e->s.size ? &e->s : NULL;
}

const struct vmm_memslot *vmm_accel_memslot_next(const struct vmm_accel *a, uint32_t *iter)
{
	size_t n = (size_t)a->t.nr_slots * a->t.nr_as;

	while (*iter < n) {
		const struct memslot_entry *e = &a->t.ent[(*iter)++];

		if (e->s.size)
			return &e->s;
	}
	return NULL;
}

const struct vmm_memslot *vmm_accel_memslot_exact(const struct vmm_accel *a, uint64_t gpa,
						  uint64_t size)
{
	unsigned i = memslot_table_lower_bound(&a->t, 0, gpa);
	const struct vmm_memslot *s;

	if (i >= a->t.nr_by_gpa[0])
		return NULL;
	s = &memslot_entry(&a->t, 0, a->t.by_gpa[0][i])->s;
	return s->gpa == gpa && s->size == size ? s : NULL;
}

unsigned vmm_accel_memslot_count(const struct vmm_accel *a)
{
	return a->t.count;
}

void vmm_accel_mark_dirty(struct vmm_accel *a, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len < gpa ? UINT64_MAX : gpa + len;
	unsigned i;

	if (!len)
		return;
	for (i = memslot_table_lower_bound(&a->t, 0, gpa); i < a->t.nr_by_gpa[0]; i++) {
		struct memslot_entry *e = memslot_entry(&a->t, 0, a->t.by_gpa[0][i]);
		uint64_t lo, hi, pg;

		if (e->s.gpa >= end)
			break;
		if (!e->dirty)
			continue;
		lo = (gpa > e->s.gpa ? gpa : e->s.gpa) - e->s.gpa;
		hi = (end < e->s.gpa + e->s.size ? end : e->s.gpa + e->s.size) - e->s.gpa;
		for (pg = lo / MEMSLOT_PAGE; pg < (hi + MEMSLOT_PAGE - 1) / MEMSLOT_PAGE; pg++)
			e->dirty[pg / 64] |= 1ull << (pg % 64);
	}
}

void vmm_accel_mark_dirty_host(struct vmm_accel *a, const void *host, uint64_t len)
{
	uint64_t lo = (uint64_t)(uintptr_t)host, end = lo + len < lo ? UINT64_MAX : lo + len;

	if (!len)
		return;
	/* the same host page may back several slots (aliases): mark it in each */
	for (unsigned i = 0; i < a->t.nr_by_gpa[0]; i++) {
		const struct memslot_entry *e = memslot_entry(&a->t, 0, a->t.by_gpa[0][i]);
		uint64_t from, to;

		if (!e->dirty || e->s.hva >= end || e->s.hva + e->s.size <= lo)
			continue;
		from = lo > e->s.hva ? lo : e->s.hva;
		to = end < e->s.hva + e->s.size ? end : e->s.hva + e->s.size;
		vmm_accel_mark_dirty(a, e->s.gpa + (from - e->s.hva), to - from);
	}
}

/*
 * Hand out and clear the pages dirtied since the last call. On KVM the
 * kernel's log (guest writes) is merged with the host-side writes recorded
 * here, so both accelerators report the same thing for the same writes.
 */
int vmm_accel_get_dirty_log(struct vmm_accel *a, uint32_t slot, uint64_t *bitmap)
{
	struct memslot_entry *e;
	size_t words;
	int r = 0;

	a->stats.dirty_log_calls++;
	if (slot >= a->t.nr_slots)
		return -EINVAL;
	e = memslot_entry(&a->t, 0, slot);
	if (!e->s.size || !e->dirty)
		return -ENOENT;
	words = (e->s.size / MEMSLOT_PAGE + 63) / 64;
	memset(bitmap, 0, words * sizeof(*bitmap));
	if (a->kind == VMM_ACCEL_KVM)
		r = kvm_vm_get_dirty_log(&a->vm, a->caps.manual_dirty_log, &e->s, bitmap);
	if (r)
		return r;
	for (size_t i = 0; i < words; i++) {
		bitmap[i] |= e->dirty[i];
		e->dirty[i] = 0;
	}
	return 0;
}
