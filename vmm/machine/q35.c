// SPDX-License-Identifier: MIT
/*
 * QEMU 7.2's `q35` machine (MCH host bridge, ICH9, -S -nodefaults) as a
 * memory topology, as hw/i386/pc_q35.c pc_q35_init(), hw/pci-host/q35.c
 * mch_realize() and the ICH9 functions create it, checked against QEMU's
 * whole `info mtree [-D|-f]` and `info ramblock` (tests/golden/own-q35-*,
 * q35-*). RAM, ROMs, PAM, the system-bus controllers and the bus-master
 * spaces come from pc_common.c; here are the MCH's SMRAM and TSEG regions,
 * q35's below-4G rule and its ICH9 I/O ports. The PCIe MMCFG window is not
 * mapped: at reset PCIEXBAR is off (the firmware would turn it on), so QEMU's
 * -S map has none either.
 */
#include <vmm/machine.h>
#include "pc_common_priv.h"

#define Q35_LOWMEM_MAX	0xb0000000ull	/* the MMCFG window at 2.75 GiB ends low RAM */
#define Q35_LOWMEM_SPLIT 0x80000000ull	/* RAM that does not fit keeps only 2 GiB low */
#define Q35_SMRAM_BASE	0xa0000ull
#define Q35_SMRAM_SIZE	0x20000ull
#define Q35_SMRAM_HIGH	0xfeda0000ull	/* where the open SMRAM shows above 4G-18M */
#define Q35_SMBASE_ADDR	0x30000ull
#define Q35_SMBASE_SIZE	0x20000ull

/**
 * q35_ram_below() - QEMU's below-4G share of pc_q35_init()
 * @ram_size: guest RAM
 *
 * Below the MMCFG window (2.75 GiB) RAM stays low whole; from 2.75 GiB on
 * only 2 GiB stay below 4G (the hole keeps the window and 32-bit BARs).
 * Return: bytes mapped from 0 (the rest is mapped from 4 GiB).
 */
static uint64_t q35_ram_below(uint64_t ram_size)
{
	return ram_size >= Q35_LOWMEM_MAX ? Q35_LOWMEM_SPLIT : ram_size;
}

/*
 * The MCH (mch_realize): pci hole at prio -1, the legacy SMRAM window shown
 * to all CPUs (SMRAM closed at reset), its disabled high alias, and the
 * blackholes that hide TSEG and SMBASE once locked (both off at reset; TSEG
 * empty just above low RAM). The "smram" container only SMM CPUs see is not
 * built: this machine has no SMM.
 */
static int q35_mch(struct vmm_memory *mem, struct vmm_mr *sys, struct vmm_mr *pci,
		   struct vmm_mr *ram, uint64_t below, struct vmm_err *err)
{
	struct vmm_mr *mr;
	int r;

	r = vmm_mr_map(pci, sys, 0, -1, err);
	if (!r)
		r = pc_alias(mem, "smram-region", NULL, pci, Q35_SMRAM_BASE, Q35_SMRAM_SIZE, sys,
			     Q35_SMRAM_BASE, 1, NULL, err);
	if (!r)
		r = pc_alias(mem, "smram-open-high", NULL, ram, Q35_SMRAM_BASE, Q35_SMRAM_SIZE,
			     NULL, 0, 0, &mr, err);
	if (!r)
		r = vmm_mr_set_enabled(mr, false, err);
	if (!r)
		r = vmm_mr_map(mr, sys, Q35_SMRAM_HIGH, 1, err);
	if (!r)
		r = vmm_mr_new_io(mem, "tseg-blackhole", NULL, 0, "none", &mr, err);
	if (!r)
		r = vmm_mr_set_enabled(mr, false, err);
	if (!r)
		r = vmm_mr_map(mr, sys, below, 1, err);
	if (!r)
		r = vmm_mr_new_io(mem, "smbase-blackhole", NULL, Q35_SMBASE_SIZE, "none", &mr, err);
	if (!r)
		r = vmm_mr_set_enabled(mr, false, err);
	if (!r)
		r = vmm_mr_map(mr, sys, Q35_SMBASE_ADDR, 1, err);
	if (!r)
		r = pc_pams(mem, sys, pci, ram, err);
	return r;
}

/*
 * QEMU's q35 -nodefaults I/O ports beyond the ISA ones both machines have,
 * in creation order: ICH9's power
 * management block comes last, so its disabled ich9-pm container shows
 * before dma-chan at port 0 (its base register is 0 until the firmware
 * sets it).
 */
static const struct pc_port q35_ports[] = {
	{ "acpi-pci-hotplug", NULL, NULL, 0xcc0, 0x18, 0, false, false },
	{ "acpi-cpu-hotplug", NULL, NULL, 0xcd8, 0x20, 0, false, false },
	{ "pci-conf-idx", NULL, NULL, 0xcf8, 0x4, 0, false, false },
	{ "lpc-reset-control", NULL, NULL, 0xcf9, 0x1, 1, false, false },
	{ "pci-conf-data", NULL, NULL, 0xcfc, 0x4, 0, false, false },
	{ "vmport", NULL, NULL, 0x5658, 0x1, 0, false, false },
	{ "ich9-pm", NULL, NULL, 0x0, 0x80, 0, true, true },
	{ "acpi-evt", NULL, "ich9-pm", 0x0, 0x4, 0, false, false },
	{ "acpi-cnt", NULL, "ich9-pm", 0x4, 0x2, 0, false, false },
	{ "acpi-tmr", NULL, "ich9-pm", 0x8, 0x4, 0, false, false },
	{ "acpi-gpe0", NULL, "ich9-pm", 0x20, 0x10, 0, false, false },
	{ "acpi-smi", NULL, "ich9-pm", 0x30, 0x8, 0, false, false },
	{ "sm-tco", NULL, "ich9-pm", 0x60, 0x20, 0, false, false },
};

/* The PCI functions of q35 -nodefaults, each with its bus-master address space. */
static const char *const q35_pci_functions[] = { "mch", "ICH9-LPC", "ich9-ahci", "ICH9-SMB" };

static const struct pc_machine q35_machine = {
	.name = "q35",
	.ram_below = q35_ram_below,
	.host_bridge = q35_mch,
	.ports = q35_ports,
	.nr_ports = sizeof(q35_ports) / sizeof(q35_ports[0]),
	.pci_functions = q35_pci_functions,
	.nr_pci_functions = sizeof(q35_pci_functions) / sizeof(q35_pci_functions[0]),
};

/**
 * vmm_machine_build_q35() - QEMU's q35 memory map for @ram_size bytes of RAM
 * @mem: an empty model
 * @ram_size: guest RAM (page multiple, at least 1 MiB)
 * @ram_backend: backend of pc.ram (NULL: anon, as QEMU)
 * @err: reason on failure
 *
 * Everything is built in one transaction; on failure nothing is left behind.
 * Return: 0 or -errno.
 */
int vmm_machine_build_q35(struct vmm_memory *mem, uint64_t ram_size, const char *ram_backend,
			  struct vmm_err *err)
{
	return pc_build(mem, &q35_machine, ram_size, ram_backend, err);
}
