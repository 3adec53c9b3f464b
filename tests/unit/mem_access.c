// SPDX-License-Identifier: MIT
/*
 * Accesses through an address space: RAM is read and written through its
 * host mapping (translate gives the same host address as vmm_mr_host), ROM
 * drops guest writes but takes forced ones, io regions get naturally aligned
 * 1/2/4/8-byte device calls in little-endian order, a ROM device reads from
 * RAM only in romd mode and always sends writes to its device, holes read as
 * all-ones, and accesses crossing range boundaries are split correctly.
 */
#include <errno.h>

#include "mem_util.h"

struct dev {
	char log[512];
	size_t len;
	uint8_t mem[64];
};

static int dev_read(void *opaque, uint64_t off, uint64_t *val, unsigned size)
{
	struct dev *d = opaque;
	unsigned i;

	d->len += snprintf(d->log + d->len, sizeof(d->log) - d->len, "r%u@%llu ", size,
			   (unsigned long long)off);
	*val = 0;
	for (i = 0; i < size; i++)
		*val |= (uint64_t)d->mem[(off + i) % sizeof(d->mem)] << (8 * i);
	return 0;
}

static int dev_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct dev *d = opaque;
	unsigned i;

	d->len += snprintf(d->log + d->len, sizeof(d->log) - d->len, "w%u@%llu ", size,
			   (unsigned long long)off);
	for (i = 0; i < size; i++)
		d->mem[(off + i) % sizeof(d->mem)] = (uint8_t)(val >> (8 * i));
	return 0;
}

static const struct vmm_mr_ops dev_ops = { .read = dev_read, .write = dev_write };

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *sys = mk_container(m, "sys", SZ(0x100000));
	struct vmm_mr *ram = mk_ram(m, VMM_MR_RAM, "ram", SZ(0x10000));
	struct vmm_mr *rom = mk_ram(m, VMM_MR_ROM, "rom", SZ(0x1000));
	struct vmm_mr *romd = mk_ram(m, VMM_MR_ROMD, "romd", SZ(0x1000));
	struct vmm_mr *io = mk_io(m, "io", SZ(0x100));
	struct dev d = { .len = 0 }, rd = { .len = 0 };
	struct vmm_as *as = NULL;
	struct vmm_xlate x;
	struct vmm_err err = { 0 };
	uint8_t buf[32], want[32];
	unsigned i;

	if (!ram || !rom || !romd) {
		skip_all("RAM blocks unavailable");
	}
	vmm_mr_set_ops(io, &dev_ops, &d, "test");
	vmm_mr_set_ops(romd, &dev_ops, &rd, "test");
	do_map(ram, sys, 0, 0);
	do_map(rom, sys, 0x20000, 0);
	do_map(romd, sys, 0x30000, 0);
	do_map(io, sys, 0x40000, 0);
	do_map(mk_alias(m, "ram-hi", ram, 0x8000, SZ(0x8000)), sys, 0x80000, 0);
	is(vmm_as_new(m, "memory", sys, &as, &err), 0, "address space");

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	is(vmm_as_write(as, 0x8ff0, buf, sizeof(buf)), 0, "write RAM");
	ok(memcmp(vmm_mr_host(ram, 0x8ff0), buf, sizeof(buf)) == 0, "landed in the host mapping");
	memset(want, 0, sizeof(want));
	is(vmm_as_read(as, 0x80ff0, want, sizeof(want)), 0, "read through the alias");
	ok(memcmp(want, buf, sizeof(buf)) == 0, "alias shows the same bytes");

	is(vmm_as_translate(as, 0x80ff0, &x), 0, "translate");
	ok(x.mr == ram && x.offset == 0x8ff0 && x.len == 0x80000 + 0x8000 - 0x80ff0 &&
	   x.host == vmm_mr_host(ram, 0x8ff0) && !x.readonly, "alias resolved to the leaf");
	is(vmm_as_translate(as, 0x50000, &x), 0, "translate a hole");
	ok(x.mr == NULL && x.len == 0x80000 - 0x50000 && !x.host, "hole up to the next range");

	memset(buf, 0xaa, sizeof(buf));
	is(vmm_as_write(as, 0x20000, buf, 16), 0, "guest write to ROM");
	ok(((uint8_t *)vmm_mr_host(rom, 0))[0] == 0, "was dropped");
	is(vmm_as_write_force(as, 0x20000, buf, 16), 0, "forced write to ROM");
	ok(((uint8_t *)vmm_mr_host(rom, 0))[15] == 0xaa, "was stored");
	is(vmm_as_translate(as, 0x20004, &x), 0, "translate ROM");
	ok(x.readonly && x.host == vmm_mr_host(rom, 4), "ROM is readonly with a host address");

	for (i = 0; i < 8; i++)
		buf[i] = (uint8_t)(0x11 * (i + 1));
	is(vmm_as_write(as, 0x40001, buf, 8), 0, "unaligned 8-byte io write");
	is_str(d.log, "w1@1 w2@2 w4@4 w1@8 ", "split into naturally aligned pieces");
	d.len = 0;
	memset(want, 0, sizeof(want));
	is(vmm_as_read(as, 0x40001, want, 8), 0, "read it back");
	ok(memcmp(want, buf, 8) == 0, "same bytes, little-endian pieces");
	d.len = 0;
	d.log[0] = 0;
	is(vmm_as_read(as, 0x40000, want, 16), 0, "aligned 16 bytes");
	is_str(d.log, "r8@0 r8@8 ", "two 8-byte reads");

	memset(want, 0, sizeof(want));
	is(vmm_as_read(as, 0x400f8, want, 16), 0, "read across io end into a hole");
	ok(want[8] == 0xff && want[15] == 0xff, "the hole reads as all-ones");

	memset(vmm_mr_host(romd, 0), 0x5a, 16);
	is(vmm_as_read(as, 0x30000, want, 4), 0, "romd read in romd mode");
	ok(want[0] == 0x5a && rd.len == 0, "from RAM, no device call");
	is(vmm_as_write(as, 0x30000, buf, 4), 0, "romd write");
	ok(strstr(rd.log, "w4@0") && ((uint8_t *)vmm_mr_host(romd, 0))[0] == 0x5a,
	   "went to the device, RAM untouched");
	is(vmm_mr_set_romd(romd, false, &err), 0, "leave romd mode");
	rd.len = 0;
	is(vmm_as_read(as, 0x30000, want, 4), 0, "romd read outside romd mode");
	ok(strstr(rd.log, "r4@0") && want[0] == buf[0], "from the device");
	is(vmm_mr_set_romd(ram, true, &err), -EINVAL, "romd mode only for romd regions");
	vmm_memory_free(m);
	return done_testing();
}
