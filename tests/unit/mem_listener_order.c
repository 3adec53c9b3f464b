// SPDX-License-Identifier: MIT
/*
 * What listeners see, in QEMU's order (memory_region_transaction_commit and
 * address_space_update_topology_pass): registration replays every range as
 * region_add; a commit calls begin on every listener, then per address space
 * first every removed or changed range (region_del, listeners in reverse
 * order), then every new range (region_add, in order) with region_nop for
 * unchanged ones and log_start/log_stop for dirty-log changes, then commit.
 * A listener bound to one address space hears only about that one.
 */
#include "mem_listener_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x100000));
	struct vmm_mr *io = mk_container(m, "ioroot", SZ(0x10000));
	struct vmm_mr *a = mk_io(m, "a", SZ(0x1000)), *b = mk_io(m, "b", SZ(0x1000));
	struct vmm_mr *c = mk_io(m, "c", SZ(0x1000));
	struct vmm_mr *r = mk_ram(m, VMM_MR_RAM, "r", SZ(0x1000));
	struct vmm_err err = { 0 };
	struct vmm_buf log;
	struct rec l1, l2, lio;

	vmm_buf_init(&log);
	do_map(a, sys, 0, 0);
	do_map(b, sys, 0x1000, 0);
	do_map(mk_io(m, "port", SZ(0x10)), io, 0x60, 0);
	vmm_as_new(m, "memory", sys, NULL, &err);
	vmm_as_new(m, "I/O", io, NULL, &err);

	rec_init(&l1, "L1", "memory", &log);
	rec_init(&l2, "L2", "memory", &log);
	rec_init(&lio, "IO", "I/O", &log);
	is(vmm_memory_listener_register(m, &l1.l, &err), 0, "register L1");
	is_str(log.data, "L1 begin\nL1 add a 0-fff\nL1 add b 1000-1fff\nL1 commit\n",
	       "registration replays the current ranges");
	vmm_buf_reset(&log);
	is(vmm_memory_listener_register(m, &l2.l, &err), 0, "register L2");
	is(vmm_memory_listener_register(m, &lio.l, &err), 0, "register IO");
	is_str(log.data, "L2 begin\nL2 add a 0-fff\nL2 add b 1000-1fff\nL2 commit\n"
			 "IO begin\nIO add port 60-6f\nIO commit\n", "each replay is its own");
	vmm_buf_reset(&log);

	vmm_memory_begin(m);
	vmm_mr_unmap(a, &err);
	do_map(c, sys, 0x2000, 0);
	vmm_mr_set_readonly(b, true, &err);
	is(vmm_memory_commit(m, &err), 0, "commit");
	is_str(log.data,
	       "L1 begin\nL2 begin\nIO begin\n"
	       "L2 del a 0-fff\nL1 del a 0-fff\nL2 del b 1000-1fff\nL1 del b 1000-1fff\n"
	       "L1 add b 1000-1fff ro\nL2 add b 1000-1fff ro\nL1 add c 2000-2fff\n"
	       "L2 add c 2000-2fff\n"
	       "IO nop port 60-6f\n"
	       "L1 commit\nL2 commit\nIO commit\n",
	       "dels (reverse listener order) then adds; a changed range is del+add");
	vmm_buf_reset(&log);

	vmm_memory_listener_unregister(m, &l2.l);
	vmm_memory_listener_unregister(m, &lio.l);
	vmm_buf_reset(&log);
	do_map(r, sys, 0x4000, 0);
	vmm_buf_reset(&log);
	is(vmm_mr_set_log_dirty(r, true, &err), 0, "start dirty logging");
	is_str(log.data,
	       "L1 begin\nL1 nop b 1000-1fff ro\nL1 nop c 2000-2fff\nL1 nop r 4000-4fff\n"
	       "L1 log_start r 4000-4fff\nL1 commit\n",
	       "unchanged ranges get nop, the logged one also log_start");
	vmm_buf_reset(&log);
	is(vmm_mr_set_log_dirty(r, false, &err), 0, "stop dirty logging");
	ok(strstr(log.data, "L1 nop r 4000-4fff\nL1 log_stop r 4000-4fff\n") != NULL,
	   "log_stop after the nop");
	vmm_buf_reset(&log);
	vmm_memory_listener_unregister(m, &l1.l);
	is_str(log.data, "L1 begin\nL1 del b 1000-1fff ro\nL1 del c 2000-2fff\n"
			 "L1 del r 4000-4fff\nL1 commit\n", "unregistering reports every range gone");
	vmm_buf_free(&log);
	vmm_memory_free(m);
	return done_testing();
}
