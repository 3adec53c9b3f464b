// SPDX-License-Identifier: MIT
/*
 * The memslot table and the accelerator front end. The table answers every
 * KVM_SET_USER_MEMORY_REGION exactly as virt/kvm/kvm_main.c does on this
 * host (checked against it by tests/unit/memslot_soft_vs_kvm.c): alignment,
 * id and address-space range, flag validity, wrap and size limits are
 * EINVAL; a slot overlapping another is EEXIST; an existing slot may only
 * move or change flags other than READONLY; size 0 deletes and deleting a
 * free id is EINVAL. Without /dev/kvm the table is the accelerator ("none");
 * with KVM it mirrors what the kernel accepted. The vmm_accel_* calls here
 * are common to both and dispatch the real ioctls to kvm.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "accel_priv.h"

/* TASK_SIZE_MAX: 2^47 - 4 KiB with 4-level paging, 2^56 - 4 KiB with 5-level. */
uint64_t vmm_memslot_user_addr_end(void)
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
	p = syscall(SYS_mmap, (void *)(1ull << 50), VMM_PAGE_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != -1 && (uint64_t)p == (1ull << 50)) {
		syscall(SYS_munmap, p, VMM_PAGE_SIZE);
		end = (1ull << 56) - VMM_PAGE_SIZE;
	} else {
		end = (1ull << 47) - VMM_PAGE_SIZE;
	}
	__atomic_store_n(&cached, end, __ATOMIC_RELAXED);
	return end;
}

int vmm_memslot_table_init(struct memslot_table *t, const struct vmm_kvm_caps *caps)
{
	unsigned bits = caps->memslot_gpa_bits ? caps->memslot_gpa_bits : 52;

	memset(t, 0, sizeof(*t));
	t->nr_slots = caps->nr_memslots;
	t->nr_as = caps->nr_as ? caps->nr_as : 1;
	t->valid_flags = VMM_MEM_LOG_DIRTY_PAGES | (caps->readonly_mem ? VMM_MEM_READONLY : 0);
	t->max_gfn = bits >= 64 ? (UINT64_MAX >> 12) : ((1ull << bits) >> 12) - 1;
	t->hva_end = vmm_memslot_user_addr_end();
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
	vmm_memslot_table_fini(t);
	return -ENOMEM;
}

void vmm_memslot_table_fini(struct memslot_table *t)
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

static struct memslot_entry *entry(const struct memslot_table *t, uint16_t as_id, uint32_t id)
{
	return &t->ent[(size_t)as_id * t->nr_slots + id];
}

/* Index in by_gpa[as_id] of the first slot that ends after @gpa. */
static unsigned gpa_lower_bound(const struct memslot_table *t, uint16_t as_id, uint64_t gpa)
{
	unsigned lo = 0, hi = t->nr_by_gpa[as_id];

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct vmm_memslot *s = &entry(t, as_id, t->by_gpa[as_id][mid])->s;

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
	unsigned i = gpa_lower_bound(t, as_id, gpa);

	for (; i < t->nr_by_gpa[as_id]; i++) {
		uint32_t other = t->by_gpa[as_id][i];

		if (entry(t, as_id, other)->s.gpa >= gpa + size)
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
	if ((size | gpa | hva) & (VMM_PAGE_SIZE - 1))
		return -EINVAL;
	if (hva + size < hva || hva + size > t->hva_end)
		return -EINVAL;
	if (as_id >= t->nr_as || slot >= t->nr_slots)
		return -EINVAL;
	if (gpa + size < gpa)
		return -EINVAL;
	if (size / VMM_PAGE_SIZE > VMM_KVM_MAX_NR_PAGES)
		return -EINVAL;
	return 0;
}

int vmm_memslot_table_check(const struct memslot_table *t, uint32_t slot, uint16_t as_id,
			    uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva)
{
	const struct vmm_memslot *old;
	int r = check_args(t, slot, as_id, flags, gpa, size, hva);

	if (r)
		return r;
	old = &entry(t, as_id, slot)->s;
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
	if ((gpa + size) / VMM_PAGE_SIZE - 1 > t->max_gfn)
		return -EINVAL;
	return 0;
}

static void by_gpa_remove(struct memslot_table *t, uint16_t as_id, uint32_t id)
{
	uint32_t *v = t->by_gpa[as_id];
	unsigned i = gpa_lower_bound(t, as_id, entry(t, as_id, id)->s.gpa);

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
	unsigned i = gpa_lower_bound(t, as_id, entry(t, as_id, id)->s.gpa);

	memmove(&v[i + 1], &v[i], (t->nr_by_gpa[as_id] - i) * sizeof(*v));
	v[i] = id;
	t->nr_by_gpa[as_id]++;
}

/* Dirty bitmaps follow LOG_DIRTY_PAGES: a fresh, clean one when logging starts. */
static int update_dirty(struct memslot_entry *e, uint32_t flags)
{
	bool on = flags & VMM_MEM_LOG_DIRTY_PAGES;

	if (on && !e->dirty) {
		e->dirty = calloc((e->s.size / VMM_PAGE_SIZE + 63) / 64, sizeof(uint64_t));
		if (!e->dirty)
			return -ENOMEM;
	} else if (!on) {
		free(e->dirty);
		e->dirty = NULL;
	}
	return 0;
}

int vmm_memslot_table_apply(struct memslot_table *t, uint32_t slot, uint16_t as_id,
			    uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva)
{
	struct memslot_entry *e = entry(t, as_id, slot);
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

/* ---- the accelerator front end, common to the soft table and KVM ---- */

static struct vmm_accel *accel_soft_new(const struct vmm_kvm_caps *caps)
{
	struct vmm_accel *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->kind = VMM_ACCEL_NONE;
	a->caps = *caps;
	a->kvm_fd = a->vm_fd = -1;
	if (vmm_memslot_table_init(&a->t, &a->caps)) {
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
		.nr_memslots = nr_slots ? nr_slots : VMM_KVM_USER_MEM_SLOTS,
		.nr_as = 1,
		.readonly_mem = true,
		.max_gpa_bits = host_phys_bits(),
		.memslot_gpa_bits = 52,
	};

	if (caps.nr_memslots > VMM_KVM_USER_MEM_SLOTS) {
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

void vmm_accel_free(struct vmm_accel *a)
{
	if (!a)
		return;
	if (a->kind == VMM_ACCEL_KVM)
		vmm_kvm_close(a);
	vmm_memslot_table_fini(&a->t);
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
	return a->vm_fd;
}

int vmm_accel_kvm_fd(const struct vmm_accel *a)
{
	return a->kvm_fd;
}

int vmm_accel_vcpu_mmap_size(const struct vmm_accel *a)
{
	return a->vcpu_mmap_size;
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
		r = vmm_kvm_set_memslot(a, slot, as_id, flags, gpa, size, hva);
	else if (!r)
		r = vmm_memslot_table_check(&a->t, slot, as_id, flags, gpa, size, hva);
	if (!r && a->kind == VMM_ACCEL_NONE)
		r = vmm_memslot_table_apply(&a->t, slot, as_id, flags, gpa, size, hva);
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
	e = entry(&a->t, as_id, slot);
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
	unsigned i = gpa_lower_bound(&a->t, 0, gpa);
	const struct vmm_memslot *s;

	if (i >= a->t.nr_by_gpa[0])
		return NULL;
	s = &entry(&a->t, 0, a->t.by_gpa[0][i])->s;
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
	for (i = gpa_lower_bound(&a->t, 0, gpa); i < a->t.nr_by_gpa[0]; i++) {
		struct memslot_entry *e = entry(&a->t, 0, a->t.by_gpa[0][i]);
		uint64_t lo, hi, pg;

		if (e->s.gpa >= end)
			break;
		if (!e->dirty)
			continue;
		lo = (gpa > e->s.gpa ? gpa : e->s.gpa) - e->s.gpa;
		hi = (end < e->s.gpa + e->s.size ? end : e->s.gpa + e->s.size) - e->s.gpa;
		for (pg = lo / VMM_PAGE_SIZE; pg < (hi + VMM_PAGE_SIZE - 1) / VMM_PAGE_SIZE; pg++)
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
		const struct memslot_entry *e = entry(&a->t, 0, a->t.by_gpa[0][i]);
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
	e = entry(&a->t, 0, slot);
	if (!e->s.size || !e->dirty)
		return -ENOENT;
	words = (e->s.size / VMM_PAGE_SIZE + 63) / 64;
	memset(bitmap, 0, words * sizeof(*bitmap));
	if (a->kind == VMM_ACCEL_KVM)
		r = vmm_kvm_get_dirty_log(a, &e->s, bitmap);
	if (r)
		return r;
	for (size_t i = 0; i < words; i++) {
		bitmap[i] |= e->dirty[i];
		e->dirty[i] = 0;
	}
	return 0;
}
