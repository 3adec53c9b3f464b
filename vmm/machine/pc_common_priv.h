/* SPDX-License-Identifier: MIT */
/*
 * What QEMU 7.2's two x86 PC machines, `pc` (i440fx, pc.c) and `q35`
 * (MCH/ICH9, q35.c), build alike (pc_common.c): each machine describes what
 * is its own (struct pc_machine) and pc_build() lays out the whole map in
 * QEMU's order, because `info mtree` shows regions of equal address and
 * priority newest first. The alias and PAM helpers serve the host bridges.
 */
#ifndef VMM_PC_COMMON_PRIV_H
#define VMM_PC_COMMON_PRIV_H

#include <vmm/memory.h>

#define PC_GIB4		0x100000000ull

int pc_alias(struct vmm_memory *mem, const char *id, const char *name,
	     struct vmm_mr *target, uint64_t off, uint64_t size,
	     struct vmm_mr *parent, uint64_t addr, int prio, struct vmm_mr **out,
	     struct vmm_err *err);
/* The 13 PAM segments 0xc0000-0xfffff (init_pam), only the pci windows enabled. */
int pc_pams(struct vmm_memory *mem, struct vmm_mr *sys, struct vmm_mr *pci,
	    struct vmm_mr *ram, struct vmm_err *err);

/* One I/O port region as `info mtree` shows it. */
struct pc_port {
	const char *id, *name, *parent;
	uint64_t addr, size;
	int prio;
	bool container, disabled;
};

/**
 * struct pc_machine - what one PC machine adds to the map both build
 * @name: "pc" or "q35" (for messages)
 * @ram_below: the below-4G share of @ram_size bytes of RAM
 * @host_bridge: the pci hole, SMRAM and PAM regions of its host bridge
 * @ports, @nr_ports: its I/O ports beyond the ISA ones both have
 * @pci_functions, @nr_pci_functions: names of its PCI functions, each with a
 *                                    bus-master address space
 */
struct pc_machine {
	const char *name;
	uint64_t (*ram_below)(uint64_t ram_size);
	int (*host_bridge)(struct vmm_memory *mem, struct vmm_mr *sys, struct vmm_mr *pci,
			   struct vmm_mr *ram, uint64_t below, struct vmm_err *err);
	const struct pc_port *ports;
	size_t nr_ports;
	const char *const *pci_functions;
	size_t nr_pci_functions;
};

/*
 * Build @m's map in @mem, in QEMU's creation order, as one transaction: on
 * failure nothing is left behind. 0 or -errno.
 */
int pc_build(struct vmm_memory *mem, const struct pc_machine *m, uint64_t ram_size,
	     const char *backend, struct vmm_err *err);

#endif
