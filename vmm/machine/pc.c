// SPDX-License-Identifier: MIT
/*
 * QEMU 7.2's `pc` machine (i440fx, -S -nodefaults) as a memory topology: the
 * regions, names, sizes, priorities, mapping order, address spaces and
 * RAM-block order that hw/i386/pc_piix.c pc_init1(), hw/i386/pc.c
 * pc_memory_init(), hw/pci-host/i440fx.c and the PIIX3/PIIX4 functions
 * create, checked against QEMU's whole `info mtree [-D|-f]` and
 * `info ramblock` (tests/golden/own-pc-*, pc-nodefaults-*). What both PC
 * machines share is in pc_common.c. The I/O space carries QEMU's ports (as
 * inert io regions) plus the debug console and the probe mailbox of our
 * firmware.
 */
#include <vmm/machine.h>
#include "pc_common_priv.h"

#define PC_LOWMEM_MAX	0xe0000000ull	/* max-ram-below-4g default: 3.5 GiB */
#define PC_LOWMEM_ALIGN	0xc0000000ull	/* gigabyte_align split */

/**
 * pc_ram_below() - QEMU's below-4G share of pc_init1()
 * @ram_size: guest RAM
 *
 * With gigabyte_align (every pc-i440fx machine type since 1.7) a RAM size of
 * 3.5 GiB or more is split at 3 GiB, anything smaller stays below 4G whole.
 * Return: bytes mapped from 0 (the rest is mapped from 4 GiB).
 */
static uint64_t pc_ram_below(uint64_t ram_size)
{
	return ram_size >= PC_LOWMEM_MAX ? PC_LOWMEM_ALIGN : ram_size;
}

/* The host bridge: pci hole at prio -1, SMRAM window, PAM (i440fx_init). */
static int pc_i440fx(struct vmm_memory *mem, struct vmm_mr *sys, struct vmm_mr *pci,
		     struct vmm_mr *ram, uint64_t below, struct vmm_err *err)
{
	int r;

	r = vmm_mr_map(pci, sys, 0, -1, err);
	if (!r)
		r = pc_alias(mem, "smram-region", NULL, pci, 0xa0000, 0x20000, sys, 0xa0000,
			     1, NULL, err);
	if (!r)
		r = pc_pams(mem, sys, pci, ram, err);
	return r;
}

/*
 * QEMU's pc -nodefaults I/O ports beyond the ISA ones both machines have
 * (names as `info mtree` shows them), in creation order: PIIX4's power
 * management function comes last, so its disabled piix4-pm container shows
 * before dma-chan at port 0.
 */
static const struct pc_port pc_ports[] = {
	{ "ide@170", "ide", NULL, 0x170, 0x8, 0, false, false },
	{ "ide@1f0", "ide", NULL, 0x1f0, 0x8, 0, false, false },
	{ "ide@376", "ide", NULL, 0x376, 0x1, 0, false, false },
	{ "fdc", NULL, NULL, 0x3f1, 0x5, 0, false, false },
	{ "ide@3f6", "ide", NULL, 0x3f6, 0x1, 0, false, false },
	{ "fdc@3f7", "fdc", NULL, 0x3f7, 0x1, 0, false, false },
	{ "pci-conf-idx", NULL, NULL, 0xcf8, 0x4, 0, false, false },
	{ "piix3-reset-control", NULL, NULL, 0xcf9, 0x1, 1, false, false },
	{ "pci-conf-data", NULL, NULL, 0xcfc, 0x4, 0, false, false },
	{ "vmport", NULL, NULL, 0x5658, 0x1, 0, false, false },
	{ "acpi-pci-hotplug", NULL, NULL, 0xae00, 0x18, 0, false, false },
	{ "acpi-cpu-hotplug", NULL, NULL, 0xaf00, 0x20, 0, false, false },
	{ "acpi-gpe0", NULL, NULL, 0xafe0, 0x4, 0, false, false },
	{ "pm-smbus", NULL, NULL, 0xb100, 0x40, 0, false, false },
	{ "piix4-pm", NULL, NULL, 0x0, 0x40, 0, true, true },
	{ "acpi-evt", NULL, "piix4-pm", 0x0, 0x4, 0, false, false },
	{ "acpi-cnt", NULL, "piix4-pm", 0x4, 0x2, 0, false, false },
	{ "acpi-tmr", NULL, "piix4-pm", 0x8, 0x4, 0, false, false },
};

/* The PCI functions of pc -nodefaults, each with its bus-master address space. */
static const char *const pc_pci_functions[] = { "i440FX", "PIIX3", "piix3-ide", "PIIX4_PM" };

static const struct pc_machine pc_machine = {
	.name = "pc",
	.ram_below = pc_ram_below,
	.host_bridge = pc_i440fx,
	.ports = pc_ports,
	.nr_ports = sizeof(pc_ports) / sizeof(pc_ports[0]),
	.pci_functions = pc_pci_functions,
	.nr_pci_functions = sizeof(pc_pci_functions) / sizeof(pc_pci_functions[0]),
};

/**
 * vmm_machine_build_pc() - QEMU's pc memory map for @ram_size bytes of RAM
 * @mem: an empty model
 * @ram_size: guest RAM (page multiple, at least 1 MiB)
 * @ram_backend: backend of pc.ram (NULL: anon, as QEMU)
 * @err: reason on failure
 *
 * Everything is built in one transaction; on failure nothing is left behind.
 * Return: 0 or -errno.
 */
int vmm_machine_build_pc(struct vmm_memory *mem, uint64_t ram_size, const char *ram_backend,
			 struct vmm_err *err)
{
	return pc_build(mem, &pc_machine, ram_size, ram_backend, err);
}
