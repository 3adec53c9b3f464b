/* SPDX-License-Identifier: MIT */
/*
 * Private to the control language: the transaction state of one
 * vmm_ctl_exec() call, kept in one place (ctl_txn.c) below both the line
 * runner (ctl.c) and the command table (ctl_commands.c). Levels opened by
 * earlier calls are the model's, read from vmm_memory_depth(); a writer that
 * needs its own batch keeps it in a session (ctl_session.c), which never
 * leaves a level open between calls.
 */
#ifndef VMM_CTL_TXN_PRIV_H
#define VMM_CTL_TXN_PRIV_H

#include <vmm/memory.h>

/**
 * struct ctl_txn - one call's transaction levels
 * @m:          the model whose transactions these are
 * @outer:      levels opened by earlier calls and still open
 * @nested:     begin levels opened by this call above its base level
 * @base_open:  the call's own (innermost-but-nested) level is open
 * @base_user:  the base level was turned into a user "begin" that outlives the call
 * @dirty:      a command changed something inside the base level
 * @open_begin: line of the first begin that the call leaves open (0: none)
 */
struct ctl_txn {
	struct vmm_memory *m;
	unsigned outer;
	unsigned nested;
	bool base_open;
	bool base_user;
	bool dirty;
	unsigned open_begin;
};

/* Open the call's base level; @open_begin as found by the runner's pre-scan. */
void ctl_txn_start(struct ctl_txn *t, struct vmm_memory *m, unsigned open_begin);

/* A command changed the model inside the base level. */
void ctl_txn_touch(struct ctl_txn *t);

/* The begin, commit and abort lines; @line is the number of the line being run. */
int ctl_txn_begin(struct ctl_txn *t, unsigned line, struct vmm_err *err);
int ctl_txn_commit(struct ctl_txn *t, struct vmm_err *err);
int ctl_txn_abort(struct ctl_txn *t, struct vmm_err *err);

/* After a failed line: undo whatever this call still has open. */
void ctl_txn_unwind(struct ctl_txn *t);

/* After the last line: settle the base level unless a user begin keeps it open. */
int ctl_txn_finish(struct ctl_txn *t, struct vmm_err *err);

#endif
