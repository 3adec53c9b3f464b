// SPDX-License-Identifier: MIT
/*
 * vmm_ctl_dump_script() round trips: the script of a model, executed on an
 * empty model, gives identical `info mtree`, `info mtree -D` and flat views
 * and dumps to the same script again. Covered: QEMU's pc map as the machine
 * builds it, names that need quoting, equal priorities in list orders that
 * only replaying tail-to-head reproduces, attributes that differ from a
 * fresh region's, an alias retargeted to a region created after it, RAM
 * backends, and address spaces sharing a root.
 */
#include <vmm/machine.h>

#include "ctl_helpers.h"

static char *render_all(struct vmm_memory *m)
{
	struct vmm_buf b;
	char *snap = snapshot(m);

	vmm_buf_init(&b);
	vmm_buf_puts(&b, snap);
	vmm_print_mtree(m, 0, &b);
	vmm_print_flatview(m, NULL, &b);
	free(snap);
	return vmm_buf_steal(&b, NULL);
}

static void roundtrip(struct vmm_memory *m, const char *what)
{
	struct vmm_memory *copy = vmm_memory_new();
	struct vmm_buf s1, s2;
	char *a, *b;

	vmm_buf_init(&s1);
	vmm_buf_init(&s2);
	vmm_ctl_dump_script(m, &s1);
	vmm_memory_set_device_factory(copy, vmm_devices_create, NULL);
	is(exec(copy, s1.data), 0, "%s: the dumped script runs (%s)", what, last_err.msg);
	a = render_all(m);
	b = render_all(copy);
	is_str(b, a, "%s: same info mtree, -D and flat views", what);
	vmm_ctl_dump_script(copy, &s2);
	is_str(s2.data, s1.data, "%s: dumping the copy gives the same script", what);
	free(a);
	free(b);
	vmm_buf_free(&s1);
	vmm_buf_free(&s2);
	vmm_memory_free(copy);
}

static void pc_machine(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_err err;
	int r;

	vmm_memory_set_device_factory(m, vmm_devices_create, NULL);
	r = vmm_machine_build_pc(m, 512ull << 20, "anon", &err);
	is(r, 0, "pc map built (%s)", r ? err.msg : "");
	if (!r)
		roundtrip(m, "pc 512M");
	vmm_memory_free(m);
}

static void tricky(void)
{
	struct vmm_memory *m = vmm_memory_new();

	vmm_memory_set_device_factory(m, vmm_devices_create, NULL);
	is(exec(m,
		"container sys 16E name=\"system bus\"\n"
		"container io 64K name=I/O\n"
		"ram r1 64K name=\"say \\\"hi\\\"\" backend=memfd\n"
		"ram r2 64K name=\"#not a comment\" max=1M\n"
		"ram r3 64K name=dup\n"
		"ram r4 64K name=dup\n"
		"romd flash 64K\n"
		"io port 8 name=\"back\\\\slash\" device=zero\n"
		"alias a1 r1 0 32K\n"
		"alias a2 a1 0x1000 0x2000\n"
		/* equal priorities mapped in an order, then re-inserted */
		"map r1 in sys at 0\nmap r2 in sys at 0\nmap r3 in sys at 0\nmap r4 in sys at 0 prio 1\n"
		"set r2 addr 0x10000\nset r2 addr 0\n"
		"set r4 prio 0\n"
		"map a2 in sys at 0x100000 prio -2\nmap flash in sys at 0x200000\n"
		"map port in io at 0x10\n"
		"set a2 readonly on\nset r3 enabled off\nset r2 nonvolatile on\n"
		"set flash romd off\nset r1 log-dirty on\n"
		/* an alias pointed at a region created after it */
		"container late 1M\nalias early r3 0 4K\nram later 8K\n"
		"set early alias later\nmap early in late at 0\n"
		"address-space memory sys\naddress-space \"cpu-memory-0\" sys\n"
		"address-space \"I/O\" io\naddress-space late late\n"),
	   0, "tricky topology (%s)", last_err.msg);
	roundtrip(m, "tricky");
	is(exec(m, "unmap r3\ndelete r3\nunmap r1\nset a1 alias-offset 0x8000\n"), 0,
	   "delete a region no alias targets any more (%s)", last_err.msg);
	roundtrip(m, "after deletions and edits");
	vmm_memory_free(m);
}

int main(void)
{
	pc_machine();
	tricky();
	return done_testing();
}
