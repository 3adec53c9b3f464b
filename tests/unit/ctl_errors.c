// SPDX-License-Identifier: MIT
/*
 * Every way a control command is refused, with the errno of README's "Errors"
 * table (EINVAL syntax or range, ENOENT unknown ID, EEXIST duplicate, EBUSY in
 * use, ELOOP cycle, ERANGE overflow), a reason that names the line, and the
 * model, its `info mtree -D` text and its flat views exactly as before — also
 * when earlier lines of the same write had already been applied.
 */
#include <vmm/kvm.h>

#include "ctl_helpers.h"

static const char base_script[] =
	"container system 16E\n"
	"container pci 16E in system at 0 prio -1\n"
	"ram pc.ram 1M\n"
	"alias lo pc.ram 0 512K in system at 0\n"
	"rom bios 64K in system at 0xffff0000\n"
	"romd flash 64K\n"
	"io port 16 in pci at 0x1000\n"
	"container loose 4K\n"
	"address-space memory system\n";

static void syntax(struct vmm_memory *m)
{
	char line[VMM_CTL_LINE_MAX + 64], id[VMM_ID_MAX + 8], name[VMM_NAME_MAX + 16];

	rejects(m, "frobnicate x\n", -EINVAL, "unknown command");
	rejects(m, "container\n", -EINVAL, "missing ID and size");
	rejects(m, "container x\n", -EINVAL, "missing size");
	rejects(m, "container x/y 4K\n", -EINVAL, "'/' in an ID");
	rejects(m, "container . 4K\n", -EINVAL, "ID '.'");
	rejects(m, "container .. 4K\n", -EINVAL, "ID '..'");
	rejects(m, "container \"\" 4K\n", -EINVAL, "empty ID");
	memset(id, 'i', VMM_ID_MAX);
	id[VMM_ID_MAX] = '\0';
	snprintf(line, sizeof(line), "container %s 4K\n", id);
	rejects(m, line, -EINVAL, "ID too long");
	memset(name, 'n', VMM_NAME_MAX);
	name[VMM_NAME_MAX] = '\0';
	snprintf(line, sizeof(line), "container x 4K name=%s\n", name);
	rejects(m, line, -EINVAL, "name too long");
	rejects(m, "container x 4K\x01\n", -EINVAL, "control character");
	rejects(m, "container x 4K name=\"a\x7f\"\n", -EINVAL, "DEL character");
	{
		static const char nul[] = "container x 4K\0\n";
		struct vmm_ctl_ctx ctx = { .mem = m };
		struct vmm_err err;

		is(vmm_ctl_exec(&ctx, nul, sizeof(nul) - 1, &err), -EINVAL, "NUL byte (%s)", err.msg);
		ok(!vmm_mr_find(m, "x"), "NUL byte: nothing created");
	}
	memset(line, ' ', VMM_CTL_LINE_MAX + 1);
	memcpy(line, "container x 4K", 14);
	line[VMM_CTL_LINE_MAX + 1] = '\0';
	rejects(m, line, -EINVAL, "line too long");
	rejects(m, "container x 4K name=\"open\n", -EINVAL, "unterminated quote");
	rejects(m, "container x 4K a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a\n",
		-EINVAL, "too many words");
	rejects(m, "container x 4Q\n", -EINVAL, "bad number");
	rejects(m, "container x -4\n", -EINVAL, "negative size");
	rejects(m, "container x 4K colour=red\n", -EINVAL, "unknown option");
	rejects(m, "container x 4K backend=memfd\n", -EINVAL, "ram option on a container");
	rejects(m, "ram x 4K device=zero\n", -EINVAL, "io option on ram");
	rejects(m, "container x 4K name=a name=b\n", -EINVAL, "option given twice");
	rejects(m, "container x 4K at 0\n", -EINVAL, "at without in (global ctl)");
	rejects(m, "container x 4K in system\n", -EINVAL, "in without at");
	rejects(m, "container x 4K in system at 0 at 1\n", -EINVAL, "at twice");
	rejects(m, "container x 4K in system at\n", -EINVAL, "at without value");
	rejects(m, "map loose in system\n", -EINVAL, "map without at");
	rejects(m, "map loose in system at 0 prio x\n", -EINVAL, "bad priority");
	rejects(m, "set pc.ram readonly maybe\n", -EINVAL, "bad boolean");
	rejects(m, "set pc.ram colour red\n", -EINVAL, "unknown attribute");
	rejects(m, "set pc.ram readonly\n", -EINVAL, "set without value");
	rejects(m, "set readonly on\n", -EINVAL, "implied subject outside a region ctl");
	rejects(m, "unmap\n", -EINVAL, "unmap without ID");
	rejects(m, "delete\n", -EINVAL, "delete without ID");
	rejects(m, "begin now\n", -EINVAL, "begin with an argument");
	rejects(m, "commit\n", -EINVAL, "commit without begin");
	rejects(m, "abort\n", -EINVAL, "abort without begin");
	rejects(m, "alias x pc.ram 512K 1M\n", -EINVAL, "alias window outside the target");
	rejects(m, "set lo alias-offset 768K\n", -EINVAL, "alias-offset beyond the target");
	rejects(m, "set pc.ram romd off\n", -EINVAL, "romd on a ram region");
	rejects(m, "address-space \"\" system\n", -EINVAL, "empty address-space name");
}

static void unknown(struct vmm_memory *m)
{
	rejects(m, "map nosuch in system at 0\n", -ENOENT, "map unknown region");
	rejects(m, "map loose in nosuch at 0\n", -ENOENT, "map into unknown parent");
	rejects(m, "container x 4K in nosuch at 0\n", -ENOENT, "create into unknown parent");
	rejects(m, "unmap nosuch\n", -ENOENT, "unmap unknown");
	rejects(m, "set nosuch prio 1\n", -ENOENT, "set unknown");
	rejects(m, "delete nosuch\n", -ENOENT, "delete unknown");
	rejects(m, "alias x nosuch 0 4K\n", -ENOENT, "alias of unknown target");
	rejects(m, "set lo alias nosuch\n", -ENOENT, "retarget to unknown");
	rejects(m, "address-space io nosuch\n", -ENOENT, "address space on unknown root");
	rejects_in(m, "nosuch", "set prio 1\n", -ENOENT, "ctl of a region that is gone");
}

static void conflicts(struct vmm_memory *m)
{
	rejects(m, "container system 4K\n", -EEXIST, "duplicate ID");
	rejects(m, "ram pc.ram 4K\n", -EEXIST, "duplicate ram ID");
	rejects(m, "address-space memory pci\n", -EEXIST, "duplicate address space");
	rejects(m, "map lo in pci at 0\n", -EBUSY, "map a mapped region");
	rejects(m, "delete lo\n", -EBUSY, "delete a mapped region");
	rejects(m, "delete pc.ram\n", -EBUSY, "delete an aliased region");
	rejects(m, "unmap system\n", -EINVAL, "unmap a region that is not mapped");
	rejects(m, "delete system\n", -EBUSY, "delete an address-space root");
	rejects(m, "unmap port\ndelete pci\n", -EBUSY, "delete a mapped container, after an unmap");
	rejects(m, "map system in pci at 0\n", -ELOOP, "map a container into its child");
	rejects(m, "alias sys-alias system 0 4K\nmap sys-alias in pci at 0x2000\n", -ELOOP,
		"alias cycle through a container");
	rejects(m, "alias self-a pci 0 4K\nmap self-a in pci at 0\n", -ELOOP,
		"alias mapped into its own target");
	rejects(m, "container x 17E\n", -ERANGE, "size above 2^64");
	rejects(m, "map loose in system at 0x10000000000000000\n", -ERANGE, "address above 2^64-1");
	rejects(m, "map loose in system at 0xfffffffffffff800\n", -ERANGE,
		"addr + size beyond 2^64");
	rejects(m, "set bios addr 0xffffffffffff8000\n", -ERANGE, "move beyond 2^64");
	rejects(m, "set loose prio 0x80000000\n", -ERANGE, "priority beyond int");
}

static void all_or_none(struct vmm_memory *m)
{
	rejects(m, "container n1 4K\nmap n1 in system at 0x5000\nset n1 readonly on\n"
		   "set bios prio 3\nram n2 4K\nmap n2 in nosuch at 0\n", -ENOENT,
		"five applied lines undone by the sixth");
	is(last_line, 6, "the failing line is reported as line 6");
	ok(!strncmp(last_err.msg, "line 6: ", 8), "reason starts with 'line 6: ' (%s)", last_err.msg);
	rejects(m, "\n# comment\n\nunmap lo\nset lo addr 0x100000\nfrobnicate\n", -EINVAL,
		"blank and comment lines count");
	is(last_line, 6, "line numbers count blank and comment lines");
	rejects(m, "begin\nset lo prio 3\ncommit\nset bios prio -1\ndelete lo\n", -EBUSY,
		"a begin/commit pair inside a failing write is undone too");
	is(vmm_memory_depth(m), 0, "no transaction left open");
	rejects(m, "begin\nunmap lo\ncontainer lo 4K\n", -EEXIST, "failing write that opened a begin");
	is(vmm_memory_depth(m), 0, "its begin is gone with it");
}

/* Out of memslots: the KVM listener fails the commit, nothing changes. */
static void out_of_slots(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_accel *a = vmm_accel_new_soft(2);
	struct vmm_listener *l = a ? vmm_kvm_listener_new(a) : NULL;
	struct vmm_err err;

	if (!m || !l || vmm_memory_listener_register(m, l, &err)) {
		ok(0, "soft accelerator with 2 slots and the KVM listener");
		return;
	}
	is(exec(m, "container sys 16E\nram r1 64K in sys at 0\naddress-space memory sys\n"), 0,
	   "one slot used (%s)", last_err.msg);
	rejects(m, "ram r2 64K in sys at 0x100000\nram r3 64K in sys at 0x200000\n", -ENOSPC,
		"a third memslot does not fit");
	is(vmm_accel_memslot_count(a), 1, "the accelerator still has one slot");
	is(exec(m, "begin\nram r2 64K in sys at 0x100000\n"), 0, "a batch that will not fit");
	is(exec(m, "ram r3 64K in sys at 0x200000\n"), 0, "still pending");
	is(exec(m, "commit\n"), -ENOSPC, "the batch's commit fails with ENOSPC (%s)", last_err.msg);
	is(vmm_memory_depth(m), 0, "no transaction left open");
	ok(!vmm_mr_find(m, "r2") && !vmm_mr_find(m, "r3"), "the whole batch is rolled back");
	vmm_memory_listener_unregister(m, l);
	vmm_memory_free(m);
	vmm_kvm_listener_free(l);
	vmm_accel_free(a);
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();

	if (!m)
		return 1;
	is(exec(m, base_script), 0, "base topology (%s)", last_err.msg);
	syntax(m);
	unknown(m);
	conflicts(m);
	all_or_none(m);
	vmm_memory_free(m);
	out_of_slots();
	return done_testing();
}
