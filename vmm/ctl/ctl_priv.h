/* SPDX-License-Identifier: MIT */
/*
 * Private to the control language: the state one vmm_ctl_exec() call keeps
 * while it runs its lines (the transaction levels it opened), shared between
 * the line driver (ctl.c) and the command handlers (ctl-cmd.c).
 */
#ifndef VMM_CTL_INT_H
#define VMM_CTL_INT_H

#include <vmm/ctl.h>
#include <vmm/memory.h>

/**
 * struct ctl_state - one call's progress
 * @ctx, @m, @err: the call's arguments
 * @outer:     transaction levels opened by earlier calls and still open
 * @nested:    begin levels opened by this call above @base
 * @base_open: the call's own (innermost-but-nested) level is open
 * @base_user: the base level was turned into a user "begin" that outlives the call
 * @dirty:     a command changed something inside the base level
 * @line:      the line being run
 * @open_begin: line of the first begin that the call leaves open (0: none)
 */
struct ctl_state {
	struct vmm_ctl_ctx *ctx;
	struct vmm_memory *m;
	struct vmm_err *err;
	unsigned outer;
	unsigned nested;
	bool base_open;
	bool base_user;
	bool dirty;
	unsigned line;
	unsigned open_begin;
};

/* Run one tokenized command (tok[0] is the verb). 0 or -errno with st->err filled. */
int vmm_ctl_run(struct ctl_state *st, char **tok, int n);

/* Transaction lines, implemented by the driver because they reshape its levels. */
int vmm_ctl_txn_begin(struct ctl_state *st);
int vmm_ctl_txn_commit(struct ctl_state *st);
int vmm_ctl_txn_abort(struct ctl_state *st);

#endif
