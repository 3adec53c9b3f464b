/* SPDX-License-Identifier: MIT */
/*
 * The region registry and address-space bookkeeping (registry.c): taking a
 * region out of the registry and putting it back (delete and its undo),
 * freeing what the model owns, and address-space keys.
 */
#ifndef VMM_MEMORY_REGISTRY_PRIV_H
#define VMM_MEMORY_REGISTRY_PRIV_H

#include "model_priv.h"

void mem_region_unlink_registry(struct vmm_memory *m, struct vmm_mr *mr);
void mem_region_relink_registry(struct vmm_memory *m, struct vmm_mr *mr);
void mem_region_release_rb(struct vmm_memory *m, struct vmm_mr *mr);
void mem_as_free(struct vmm_as *as);
/*
 * Address-space keys (vmm_as_find(), vmm_as_key()): "NAME" is the first
 * space of that name in creation order, "NAME#K" the K-th (K >= 2).
 * mem_as_key_split() gives the name's length and K, or -EINVAL;
 * mem_as_named() says whether @as is named the first @len bytes of @name.
 */
int mem_as_key_split(const char *key, size_t *len, unsigned *nth);
bool mem_as_named(const struct vmm_as *as, const char *name, size_t len);

#endif
