/* SPDX-License-Identifier: MIT */
/*
 * The undo log of the open transaction (undo.c): every primitive mutation
 * appends its inverse; abort, and a failed commit, replay them backwards.
 */
#ifndef VMM_MEMORY_UNDO_PRIV_H
#define VMM_MEMORY_UNDO_PRIV_H

#include "model_priv.h"

/* One primitive mutation; undo replays the inverse. */
enum undo_op {
	U_CREATE,	/* region created: inverse destroys it */
	U_DELETE,	/* region moved to the graveyard: inverse revives it */
	U_LINK,		/* region linked into a container: inverse unlinks (@old: link_seq) */
	U_UNLINK,	/* region unlinked: inverse relinks at the same place */
	U_FIELD,	/* an attribute changed: inverse restores @old */
	U_AS_NEW,	/* address space created */
	U_AS_DEL,	/* address space unlinked */
};

struct undo_rec {
	enum undo_op op;
	enum mr_field field;
	struct vmm_mr *mr;
	struct vmm_as *as;
	struct vmm_mr *parent, *sib_prev;	/* U_UNLINK */
	struct vmm_as *as_prev;			/* U_AS_DEL */
	vmm_u128 old;
	struct vmm_mr *old_ptr;
};

int mem_log_push(struct vmm_memory *m, const struct undo_rec *r);
void mem_undo_to(struct vmm_memory *m, size_t mark);

#endif
