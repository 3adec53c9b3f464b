/* SPDX-License-Identifier: MIT */
/*
 * The primitive mutations (primitive.c) that edits are made of and that the
 * undo log inverts: linking a region into its parent's sibling list at
 * QEMU's place, unlinking it, reading and applying one attribute.
 */
#ifndef VMM_MEMORY_PRIMITIVE_PRIV_H
#define VMM_MEMORY_PRIMITIVE_PRIV_H

#include "region_priv.h"

int mem_link_reserve(struct vmm_mr *parent);
struct vmm_mr *mem_insert_point(struct vmm_mr *parent, int prio);
void mem_link(struct vmm_mr *mr, struct vmm_mr *parent, struct vmm_mr *after);
void mem_unlink(struct vmm_mr *mr);
void mem_field_apply(struct vmm_mr *mr, enum mr_field f, vmm_u128 v, struct vmm_mr *ptr);
vmm_u128 mem_field_get(const struct vmm_mr *mr, enum mr_field f, struct vmm_mr **ptr);

#endif
