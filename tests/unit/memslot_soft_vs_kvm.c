// SPDX-License-Identifier: MIT
/*
 * Differential test of the soft memslot table against the real KVM: thousands
 * of random KVM_SET_USER_MEMORY_REGION calls (creations, moves, flag and
 * READONLY changes, deletions, overlaps, misalignment, size and hva changes,
 * bad ids and address spaces, wraps) go to both, which must answer each with
 * the same value; at the end both tables must hold the same slots and the
 * kernel must confirm every one of them. SEED=N replays a run.
 */
#include <errno.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vmm/kvm.h>

#include "tap.h"

#define PG 4096ull
#define POOL_PAGES 4096ull
#define OPS 6000

static uint64_t rng_state;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? rng_state % n : 0;
}

struct op {
	uint32_t slot;
	uint16_t as_id;
	uint32_t flags;
	uint64_t gpa, size, hva;
};

static uint32_t pick_slot(void)
{
	static const uint32_t odd[] = { 32763, 32764, 32767, 40000, 65535 };

	return rnd(40) ? (uint32_t)rnd(12) : odd[rnd(5)];
}

static uint32_t pick_flags(void)
{
	static const uint32_t f[] = { 0, 0, 0, VMM_MEM_LOG_DIRTY_PAGES, VMM_MEM_READONLY,
				      VMM_MEM_LOG_DIRTY_PAGES | VMM_MEM_READONLY, 4, 0x80 };

	return f[rnd(40) ? rnd(6) : 6 + rnd(2)];
}

/* A random call; often one that reuses an existing slot's hva and size. */
static void gen(struct op *o, struct vmm_accel *soft, uint64_t pool)
{
	const struct vmm_memslot *s;

	o->slot = pick_slot();
	o->as_id = rnd(50) ? 0 : 1;
	o->flags = pick_flags();
	o->gpa = rnd(256) * PG;
	o->size = (1 + rnd(8)) * PG;
	o->hva = pool + rnd(POOL_PAGES - 8) * PG;
	s = vmm_accel_memslot(soft, 0, o->slot);
	if (s && rnd(3)) {	/* a legal-looking change of an existing slot */
		o->size = s->size;
		o->hva = s->hva;
		if (rnd(2))
			o->gpa = s->gpa;
		if (rnd(2))
			o->flags = s->flags ^ (rnd(4) ? VMM_MEM_LOG_DIRTY_PAGES : VMM_MEM_READONLY);
	}
	switch (rnd(24)) {
	case 0: case 1: case 2: o->size = 0; break;	/* delete */
	case 3: o->gpa += 1 + rnd(PG - 1); break;
	case 4: o->size += 1 + rnd(PG - 1); break;
	case 5: o->hva += 1 + rnd(PG - 1); break;
	case 6: o->gpa = UINT64_MAX - PG * rnd(4) - PG + 1 - PG; break;	/* wrap */
	case 7: o->gpa = (1ull << (48 + rnd(8))) - PG * rnd(3); break;	/* gpa limit */
	case 8: o->hva = (1ull << 47) - PG * rnd(3); o->size = PG; break;	/* TASK_SIZE */
	case 9: o->size = (1ull << 31) * PG; break;	/* too many pages */
	}
}

enum { CREATE, MOVE, FLAGS, DELETE, NOP, NR_KINDS };

/* What an accepted call did, judged from the slot before it. */
static int kind_of(const struct vmm_memslot *old, const struct op *o)
{
	if (!o->size)
		return DELETE;
	if (!old)
		return CREATE;
	if (old->gpa != o->gpa)
		return MOVE;
	return old->flags != o->flags ? FLAGS : NOP;
}

static bool same_slot(const struct vmm_memslot *x, const struct vmm_memslot *y)
{
	return x->slot == y->slot && x->as_id == y->as_id && x->flags == y->flags &&
	       x->gpa == y->gpa && x->size == y->size && x->hva == y->hva;
}

static void compare_tables(struct vmm_accel *soft, struct vmm_accel *kvm)
{
	const struct vmm_memslot *s, *k;
	uint32_t is_ = 0, ik = 0;
	bool same = true;

	do {
		s = vmm_accel_memslot_next(soft, &is_);
		k = vmm_accel_memslot_next(kvm, &ik);
		if ((s || k) && (!s || !k || !same_slot(s, k))) {
			same = false;
			diag("  slot %d differs", s ? (int)s->slot : (int)k->slot);
		}
	} while (s && k);
	ok(same, "soft table and KVM mirror hold the same slots");
	is(vmm_accel_memslot_count(soft), vmm_accel_memslot_count(kvm), "same count");
}

/* The kernel itself must agree with the mirror: re-issuing a slot is a no-op, growing it fails. */
static void confirm_with_kernel(struct vmm_accel *kvm)
{
	unsigned present = 0, bad = 0;

	for (uint32_t id = 0; id < 12; id++) {
		const struct vmm_memslot *s = vmm_accel_memslot(kvm, 0, id);
		int same, grow;

		if (!s) {
			bad += vmm_accel_set_memslot(kvm, id, 0, 0, 0, 0, 0) != -EINVAL;
			continue;
		}
		present++;
		same = vmm_accel_set_memslot(kvm, id, 0, s->flags, s->gpa, s->size, s->hva);
		grow = vmm_accel_set_memslot(kvm, id, 0, s->flags, s->gpa, s->size + PG, s->hva);
		bad += same != 0 || grow != -EINVAL;
	}
	is(bad, 0, "the kernel confirms all %u mirrored slots and every free id", present);
}

int main(void)
{
	struct vmm_err err = { 0 };
	struct vmm_accel *kvm, *soft;
	unsigned mismatches = 0, errors = 0, kinds[NR_KINDS] = { 0 };
	const char *seed = getenv("SEED");
	void *pool;

	if (access("/dev/kvm", R_OK | W_OK))
		skip_all("no usable /dev/kvm");
	kvm = vmm_accel_new_kvm(&err);
	if (!kvm)
		skip_all("KVM VM cannot be created here");
	soft = vmm_accel_new_soft_like(vmm_accel_caps(kvm));
	pool = mmap(NULL, POOL_PAGES * PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!ok(soft && pool != MAP_FAILED, "soft table like the VM, and an hva pool"))
		return done_testing();
	rng_state = seed ? strtoull(seed, NULL, 0) : (uint64_t)time(NULL) | 1;
	diag("SEED=%llu, memslot gpa bits %u", (unsigned long long)rng_state,
	     vmm_accel_caps(kvm)->memslot_gpa_bits);
	for (unsigned i = 0; i < OPS; i++) {
		struct op o;
		const struct vmm_memslot *old;
		struct vmm_memslot before;
		int rs, rk;

		gen(&o, soft, (uint64_t)(uintptr_t)pool);
		old = o.as_id ? NULL : vmm_accel_memslot(soft, 0, o.slot);
		if (old)
			before = *old;
		rs = vmm_accel_set_memslot(soft, o.slot, o.as_id, o.flags, o.gpa, o.size, o.hva);
		rk = vmm_accel_set_memslot(kvm, o.slot, o.as_id, o.flags, o.gpa, o.size, o.hva);
		errors += rk != 0;
		if (!rk)
			kinds[kind_of(old ? &before : NULL, &o)]++;
		if (rs != rk && mismatches++ < 10)
			diag("  op %u slot %u as %u flags %#x gpa %#llx size %#llx hva %#llx: "
			     "soft %d kvm %d", i, o.slot, o.as_id, o.flags,
			     (unsigned long long)o.gpa, (unsigned long long)o.size,
			     (unsigned long long)o.hva, rs, rk);
	}
	is(mismatches, 0, "%u random calls: same answer from both (%u refused)", OPS, errors);
	ok(errors > OPS / 10 && errors < OPS * 9 / 10, "a useful mix of accepted and refused calls");
	ok(kinds[CREATE] > 50 && kinds[MOVE] > 50 && kinds[FLAGS] > 50 && kinds[DELETE] > 50,
	   "accepted: %u creations, %u moves, %u flag changes, %u deletions, %u no-ops",
	   kinds[CREATE], kinds[MOVE], kinds[FLAGS], kinds[DELETE], kinds[NOP]);
	compare_tables(soft, kvm);
	confirm_with_kernel(kvm);
	vmm_accel_free(soft);
	vmm_accel_free(kvm);
	munmap(pool, POOL_PAGES * PG);
	return done_testing();
}
