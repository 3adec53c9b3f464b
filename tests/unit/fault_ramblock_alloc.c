// SPDX-License-Identifier: MIT
/*
 * RAM-backend allocation failing while a multi-line write creates RAM: for
 * the first, a middle and the last of several ram/rom/romd lines (anonymous
 * and memfd backends, one resizeable) and for ENOMEM, EMFILE and ENOSPC, the
 * write fails with that errno and a reason naming the line, and nothing is
 * created: no region, no RAM block, no memslot, identical `info mtree -D`,
 * `info mtree -f` and `info ramblock`. The same write then succeeds, so the
 * failed one left no half-made block behind (idstrs free, offsets reused).
 */
#include <errno.h>

#include <vmm/ctl.h>
#include <vmm/kvm.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include <vmm/ramblock.h>

#include "tap.h"

static const char setup[] =
	"container system 16E\n"
	"address-space memory system\n"
	"ram pc.ram 8M in system at 0\n";

static const char write_text[] =
	"container dimms 1G in system at 0x100000000\n"
	"ram dimm0 2M backend=memfd in dimms at 0\n"
	"rom option.rom 64K in system at 0xc0000\n"
	"ram dimm1 2M max=8M in dimms at 0x200000\n"
	"romd flash 128K in system at 0xffe00000\n";
#define NR_BLOCKS 4

struct env {
	struct vmm_memory *m;
	struct vmm_accel *a;
	struct vmm_listener *l;
};

static int exec(struct env *e, const char *text, struct vmm_err *err, unsigned *line)
{
	struct vmm_ctl_ctx ctx = { .mem = e->m };
	int r = vmm_ctl_exec(&ctx, text, strlen(text), err);

	if (line)
		*line = ctx.line;
	return r;
}

static bool env_init(struct env *e)
{
	struct vmm_err err = { 0 };

	e->m = vmm_memory_new();
	e->a = vmm_accel_new_soft(0);
	e->l = e->a ? vmm_kvm_listener_new(e->a) : NULL;
	if (!e->m || !e->l || vmm_memory_listener_register(e->m, e->l, &err) ||
	    exec(e, setup, &err, NULL))
		return ok(0, "set up the model: %s", err.msg);
	return true;
}

static void env_free(struct env *e)
{
	vmm_memory_listener_unregister(e->m, e->l);
	vmm_memory_free(e->m);
	vmm_kvm_listener_free(e->l);
	vmm_accel_free(e->a);
}

static char *snapshot(struct env *e)
{
	struct vmm_buf b;

	vmm_buf_init(&b);
	vmm_print_mtree(e->m, VMM_PRINT_DISABLED, &b);
	vmm_print_flatview(e->m, e->a, &b);
	vmm_print_ramblock(e->m, &b);
	vmm_print_memslots(e->a, &b);
	vmm_buf_printf(&b, "%zu regions, %zu blocks\n", vmm_memory_region_count(e->m),
		       vmm_ramlist_count(vmm_memory_ramlist(e->m)));
	return vmm_buf_steal(&b, NULL);
}

static void fail_nth(unsigned nth, int code)
{
	struct vmm_err err = { 0 };
	char *before, *after;
	unsigned line = 0;
	struct env e;
	int r;

	if (!env_init(&e))
		return;
	before = snapshot(&e);
	vmm_ramlist_inject_fault(vmm_memory_ramlist(e.m), nth, -code);
	r = exec(&e, write_text, &err, &line);
	vmm_ramlist_inject_fault(vmm_memory_ramlist(e.m), 0, 0);
	after = snapshot(&e);
	is(r, -code, "block %u of %u fails with %s: the write fails (%s)", nth, NR_BLOCKS,
	   strerror(code), err.msg);
	is(line, nth + 1, "  the reason names line %u", nth + 1);
	ok(!vmm_mr_find(e.m, "dimms") && !vmm_mr_find(e.m, "dimm0") &&
	   !vmm_ramlist_find(vmm_memory_ramlist(e.m), "dimm0"),
	   "  no region or RAM block from the lines before it exists");
	is_str(after, before, "  tree, flat views, ramblock and memslots are as before");
	r = exec(&e, write_text, &err, NULL);
	is(r, 0, "  the same write then succeeds (%s)", err.msg);
	is(vmm_ramlist_count(vmm_memory_ramlist(e.m)), NR_BLOCKS + 1, "  with all its blocks");
	free(before);
	free(after);
	env_free(&e);
}

int main(void)
{
	static const int codes[] = { ENOMEM, EMFILE, ENOSPC };

	for (unsigned nth = 1; nth <= NR_BLOCKS; nth++)
		fail_nth(nth, codes[nth % 3]);
	return done_testing();
}
