/* SPDX-License-Identifier: MIT */
/*
 * The children index and reverse alias links of regions (region_index.c):
 * what lets rendering and dirty tracking touch only the regions an edit
 * concerns.
 */
#ifndef VMM_MEMORY_REGION_INDEX_PRIV_H
#define VMM_MEMORY_REGION_INDEX_PRIV_H

#include "region_priv.h"

void mem_index_insert(struct vmm_mr *parent, struct vmm_mr *mr);
void mem_index_remove(struct vmm_mr *parent, struct vmm_mr *mr);
void mem_set_geometry(struct vmm_mr *mr, enum mr_field f, vmm_u128 v);
size_t mem_index_query(struct vmm_mr *parent, vmm_u128 lo, vmm_u128 hi,
		       struct vmm_mr ***buf, size_t *cap);
void mem_sort_list_order(struct vmm_mr **v, size_t n);
void mem_alias_attach(struct vmm_mr *alias, struct vmm_mr *target);
void mem_alias_detach(struct vmm_mr *alias);

#endif
