// SPDX-License-Identifier: MIT
/*
 * Every command of the control language and what it does to the model:
 * creations with their options and PLACE clause (in any order), map, unmap,
 * each `set` key with every spelling of on/off, delete, address-space,
 * numbers with suffixes, comments and blank lines, and a region's own ctl
 * file supplying the implied parent and subject.
 */
#include "ctl_helpers.h"

#include <stdlib.h>
#include <unistd.h>

#include <vmm/ramblock.h>

static struct vmm_mr *R(struct vmm_memory *m, const char *id)
{
	return vmm_mr_find(m, id);
}

static void creations(struct vmm_memory *m)
{
	struct vmm_mr *mr;

	is(exec(m, "# the system bus\n\ncontainer system 16E name=\"system\"\n"
		   "ram pc.ram 128M backend=memfd idstr=pc.ram\n"
		   "rom pc.bios 256K name=pc.bios in system at 0xfffc0000\n"
		   "romd flash 64K prio 2 at 0xff000000 in system\n"
		   "io ioapic 0x1000 name=\"ioapic regs\" in system at 0xfec00000 prio -3\n"
		   "alias ram-below-4g pc.ram 0 0x4000000 name=ram-below-4g at 0 in system\n"
		   "container pci 16E name=\"PCI bus\"\n"
		   "ram big 1M max=4M\n"),
	   0, "creations accepted (%s)", last_err.msg);
	mr = R(m, "system");
	ok(mr && mr->type == VMM_MR_CONTAINER && mr->size == VMM_U64_LIMIT,
	   "container of 16E = 2^64");
	mr = R(m, "pc.ram");
	ok(mr && mr->type == VMM_MR_RAM && mr->size == 128ull << 20 && !mr->container,
	   "ram 128M, unmapped");
	ok(mr && mr->rb && mr->rb->backend == VMM_RB_MEMFD && !strcmp(mr->rb->idstr, "pc.ram"),
	   "backend=memfd idstr=pc.ram reach the RAM block");
	mr = R(m, "pc.bios");
	ok(mr && mr->type == VMM_MR_ROM && mr->addr == 0xfffc0000 && mr->container == R(m, "system"),
	   "rom placed with in/at");
	mr = R(m, "flash");
	ok(mr && mr->type == VMM_MR_ROMD && mr->priority == 2 && mr->addr == 0xff000000 &&
	   mr->container == R(m, "system"), "PLACE words in any order");
	mr = R(m, "ioapic");
	ok(mr && mr->type == VMM_MR_IO && mr->priority == -3 && !strcmp(mr->name, "ioapic regs"),
	   "io with a quoted name and a negative priority");
	mr = R(m, "ram-below-4g");
	ok(mr && mr->type == VMM_MR_ALIAS && mr->alias == R(m, "pc.ram") && mr->alias_offset == 0 &&
	   mr->size == 0x4000000 && mr->addr == 0, "alias with window and place");
	mr = R(m, "pci");
	ok(mr && !strcmp(mr->name, "PCI bus") && !mr->container, "name with a space");
	mr = R(m, "big");
	ok(mr && mr->rb && mr->rb->max_length == 4ull << 20 && (mr->rb->flags & VMM_RB_RESIZEABLE),
	   "max= makes a resizeable block");
}

static void mapping(struct vmm_memory *m)
{
	struct vmm_mr *sys = R(m, "system");

	is(exec(m, "map pci in system at 0 prio -1\n"), 0, "map (%s)", last_err.msg);
	ok(R(m, "pci")->container == sys && R(m, "pci")->priority == -1, "pci mapped at prio -1");
	is(exec(m, "container a 4K\ncontainer b 4K\nmap a in system at 0x1000\n"
		   "map b in system at 0x2000\n"), 0, "two more at prio 0");
	/* newest first among equal priorities: b before a */
	ok(R(m, "b")->sib_next == R(m, "a"), "newest first among equals");
	is(exec(m, "set a prio 1\nset a prio 0\n"), 0, "priority up and back down");
	ok(R(m, "a")->sib_next == R(m, "b"), "a priority change re-inserts at the front");
	is(exec(m, "unmap a\n"), 0, "unmap");
	ok(!R(m, "a")->container, "a unmapped");
	is(exec(m, "delete a\n"), 0, "delete");
	ok(!R(m, "a"), "a gone");
	is(exec(m, "set b addr 0x8000\n"), 0, "set addr");
	is(R(m, "b")->addr, 0x8000, "addr moved");
}

static void set_keys(struct vmm_memory *m)
{
	static const char *const on[] = { "on", "1", "true", "yes" };
	static const char *const off[] = { "off", "0", "false", "no" };
	struct vmm_mr *ram = R(m, "pc.ram"), *flash = R(m, "flash");
	char cmd[128];

	for (int i = 0; i < 4; i++) {
		snprintf(cmd, sizeof(cmd), "set pc.ram readonly %s\n", on[i]);
		is(exec(m, cmd), 0, "readonly %s", on[i]);
		ok(ram->readonly, "readonly is on after '%s'", on[i]);
		snprintf(cmd, sizeof(cmd), "set pc.ram readonly %s\n", off[i]);
		is(exec(m, cmd), 0, "readonly %s", off[i]);
		ok(!ram->readonly, "readonly is off after '%s'", off[i]);
	}
	is(exec(m, "set pc.ram nonvolatile on\nset pc.ram log-dirty on\n"), 0, "nonvolatile, log-dirty");
	ok(ram->nonvolatile && (ram->dirty_log_mask & VMM_DIRTY_LOG_MIGRATION), "both set");
	is(exec(m, "set flash romd off\n"), 0, "romd off (%s)", last_err.msg);
	ok(!flash->romd_mode, "romd mode cleared");
	is(exec(m, "set ioapic enabled off\n"), 0, "enabled off");
	ok(!R(m, "ioapic")->enabled, "disabled");
	is(exec(m, "set ram-below-4g alias-offset 0x100000\n"), 0, "alias-offset");
	is(R(m, "ram-below-4g")->alias_offset, 0x100000, "window moved");
	is(exec(m, "set pci size 1G\n"), 0, "size of a container");
	ok(R(m, "pci")->size == 1ull << 30, "size changed");
	is(exec(m, "set ram-below-4g alias pc.bios\nset ram-below-4g alias-offset 0\n"
		   "set ram-below-4g size 64K\n"), -EINVAL, "retarget needs the window to fit first");
	is(exec(m, "set ram-below-4g size 64K\nset ram-below-4g alias-offset 0\n"
		   "set ram-below-4g alias pc.bios\n"), 0, "alias retargeted (%s)", last_err.msg);
	ok(R(m, "ram-below-4g")->alias == R(m, "pc.bios"), "alias now points at pc.bios");
}

static void spaces(struct vmm_memory *m)
{
	struct vmm_as *as;

	is(exec(m, "address-space memory system\naddress-space \"cpu memory 0\" system\n"), 0,
	   "address spaces");
	as = vmm_as_find(m, "cpu memory 0");
	ok(as && as->root == R(m, "system"), "quoted address-space name, root system");
}

static void region_ctl(struct vmm_memory *m)
{
	is(exec_in(m, "system", "container sub 64K at 0x10000000\n"), 0,
	   "creation in a region's ctl (%s)", last_err.msg);
	ok(R(m, "sub")->container == R(m, "system"), "in PARENT implied");
	is(exec_in(m, "system", "container sub2 64K in pci at 0x1000\n"), 0, "explicit in wins");
	ok(R(m, "sub2")->container == R(m, "pci"), "explicit parent used");
	is(exec_in(m, "sub", "set prio 5\nset enabled off\n"), 0, "set KEY VALUE on itself");
	ok(R(m, "sub")->priority == 5 && !R(m, "sub")->enabled, "implied subject");
	is(exec_in(m, "sub", "set sub2 prio 7\n"), 0, "set ID KEY VALUE still works");
	is(R(m, "sub2")->priority, 7, "explicit subject");
	is(exec_in(m, "sub", "container inner 4K at 0\nunmap inner\nmap inner at 0x800\n"), 0,
	   "map with implied parent");
	ok(R(m, "inner")->container == R(m, "sub") && R(m, "inner")->addr == 0x800, "mapped into sub");
	is(exec_in(m, "inner", "unmap\ndelete\n"), 0, "unmap and delete of itself");
	ok(!R(m, "inner"), "inner deleted");
	is(exec_in(m, "gone", "set prio 1\n"), -ENOENT, "a deleted region's ctl: ENOENT");
	is(exec_in(m, "sub2", "address-space sub2-space\n"), 0, "address-space with implied root");
	ok(vmm_as_find(m, "sub2-space") && vmm_as_find(m, "sub2-space")->root == R(m, "sub2"),
	   "root implied");
}

static void numbers(struct vmm_memory *m)
{
	is(exec(m, "container n1 0x10000000000000000\ncontainer n2 512K\ncontainer n3 4096\n"
		   "container n4 1T\ncontainer n5 0\n"), 0, "number forms");
	ok(R(m, "n1")->size == VMM_U64_LIMIT, "0x1_0000_0000_0000_0000 is 2^64");
	is(R(m, "n2")->size, 512 << 10, "512K");
	is(R(m, "n3")->size, 4096, "decimal");
	is(R(m, "n4")->size, 1ull << 40, "1T");
	is(R(m, "n5")->size, 0, "zero-sized container");
}

static void from_file(struct vmm_memory *m)
{
	char path[] = "/tmp/ctl_commands.XXXXXX";
	struct vmm_ctl_ctx ctx = { .mem = m };
	struct vmm_err err;
	int fd = mkstemp(path);

	ok(fd >= 0 && write(fd, "container f1 4K\nset f1 size 8K\nfrobnicate\n", 42) == 42,
	   "script file written");
	is(vmm_ctl_exec_file(&ctx, path, &err), -EINVAL, "exec_file runs the file as one transaction");
	is(ctx.line, 3, "the failing line of the file");
	ok(!R(m, "f1"), "nothing of the file applied");
	if (fd >= 0)
		ok(ftruncate(fd, 31) == 0, "drop the bad line");
	is(vmm_ctl_exec_file(&ctx, path, &err), 0, "exec_file of the good part (%s)", err.msg);
	ok(R(m, "f1") && R(m, "f1")->size == 8192, "file applied");
	if (fd >= 0)
		close(fd);
	unlink(path);
	is(vmm_ctl_exec_file(&ctx, path, &err), -ENOENT, "missing file: ENOENT (%s)", err.msg);
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();

	if (!m)
		return 1;
	creations(m);
	mapping(m);
	set_keys(m);
	spaces(m);
	region_ctl(m);
	numbers(m);
	from_file(m);
	vmm_memory_free(m);
	return done_testing();
}
