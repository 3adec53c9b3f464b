/* SPDX-License-Identifier: MIT */
/*
 * How a mutator runs as its own (nested) transaction (commit.c): enter opens
 * it, leave aborts it on an error or commits it.
 */
#ifndef VMM_MEMORY_COMMIT_PRIV_H
#define VMM_MEMORY_COMMIT_PRIV_H

#include "model_priv.h"

void mem_txn_enter(struct vmm_memory *m);
int mem_txn_leave(struct vmm_memory *m, int r, struct vmm_err *err);

#endif
