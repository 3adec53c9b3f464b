/* SPDX-License-Identifier: MIT */
/*
 * Dirty windows of the open transaction (dirty_window.c): mutators note
 * where a region renders before and after each primitive; the commit asks
 * for the merged windows of each flat-view root.
 */
#ifndef VMM_MEMORY_DIRTY_WINDOW_PRIV_H
#define VMM_MEMORY_DIRTY_WINDOW_PRIV_H

#include "model_priv.h"

void mem_dirty_before(struct vmm_memory *m, struct vmm_mr *mr);
void mem_dirty_after(struct vmm_memory *m, struct vmm_mr *mr);
void mem_dirty_structural(struct vmm_memory *m);
void mem_dirty_reset(struct vmm_memory *m);
size_t mem_dirty_windows(struct vmm_memory *m, struct vmm_mr *root, struct mem_win **out);

#endif
