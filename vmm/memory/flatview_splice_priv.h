/* SPDX-License-Identifier: MIT */
/*
 * Incremental flat views (flatview_splice.c): the commit's alternative to a
 * full render, re-rendering only the dirty windows into a copy of the old
 * view and saying where old and new may differ.
 */
#ifndef VMM_MEMORY_FLATVIEW_SPLICE_PRIV_H
#define VMM_MEMORY_FLATVIEW_SPLICE_PRIV_H

#include "model_priv.h"

struct mem_span {
	size_t o0, o1;	/* old ranges [o0, o1) */
	size_t n0, n1;	/* new ranges [n0, n1) */
};

struct vmm_flatview *mem_flatview_splice(const struct vmm_flatview *old,
					 const struct mem_win *w, size_t nw);
int mem_plan_incremental(struct vmm_memory *m, struct vmm_as *as, struct vmm_mr *root,
			 struct vmm_flatview **nv, struct mem_span **spans, size_t *nspans,
			 bool *borrow);
size_t mem_flatview_spans(const struct vmm_flatview *o, const struct vmm_flatview *n,
			  const struct mem_win *w, size_t nw, struct mem_span *out);

#endif
