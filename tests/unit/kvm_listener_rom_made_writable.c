// SPDX-License-Identifier: MIT
/*
 * KVM_MEM_READONLY follows the leaf region's attributes, not the command that
 * made it: QEMU's kvm_mem_flags() asks "mr->readonly || memory_region_is_romd"
 * and a ROM is only RAM created readonly, so a ROM made writable
 * (memory_region_set_readonly(false)) gets a writable slot, and making it
 * readonly again brings READONLY back. A romd region in romd mode stays
 * READONLY. Checked on the soft table (whose caps allow readonly memory).
 */
#include <vmm/kvm.h>
#include <vmm/memory.h>

#include "tap.h"

static struct vmm_accel *a;

/* The flags of the slot at @gpa, or -1 when no slot starts there. */
static long flags_at(uint64_t gpa)
{
	const struct vmm_memslot *s;
	uint32_t it = 0;

	while ((s = vmm_accel_memslot_next(a, &it)))
		if (s->gpa == gpa)
			return (long)s->flags;
	return -1;
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys, *rom, *romd;
	struct vmm_err err = { 0 };
	struct vmm_listener *l;
	int r = 0;

	a = vmm_accel_new_soft(0);
	l = a ? vmm_kvm_listener_new(a) : NULL;
	if (!m || !l) {
		ok(0, "setup");
		return done_testing();
	}
	r |= vmm_mr_new_container(m, "sys", NULL, VMM_U64_LIMIT, &sys, &err);
	r |= vmm_mr_new_ram(m, VMM_MR_ROM, "rom", NULL, 0x10000, NULL, &rom, &err);
	r |= vmm_mr_new_ram(m, VMM_MR_ROMD, "flash", NULL, 0x10000, NULL, &romd, &err);
	r |= vmm_mr_map(rom, sys, 0x100000, 0, &err);
	r |= vmm_mr_map(romd, sys, 0x200000, 0, &err);
	r |= vmm_as_new(m, "memory", sys, NULL, &err);
	r |= vmm_memory_listener_register(m, l, &err);
	if (!ok(r == 0, "model built and listener registered"))
		diag("%s", err.msg);
	ok(vmm_accel_caps(a)->readonly_mem, "the soft table can map memory readonly");
	is(flags_at(0x100000), VMM_MEM_READONLY, "a fresh ROM is READONLY");
	is(flags_at(0x200000), VMM_MEM_READONLY, "a romd region in romd mode is READONLY");

	is(vmm_mr_set_readonly(rom, false, &err), 0, "make the ROM writable");
	is(flags_at(0x100000), 0, "a ROM made writable gets a writable slot");
	is(vmm_mr_set_log_dirty(rom, true, &err), 0, "dirty logging on the writable ROM");
	is(flags_at(0x100000), VMM_MEM_LOG_DIRTY_PAGES, "only LOG_DIRTY_PAGES, no READONLY");
	is(vmm_mr_set_log_dirty(rom, false, &err), 0, "dirty logging off");
	is(vmm_mr_set_readonly(rom, true, &err), 0, "readonly again");
	is(flags_at(0x100000), VMM_MEM_READONLY, "READONLY is back");

	vmm_memory_listener_unregister(m, l);
	vmm_kvm_listener_free(l);
	vmm_memory_free(m);
	vmm_accel_free(a);
	return done_testing();
}
