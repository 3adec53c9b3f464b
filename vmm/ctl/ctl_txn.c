// SPDX-License-Identifier: MIT
/*
 * The transactions of one vmm_ctl_exec() call (README, "The control
 * language"; the ctl files keep their own per-writer batches in
 * ctl_session.c and hand them here as one call). The call runs its lines
 * inside a base level of the model's transaction, so it applies all of its
 * lines or none. begin/commit/abort lines reshape that: a begin...commit (or abort) pair inside one call simply
 * nests; a begin the call leaves open becomes the transaction that outlives
 * it (a model-wide batch across calls); a commit or abort that closes a
 * transaction opened by an earlier call, or a lasting begin preceded by other
 * commands, settles the lines before it, so a later error in the same call
 * undoes only the lines after it.
 */
#include <errno.h>

#include "ctl_txn_priv.h"

static void base_open(struct ctl_txn *t)
{
	vmm_memory_begin(t->m);
	t->base_open = true;
	t->base_user = false;
	t->dirty = false;
}

static int base_commit(struct ctl_txn *t, struct vmm_err *err)
{
	t->base_open = false;
	t->base_user = false;
	return vmm_memory_commit(t->m, err);
}

void ctl_txn_start(struct ctl_txn *t, struct vmm_memory *m, unsigned open_begin)
{
	*t = (struct ctl_txn){ .m = m, .open_begin = open_begin };
	/* the levels of earlier calls are the model's (sessions never leave one open) */
	t->outer = vmm_memory_depth(m);
	base_open(t);
}

void ctl_txn_touch(struct ctl_txn *t)
{
	t->dirty = true;
}

int ctl_txn_begin(struct ctl_txn *t, unsigned line, struct vmm_err *err)
{
	int r;

	/* a begin that this call also closes simply nests */
	if (line != t->open_begin || t->nested || t->base_user) {
		vmm_memory_begin(t->m);
		t->nested++;
		return 0;
	}
	/*
	 * The begin that outlives the call becomes the call's own level; the
	 * lines before it are not part of the user's batch and settle first.
	 */
	if (t->dirty) {
		r = base_commit(t, err);
		if (r)
			return r;
		base_open(t);
	}
	t->base_user = true;
	return 0;
}

int ctl_txn_commit(struct ctl_txn *t, struct vmm_err *err)
{
	int r;

	if (t->nested) {
		t->nested--;
		return vmm_memory_commit(t->m, err);
	}
	if (t->base_user) {
		r = base_commit(t, err);
	} else if (t->outer) {
		/* closes an earlier call's begin: settle our lines into it first */
		r = base_commit(t, err);
		if (r)
			return r;
		t->outer--;
		r = vmm_memory_commit(t->m, err);
	} else {
		return vmm_err_set(err, -EINVAL, "commit without begin");
	}
	if (r)
		return r;
	base_open(t);
	return 0;
}

int ctl_txn_abort(struct ctl_txn *t, struct vmm_err *err)
{
	int r;

	if (t->nested) {
		t->nested--;
		vmm_memory_abort(t->m);
		return 0;
	}
	if (!t->base_user && !t->outer)
		return vmm_err_set(err, -EINVAL, "abort without begin");
	if (!t->base_user) {
		r = base_commit(t, err);
		if (r)
			return r;
		t->outer--;
	}
	t->base_open = false;
	vmm_memory_abort(t->m);
	base_open(t);
	return 0;
}

void ctl_txn_unwind(struct ctl_txn *t)
{
	while (t->nested) {
		vmm_memory_abort(t->m);
		t->nested--;
	}
	if (t->base_open)
		vmm_memory_abort(t->m);
	t->base_open = false;
}

int ctl_txn_finish(struct ctl_txn *t, struct vmm_err *err)
{
	if (t->base_user || !t->base_open)
		return 0;
	return base_commit(t, err);
}
