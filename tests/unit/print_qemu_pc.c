// SPDX-License-Identifier: MIT
/*
 * The printers against the real thing: this builds, through the memory API,
 * the topology QEMU 7.2 shows for `qemu-system-x86_64 -machine pc,accel=kvm
 * -m 512M -nodefaults` and compares our `info mtree`, `info mtree -D`,
 * `info mtree -f` and `info ramblock` with QEMU's own text in
 * tests/golden/pc-nodefaults-512M (captured over QMP from that QEMU). The
 * region table below was transcribed from QEMU's `info mtree -D` (addresses
 * made relative to the container, names made unique as IDs); the expected
 * text is never produced by the code under test. Address spaces are created
 * in the order QEMU happened to print their groups, since our order is
 * creation order where QEMU's follows a pointer hash; for the same reason the
 * -f blocks are compared as a set, their numbers checked to run 0, 1, 2...
 * The " KVM" marks are checked with the slots QEMU's listener would register.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/flatview.h>
#include <vmm/kvm.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include "tap.h"

enum kind { K_CONT, K_RAM, K_ROM, K_IO, K_ALIAS };

struct row {
	const char *id, *name;
	enum kind kind;
	vmm_u128 size;
	const char *parent;
	uint64_t addr;
	int prio;
	int enabled;
	const char *target;
	uint64_t alias_offset;
};

/* From QEMU 7.2 `info mtree -D`, pc -m 512M -nodefaults, in printed order. */
static const struct row rows[] = {
	{ "system", "system", K_CONT, VMM_U64_LIMIT, NULL, 0x0, 0, 1, NULL, 0x0 },
	{ "ram-below-4g", "ram-below-4g", K_ALIAS, 0x20000000, "system", 0x0, 0, 1, "pc.ram", 0x0 },
	{ "pci", "pci", K_CONT, VMM_U64_LIMIT, "system", 0x0, -1, 1, NULL, 0x0 },
	{ "pc.rom", "pc.rom", K_ROM, 0x20000, "pci", 0xc0000, 1, 1, NULL, 0x0 },
	{ "isa-bios", "isa-bios", K_ALIAS, 0x20000, "pci", 0xe0000, 1, 1, "pc.bios", 0x20000 },
	{ "pc.bios", "pc.bios", K_ROM, 0x40000, "pci", 0xfffc0000, 0, 1, NULL, 0x0 },
	{ "smram-region", "smram-region", K_ALIAS, 0x20000, "system", 0xa0000, 1, 1, "pci", 0xa0000 },
	{ "pam-ram", "pam-ram", K_ALIAS, 0x4000, "system", 0xc0000, 1, 0, "pc.ram", 0xc0000 },
	{ "pam-pci", "pam-pci", K_ALIAS, 0x4000, "system", 0xc0000, 1, 0, "pc.ram", 0xc0000 },
	{ "pam-rom", "pam-rom", K_ALIAS, 0x4000, "system", 0xc0000, 1, 0, "pc.ram", 0xc0000 },
	{ "pam-pci-1", "pam-pci", K_ALIAS, 0x4000, "system", 0xc0000, 1, 1, "pci", 0xc0000 },
	{ "pam-ram-1", "pam-ram", K_ALIAS, 0x4000, "system", 0xc4000, 1, 0, "pc.ram", 0xc4000 },
	{ "pam-pci-2", "pam-pci", K_ALIAS, 0x4000, "system", 0xc4000, 1, 0, "pc.ram", 0xc4000 },
	{ "pam-rom-1", "pam-rom", K_ALIAS, 0x4000, "system", 0xc4000, 1, 0, "pc.ram", 0xc4000 },
	{ "pam-pci-3", "pam-pci", K_ALIAS, 0x4000, "system", 0xc4000, 1, 1, "pci", 0xc4000 },
	{ "pam-ram-2", "pam-ram", K_ALIAS, 0x4000, "system", 0xc8000, 1, 0, "pc.ram", 0xc8000 },
	{ "pam-pci-4", "pam-pci", K_ALIAS, 0x4000, "system", 0xc8000, 1, 0, "pc.ram", 0xc8000 },
	{ "pam-rom-2", "pam-rom", K_ALIAS, 0x4000, "system", 0xc8000, 1, 0, "pc.ram", 0xc8000 },
	{ "pam-pci-5", "pam-pci", K_ALIAS, 0x4000, "system", 0xc8000, 1, 1, "pci", 0xc8000 },
	{ "pam-ram-3", "pam-ram", K_ALIAS, 0x4000, "system", 0xcc000, 1, 0, "pc.ram", 0xcc000 },
	{ "pam-pci-6", "pam-pci", K_ALIAS, 0x4000, "system", 0xcc000, 1, 0, "pc.ram", 0xcc000 },
	{ "pam-rom-3", "pam-rom", K_ALIAS, 0x4000, "system", 0xcc000, 1, 0, "pc.ram", 0xcc000 },
	{ "pam-pci-7", "pam-pci", K_ALIAS, 0x4000, "system", 0xcc000, 1, 1, "pci", 0xcc000 },
	{ "pam-ram-4", "pam-ram", K_ALIAS, 0x4000, "system", 0xd0000, 1, 0, "pc.ram", 0xd0000 },
	{ "pam-pci-8", "pam-pci", K_ALIAS, 0x4000, "system", 0xd0000, 1, 0, "pc.ram", 0xd0000 },
	{ "pam-rom-4", "pam-rom", K_ALIAS, 0x4000, "system", 0xd0000, 1, 0, "pc.ram", 0xd0000 },
	{ "pam-pci-9", "pam-pci", K_ALIAS, 0x4000, "system", 0xd0000, 1, 1, "pci", 0xd0000 },
	{ "pam-ram-5", "pam-ram", K_ALIAS, 0x4000, "system", 0xd4000, 1, 0, "pc.ram", 0xd4000 },
	{ "pam-pci-10", "pam-pci", K_ALIAS, 0x4000, "system", 0xd4000, 1, 0, "pc.ram", 0xd4000 },
	{ "pam-rom-5", "pam-rom", K_ALIAS, 0x4000, "system", 0xd4000, 1, 0, "pc.ram", 0xd4000 },
	{ "pam-pci-11", "pam-pci", K_ALIAS, 0x4000, "system", 0xd4000, 1, 1, "pci", 0xd4000 },
	{ "pam-ram-6", "pam-ram", K_ALIAS, 0x4000, "system", 0xd8000, 1, 0, "pc.ram", 0xd8000 },
	{ "pam-pci-12", "pam-pci", K_ALIAS, 0x4000, "system", 0xd8000, 1, 0, "pc.ram", 0xd8000 },
	{ "pam-rom-6", "pam-rom", K_ALIAS, 0x4000, "system", 0xd8000, 1, 0, "pc.ram", 0xd8000 },
	{ "pam-pci-13", "pam-pci", K_ALIAS, 0x4000, "system", 0xd8000, 1, 1, "pci", 0xd8000 },
	{ "pam-ram-7", "pam-ram", K_ALIAS, 0x4000, "system", 0xdc000, 1, 0, "pc.ram", 0xdc000 },
	{ "pam-pci-14", "pam-pci", K_ALIAS, 0x4000, "system", 0xdc000, 1, 0, "pc.ram", 0xdc000 },
	{ "pam-rom-7", "pam-rom", K_ALIAS, 0x4000, "system", 0xdc000, 1, 0, "pc.ram", 0xdc000 },
	{ "pam-pci-15", "pam-pci", K_ALIAS, 0x4000, "system", 0xdc000, 1, 1, "pci", 0xdc000 },
	{ "pam-ram-8", "pam-ram", K_ALIAS, 0x4000, "system", 0xe0000, 1, 0, "pc.ram", 0xe0000 },
	{ "pam-pci-16", "pam-pci", K_ALIAS, 0x4000, "system", 0xe0000, 1, 0, "pc.ram", 0xe0000 },
	{ "pam-rom-8", "pam-rom", K_ALIAS, 0x4000, "system", 0xe0000, 1, 0, "pc.ram", 0xe0000 },
	{ "pam-pci-17", "pam-pci", K_ALIAS, 0x4000, "system", 0xe0000, 1, 1, "pci", 0xe0000 },
	{ "pam-ram-9", "pam-ram", K_ALIAS, 0x4000, "system", 0xe4000, 1, 0, "pc.ram", 0xe4000 },
	{ "pam-pci-18", "pam-pci", K_ALIAS, 0x4000, "system", 0xe4000, 1, 0, "pc.ram", 0xe4000 },
	{ "pam-rom-9", "pam-rom", K_ALIAS, 0x4000, "system", 0xe4000, 1, 0, "pc.ram", 0xe4000 },
	{ "pam-pci-19", "pam-pci", K_ALIAS, 0x4000, "system", 0xe4000, 1, 1, "pci", 0xe4000 },
	{ "pam-ram-10", "pam-ram", K_ALIAS, 0x4000, "system", 0xe8000, 1, 0, "pc.ram", 0xe8000 },
	{ "pam-pci-20", "pam-pci", K_ALIAS, 0x4000, "system", 0xe8000, 1, 0, "pc.ram", 0xe8000 },
	{ "pam-rom-10", "pam-rom", K_ALIAS, 0x4000, "system", 0xe8000, 1, 0, "pc.ram", 0xe8000 },
	{ "pam-pci-21", "pam-pci", K_ALIAS, 0x4000, "system", 0xe8000, 1, 1, "pci", 0xe8000 },
	{ "pam-ram-11", "pam-ram", K_ALIAS, 0x4000, "system", 0xec000, 1, 0, "pc.ram", 0xec000 },
	{ "pam-pci-22", "pam-pci", K_ALIAS, 0x4000, "system", 0xec000, 1, 0, "pc.ram", 0xec000 },
	{ "pam-rom-11", "pam-rom", K_ALIAS, 0x4000, "system", 0xec000, 1, 0, "pc.ram", 0xec000 },
	{ "pam-pci-23", "pam-pci", K_ALIAS, 0x4000, "system", 0xec000, 1, 1, "pci", 0xec000 },
	{ "pam-ram-12", "pam-ram", K_ALIAS, 0x10000, "system", 0xf0000, 1, 0, "pc.ram", 0xf0000 },
	{ "pam-pci-24", "pam-pci", K_ALIAS, 0x10000, "system", 0xf0000, 1, 0, "pc.ram", 0xf0000 },
	{ "pam-rom-12", "pam-rom", K_ALIAS, 0x10000, "system", 0xf0000, 1, 0, "pc.ram", 0xf0000 },
	{ "pam-pci-25", "pam-pci", K_ALIAS, 0x10000, "system", 0xf0000, 1, 1, "pci", 0xf0000 },
	{ "kvm-ioapic", "kvm-ioapic", K_IO, 0x1000, "system", 0xfec00000, 0, 1, NULL, 0x0 },
	{ "hpet", "hpet", K_IO, 0x400, "system", 0xfed00000, 0, 1, NULL, 0x0 },
	{ "kvm-apic-msi", "kvm-apic-msi", K_IO, 0x100000, "system", 0xfee00000, 4096, 1, NULL, 0x0 },
	{ "io", "io", K_IO, 0x10000, NULL, 0x0, 0, 1, NULL, 0x0 },
	{ "piix4-pm", "piix4-pm", K_CONT, 0x40, "io", 0x0, 0, 0, NULL, 0x0 },
	{ "acpi-evt", "acpi-evt", K_IO, 0x4, "piix4-pm", 0x0, 0, 1, NULL, 0x0 },
	{ "acpi-cnt", "acpi-cnt", K_IO, 0x2, "piix4-pm", 0x4, 0, 1, NULL, 0x0 },
	{ "acpi-tmr", "acpi-tmr", K_IO, 0x4, "piix4-pm", 0x8, 0, 1, NULL, 0x0 },
	{ "dma-chan", "dma-chan", K_IO, 0x8, "io", 0x0, 0, 1, NULL, 0x0 },
	{ "dma-cont", "dma-cont", K_IO, 0x8, "io", 0x8, 0, 1, NULL, 0x0 },
	{ "kvm-pic", "kvm-pic", K_IO, 0x2, "io", 0x20, 0, 1, NULL, 0x0 },
	{ "kvm-pit", "kvm-pit", K_IO, 0x4, "io", 0x40, 0, 1, NULL, 0x0 },
	{ "i8042-data", "i8042-data", K_IO, 0x1, "io", 0x60, 0, 1, NULL, 0x0 },
	{ "pcspk", "pcspk", K_IO, 0x1, "io", 0x61, 0, 1, NULL, 0x0 },
	{ "i8042-cmd", "i8042-cmd", K_IO, 0x1, "io", 0x64, 0, 1, NULL, 0x0 },
	{ "rtc", "rtc", K_IO, 0x2, "io", 0x70, 0, 1, NULL, 0x0 },
	{ "rtc-index", "rtc-index", K_IO, 0x1, "rtc", 0x0, 0, 1, NULL, 0x0 },
	{ "kvmvapic", "kvmvapic", K_IO, 0x2, "io", 0x7e, 0, 1, NULL, 0x0 },
	{ "ioport80", "ioport80", K_IO, 0x1, "io", 0x80, 0, 1, NULL, 0x0 },
	{ "dma-page", "dma-page", K_IO, 0x3, "io", 0x81, 0, 1, NULL, 0x0 },
	{ "dma-page-1", "dma-page", K_IO, 0x1, "io", 0x87, 0, 1, NULL, 0x0 },
	{ "dma-page-2", "dma-page", K_IO, 0x3, "io", 0x89, 0, 1, NULL, 0x0 },
	{ "dma-page-3", "dma-page", K_IO, 0x1, "io", 0x8f, 0, 1, NULL, 0x0 },
	{ "port92", "port92", K_IO, 0x1, "io", 0x92, 0, 1, NULL, 0x0 },
	{ "kvm-pic-1", "kvm-pic", K_IO, 0x2, "io", 0xa0, 0, 1, NULL, 0x0 },
	{ "apm-io", "apm-io", K_IO, 0x2, "io", 0xb2, 0, 1, NULL, 0x0 },
	{ "dma-chan-1", "dma-chan", K_IO, 0x10, "io", 0xc0, 0, 1, NULL, 0x0 },
	{ "dma-cont-1", "dma-cont", K_IO, 0x10, "io", 0xd0, 0, 1, NULL, 0x0 },
	{ "ioportF0", "ioportF0", K_IO, 0x1, "io", 0xf0, 0, 1, NULL, 0x0 },
	{ "ide", "ide", K_IO, 0x8, "io", 0x170, 0, 1, NULL, 0x0 },
	{ "ide-1", "ide", K_IO, 0x8, "io", 0x1f0, 0, 1, NULL, 0x0 },
	{ "ide-2", "ide", K_IO, 0x1, "io", 0x376, 0, 1, NULL, 0x0 },
	{ "fdc", "fdc", K_IO, 0x5, "io", 0x3f1, 0, 1, NULL, 0x0 },
	{ "ide-3", "ide", K_IO, 0x1, "io", 0x3f6, 0, 1, NULL, 0x0 },
	{ "fdc-1", "fdc", K_IO, 0x1, "io", 0x3f7, 0, 1, NULL, 0x0 },
	{ "kvm-elcr", "kvm-elcr", K_IO, 0x1, "io", 0x4d0, 0, 1, NULL, 0x0 },
	{ "kvm-elcr-1", "kvm-elcr", K_IO, 0x1, "io", 0x4d1, 0, 1, NULL, 0x0 },
	{ "fwcfg", "fwcfg", K_IO, 0x2, "io", 0x510, 0, 1, NULL, 0x0 },
	{ "fwcfg.dma", "fwcfg.dma", K_IO, 0x8, "io", 0x514, 0, 1, NULL, 0x0 },
	{ "pci-conf-idx", "pci-conf-idx", K_IO, 0x4, "io", 0xcf8, 0, 1, NULL, 0x0 },
	{ "piix3-reset-control", "piix3-reset-control", K_IO, 0x1, "io", 0xcf9, 1, 1, NULL, 0x0 },
	{ "pci-conf-data", "pci-conf-data", K_IO, 0x4, "io", 0xcfc, 0, 1, NULL, 0x0 },
	{ "vmport", "vmport", K_IO, 0x1, "io", 0x5658, 0, 1, NULL, 0x0 },
	{ "acpi-pci-hotplug", "acpi-pci-hotplug", K_IO, 0x18, "io", 0xae00, 0, 1, NULL, 0x0 },
	{ "acpi-cpu-hotplug", "acpi-cpu-hotplug", K_IO, 0x20, "io", 0xaf00, 0, 1, NULL, 0x0 },
	{ "acpi-gpe0", "acpi-gpe0", K_IO, 0x4, "io", 0xafe0, 0, 1, NULL, 0x0 },
	{ "pm-smbus", "pm-smbus", K_IO, 0x40, "io", 0xb100, 0, 1, NULL, 0x0 },
	{ "bus_master_container", "bus master container", K_CONT, VMM_U64_LIMIT, NULL, 0x0, 0, 1, NULL, 0x0 },
	{ "bus_master", "bus master", K_ALIAS, VMM_U64_LIMIT, "bus_master_container", 0x0, 0, 0, "system", 0x0 },
	{ "bus_master_container-1", "bus master container", K_CONT, VMM_U64_LIMIT, NULL, 0x0, 0, 1, NULL, 0x0 },
	{ "bus_master-1", "bus master", K_ALIAS, VMM_U64_LIMIT, "bus_master_container-1", 0x0, 0, 0, "system", 0x0 },
	{ "bus_master_container-2", "bus master container", K_CONT, VMM_U64_LIMIT, NULL, 0x0, 0, 1, NULL, 0x0 },
	{ "bus_master-2", "bus master", K_ALIAS, VMM_U64_LIMIT, "bus_master_container-2", 0x0, 0, 0, "system", 0x0 },
	{ "bus_master_container-3", "bus master container", K_CONT, VMM_U64_LIMIT, NULL, 0x0, 0, 1, NULL, 0x0 },
	{ "bus_master-3", "bus master", K_ALIAS, VMM_U64_LIMIT, "bus_master_container-3", 0x0, 0, 0, "system", 0x0 },
};

static const char *const as_names[][2] = {
	{ "memory", "system" }, { "cpu-memory-0", "system" }, { "I/O", "io" },
	{ "i440FX", "bus_master_container" }, { "PIIX3", "bus_master_container-1" },
	{ "piix3-ide", "bus_master_container-2" }, { "PIIX4_PM", "bus_master_container-3" },
};

static char *slurp(const char *name)
{
	const char *top = getenv("MTREEFS_TOP");
	char path[4096];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/golden/pc-nodefaults-512M/%s", top ? top : ".",
		 name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	buf = malloc(1 << 20);
	if (buf)
		len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

static int make_ram(struct vmm_memory *m, enum vmm_mr_type t, const char *id, vmm_u128 size,
		    vmm_u128 max, const char *idstr)
{
	struct vmm_ram_opts o = { .backend = "anon", .max_size = max, .idstr = idstr };
	struct vmm_err e;
	int r = vmm_mr_new_ram(m, t, id, idstr ? idstr : id, size, &o, NULL, &e);

	if (r)
		diag("ram %s: %s", id, e.msg);
	return r;
}

static int create_row(struct vmm_memory *m, const struct row *r)
{
	struct vmm_err e;
	int ret = 0;

	switch (r->kind) {
	case K_CONT:
		ret = vmm_mr_new_container(m, r->id, r->name, r->size, NULL, &e);
		break;
	case K_IO:
		ret = vmm_mr_new_io(m, r->id, r->name, r->size, NULL, NULL, &e);
		break;
	case K_ALIAS:
		ret = vmm_mr_new_alias(m, r->id, r->name, vmm_mr_find(m, r->target),
				       r->alias_offset, r->size, NULL, &e);
		break;
	default:
		return 0;	/* RAM blocks are made first, in QEMU's order */
	}
	if (ret)
		diag("create %s: %s", r->id, e.msg);
	return ret;
}

/* Children are mapped in reverse printed order: among equals the newest comes first. */
static int build(struct vmm_memory *m)
{
	size_t n = sizeof(rows) / sizeof(rows[0]), i;
	struct vmm_err e;
	int r = 0;

	vmm_memory_begin(m);
	r |= make_ram(m, VMM_MR_RAM, "pc.ram", 512 << 20, 0, NULL);
	r |= make_ram(m, VMM_MR_ROM, "pc.bios", 256 << 10, 0, NULL);
	r |= make_ram(m, VMM_MR_ROM, "pc.rom", 128 << 10, 0, NULL);
	for (i = 0; i < n; i++)
		if (rows[i].kind != K_ALIAS)
			r |= create_row(m, &rows[i]);
	for (i = 0; i < n; i++)
		if (rows[i].kind == K_ALIAS)
			r |= create_row(m, &rows[i]);
	for (i = n; i-- > 0;) {
		struct vmm_mr *mr = vmm_mr_find(m, rows[i].id);

		if (!mr) {
			r = -ENOENT;
			continue;
		}
		if (rows[i].parent && vmm_mr_map(mr, vmm_mr_find(m, rows[i].parent), rows[i].addr,
						 rows[i].prio, &e)) {
			diag("map %s: %s", rows[i].id, e.msg);
			r = -EINVAL;
		}
		if (!rows[i].enabled)
			r |= vmm_mr_set_enabled(mr, false, &e);
		/* QEMU marks these readonly; -D cannot show it, -f does */
		if (!strcmp(rows[i].name, "isa-bios") || !strcmp(rows[i].name, "pam-rom"))
			r |= vmm_mr_set_readonly(mr, true, &e);
	}
	/* fw_cfg's ROM blobs: unmapped, resizeable, created after pc.rom as in QEMU */
	r |= make_ram(m, VMM_MR_ROM, "acpi-tables", 128 << 10, 2 << 20, "/rom@etc/acpi/tables");
	r |= make_ram(m, VMM_MR_ROM, "table-loader", 4096, 64 << 10, "/rom@etc/table-loader");
	r |= make_ram(m, VMM_MR_ROM, "rsdp", 4096, 4096, "/rom@etc/acpi/rsdp");
	for (i = 0; i < sizeof(as_names) / sizeof(as_names[0]); i++)
		r |= vmm_as_new(m, as_names[i][0], vmm_mr_find(m, as_names[i][1]), NULL, &e);
	if (vmm_memory_commit(m, &e)) {
		diag("commit: %s", e.msg);
		r = -EINVAL;
	}
	return r;
}

/* Drop "FlatView #N" lines (and " KVM" marks if @strip); split into blocks. */
static size_t fv_blocks(char *text, char **blk, size_t max, bool strip)
{
	size_t n = 0;
	char *p, *q;

	while (strip && (p = strstr(text, " KVM\n")))
		memmove(p, p + 4, strlen(p + 4) + 1);
	for (p = text; *p && n < max; p = q) {
		q = strstr(p, "\n\n");
		q = q ? q + 2 : p + strlen(p);
		if (!strncmp(p, "FlatView #", 10))
			p = strchr(p, '\n') + 1;
		blk[n] = strndup(p, (size_t)(q - p));
		n++;
	}
	return n;
}

static void check_flatview(struct vmm_memory *m, struct vmm_accel *a)
{
	struct vmm_buf b;
	char *want = slurp("mtree-f"), *wb[16], *gb[16];
	size_t nw, ng, i, j, matched = 0;
	char num[32], *p;
	int seq = 1;

	vmm_buf_init(&b);
	vmm_print_flatview(m, a, &b);
	if (!ok(want && b.data, "info mtree -f rendered and golden present"))
		return;
	for (p = b.data, i = 0; (p = strstr(p, "FlatView #")); p++, i++) {
		snprintf(num, sizeof(num), "FlatView #%zu\n", i);
		if (strncmp(p, num, strlen(num)))
			seq = 0;
	}
	ok(seq, "flat views numbered #0, #1, #2");
	nw = fv_blocks(want, wb, 16, !a);
	ng = fv_blocks(b.data, gb, 16, !a);
	is(ng, nw, "as many flat views as QEMU");
	for (i = 0; i < ng; i++) {
		for (j = 0; j < nw; j++)
			if (wb[j] && !strcmp(gb[i], wb[j])) {
				free(wb[j]);
				wb[j] = NULL;
				matched++;
				break;
			}
		if (j == nw)
			diag("no QEMU block matches:\n%s", gb[i]);
		free(gb[i]);
	}
	is(matched, nw, "every flat-view block is QEMU's, byte for byte (%s)",
	   a ? "with KVM marks" : "no accelerator, no marks");
	for (j = 0; j < nw; j++)
		free(wb[j]);
	free(want);
	vmm_buf_free(&b);
}

/*
 * Register the memslots QEMU's KVM listener makes for "memory" (kvm_set_phys_mem:
 * each RAM-backed range, page-aligned inwards, READONLY for readonly/romd) on
 * the in-process slot table, so the " KVM" marks can be checked against QEMU's.
 */
static struct vmm_accel *kvm_slots(struct vmm_memory *m)
{
	struct vmm_accel *a = vmm_accel_new_soft(0);
	struct vmm_flatview *fv = vmm_as_get_flatview(vmm_as_find(m, "memory"));
	uint32_t slot = 0;
	size_t i;

	for (i = 0; a && fv && i < fv->nr; i++) {
		const struct vmm_flat_range *r = vmm_flatview_range(fv, i);
		uint64_t start = ((uint64_t)r->start + 4095) & ~4095ull;
		uint64_t end = (uint64_t)(r->start + r->size) & ~4095ull;
		uint64_t off = (uint64_t)r->offset_in_region + (start - (uint64_t)r->start);

		if (!vmm_mr_is_ram(r->mr) || end <= start)
			continue;
		if (vmm_accel_set_memslot(a, slot++, 0,
					  r->readonly || r->mr->type == VMM_MR_ROMD ?
					  VMM_MEM_READONLY : 0, start, end - start,
					  (uint64_t)(uintptr_t)vmm_mr_host(r->mr, off)))
			diag("slot for %s refused", r->mr->name);
	}
	if (fv)
		vmm_flatview_unref(fv);
	return a;
}

static void check(struct vmm_memory *m, const char *golden, const char *what,
		  void (*print)(struct vmm_memory *, struct vmm_buf *))
{
	struct vmm_buf b;
	char *want = slurp(golden);

	vmm_buf_init(&b);
	print(m, &b);
	is_str(b.data, want, "%s matches QEMU 7.2 byte for byte", what);
	free(want);
	vmm_buf_free(&b);
}

static void p_mtree(struct vmm_memory *m, struct vmm_buf *b)
{
	vmm_print_mtree(m, 0, b);
}

static void p_mtree_d(struct vmm_memory *m, struct vmm_buf *b)
{
	vmm_print_mtree(m, VMM_PRINT_DISABLED, b);
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	char *probe = slurp("mtree");
	struct vmm_accel *a;

	if (!probe)
		skip_all("tests/golden/pc-nodefaults-512M missing (set MTREEFS_TOP)");
	free(probe);
	if (!ok(m && build(m) == 0, "pc -m 512M topology built"))
		return done_testing();
	check(m, "mtree", "info mtree", p_mtree);
	check(m, "mtree-D", "info mtree -D", p_mtree_d);
	check_flatview(m, NULL);
	a = kvm_slots(m);
	if (ok(a != NULL, "in-process memslot table"))
		check_flatview(m, a);
	vmm_accel_free(a);
	check(m, "ramblock", "info ramblock", vmm_print_ramblock);
	vmm_memory_free(m);
	return done_testing();
}
