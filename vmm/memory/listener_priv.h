/* SPDX-License-Identifier: MIT */
/*
 * What the outermost commit tells the listeners (listener.c): the plan of
 * one commit (each address space's old and new view, and where they differ)
 * and the notification round over it.
 */
#ifndef VMM_MEMORY_LISTENER_PRIV_H
#define VMM_MEMORY_LISTENER_PRIV_H

#include "flatview_splice_priv.h"

/* One address space's part of a commit: its old and new view. */
struct plan_as {
	struct vmm_as *as;
	struct vmm_mr *root;
	struct vmm_flatview *nv;
	bool dead;
	bool inc;		/* listeners hear only about @spans */
	bool borrow;		/* @nv borrows chunks of @as->current until settled */
	struct mem_span *spans;
	size_t nspans;
};

struct commit_ctx {
	struct vmm_memory *m;
	struct plan_as *plan;
	size_t nplan;
	struct vmm_listener **ls;
	size_t nls;
	struct vmm_err *err;
};

int mem_listeners_collect(struct commit_ctx *c);
int mem_notify(struct commit_ctx *c);

#endif
