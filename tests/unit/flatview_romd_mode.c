// SPDX-License-Identifier: MIT
/*
 * ROM devices in and out of romd mode, as QEMU renders them: the flat range
 * carries the region's romd_mode (QEMU starts every region in romd mode),
 * so switching it changes the range (flatrange_equal compares romd_mode):
 * listeners see the old range deleted and the new one added, which is how
 * the KVM listener drops the slot and lets every access trap. Two pieces of
 * the same ROM device in different modes never merge.
 */
#include "mem_listener_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x100000));
	struct vmm_mr *fl = mk_ram(m, VMM_MR_ROMD, "flash", SZ(0x2000));
	struct vmm_mr *io = mk_io(m, "io", SZ(0x1000));
	struct vmm_flatview *fv;
	struct vmm_err err = { 0 };
	struct vmm_as *as = NULL;
	struct vmm_buf log;
	struct rec l;

	if (!fl)
		skip_all("RAM blocks unavailable");
	vmm_buf_init(&log);
	ok(fl->romd_mode && !fl->readonly, "a new ROM device is in romd mode, not readonly");
	ok(io->romd_mode, "every region starts in romd mode, as in QEMU");
	do_map(fl, sys, 0x10000, 0);
	do_map(mk_alias(m, "fl-lo", fl, 0, SZ(0x1000)), sys, 0x20000, 0);
	vmm_as_new(m, "memory", sys, &as, &err);
	rec_init(&l, "K", NULL, &log);
	vmm_memory_listener_register(m, &l.l, &err);
	vmm_buf_reset(&log);

	fv = vmm_as_get_flatview(as);
	ok(fv->nr == 2 && vmm_flatview_range(fv, 0)->romd_mode && vmm_flatview_range(fv, 1)->romd_mode, "ranges in romd mode");
	vmm_flatview_unref(fv);

	is(vmm_mr_set_romd(fl, false, &err), 0, "leave romd mode");
	fv = vmm_as_get_flatview(as);
	ok(fv->nr == 2 && !vmm_flatview_range(fv, 0)->romd_mode && !vmm_flatview_range(fv, 1)->romd_mode,
	   "ranges follow the region");
	vmm_flatview_unref(fv);
	is_str(log.data, "K begin\nK del flash 10000-11fff\nK del flash 20000-20fff\n"
			 "K add flash 10000-11fff\nK add flash 20000-20fff\nK commit\n",
	       "a mode switch is a del and an add of each range");
	vmm_buf_reset(&log);
	is(vmm_mr_set_romd(fl, false, &err), 0, "same mode again");
	is_str(log.data ? log.data : "", "", "changes nothing, notifies nobody");
	vmm_buf_free(&log);
	vmm_memory_free(m);
	return done_testing();
}
