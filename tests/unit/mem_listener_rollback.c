// SPDX-License-Identifier: MIT
/*
 * A failing listener callback rolls the whole commit back: every listener
 * that began gets rollback (not commit), the topology returns to the state at
 * the outermost begin, the old flat views stay current, the generation does
 * not move, and commit returns the listener's errno with a reason. A failed
 * registration replay leaves the listener unregistered.
 */
#include <errno.h>

#include "mem_listener_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x100000));
	struct vmm_mr *good = mk_io(m, "good", SZ(0x1000)), *bad = mk_io(m, "bad", SZ(0x1000));
	struct vmm_err err = { 0 };
	struct vmm_flatview *fv0, *fv;
	struct vmm_as *as = NULL;
	struct vmm_buf log;
	struct rec l1, l2, l3;
	char *snap, *s;
	uint64_t gen;

	vmm_buf_init(&log);
	do_map(good, sys, 0, 0);
	vmm_as_new(m, "memory", sys, &as, &err);
	rec_init(&l1, "L1", NULL, &log);
	rec_init(&l2, "L2", NULL, &log);
	l2.fail_on = "bad";
	l2.fail_errno = -ENOSPC;
	vmm_memory_listener_register(m, &l1.l, &err);
	vmm_memory_listener_register(m, &l2.l, &err);
	snap = model_text(m);
	gen = vmm_memory_generation(m);
	fv0 = vmm_as_get_flatview(as);
	vmm_buf_reset(&log);

	vmm_memory_begin(m);
	vmm_mr_set_priority(good, 2, &err);
	do_map(bad, sys, 0x1000, 0);
	do_map(mk_io(m, "fresh", SZ(0x1000)), sys, 0x2000, 0);
	is(vmm_memory_commit(m, &err), -ENOSPC, "commit fails with the listener's errno");
	ok(err.code == -ENOSPC && strstr(err.msg, "bad"), "reason names the range: %s", err.msg);
	is(l1.rollbacks, 1, "L1 rolled back");
	is(l2.rollbacks, 1, "L2 rolled back");
	ok(strstr(log.data, "commit") == NULL, "no listener committed");
	is_str(s = model_text(m), snap, "topology restored exactly"); free(s);
	fv = vmm_as_get_flatview(as);
	ok(fv == fv0, "the old flat view is still current");
	vmm_flatview_unref(fv);
	is(vmm_memory_generation(m), gen, "generation unchanged");
	is(vmm_memory_depth(m), 0, "transaction closed");

	l2.fail_on = "good";
	l2.fail_errno = -EIO;
	vmm_buf_reset(&log);
	is(vmm_mr_unmap(good, &err), -EIO, "a failing region_del rolls back too");
	ok(good->container == sys, "good is still mapped");
	is_str(s = model_text(m), snap, "topology restored exactly again"); free(s);

	rec_init(&l3, "L3", NULL, &log);
	l3.fail_on = "good";
	l3.fail_errno = -EPERM;
	is(vmm_memory_listener_register(m, &l3.l, &err), -EPERM, "failed replay is reported");
	is(l3.rollbacks, 1, "and rolled back");
	l2.fail_on = NULL;
	vmm_buf_reset(&log);
	is(vmm_mr_unmap(good, &err), 0, "a later commit works");
	ok(strstr(log.data, "L3") == NULL, "L3 was never registered");

	vmm_flatview_unref(fv0);
	free(snap);
	vmm_buf_free(&log);
	vmm_memory_free(m);
	return done_testing();
}
