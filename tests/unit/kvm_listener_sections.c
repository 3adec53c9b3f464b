// SPDX-License-Identifier: MIT
/*
 * The KVM listener's callbacks driven by hand-made sections on the soft
 * accelerator, against QEMU 7.2's kvm_set_phys_mem(): page alignment of the
 * section, which kinds become slots (ram, rom, romd in romd mode; never io),
 * READONLY and LOG_DIRTY_PAGES flags, lowest free slot id, dirty-log toggles
 * as flag changes, the "memory" address space only, the exact number of
 * ioctls, and rollback restoring the slot table after a failure.
 */
#include <errno.h>
#include <vmm/kvm.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "tap.h"

#define PG 4096ull

static struct vmm_accel *a;
static struct vmm_listener *l;
static struct vmm_as as_mem = { .name = "memory" }, as_io = { .name = "I/O" };
static struct vmm_ramlist *rl;

static uint64_t ioctls(void)
{
	struct vmm_accel_stats st;

	vmm_accel_stats(a, &st);
	return st.set_memslot_calls;
}

static struct vmm_mr *mk_mr(enum vmm_mr_type type, const char *id, bool ro)
{
	struct vmm_mr *mr = calloc(1, sizeof(*mr));

	mr->id = (char *)id;
	mr->type = type;
	mr->readonly = ro;
	mr->romd_mode = type == VMM_MR_ROMD;
	if (type != VMM_MR_IO && vmm_ramblock_new(rl, id, 1 << 20, 0, "anon", &mr->rb, NULL))
		ok(0, "ram block for %s", id);
	return mr;
}

static struct vmm_section sec(struct vmm_mr *mr, uint64_t gpa, uint64_t size, uint64_t off)
{
	return (struct vmm_section){ .as = &as_mem, .mr = mr, .offset_within_as = gpa,
				     .size = size, .offset_within_region = off,
				     .romd_mode = mr->romd_mode };
}

static bool slot_is(uint32_t id, uint64_t gpa, uint64_t size, uint64_t hva, uint32_t flags)
{
	const struct vmm_memslot *s = vmm_accel_memslot(a, 0, id);

	if (!s) {
		diag("  slot %u missing", id);
		return false;
	}
	if (s->gpa == gpa && s->size == size && s->hva == hva && s->flags == flags)
		return true;
	diag("  slot %u: gpa %#llx size %#llx hva %#llx flags %#x", id,
	     (unsigned long long)s->gpa, (unsigned long long)s->size,
	     (unsigned long long)s->hva, s->flags);
	return false;
}

#define HVA(mr, off) ((uint64_t)(uintptr_t)(mr)->rb->host + (off))

static void test_kinds(struct vmm_mr *ram, struct vmm_mr *rom, struct vmm_mr *romd,
		       struct vmm_mr *io, struct vmm_mr *ro_ram)
{
	struct vmm_section s;
	uint64_t n = ioctls();

	s = sec(ram, 0x1800, 0x3000, 0x800);
	is(l->region_add(l, &s), 0, "unaligned ram section");
	ok(slot_is(0, 0x2000, 0x2000, HVA(ram, 0x1000), 0),
	   "start rounded up, size rounded down, hva follows");
	s = sec(ram, 0x10800, 0x1000, 0);
	is(l->region_add(l, &s), 0, "sub-page section");
	s = sec(io, 0x20000, 0x1000, 0);
	is(l->region_add(l, &s), 0, "io section");
	is(ioctls() - n, 1, "neither made an ioctl");
	s = sec(rom, 0x30000, 0x4000, 0);
	is(l->region_add(l, &s), 0, "rom section");
	ok(slot_is(1, 0x30000, 0x4000, HVA(rom, 0), VMM_MEM_READONLY), "rom: READONLY slot 1");
	s = sec(ro_ram, 0x40000, 0x4000, 0x4000);
	is(l->region_add(l, &s), 0, "readonly ram section");
	ok(slot_is(2, 0x40000, 0x4000, HVA(ro_ram, 0x4000), VMM_MEM_READONLY), "READONLY slot 2");
	s = sec(romd, 0x50000, 0x2000, 0);
	is(l->region_add(l, &s), 0, "romd section in romd mode");
	ok(slot_is(3, 0x50000, 0x2000, HVA(romd, 0), VMM_MEM_READONLY), "romd: READONLY slot 3");
	s.romd_mode = false;
	s.offset_within_as = 0x60000;
	is(l->region_add(l, &s), 0, "romd section out of romd mode");
	ok(!vmm_accel_memslot(a, 0, 4), "gets no slot");
	s = sec(ram, 0x70000, 0x2000, 0);
	s.as = &as_io;
	is(l->region_add(l, &s), 0, "a section of another address space");
	ok(!vmm_accel_memslot(a, 0, 4), "is ignored");
	is(ioctls() - n, 4, "four ioctls in all");
}

static void test_dirty_and_ids(struct vmm_mr *ram)
{
	struct vmm_section s = sec(ram, 0x80000, 0x2000, 0x10000);
	uint64_t n = ioctls();

	s.dirty_log_mask = VMM_DIRTY_LOG_MIGRATION;
	is(l->region_add(l, &s), 0, "logging section");
	ok(slot_is(4, 0x80000, 0x2000, HVA(ram, 0x10000), VMM_MEM_LOG_DIRTY_PAGES),
	   "LOG_DIRTY_PAGES slot 4");
	is(l->log_start(l, &s, 0, 1), 0, "log_start on a logging slot");
	is(ioctls() - n, 1, "is no ioctl (flags unchanged)");
	s.dirty_log_mask = 0;
	is(l->log_stop(l, &s, 1, 0), 0, "log_stop");
	ok(slot_is(4, 0x80000, 0x2000, HVA(ram, 0x10000), 0), "flags cleared in place");
	is(l->log_start(l, &s, 2, 3), 0, "log_start while another client logs");
	is(ioctls() - n, 2, "one ioctl for the stop, none for the second client");
	s = sec(ram, 0x1800, 0x3000, 0x800);
	is(l->region_del(l, &s), 0, "delete slot 0 by its section");
	ok(!vmm_accel_memslot(a, 0, 0), "slot 0 free");
	s = sec(ram, 0x90000, 0x1000, 0);
	is(l->region_del(l, &s), 0, "deleting a range without a slot");
	is(ioctls() - n, 3, "makes no ioctl");
	is(l->region_add(l, &s), 0, "new section");
	ok(slot_is(0, 0x90000, 0x1000, HVA(ram, 0), 0), "takes the lowest free id, 0");
	s.offset_within_as = 0xa0000;
	is(l->region_add(l, &s), 0, "another");
	ok(vmm_accel_memslot(a, 0, 5) != NULL, "takes id 5");
}

/* Snapshot of the slot table for before/after comparisons. */
static unsigned snap(struct vmm_memslot *out, unsigned cap)
{
	const struct vmm_memslot *s;
	uint32_t it = 0;
	unsigned n = 0;

	while ((s = vmm_accel_memslot_next(a, &it)) && n < cap)
		out[n++] = *s;
	return n;
}

static void test_rollback(struct vmm_mr *ram, struct vmm_mr *rom)
{
	struct vmm_memslot before[16], after[16];
	unsigned nb, na;
	struct vmm_section s;
	uint64_t n;

	nb = snap(before, 16);
	l->begin(l);
	s = sec(rom, 0x30000, 0x4000, 0);
	is(l->region_del(l, &s), 0, "txn: delete the rom slot");
	s = sec(ram, 0x80000, 0x2000, 0x10000);
	s.dirty_log_mask = 1;
	is(l->log_start(l, &s, 0, 1), 0, "txn: start logging");
	s = sec(ram, 0xb0000, 0x3000, 0);
	is(l->region_add(l, &s), 0, "txn: add a slot");
	s = sec(ram, 0x30000, 0x1000, 0);
	is(l->region_add(l, &s), 0, "txn: add one where the rom was");
	vmm_accel_inject_fault(a, 1, -ENOMEM);
	s = sec(ram, 0xc0000, 0x1000, 0);
	is(l->region_add(l, &s), -ENOMEM, "txn: an ioctl fails");
	n = ioctls();
	l->rollback(l);
	is(ioctls() - n, 4, "rollback undoes the four accepted ioctls, one each");
	na = snap(after, 16);
	ok(na == nb && !memcmp(before, after, nb * sizeof(*before)),
	   "slot table exactly as before the transaction (%u slots)", na);
	l->begin(l);
	is(l->commit(l), 0, "an empty transaction commits");
}

int main(void)
{
	struct vmm_mr *ram, *rom, *romd, *io, *ro_ram;
	struct vmm_section s;

	rl = vmm_ramlist_new();
	a = vmm_accel_new_soft(0);
	l = vmm_kvm_listener_new(a);
	if (!rl || !a || !l)
		return ok(0, "setup"), done_testing();
	is_str(l->as_name, "memory", "listens to \"memory\"");
	ram = mk_mr(VMM_MR_RAM, "ram", false);
	rom = mk_mr(VMM_MR_ROM, "rom", true);
	romd = mk_mr(VMM_MR_ROMD, "romd", false);
	io = mk_mr(VMM_MR_IO, "io", false);
	ro_ram = mk_mr(VMM_MR_RAM, "ro-ram", true);
	test_kinds(ram, rom, romd, io, ro_ram);
	test_dirty_and_ids(ram);
	test_rollback(ram, rom);
	vmm_accel_free(a);
	a = vmm_accel_new_soft(2);
	vmm_kvm_listener_free(l);
	l = vmm_kvm_listener_new(a);
	s = sec(ram, 0, PG, 0);
	l->region_add(l, &s);
	s.offset_within_as = PG;
	l->region_add(l, &s);
	s.offset_within_as = 2 * PG;
	is(l->region_add(l, &s), -ENOSPC, "out of slot ids: ENOSPC");
	vmm_kvm_listener_free(l);
	vmm_accel_free(a);
	vmm_ramlist_free(rl);
	free(ram);
	free(rom);
	free(romd);
	free(io);
	free(ro_ram);
	return done_testing();
}
