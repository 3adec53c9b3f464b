// SPDX-License-Identifier: MIT
/*
 * The parts of QEMU 7.2's `pc` and `q35` memory maps that both machines
 * build the same way (hw/i386/pc.c pc_memory_init(), hw/i386/x86.c
 * x86_bios_rom_init(), hw/pci-host/pam.c init_pam(), hw/pci/pci.c
 * pci_init_bus_master(), hw/core/loader.c rom_add_blob() for fw_cfg's ACPI
 * tables), and pc_build(), which puts them together with what pc.c or q35.c
 * describes as its own: the below-4G rule, the host bridge, the I/O port
 * table and the PCI functions (struct pc_machine).
 */
#include <errno.h>
#include <stdio.h>

#include <vmm/machine.h>
#include "pc_common_priv.h"

#define PC_BIOS_SIZE	0x40000ull	/* QEMU's bios.bin (SeaBIOS), 256 KiB */
#define PC_ISA_BIOS_MAX	0x20000ull	/* the low window shows at most its last 128 KiB */
#define PC_ROM_ADDR	0xc0000ull
#define PC_ROM_SIZE	0x20000ull

int pc_alias(struct vmm_memory *mem, const char *id, const char *name,
	     struct vmm_mr *target, uint64_t off, uint64_t size,
	     struct vmm_mr *parent, uint64_t addr, int prio, struct vmm_mr **out,
	     struct vmm_err *err)
{
	struct vmm_mr *mr;
	int r;

	r = vmm_mr_new_alias(mem, id, name, target, off, size, &mr, err);
	if (r)
		return r;
	if (out)
		*out = mr;
	return parent ? vmm_mr_map(mr, parent, addr, prio, err) : 0;
}

/* "system" (with the "memory" address space) and the "pci" container. */
static int pc_system(struct vmm_memory *mem, struct vmm_mr **sys, struct vmm_mr **pci,
		     struct vmm_err *err)
{
	int r;

	r = vmm_mr_new_container(mem, "system", NULL, VMM_U64_LIMIT, sys, err);
	if (!r)
		r = vmm_as_new(mem, "memory", *sys, NULL, err);
	if (!r)
		r = vmm_as_new(mem, "cpu-memory-0", *sys, NULL, err);
	if (!r)
		r = vmm_mr_new_container(mem, "pci", NULL, VMM_U64_LIMIT, pci, err);
	return r;
}

/* pc.ram with ram-below-4g (@below bytes at 0) and ram-above-4g (the rest at 4G). */
static int pc_ram(struct vmm_memory *mem, struct vmm_mr *sys, uint64_t ram_size, uint64_t below,
		  const char *backend, struct vmm_mr **ram, struct vmm_err *err)
{
	struct vmm_ram_opts o = { .backend = backend ? backend : "anon" };
	int r;

	r = vmm_mr_new_ram(mem, VMM_MR_RAM, "pc.ram", NULL, ram_size, &o, ram, err);
	if (!r)
		r = pc_alias(mem, "ram-below-4g", NULL, *ram, 0, below, sys, 0, 0, NULL, err);
	if (!r && ram_size > below)
		r = pc_alias(mem, "ram-above-4g", NULL, *ram, below, ram_size - below, sys,
			     PC_GIB4, 0, NULL, err);
	return r;
}

/* pc.bios, its isa-bios window and pc.rom in "pci" (x86_bios_rom_init). */
static int pc_roms(struct vmm_memory *mem, struct vmm_mr *pci, struct vmm_err *err)
{
	struct vmm_ram_opts o = { .backend = "anon" };
	struct vmm_mr *bios, *isa, *rom;
	int r;

	r = vmm_mr_new_ram(mem, VMM_MR_ROM, "pc.bios", NULL, PC_BIOS_SIZE, &o, &bios, err);
	if (r)
		return r;
	r = pc_alias(mem, "isa-bios", NULL, bios, PC_BIOS_SIZE - PC_ISA_BIOS_MAX,
		     PC_ISA_BIOS_MAX, pci, 0x100000 - PC_ISA_BIOS_MAX, 1, &isa, err);
	if (!r)
		r = vmm_mr_set_readonly(isa, true, err);
	if (!r)
		r = vmm_mr_map(bios, pci, PC_GIB4 - PC_BIOS_SIZE, 0, err);
	if (!r)
		r = vmm_mr_new_ram(mem, VMM_MR_ROM, "pc.rom", NULL, PC_ROM_SIZE, &o, &rom, err);
	if (!r)
		r = vmm_mr_map(rom, pci, PC_ROM_ADDR, 1, err);
	return r;
}

/*
 * One PAM segment: four aliases at prio 1, mapped pci-window first so that
 * the newest, pam-ram, leads the list; only the pci window is enabled after
 * reset (PAM register 0).
 */
static int pc_pam(struct vmm_memory *mem, struct vmm_mr *sys, struct vmm_mr *pci,
		  struct vmm_mr *ram, uint64_t start, uint64_t size, struct vmm_err *err)
{
	static const struct { const char *id, *name; bool to_pci, ro; } a[4] = {
		{ "pam-pci",     "pam-pci", true,  false },
		{ "pam-rom",     "pam-rom", false, true },
		{ "pam-pci-ram", "pam-pci", false, false },
		{ "pam-ram",     "pam-ram", false, false },
	};
	char id[64];
	struct vmm_mr *mr;
	int r = 0;

	for (unsigned i = 0; i < 4 && !r; i++) {
		snprintf(id, sizeof(id), "%s:%05llx", a[i].id, (unsigned long long)start);
		r = pc_alias(mem, id, a[i].name, a[i].to_pci ? pci : ram, start, size,
			     NULL, 0, 0, &mr, err);
		if (!r && a[i].ro)
			r = vmm_mr_set_readonly(mr, true, err);
		if (!r && !a[i].to_pci)
			r = vmm_mr_set_enabled(mr, false, err);
		if (!r)
			r = vmm_mr_map(mr, sys, start, 1, err);
	}
	return r;
}

int pc_pams(struct vmm_memory *mem, struct vmm_mr *sys, struct vmm_mr *pci,
	    struct vmm_mr *ram, struct vmm_err *err)
{
	int r;

	r = pc_pam(mem, sys, pci, ram, 0xf0000, 0x10000, err);
	for (unsigned i = 0; i < 12 && !r; i++)
		r = pc_pam(mem, sys, pci, ram, 0xc0000 + i * 0x4000ull, 0x4000, err);
	return r;
}

/* kvm-ioapic, hpet and kvm-apic-msi in "system", inert (no irqchip here). */
static int pc_sysbus_io(struct vmm_memory *mem, struct vmm_mr *sys, struct vmm_err *err)
{
	static const struct { const char *id; uint64_t addr, size; int prio; } d[] = {
		{ "kvm-ioapic",   0xfec00000, 0x1000,   0 },
		{ "hpet",         0xfed00000, 0x400,    0 },
		{ "kvm-apic-msi", 0xfee00000, 0x100000, 4096 },
	};
	struct vmm_mr *mr;
	int r = 0;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]) && !r; i++) {
		r = vmm_mr_new_io(mem, d[i].id, NULL, d[i].size, "none", &mr, err);
		if (!r)
			r = vmm_mr_map(mr, sys, d[i].addr, d[i].prio, err);
	}
	return r;
}

/*
 * The ISA and chipset ports both machines have, in QEMU's creation order
 * (before each machine's own: its power-management block must come after
 * dma-chan, which shares port 0 with it).
 */
static const struct pc_port pc_isa_ports[] = {
	{ "dma-chan", NULL, NULL, 0x0, 0x8, 0, false, false },
	{ "dma-cont", NULL, NULL, 0x8, 0x8, 0, false, false },
	{ "kvm-pic", NULL, NULL, 0x20, 0x2, 0, false, false },
	{ "kvm-pit", NULL, NULL, 0x40, 0x4, 0, false, false },
	{ "i8042-data", NULL, NULL, 0x60, 0x1, 0, false, false },
	{ "pcspk", NULL, NULL, 0x61, 0x1, 0, false, false },
	{ "i8042-cmd", NULL, NULL, 0x64, 0x1, 0, false, false },
	{ "rtc", NULL, NULL, 0x70, 0x2, 0, false, false },
	{ "rtc-index", NULL, "rtc", 0x0, 0x1, 0, false, false },
	{ "kvmvapic", NULL, NULL, 0x7e, 0x2, 0, false, false },
	{ "ioport80", NULL, NULL, 0x80, 0x1, 0, false, false },
	{ "dma-page@81", "dma-page", NULL, 0x81, 0x3, 0, false, false },
	{ "dma-page@87", "dma-page", NULL, 0x87, 0x1, 0, false, false },
	{ "dma-page@89", "dma-page", NULL, 0x89, 0x3, 0, false, false },
	{ "dma-page@8f", "dma-page", NULL, 0x8f, 0x1, 0, false, false },
	{ "port92", NULL, NULL, 0x92, 0x1, 0, false, false },
	{ "kvm-pic@a0", "kvm-pic", NULL, 0xa0, 0x2, 0, false, false },
	{ "apm-io", NULL, NULL, 0xb2, 0x2, 0, false, false },
	{ "dma-chan@c0", "dma-chan", NULL, 0xc0, 0x10, 0, false, false },
	{ "dma-cont@d0", "dma-cont", NULL, 0xd0, 0x10, 0, false, false },
	{ "ioportF0", NULL, NULL, 0xf0, 0x1, 0, false, false },
	{ "kvm-elcr", NULL, NULL, 0x4d0, 0x1, 0, false, false },
	{ "kvm-elcr@4d1", "kvm-elcr", NULL, 0x4d1, 0x1, 0, false, false },
	{ "fwcfg", NULL, NULL, 0x510, 0x2, 0, false, false },
	{ "fwcfg.dma", NULL, NULL, 0x514, 0x8, 0, false, false },
};

/*
 * The ports our firmware talks to, which QEMU's -nodefaults machine has not:
 * QEMU's own isa-debugcon (name and width as QEMU's) and the probe mailbox.
 */
static const struct { const char *id, *name, *device; uint64_t addr, size; } pc_own_ports[] = {
	{ "debugcon", "isa-debugcon", "debugcon", VMM_DEBUGCON_PORT, 0x1 },
	{ "probe", NULL, "probe", VMM_PROBE_PORT, VMM_PROBE_PORT_SIZE },
};

static int pc_port(struct vmm_memory *mem, struct vmm_mr *io, const struct pc_port *p,
		   struct vmm_err *err)
{
	struct vmm_mr *mr, *parent = io;
	int r;

	if (p->parent && !(parent = vmm_mr_find(mem, p->parent)))
		return vmm_err_set(err, -ENOENT, "pc: no port region '%s'", p->parent);
	if (p->container)
		r = vmm_mr_new_container(mem, p->id, p->name, p->size, &mr, err);
	else
		r = vmm_mr_new_io(mem, p->id, p->name, p->size, "none", &mr, err);
	if (!r && p->disabled)
		r = vmm_mr_set_enabled(mr, false, err);
	if (!r)
		r = vmm_mr_map(mr, parent, p->addr, p->prio, err);
	return r;
}

/*
 * "io" and its "I/O" address space: the ISA ports both machines have, then
 * @ports (the machine's own) in order, then our debugcon and probe.
 */
static int pc_io_space(struct vmm_memory *mem, const struct pc_port *ports, size_t n,
		       struct vmm_err *err)
{
	struct vmm_mr *io, *mr;
	int r;

	r = vmm_mr_new_io(mem, "io", NULL, 0x10000, "none", &io, err);
	for (size_t i = 0; i < sizeof(pc_isa_ports) / sizeof(pc_isa_ports[0]) && !r; i++)
		r = pc_port(mem, io, &pc_isa_ports[i], err);
	for (size_t i = 0; i < n && !r; i++)
		r = pc_port(mem, io, &ports[i], err);
	for (size_t i = 0; i < sizeof(pc_own_ports) / sizeof(pc_own_ports[0]) && !r; i++) {
		r = vmm_mr_new_io(mem, pc_own_ports[i].id, pc_own_ports[i].name,
				  pc_own_ports[i].size, pc_own_ports[i].device, &mr, err);
		if (!r)
			r = vmm_mr_map(mr, io, pc_own_ports[i].addr, 0, err);
	}
	if (!r)
		r = vmm_as_new(mem, "I/O", io, NULL, err);
	return r;
}

/*
 * One bus-master address space per PCI function, named as QEMU names the
 * function: a "bus master container" holding a disabled "bus master" alias of
 * all of "system" (pci_init_bus_master; the command register enables it).
 */
static int pc_bus_masters(struct vmm_memory *mem, struct vmm_mr *sys, const char *const *names,
			  size_t n, struct vmm_err *err)
{
	struct vmm_mr *box, *bm;
	char id[64];
	int r = 0;

	for (size_t i = 0; i < n && !r; i++) {
		snprintf(id, sizeof(id), "bus-master-container:%s", names[i]);
		r = vmm_mr_new_container(mem, id, "bus master container", VMM_U64_LIMIT, &box,
					 err);
		snprintf(id, sizeof(id), "bus-master:%s", names[i]);
		if (!r)
			r = vmm_mr_new_alias(mem, id, "bus master", sys, 0, VMM_U64_LIMIT, &bm,
					     err);
		if (!r)
			r = vmm_mr_set_enabled(bm, false, err);
		if (!r)
			r = vmm_mr_map(bm, box, 0, 0, err);
		if (!r)
			r = vmm_as_new(mem, names[i], box, NULL, err);
	}
	return r;
}

/* fw_cfg's ACPI blobs (rom_add_blob): unmapped, resizeable, read-only RAM blocks. */
static int pc_acpi_blobs(struct vmm_memory *mem, struct vmm_err *err)
{
	/* sizes as QEMU 7.2 builds them for these machines: used, then reserved */
	static const struct { const char *id, *name; uint64_t used, max; } b[] = {
		{ "acpi-tables", "/rom@etc/acpi/tables", 0x20000, 0x200000 },
		{ "table-loader", "/rom@etc/table-loader", 0x1000, 0x10000 },
		{ "acpi-rsdp", "/rom@etc/acpi/rsdp", 0x1000, 0x1000 },
	};
	struct vmm_mr *mr;
	int r = 0;

	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]) && !r; i++) {
		struct vmm_ram_opts o = { .backend = "anon", .idstr = b[i].name,
					  .max_size = b[i].max > b[i].used ? b[i].max : 0 };

		r = vmm_mr_new_ram(mem, VMM_MR_ROM, b[i].id, b[i].name, b[i].used, &o, &mr, err);
	}
	return r;
}

/* The whole map, in QEMU's creation order (pc_memory_init, then the chipset). */
static int pc_build_map(struct vmm_memory *mem, const struct pc_machine *m, uint64_t ram_size,
			const char *backend, struct vmm_err *err)
{
	uint64_t below = m->ram_below(ram_size);
	struct vmm_mr *sys, *pci, *ram;
	int r;

	r = pc_system(mem, &sys, &pci, err);
	if (!r)
		r = pc_ram(mem, sys, ram_size, below, backend, &ram, err);
	if (!r)
		r = pc_roms(mem, pci, err);
	if (!r)
		r = m->host_bridge(mem, sys, pci, ram, below, err);
	if (!r)
		r = pc_sysbus_io(mem, sys, err);
	if (!r)
		r = pc_io_space(mem, m->ports, m->nr_ports, err);
	if (!r)
		r = pc_bus_masters(mem, sys, m->pci_functions, m->nr_pci_functions, err);
	if (!r)
		r = pc_acpi_blobs(mem, err);
	return r;
}

int pc_build(struct vmm_memory *mem, const struct pc_machine *m, uint64_t ram_size,
	     const char *backend, struct vmm_err *err)
{
	int r;

	if (ram_size < 0x100000 || (ram_size & 0xfff))
		return vmm_err_set(err, -EINVAL, "%s: RAM size 0x%llx is not a page multiple >= 1M",
				   m->name, (unsigned long long)ram_size);
	vmm_memory_begin(mem);
	r = pc_build_map(mem, m, ram_size, backend, err);
	if (r) {
		vmm_memory_abort(mem);
		return r;
	}
	return vmm_memory_commit(mem, err);
}
