// SPDX-License-Identifier: MIT
/*
 * QEMU 7.2's `pc` machine (i440fx, -nodefaults) as a memory topology: the
 * regions, names, sizes, priorities, mapping order and RAM-block order that
 * hw/i386/pc.c pc_memory_init(), hw/i386/x86.c x86_bios_rom_init(),
 * hw/pci-host/i440fx.c and hw/pci-host/pam.c create, checked against
 * `info mtree -f` of the real thing (tests/golden/pc-nodefaults-*). The I/O
 * space carries QEMU's ports (as inert io regions) plus the debug console and
 * the probe mailbox of our firmware.
 */
#include <errno.h>
#include <stdio.h>

#include <vmm/machine.h>
#include <vmm/memory.h>

#define PC_BIOS_SIZE	0x40000ull	/* QEMU's bios.bin (SeaBIOS), 256 KiB */
#define PC_ISA_BIOS_MAX	0x20000ull	/* the low window shows at most its last 128 KiB */
#define PC_ROM_ADDR	0xc0000ull
#define PC_ROM_SIZE	0x20000ull
#define PC_LOWMEM_MAX	0xe0000000ull	/* max-ram-below-4g default: 3.5 GiB */
#define PC_LOWMEM_ALIGN	0xc0000000ull	/* gigabyte_align split */
#define GIB4		0x100000000ull

/**
 * pc_ram_split() - QEMU's below/above-4G split of pc_init1()
 * @ram_size: guest RAM
 * @below: out: bytes mapped from 0
 *
 * With gigabyte_align (every pc-i440fx machine type since 1.7) a RAM size of
 * 3.5 GiB or more is split at 3 GiB, anything smaller stays below 4G whole.
 * Return: bytes mapped from 4 GiB.
 */
static uint64_t pc_ram_split(uint64_t ram_size, uint64_t *below)
{
	uint64_t lowmem = PC_LOWMEM_MAX;

	if (ram_size >= PC_LOWMEM_MAX)
		lowmem = PC_LOWMEM_ALIGN;
	if (ram_size >= lowmem) {
		*below = lowmem;
		return ram_size - lowmem;
	}
	*below = ram_size;
	return 0;
}

static int pc_alias(struct vmm_memory *mem, const char *id, const char *name,
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

/* The RAM and its aliases (pc_memory_init). */
static int pc_ram(struct vmm_memory *mem, struct vmm_mr *sys, uint64_t ram_size,
		  const char *backend, struct vmm_mr **ram, struct vmm_err *err)
{
	struct vmm_ram_opts o = { .backend = backend ? backend : "anon" };
	uint64_t below, above;
	int r;

	above = pc_ram_split(ram_size, &below);
	r = vmm_mr_new_ram(mem, VMM_MR_RAM, "pc.ram", NULL, ram_size, &o, ram, err);
	if (!r)
		r = pc_alias(mem, "ram-below-4g", NULL, *ram, 0, below, sys, 0, 0, NULL, err);
	if (!r && above)
		r = pc_alias(mem, "ram-above-4g", NULL, *ram, below, above, sys, GIB4, 0,
			     NULL, err);
	return r;
}

/* pc.bios at 4G - 256K, its isa-bios window at 1M - 128K, pc.rom (x86_bios_rom_init). */
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
		r = vmm_mr_map(bios, pci, GIB4 - PC_BIOS_SIZE, 0, err);
	if (!r)
		r = vmm_mr_new_ram(mem, VMM_MR_ROM, "pc.rom", NULL, PC_ROM_SIZE, &o, &rom, err);
	if (!r)
		r = vmm_mr_map(rom, pci, PC_ROM_ADDR, 1, err);
	return r;
}

/*
 * One PAM segment (hw/pci-host/pam.c init_pam): four aliases at prio 1,
 * mapped pci-window first so that the newest, pam-ram, leads the list; only
 * the pci window is enabled after reset (PAM register 0).
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

/* The host bridge: pci hole at prio -1, SMRAM window, PAM (i440fx_init). */
static int pc_i440fx(struct vmm_memory *mem, struct vmm_mr *sys, struct vmm_mr *pci,
		     struct vmm_mr *ram, struct vmm_err *err)
{
	int r;

	r = vmm_mr_map(pci, sys, 0, -1, err);
	if (!r)
		r = pc_alias(mem, "smram-region", NULL, pci, 0xa0000, 0x20000, sys, 0xa0000,
			     1, NULL, err);
	if (!r)
		r = pc_pam(mem, sys, pci, ram, 0xf0000, 0x10000, err);
	for (unsigned i = 0; i < 12 && !r; i++)
		r = pc_pam(mem, sys, pci, ram, 0xc0000 + i * 0x4000ull, 0x4000, err);
	return r;
}

/* Interrupt controllers and timers of the system bus, inert here (no irqchip). */
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

/* QEMU's pc -nodefaults I/O ports (names as `info mtree` shows them) plus ours. */
static const struct pc_port {
	const char *id, *name, *parent, *device;
	uint64_t addr, size;
	int prio;
	bool container, disabled;
} pc_ports[] = {
	{ "piix4-pm", NULL, NULL, NULL, 0x0, 0x40, 0, true, true },
	{ "acpi-evt", NULL, "piix4-pm", NULL, 0x0, 0x4, 0, false, false },
	{ "acpi-cnt", NULL, "piix4-pm", NULL, 0x4, 0x2, 0, false, false },
	{ "acpi-tmr", NULL, "piix4-pm", NULL, 0x8, 0x4, 0, false, false },
	{ "dma-chan", NULL, NULL, NULL, 0x0, 0x8, 0, false, false },
	{ "dma-cont", NULL, NULL, NULL, 0x8, 0x8, 0, false, false },
	{ "kvm-pic", NULL, NULL, NULL, 0x20, 0x2, 0, false, false },
	{ "kvm-pit", NULL, NULL, NULL, 0x40, 0x4, 0, false, false },
	{ "i8042-data", NULL, NULL, NULL, 0x60, 0x1, 0, false, false },
	{ "pcspk", NULL, NULL, NULL, 0x61, 0x1, 0, false, false },
	{ "i8042-cmd", NULL, NULL, NULL, 0x64, 0x1, 0, false, false },
	{ "rtc", NULL, NULL, NULL, 0x70, 0x2, 0, false, false },
	{ "rtc-index", NULL, "rtc", NULL, 0x0, 0x1, 0, false, false },
	{ "kvmvapic", NULL, NULL, NULL, 0x7e, 0x2, 0, false, false },
	{ "ioport80", NULL, NULL, NULL, 0x80, 0x1, 0, false, false },
	{ "dma-page@81", "dma-page", NULL, NULL, 0x81, 0x3, 0, false, false },
	{ "dma-page@87", "dma-page", NULL, NULL, 0x87, 0x1, 0, false, false },
	{ "dma-page@89", "dma-page", NULL, NULL, 0x89, 0x3, 0, false, false },
	{ "dma-page@8f", "dma-page", NULL, NULL, 0x8f, 0x1, 0, false, false },
	{ "port92", NULL, NULL, NULL, 0x92, 0x1, 0, false, false },
	{ "kvm-pic@a0", "kvm-pic", NULL, NULL, 0xa0, 0x2, 0, false, false },
	{ "apm-io", NULL, NULL, NULL, 0xb2, 0x2, 0, false, false },
	{ "dma-chan@c0", "dma-chan", NULL, NULL, 0xc0, 0x10, 0, false, false },
	{ "dma-cont@d0", "dma-cont", NULL, NULL, 0xd0, 0x10, 0, false, false },
	{ "ioportF0", NULL, NULL, NULL, 0xf0, 0x1, 0, false, false },
	{ "ide@170", "ide", NULL, NULL, 0x170, 0x8, 0, false, false },
	{ "ide@1f0", "ide", NULL, NULL, 0x1f0, 0x8, 0, false, false },
	{ "ide@376", "ide", NULL, NULL, 0x376, 0x1, 0, false, false },
	{ "fdc", NULL, NULL, NULL, 0x3f1, 0x5, 0, false, false },
	{ "ide@3f6", "ide", NULL, NULL, 0x3f6, 0x1, 0, false, false },
	{ "fdc@3f7", "fdc", NULL, NULL, 0x3f7, 0x1, 0, false, false },
	{ "debugcon", "isa-debugcon", NULL, "debugcon", VMM_DEBUGCON_PORT, 0x1, 0, false, false },
	{ "kvm-elcr", NULL, NULL, NULL, 0x4d0, 0x1, 0, false, false },
	{ "kvm-elcr@4d1", "kvm-elcr", NULL, NULL, 0x4d1, 0x1, 0, false, false },
	{ "fwcfg", NULL, NULL, NULL, 0x510, 0x2, 0, false, false },
	{ "fwcfg.dma", NULL, NULL, NULL, 0x514, 0x8, 0, false, false },
	{ "probe", NULL, NULL, "probe", VMM_PROBE_PORT, VMM_PROBE_PORT_SIZE, 0, false, false },
	{ "pci-conf-idx", NULL, NULL, NULL, 0xcf8, 0x4, 0, false, false },
	{ "piix3-reset-control", NULL, NULL, NULL, 0xcf9, 0x1, 1, false, false },
	{ "pci-conf-data", NULL, NULL, NULL, 0xcfc, 0x4, 0, false, false },
	{ "vmport", NULL, NULL, NULL, 0x5658, 0x1, 0, false, false },
	{ "acpi-pci-hotplug", NULL, NULL, NULL, 0xae00, 0x18, 0, false, false },
	{ "acpi-cpu-hotplug", NULL, NULL, NULL, 0xaf00, 0x20, 0, false, false },
	{ "acpi-gpe0", NULL, NULL, NULL, 0xafe0, 0x4, 0, false, false },
	{ "pm-smbus", NULL, NULL, NULL, 0xb100, 0x40, 0, false, false },
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
		r = vmm_mr_new_io(mem, p->id, p->name, p->size, p->device ? p->device : "none",
				  &mr, err);
	if (!r && p->disabled)
		r = vmm_mr_set_enabled(mr, false, err);
	if (!r)
		r = vmm_mr_map(mr, parent, p->addr, p->prio, err);
	return r;
}

static int pc_io_space(struct vmm_memory *mem, struct vmm_err *err)
{
	struct vmm_mr *io;
	int r;

	r = vmm_mr_new_io(mem, "io", NULL, 0x10000, "none", &io, err);
	for (size_t i = 0; i < sizeof(pc_ports) / sizeof(pc_ports[0]) && !r; i++)
		r = pc_port(mem, io, &pc_ports[i], err);
	if (!r)
		r = vmm_as_new(mem, "I/O", io, NULL, err);
	return r;
}

static int pc_build(struct vmm_memory *mem, uint64_t ram_size, const char *backend,
		    struct vmm_err *err)
{
	struct vmm_mr *sys, *pci, *ram;
	int r;

	r = vmm_mr_new_container(mem, "system", NULL, VMM_U64_LIMIT, &sys, err);
	if (!r)
		r = vmm_as_new(mem, "memory", sys, NULL, err);
	if (!r)
		r = vmm_as_new(mem, "cpu-memory-0", sys, NULL, err);
	if (!r)
		r = vmm_mr_new_container(mem, "pci", NULL, VMM_U64_LIMIT, &pci, err);
	if (!r)
		r = pc_ram(mem, sys, ram_size, backend, &ram, err);
	if (!r)
		r = pc_roms(mem, pci, err);
	if (!r)
		r = pc_i440fx(mem, sys, pci, ram, err);
	if (!r)
		r = pc_sysbus_io(mem, sys, err);
	if (!r)
		r = pc_io_space(mem, err);
	return r;
}

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
	int r;

	if (ram_size < 0x100000 || (ram_size & 0xfff))
		return vmm_err_set(err, -EINVAL, "pc: RAM size 0x%llx is not a page multiple >= 1M",
				   (unsigned long long)ram_size);
	vmm_memory_begin(mem);
	r = pc_build(mem, ram_size, ram_backend, err);
	if (r) {
		vmm_memory_abort(mem);
		return r;
	}
	return vmm_memory_commit(mem, err);
}
