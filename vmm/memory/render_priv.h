/* SPDX-License-Identifier: MIT */
/*
 * The renderer (render.c) as the rest of the model uses it: rendering a
 * window of a flat-view root, and flatview_simplify's merge rule.
 */
#ifndef VMM_MEMORY_RENDER_PRIV_H
#define VMM_MEMORY_RENDER_PRIV_H

#include <vmm/flatview.h>

int mem_render_ranges(struct vmm_mr *root, vmm_u128 lo, vmm_u128 hi,
		      struct vmm_flat_range **out, size_t *nr);
bool mem_fr_can_merge(const struct vmm_flat_range *a, const struct vmm_flat_range *b);

#endif
