/* SPDX-License-Identifier: MIT */
/*
 * The region registry and address-space bookkeeping (registry.c): taking a
 * region out of the registry and putting it back (delete and its undo), and
 * freeing what the model owns.
 */
#ifndef VMM_MEMORY_REGISTRY_PRIV_H
#define VMM_MEMORY_REGISTRY_PRIV_H

#include "model_priv.h"

void mem_region_unlink_registry(struct vmm_memory *m, struct vmm_mr *mr);
void mem_region_relink_registry(struct vmm_memory *m, struct vmm_mr *mr);
void mem_region_release_rb(struct vmm_memory *m, struct vmm_mr *mr);
void mem_as_free(struct vmm_as *as);

#endif
