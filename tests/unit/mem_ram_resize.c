// SPDX-License-Identifier: MIT
/*
 * Resizing RAM-backed regions (qemu_ram_resize): only within a resizeable
 * block's max_length, the block's used_length follows (page rounded), the
 * flat view follows the region size, and an abort restores both.
 */
#include <errno.h>

#include "mem_util.h"

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x1000000));
	struct vmm_ram_opts o = { .backend = "anon", .max_size = 0x100000 };
	struct vmm_mr *r = NULL, *fixed = mk_ram(m, VMM_MR_RAM, "fixed", SZ(0x4000));
	struct vmm_err err = { 0 };
	char *s;

	if (vmm_mr_new_ram(m, VMM_MR_RAM, "r", "resizeable ram", SZ(0x10000), &o, &r, &err) ||
	    !fixed)
		skip_all("RAM blocks unavailable");
	ok(r->rb && r->rb->max_length == 0x100000 && r->rb->used_length == 0x10000,
	   "block reserved to max, used = size");
	ok(strcmp(r->rb->idstr, "resizeable ram") == 0, "block named after the display name");
	do_map(r, sys, 0, 0);
	is(vmm_mr_set_size(r, SZ(0x20000), &err), 0, "grow within max");
	ok(r->size == 0x20000 && r->rb->used_length == 0x20000, "region and block grew");
	is_str(s = render_text(sys), "0-1ffff r\n", "flat view follows"); free(s);
	is(vmm_mr_set_size(r, SZ(0x200000), &err), -EINVAL, "beyond max refused");
	ok(err.msg[0] && r->size == 0x20000, "unchanged: %s", err.msg);
	is(vmm_mr_set_size(fixed, SZ(0x8000), &err), -EINVAL, "a fixed block cannot grow");
	ok(fixed->size == 0x4000 && fixed->rb->used_length == 0x4000, "unchanged: %s", err.msg);

	vmm_memory_begin(m);
	is(vmm_mr_set_size(r, SZ(0x80000), &err), 0, "grow inside a transaction");
	vmm_memory_abort(m);
	ok(r->size == 0x20000 && r->rb->used_length == 0x20000, "abort restores region and block");
	vmm_memory_free(m);
	return done_testing();
}
