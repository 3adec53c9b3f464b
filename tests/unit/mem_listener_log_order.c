// SPDX-License-Identifier: MIT
/*
 * With several listeners, an unchanged range whose dirty-log mask changed is
 * announced as QEMU's address_space_update_topology_pass does it: one
 * MEMORY_LISTENER_UPDATE_REGION per callback, each over every listener in
 * order - region_nop on all listeners, then log_start on all, then log_stop
 * on all - not the three callbacks listener by listener.
 */
#include "mem_listener_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x100000));
	struct vmm_mr *r = mk_ram(m, VMM_MR_RAM, "r", SZ(0x1000));
	struct vmm_err err = { 0 };
	struct vmm_buf log;
	struct rec l1, l2;

	vmm_buf_init(&log);
	do_map(r, sys, 0x4000, 0);
	vmm_as_new(m, "memory", sys, NULL, &err);
	rec_init(&l1, "L1", "memory", &log);
	rec_init(&l2, "L2", "memory", &log);
	is(vmm_memory_listener_register(m, &l1.l, &err), 0, "register L1");
	is(vmm_memory_listener_register(m, &l2.l, &err), 0, "register L2");
	vmm_buf_reset(&log);

	is(vmm_mr_set_log_dirty(r, true, &err), 0, "start dirty logging");
	is_str(log.data,
	       "L1 begin\nL2 begin\n"
	       "L1 nop r 4000-4fff\nL2 nop r 4000-4fff\n"
	       "L1 log_start r 4000-4fff\nL2 log_start r 4000-4fff\n"
	       "L1 commit\nL2 commit\n",
	       "nop on every listener, then log_start on every listener");
	vmm_buf_reset(&log);
	is(vmm_mr_set_log_dirty(r, false, &err), 0, "stop dirty logging");
	is_str(log.data,
	       "L1 begin\nL2 begin\n"
	       "L1 nop r 4000-4fff\nL2 nop r 4000-4fff\n"
	       "L1 log_stop r 4000-4fff\nL2 log_stop r 4000-4fff\n"
	       "L1 commit\nL2 commit\n",
	       "nop on every listener, then log_stop on every listener");

	vmm_memory_listener_unregister(m, &l2.l);
	vmm_memory_listener_unregister(m, &l1.l);
	vmm_buf_free(&log);
	vmm_memory_free(m);
	return done_testing();
}
