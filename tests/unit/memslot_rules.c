// SPDX-License-Identifier: MIT
/*
 * The soft memslot table against the answers this machine's KVM gave to the
 * same calls (recorded by hand from a probe of KVM_SET_USER_MEMORY_REGION):
 * alignment, flags, id and address-space range, wrap, page limit, deleting a
 * free id, overlap, what an existing slot may change, and the bookkeeping
 * (lookups by id and by exact range, iteration, counts, dirty log, faults).
 */
#include <errno.h>
#include <vmm/kvm.h>

#include "tap.h"

#define PG 4096ull
#define RO VMM_MEM_READONLY
#define LOG VMM_MEM_LOG_DIRTY_PAGES

static struct vmm_accel *a;
static unsigned calls, errors;

static int set(uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva)
{
	int r = vmm_accel_set_memslot(a, slot, 0, flags, gpa, size, hva);

	calls++;
	errors += r != 0;
	return r;
}

static void test_args(void)
{
	is(set(0, 0, 0, 0, 0), -EINVAL, "deleting a free slot is EINVAL");
	is(set(0, 0, 0, PG + 1, 0), -EINVAL, "unaligned size");
	is(set(0, 0, 1, PG, 0), -EINVAL, "unaligned gpa");
	is(set(0, 0, 0, PG, 0x800), -EINVAL, "unaligned hva");
	is(set(0, 4, 0, PG, 0), -EINVAL, "unknown flag");
	is(set(32764, 0, 0, PG, 0), -EINVAL, "slot id 32764 is beyond KVM_USER_MEM_SLOTS");
	is(set(32763, 0, 0x100000, PG, 0), 0, "slot id 32763 is the last one");
	is(vmm_accel_set_memslot(a, 5, 1, 0, 0x200000, PG, 0), -EINVAL, "as_id 1 of 1");
	calls++, errors++;
	is(set(1, 0, 0xfffffffffffff000ull, 2 * PG, 0), -EINVAL, "gpa + size wraps");
	is(set(1, 0, 1ull << 44, (1ull << 31) << 12, 0), -EINVAL, "2^31 pages is too many");
	is(set(1, 0, 1ull << 40, ((1ull << 31) - 1) << 12, 0), 0, "2^31-1 pages is fine");
	is(set(1, 0, 1ull << 40, 0, 0), 0, "and deleted");
	is(set(2, 0, (1ull << 52) - PG, PG, 0), 0, "a slot may end at 2^52 (shadow paging)");
	is(set(2, 0, 0, 0, 0), 0, "delete ignores gpa");
	is(set(2, 0, (1ull << 53) - PG, PG, 0), -EINVAL, "but not at 2^53");
	is(set(2, 0, 0x500000, PG, 0x7ffffffff000ull - PG), 0, "hva may end at TASK_SIZE");
	is(set(2, 0, 0, 0, 0), 0, "delete");
	is(set(2, 0, 0x500000, PG, 1ull << 47), -EINVAL, "hva beyond TASK_SIZE");
	is(set(2, 0, 0x500000, PG, 0), 0, "hva 0 is fine (only access_ok is checked)");
	is(set(2, 0, 0, 0, 1ull << 47), -EINVAL, "delete still checks the hva range");
	is(set(2, 0, 0, 0, 0x801), -EINVAL, "delete still checks hva alignment");
	is(set(2, 0, 0, 0, 0x7ffffffff000ull), 0, "delete with an hva at TASK_SIZE");
	is(set(32763, 0, 0, 0, 0), 0, "delete 32763");
	is(vmm_accel_memslot_count(a), 0, "table empty again");
}

static void test_existing(void)
{
	const struct vmm_memslot *s;

	is(set(1, LOG, 0x10000, 4 * PG, 0x100000), 0, "create");
	is(set(1, 0, 0x10000, 4 * PG, 0x100000), 0, "dirty-log flag off");
	is(set(1, RO, 0x10000, 4 * PG, 0x100000), -EINVAL, "READONLY toggle");
	is(set(1, 0, 0x10000, 4 * PG, 0x101000), -EINVAL, "hva change");
	is(set(1, 0, 0x10000, 8 * PG, 0x100000), -EINVAL, "size change");
	is(set(1, 0, 0x10000, 4 * PG, 0x100000), 0, "identical call is a no-op");
	is(set(2, 0, 0x30000, PG, 0), 0, "second slot");
	is(set(1, LOG, 0x2e000, 4 * PG, 0x100000), -EEXIST, "move onto another slot");
	is(set(1, LOG, 0x2e000, 4 * PG, 0x1000), -EINVAL, "EINVAL wins over EEXIST");
	is(set(1, LOG, 0x12000, 4 * PG, 0x100000), 0, "move onto itself (partly)");
	is(set(3, 0, 0x16000, PG, 0), 0, "create right after slot 1");
	is(set(4, 0, 0x15000, 2 * PG, 0), -EEXIST, "create overlapping two slots");
	is(set(4, RO, 0x30000 + PG, PG, 0), 0, "readonly slot right after slot 2");
	s = vmm_accel_memslot(a, 0, 1);
	ok(s && s->gpa == 0x12000 && s->flags == LOG && s->hva == 0x100000, "slot 1 moved");
	ok(vmm_accel_memslot_exact(a, 0x30000, PG) == vmm_accel_memslot(a, 0, 2), "exact lookup");
	ok(!vmm_accel_memslot_exact(a, 0x30000, 2 * PG), "exact means the same size");
	ok(!vmm_accel_memslot_exact(a, 0x20000, PG), "and the same start");
	is(vmm_accel_memslot_count(a), 4, "four slots");
}

static void test_iter_dirty_fault(void)
{
	uint64_t bm[1] = { 0 };
	uint32_t it = 0, last = 0, n = 0;
	const struct vmm_memslot *s;
	struct vmm_accel_stats st;

	while ((s = vmm_accel_memslot_next(a, &it))) {
		ok(n == 0 || s->slot > last, "iteration in slot order (%u)", s->slot);
		last = s->slot;
		n++;
	}
	is(n, 4, "iteration sees every slot");
	vmm_accel_mark_dirty(a, 0x12000 + PG + 8, 2 * PG);
	is(vmm_accel_get_dirty_log(a, 1, bm), 0, "dirty log of a logging slot");
	is(bm[0], 0xe, "pages 1..3 dirty");
	is(vmm_accel_get_dirty_log(a, 1, bm), 0, "read again");
	is(bm[0], 0, "reading cleared it");
	is(vmm_accel_get_dirty_log(a, 2, bm), -ENOENT, "not logging: ENOENT");
	is(vmm_accel_get_dirty_log(a, 9, bm), -ENOENT, "free slot: ENOENT");
	vmm_accel_inject_fault(a, 2, -ENOMEM);
	is(set(9, 0, 0x900000, PG, 0), 0, "first call after arming passes");
	is(set(10, 0, 0xa00000, PG, 0), -ENOMEM, "second fails as injected");
	ok(!vmm_accel_memslot(a, 0, 10), "and changes nothing");
	is(set(10, 0, 0xa00000, PG, 0), 0, "then calls pass again");
	vmm_accel_stats(a, &st);
	is(st.set_memslot_calls, calls, "stats count every call");
	is(st.set_memslot_errors, errors, "and every failure");
	is(st.dirty_log_calls, 4, "and dirty-log reads");
}

int main(void)
{
	a = vmm_accel_new_soft(0);
	if (!a)
		return ok(0, "soft accelerator"), done_testing();
	is(vmm_accel_caps(a)->nr_memslots, 32764, "32764 slots by default");
	is_str(vmm_accel_name(a), "none", "named none");
	is(vmm_accel_vm_fd(a), -1, "no VM fd");
	test_args();
	test_existing();
	test_iter_dirty_fault();
	vmm_accel_free(a);
	a = vmm_accel_new_soft(8);
	is(a ? set(8, 0, 0, PG, 0) : 0, -EINVAL, "a smaller table has fewer ids");
	vmm_accel_free(a);
	return done_testing();
}
