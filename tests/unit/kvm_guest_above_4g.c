// SPDX-License-Identifier: MIT
/*
 * The probe reaches guest addresses above 4 GiB: on a 6G pc machine (3G
 * below, 3G above 4G through ram-above-4g), guest loads through the
 * firmware's 2 MiB paging window see what the host put into pc.ram at the
 * offset the alias maps, guest stores there land in pc.ram, an access that
 * straddles two window pages works, and an address past the RAM reads as a
 * hole through an MMIO exit. Skips when /dev/kvm is missing.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <vmm/machine.h>
#include <vmm/memory.h>
#include "tap.h"

#define G4	0x100000000ull
#define BELOW	0xc0000000ull

int main(void)
{
	struct vmm_machine_opts o;
	struct vmm_machine *mc = NULL;
	struct vmm_err err = { 0 };
	struct vmm_mr *ram;
	struct vmm_probe p = { .op = VMM_PROBE_OP_READ, .size = 8 };
	uint64_t v = 0, want = 0x1122334455667788ull, *h;
	int fd = open("/dev/kvm", O_RDWR);

	if (fd < 0)
		skip_all("/dev/kvm not available");
	close(fd);
	vmm_machine_opts_default(&o);
	o.ram_size = 6ull << 30;
	o.accel = "kvm";
	if (!ok(vmm_machine_create(&o, &mc, &err) == 0, "6G pc machine with KVM (%s)", err.msg))
		return done_testing();
	ram = vmm_mr_find(mc->mem, "pc.ram");
	h = vmm_mr_host(ram, BELOW + 0x12345678);
	*h = want;
	is(vmm_machine_probe_read(mc, G4 + 0x12345678, 8, &v, 2000), 0, "probe above 4G");
	is(v, want, "guest load at 4G+0x12345678 sees pc.ram at 3G+0x12345678");

	is(vmm_machine_probe_write(mc, G4 + 0x80000000ull + 0x1ffffc, 8, ~want, 2000), 0,
	   "guest store straddling two 2 MiB pages above 4G");
	memcpy(&v, vmm_mr_host(ram, BELOW + 0x80000000ull + 0x1ffffc), 8);
	is(v, ~want, "the store landed in pc.ram");

	p.gpa = G4 + (3ull << 30) + 0x1000;
	is(vmm_machine_probe(mc, &p, 2000), 0, "probe past the end of RAM");
	ok(p.mmio && p.val == ~0ull, "a hole: MMIO exit, all-ones (0x%llx)",
	   (unsigned long long)p.val);
	vmm_machine_destroy(mc);
	return done_testing();
}
