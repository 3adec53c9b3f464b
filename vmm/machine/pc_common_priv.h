/* SPDX-License-Identifier: MIT */
/*
 * What QEMU 7.2's two x86 PC machines, `pc` (i440fx, pc.c) and `q35`
 * (MCH/ICH9, q35.c), build alike (pc_common.c): RAM and its below/above-4G
 * aliases, the BIOS ROMs, the PAM segments of the host bridge, the system-bus
 * interrupt controllers, the I/O space from a port table, the PCI functions'
 * bus-master address spaces and fw_cfg's unmapped ACPI ROM blobs. Each helper
 * creates its regions in QEMU's order, because `info mtree` shows regions of
 * equal address and priority newest first.
 */
#ifndef VMM_PC_COMMON_PRIV_H
#define VMM_PC_COMMON_PRIV_H

#include <vmm/memory.h>

#define PC_GIB4		0x100000000ull

int pc_alias(struct vmm_memory *mem, const char *id, const char *name,
	     struct vmm_mr *target, uint64_t off, uint64_t size,
	     struct vmm_mr *parent, uint64_t addr, int prio, struct vmm_mr **out,
	     struct vmm_err *err);
/* "system" (with the "memory" address space) and the "pci" container. */
int pc_system(struct vmm_memory *mem, struct vmm_mr **sys, struct vmm_mr **pci,
	      struct vmm_err *err);
/* pc.ram with ram-below-4g (@below bytes at 0) and ram-above-4g (the rest at 4G). */
int pc_ram(struct vmm_memory *mem, struct vmm_mr *sys, uint64_t ram_size, uint64_t below,
	   const char *backend, struct vmm_mr **ram, struct vmm_err *err);
/* pc.bios, its isa-bios window and pc.rom in "pci" (x86_bios_rom_init). */
int pc_roms(struct vmm_memory *mem, struct vmm_mr *pci, struct vmm_err *err);
/* The 13 PAM segments 0xc0000-0xfffff (init_pam), only the pci windows enabled. */
int pc_pams(struct vmm_memory *mem, struct vmm_mr *sys, struct vmm_mr *pci,
	    struct vmm_mr *ram, struct vmm_err *err);
/* kvm-ioapic, hpet and kvm-apic-msi in "system", inert (no irqchip here). */
int pc_sysbus_io(struct vmm_memory *mem, struct vmm_mr *sys, struct vmm_err *err);

/* One I/O port region as `info mtree` shows it. */
struct pc_port {
	const char *id, *name, *parent;
	uint64_t addr, size;
	int prio;
	bool container, disabled;
};

/*
 * "io" and its "I/O" address space: the ISA ports both machines have, then
 * @ports (the machine's own) in order, then our debugcon and probe.
 */
int pc_io_space(struct vmm_memory *mem, const struct pc_port *ports, size_t n,
		struct vmm_err *err);
/*
 * One bus-master address space per PCI function, named as QEMU names the
 * function: a "bus master container" holding a disabled "bus master" alias of
 * all of "system" (pci_init_bus_master; the command register enables it).
 */
int pc_bus_masters(struct vmm_memory *mem, struct vmm_mr *sys, const char *const *names,
		   size_t n, struct vmm_err *err);
/* fw_cfg's ACPI blobs (rom_add_blob): unmapped, resizeable, read-only RAM blocks. */
int pc_acpi_blobs(struct vmm_memory *mem, struct vmm_err *err);
/* The checks and the transaction every build shares; @build fills @mem. */
int pc_build_txn(struct vmm_memory *mem, const char *machine, uint64_t ram_size,
		 int (*build)(struct vmm_memory *, uint64_t, const char *, struct vmm_err *),
		 const char *backend, struct vmm_err *err);

#endif
