// SPDX-License-Identifier: MIT
/*
 * The KVM listener behind a real memory model (vmm/memory/memory.c) on the soft
 * accelerator: mapping, moving, unmapping and re-attributing regions gives
 * the slots QEMU's kvm_set_phys_mem() would, with exactly the ioctls the
 * changed ranges need (a move is a delete and a create, a readonly toggle
 * re-creates, a dirty-log toggle is one flag change, an unrelated io edit is
 * none), and a fault injected in the middle of a commit leaves both the
 * topology and the slots as they were. Run on the soft table, then on a real
 * KVM VM when /dev/kvm works.
 */
#include <errno.h>
#include <unistd.h>
#include <vmm/kvm.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "tap.h"

#define K (1ull << 10)
#define M (1ull << 20)

static struct vmm_accel *a;

static uint64_t ioctls(void)
{
	struct vmm_accel_stats st;

	vmm_accel_stats(a, &st);
	return st.set_memslot_calls;
}

/* The slots as "gpa+size:flags ..." in gpa order, for one-line comparisons. */
static const char *slots(void)
{
	static char buf[1024];
	uint64_t last = 0;
	size_t n = 0;

	buf[0] = '\0';
	for (;;) {
		const struct vmm_memslot *best = NULL, *s;
		uint32_t it = 0;

		while ((s = vmm_accel_memslot_next(a, &it)))
			if (s->gpa >= last && (!best || s->gpa < best->gpa))
				best = s;
		if (!best || n > sizeof(buf) - 64)
			break;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%llx+%llx:%x", n ? " " : "",
				      (unsigned long long)best->gpa,
				      (unsigned long long)best->size, best->flags);
		last = best->gpa + 1;
	}
	return buf;
}

#define EDIT(call, want_ioctls, want_slots, what) do { \
	uint64_t _n = ioctls(); \
	int _r = (call); \
	is(_r, 0, "%s", what); \
	is(ioctls() - _n, want_ioctls, "%s: %d ioctl(s)", what, want_ioctls); \
	is_str(slots(), want_slots, "%s: slots", what); \
} while (0)

static void scenario(const char *name)
{
	struct vmm_mr *sys, *ram, *rom, *romd, *io, *alias;
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_listener *l;
	struct vmm_err err = { 0 };
	struct vmm_as *as;
	int r = 0;

	diag("on the %s accelerator", name);
	l = vmm_kvm_listener_new(a);
	if (!m || !l) {
		ok(0, "setup");
		return;
	}
	r |= vmm_mr_new_container(m, "system", NULL, VMM_U64_LIMIT, &sys, &err);
	r |= vmm_as_new(m, "memory", sys, &as, &err);
	r |= vmm_mr_new_ram(m, VMM_MR_RAM, "ram", NULL, 2 * M, NULL, &ram, &err);
	r |= vmm_mr_new_ram(m, VMM_MR_ROM, "rom", NULL, 64 * K, NULL, &rom, &err);
	r |= vmm_mr_new_ram(m, VMM_MR_ROMD, "flash", NULL, 64 * K, NULL, &romd, &err);
	r |= vmm_mr_new_io(m, "dev", NULL, 4 * K, NULL, &io, &err);
	r |= vmm_mr_new_alias(m, "ram-hi", NULL, ram, M, M, &alias, &err);
	r |= vmm_mr_map(ram, sys, 0, 0, &err);
	if (!ok(r == 0, "model built") || vmm_memory_listener_register(m, l, &err)) {
		diag("%s", err.msg);
		return;
	}
	is_str(slots(), "0+200000:0", "registration replays the ram range");
	EDIT(vmm_mr_map(rom, sys, 0xfff00000, 0, &err), 1, "0+200000:0 fff00000+10000:2",
	     "map rom");
	EDIT(vmm_mr_map(io, sys, 0x100000, 1, &err), 3,
	     "0+100000:0 101000+ff000:0 fff00000+10000:2",
	     "io over ram splits the ram slot, io gets none");
	EDIT(vmm_mr_set_addr(io, 0x1ff000, &err), 3,
	     "0+1ff000:0 fff00000+10000:2", "io moved to the end of ram");
	EDIT(vmm_mr_unmap(io, &err), 2, "0+200000:0 fff00000+10000:2", "io unmapped");
	EDIT(vmm_mr_set_addr(rom, 0xffe00000, &err), 2, "0+200000:0 ffe00000+10000:2",
	     "move rom: delete + create");
	EDIT(vmm_mr_set_readonly(ram, true, &err), 2, "0+200000:2 ffe00000+10000:2",
	     "readonly toggle re-creates");
	EDIT(vmm_mr_set_readonly(ram, false, &err), 2, "0+200000:0 ffe00000+10000:2",
	     "and back");
	EDIT(vmm_mr_set_log_dirty(ram, true, &err), 1, "0+200000:1 ffe00000+10000:2",
	     "dirty logging on: one flag change");
	EDIT(vmm_mr_set_log_dirty(ram, false, &err), 1, "0+200000:0 ffe00000+10000:2",
	     "dirty logging off");
	EDIT(vmm_mr_map(alias, sys, 0x100000000ull, 0, &err), 1,
	     "0+200000:0 ffe00000+10000:2 100000000+100000:0", "alias of ram's upper half");
	EDIT(vmm_mr_map(romd, sys, 0xfff00000, 0, &err), 1,
	     "0+200000:0 ffe00000+10000:2 fff00000+10000:2 100000000+100000:0", "romd mapped");
	EDIT(vmm_mr_set_romd(romd, false, &err), 1,
	     "0+200000:0 ffe00000+10000:2 100000000+100000:0", "romd mode off: slot goes");
	EDIT(vmm_mr_set_romd(romd, true, &err), 1,
	     "0+200000:0 ffe00000+10000:2 fff00000+10000:2 100000000+100000:0", "and back");

	vmm_memory_begin(m);
	vmm_mr_unmap(alias, NULL);
	vmm_mr_set_addr(rom, 0xffd00000, NULL);
	vmm_mr_map(io, sys, 0x10000, 1, NULL);
	vmm_accel_inject_fault(a, 4, -ENOMEM);
	is(vmm_memory_commit(m, &err), -ENOMEM, "a commit whose 4th ioctl fails");
	is_str(slots(), "0+200000:0 ffe00000+10000:2 fff00000+10000:2 100000000+100000:0",
	       "slots rolled back");
	ok(alias->container == sys && rom->addr == 0xffe00000 && !io->container,
	   "topology rolled back");
	EDIT(vmm_mr_map(io, sys, 0x10000, 1, &err), 3,
	     "0+10000:0 11000+1ef000:0 ffe00000+10000:2 fff00000+10000:2 "
	     "100000000+100000:0", "the listener works after a rollback");
	vmm_memory_listener_unregister(m, l);
	is(vmm_accel_memslot_count(a), 0, "unregistering removes every slot");
	vmm_kvm_listener_free(l);
	vmm_memory_free(m);
}

int main(void)
{
	struct vmm_err err = { 0 };

	a = vmm_accel_new_soft(0);
	if (a)
		scenario("soft");
	vmm_accel_free(a);
	a = access("/dev/kvm", R_OK | W_OK) ? NULL : vmm_accel_new_kvm(&err);
	if (a)
		scenario("kvm");
	else
		diag("no usable /dev/kvm: the KVM half is not run (%s)", err.msg);
	vmm_accel_free(a);
	return done_testing();
}
