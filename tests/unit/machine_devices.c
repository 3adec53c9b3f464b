// SPDX-License-Identifier: MIT
/*
 * The machine without a vCPU (accel none, works everywhere): it builds the pc
 * map on the soft memslot table, refuses to run or probe, and its io device
 * kinds behave as documented in machine.h — none reads all-ones, zero reads
 * zero, scratch remembers, counter counts, debugcon fills the console ring
 * (which keeps the newest 64 KiB), unknown kinds are rejected, and the list
 * of kinds (vmm_device_kind_at) matches what parsing accepts; a host write
 * reported with vmm_machine_mark_dirty() shows in the dirty log. Script and
 * QEMU-dump machines build too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ctl.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include "tap.h"

static uint64_t rd(struct vmm_as *as, uint64_t a, unsigned n)
{
	uint64_t v = 0;

	vmm_as_read(as, a, &v, n);
	return v;
}

/* Every listed kind is accepted, described, and offered in the rejection message. */
static void check_kind_table(struct vmm_ctl_ctx *c, struct vmm_err *err)
{
	const struct vmm_device_kind *k;
	char line[128];
	unsigned i;

	for (i = 0; (k = vmm_device_kind_at(i)); i++) {
		int n = snprintf(line, sizeof(line), "io d-kind%u 4K device=%s\n", i, k->name);

		is(vmm_ctl_exec(c, line, (size_t)n, err), 0, "listed kind %s is accepted (%s)",
		   k->name, err->msg);
		ok(k->description && *k->description, "kind %s has a description", k->name);
	}
	is(i, 6, "six device kinds");
	is(vmm_ctl_exec(c, "io d-x 4K device=nope\n", 22, err), -EINVAL, "nope rejected");
	ok(strstr(err->msg, "none, zero, scratch, counter, debugcon, probe") != NULL,
	   "the rejection lists the kinds: %s", err->msg);
}

static void check_devices(struct vmm_machine *mc)
{
	struct vmm_ctl_ctx c = { .mem = mc->mem };
	struct vmm_err err = { 0 };
	const char *s = "io d-zero 4K device=zero in system at 0x30000000\n"
			"io d-scr 4K device=scratch in system at 0x30001000\n"
			"io d-cnt 4K device=counter in system at 0x30002000\n"
			"io d-none 4K device=none in system at 0x30003000\n";
	uint64_t v = 0x1122334455667788ull;

	is(vmm_ctl_exec(&c, s, strlen(s), &err), 0, "device regions from the control language (%s)",
	   err.msg);
	is(rd(mc->memory_as, 0x30000010, 4), 0, "zero reads 0");
	vmm_as_write(mc->memory_as, 0x30001008, &v, 8);
	is(rd(mc->memory_as, 0x30001008, 8), (long long)v, "scratch returns what was stored");
	is(rd(mc->memory_as, 0x3000100c, 2), 0x3344, "scratch at a narrower offset");
	is(rd(mc->memory_as, 0x30002000, 4), 0, "counter: first read 0");
	is(rd(mc->memory_as, 0x30002000, 4), 1, "counter: second read 1");
	v = 41;
	vmm_as_write(mc->memory_as, 0x30002000, &v, 8);
	is(rd(mc->memory_as, 0x30002000, 8), 41, "counter: a write sets it");
	is(rd(mc->memory_as, 0x30003000, 2), 0xffff, "none reads all-ones");
	s = "io d-bad 4K device=frobnicator\n";
	is(vmm_ctl_exec(&c, s, strlen(s), &err), -EINVAL, "unknown device kind rejected");
	ok(strstr(err.msg, "frobnicator") != NULL, "and the reason names it: %s", err.msg);
	check_kind_table(&c, &err);
}

static void check_console(struct vmm_machine *mc)
{
	static char out[70000];
	size_t n;

	for (const char *p = "hello"; *p; p++)
		vmm_as_write(mc->io_as, VMM_DEBUGCON_PORT, p, 1);
	n = vmm_machine_console(mc, out, sizeof(out));
	is(n, 5, "console holds 5 bytes");
	ok(!memcmp(out, "hello", 5), "debugcon bytes reach the console");
	is(rd(mc->io_as, VMM_DEBUGCON_PORT, 1), 0xe9, "debugcon reads 0xe9");
	for (int i = 0; i < 70000; i++) {
		char ch = (char)('a' + i % 26);

		vmm_as_write(mc->io_as, VMM_DEBUGCON_PORT, &ch, 1);
	}
	n = vmm_machine_console(mc, out, sizeof(out));
	is(n, 65536, "the ring keeps the newest 64 KiB");
	is(out[n - 1], 'a' + 69999 % 26, "ending with the newest byte");
	is(vmm_machine_console(mc, out, 3), 3, "a short copy is the newest bytes");
	ok(out[2] == 'a' + 69999 % 26, "  ... newest last");
}

static void check_no_run(struct vmm_machine *mc)
{
	struct vmm_err err = { 0 };
	uint64_t v;

	is_str(vmm_accel_name(mc->accel), "none", "accel none");
	is(mc->nr_vcpus, 0, "no vCPU without KVM");
	ok(!vmm_machine_can_run(mc), "cannot run");
	is(vmm_machine_probe_read(mc, 0, 4, &v, 10), -ENODEV, "probe refused");
	is(vmm_machine_ctl(mc, "pause", &err), -ENODEV, "pause refused: %s", err.msg);
	is(vmm_machine_ctl(mc, "jump", &err), -ENODEV, "any ctl refused without vCPU");
	ok(vmm_as_find(mc->mem, "I/O") && mc->io_as, "I/O address space present");
	ok(vmm_accel_memslot_count(mc->accel) >= 4, "RAM and ROM became soft memslots (%u)",
	   vmm_accel_memslot_count(mc->accel));
}

/* A host write reported with vmm_machine_mark_dirty() shows in the slot's dirty log. */
static void check_mark_dirty(struct vmm_machine *mc)
{
	struct vmm_ctl_ctx c = { .mem = mc->mem };
	struct vmm_err err = { 0 };
	const char *s = "set pc.ram log-dirty on\n";
	const struct vmm_memslot *m = NULL;
	static uint64_t bm[(1u << 20) / 64];
	struct vmm_mr *ram = vmm_mr_find(mc->mem, "pc.ram");
	unsigned char *host = ram ? vmm_mr_host(ram, 0x5000) : NULL;
	uint32_t iter = 0;
	uint64_t pg;

	is(vmm_ctl_exec(&c, s, strlen(s), &err), 0, "log-dirty on pc.ram (%s)", err.msg);
	ok(host != NULL, "pc.ram has host memory");
	if (!host)
		return;
	while ((m = vmm_accel_memslot_next(mc->accel, &iter)))
		if ((m->flags & VMM_MEM_LOG_DIRTY_PAGES) && (uintptr_t)host >= m->hva &&
		    (uintptr_t)host < m->hva + m->size)
			break;
	ok(m != NULL, "a logging slot maps it");
	if (!m || m->size / 4096 > sizeof(bm) * 8)
		return;
	pg = ((uintptr_t)host - m->hva) / 4096;
	is(vmm_accel_get_dirty_log(mc->accel, m->slot, bm), 0, "dirty log read (clears it)");
	ok(!(bm[pg / 64] >> (pg % 64) & 1), "the page starts clean");
	host[1] = 0x5a;
	vmm_machine_mark_dirty(mc, host + 1, 1);
	is(vmm_accel_get_dirty_log(mc->accel, m->slot, bm), 0, "dirty log read again");
	ok(bm[pg / 64] >> (pg % 64) & 1, "the host write marked its page dirty");
}

int main(void)
{
	struct vmm_machine_opts o;
	struct vmm_machine *mc = NULL;
	struct vmm_err err = { 0 };

	vmm_machine_opts_default(&o);
	o.accel = "none";
	o.ram_size = 64ull << 20;
	if (ok(vmm_machine_create(&o, &mc, &err) == 0, "pc machine, accel none (%s)", err.msg)) {
		check_no_run(mc);
		check_devices(mc);
		check_mark_dirty(mc);
		check_console(mc);
		vmm_machine_destroy(mc);
	}
	o.accel = "warp";
	is(vmm_machine_create(&o, &mc, &err), -EINVAL, "unknown accelerator: %s", err.msg);
	o.accel = "none";
	o.ram_size = 1000;
	is(vmm_machine_create(&o, &mc, &err), -EINVAL, "bad RAM size: %s", err.msg);
	o.ram_size = 64ull << 20;
	o.qemu_dump = "tests/golden/pc-nodefaults-128M";
	if (ok(vmm_machine_create(&o, &mc, &err) == 0, "machine from a QEMU dump (%s)", err.msg)) {
		ok(mc->memory_as != NULL, "it has a memory address space");
		ok(!vmm_machine_can_run(mc), "a dump machine has no firmware to run");
		vmm_machine_destroy(mc);
	}
	return done_testing();
}
