/* SPDX-License-Identifier: MIT */
/*
 * Private to the control language: the command table's face toward the line
 * runner (ctl.c). The runner owns a struct ctl_state for one vmm_ctl_exec()
 * call and hands each tokenized line to ctl_run(); the commands act on the
 * model and, for begin/commit/abort, on the call's transactions (ctl_txn.c).
 */
#ifndef VMM_CTL_COMMANDS_PRIV_H
#define VMM_CTL_COMMANDS_PRIV_H

#include <vmm/ctl.h>
#include <vmm/memory.h>

#include "ctl_txn_priv.h"

/**
 * struct ctl_state - one call's progress
 * @ctx, @m, @err: the call's arguments
 * @line: the line being run
 * @txn:  the call's transaction levels
 */
struct ctl_state {
	struct vmm_ctl_ctx *ctx;
	struct vmm_memory *m;
	struct vmm_err *err;
	unsigned line;
	struct ctl_txn txn;
};

/* Run one tokenized command (tok[0] is the verb). 0 or -errno with st->err filled. */
int ctl_run(struct ctl_state *st, char **tok, int n);

/*
 * How @verb changes the transaction depth: 1 for begin, -1 for commit and
 * abort, 0 for the rest; the runner's pre-scan pairs begins with it.
 */
int ctl_verb_depth(const char *verb);

/* Whether @verb is a command of the table (for the session's checks on write). */
bool ctl_verb_known(const char *verb);

/*
 * ctl.c: check a line's length and bytes (no control characters, at most
 * VMM_CTL_LINE_MAX bytes), copy it into @buf (VMM_CTL_LINE_MAX + 1 bytes)
 * and split it into @tok (VMM_CTL_MAX_TOKENS) through @scratch (as large as
 * @buf). Returns the word count (0 for blank and comment lines) or -EINVAL
 * with @err saying why.
 */
int ctl_split_line(const char *line, size_t len, char *buf, char *scratch, char **tok,
		   struct vmm_err *err);

#endif
