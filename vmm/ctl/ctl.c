// SPDX-License-Identifier: MIT
/*
 * The control language's line driver (SPEC section 4): it splits text into
 * lines, refuses control characters and overlong lines, tokenizes each line
 * and runs the commands inside one transaction, so a call applies all of its
 * lines or none. begin/commit/abort lines reshape that transaction: a
 * begin...commit (or abort) pair inside one call simply nests; a begin the
 * call leaves open becomes the transaction that outlives it (the ctl file's
 * batching across writes); a commit or abort that closes a transaction opened
 * by an earlier call, or a lasting begin preceded by other commands, settles
 * the lines before it, so a later error in the same call undoes only the
 * lines after it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_priv.h"

/* ---- transactions ---- */

static void base_open(struct ctl_state *st)
{
	vmm_memory_begin(st->m);
	st->base_open = true;
	st->base_user = false;
	st->dirty = false;
}

static int base_commit(struct ctl_state *st)
{
	st->base_open = false;
	st->base_user = false;
	return vmm_memory_commit(st->m, st->err);
}

int vmm_ctl_txn_begin(struct ctl_state *st)
{
	int r;

	/* a begin that this call also closes simply nests */
	if (st->line != st->open_begin || st->nested || st->base_user) {
		vmm_memory_begin(st->m);
		st->nested++;
		return 0;
	}
	/*
	 * The begin that outlives the call becomes the call's own level; the
	 * lines before it are not part of the user's batch and settle first.
	 */
	if (st->dirty) {
		r = base_commit(st);
		if (r)
			return r;
		base_open(st);
	}
	st->base_user = true;
	return 0;
}

int vmm_ctl_txn_commit(struct ctl_state *st)
{
	int r;

	if (st->nested) {
		st->nested--;
		return vmm_memory_commit(st->m, st->err);
	}
	if (st->base_user) {
		r = base_commit(st);
	} else if (st->outer) {
		/* closes an earlier call's begin: settle our lines into it first */
		r = base_commit(st);
		if (r)
			return r;
		st->outer--;
		r = vmm_memory_commit(st->m, st->err);
	} else {
		return vmm_err_set(st->err, -EINVAL, "commit without begin");
	}
	if (r)
		return r;
	base_open(st);
	return 0;
}

int vmm_ctl_txn_abort(struct ctl_state *st)
{
	int r;

	if (st->nested) {
		st->nested--;
		vmm_memory_abort(st->m);
		return 0;
	}
	if (!st->base_user && !st->outer)
		return vmm_err_set(st->err, -EINVAL, "abort without begin");
	if (!st->base_user) {
		r = base_commit(st);
		if (r)
			return r;
		st->outer--;
	}
	st->base_open = false;
	vmm_memory_abort(st->m);
	base_open(st);
	return 0;
}

/* Undo whatever this call still has open after a failed line. */
static void unwind(struct ctl_state *st)
{
	while (st->nested) {
		vmm_memory_abort(st->m);
		st->nested--;
	}
	if (st->base_open)
		vmm_memory_abort(st->m);
	st->base_open = false;
}

/* ---- lines ---- */

static int check_line(const char *line, size_t len, struct vmm_err *err)
{
	if (len > VMM_CTL_LINE_MAX)
		return vmm_err_set(err, -EINVAL, "line longer than %d bytes", VMM_CTL_LINE_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t' && !(c == '\r' && i == len - 1)) || c == 0x7f)
			return vmm_err_set(err, -EINVAL, "control character 0x%02x", c);
	}
	return 0;
}

static int run_line(struct ctl_state *st, const char *line, size_t len)
{
	char buf[VMM_CTL_LINE_MAX + 1], scratch[VMM_CTL_LINE_MAX + 1];
	char *tok[VMM_CTL_MAX_TOKENS];
	int n, r;

	r = check_line(line, len, st->err);
	if (r)
		return r;
	memcpy(buf, line, len);
	buf[len] = '\0';
	n = vmm_ctl_tokenize(buf, scratch, tok, VMM_CTL_MAX_TOKENS);
	if (n == -EINVAL && strchr(buf, '"'))
		return vmm_err_set(st->err, -EINVAL, "unterminated quote");
	if (n < 0)
		return vmm_err_set(st->err, n, "more than %d words", VMM_CTL_MAX_TOKENS);
	if (n == 0)
		return 0;
	return vmm_ctl_run(st, tok, n);
}

/* One line's verb, for the pre-scan; false for blank lines and syntax errors. */
static bool line_verb(const char *line, size_t len, char *verb, size_t cap)
{
	char buf[VMM_CTL_LINE_MAX + 1], scratch[VMM_CTL_LINE_MAX + 1];
	char *tok[VMM_CTL_MAX_TOKENS];

	if (len > VMM_CTL_LINE_MAX)
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (vmm_ctl_tokenize(buf, scratch, tok, VMM_CTL_MAX_TOKENS) <= 0)
		return false;
	snprintf(verb, cap, "%s", tok[0]);
	return true;
}

/*
 * The line of the first begin that the text leaves open (0 when every begin
 * is closed inside it): only that one must outlive the call, the others nest.
 */
static unsigned find_open_begin(const char *text, size_t len)
{
	unsigned line = 0, depth = 0, bottom = 0;
	size_t pos = 0;
	char verb[16];

	while (pos < len) {
		const char *eol = memchr(text + pos, '\n', len - pos);
		size_t n = eol ? (size_t)(eol - (text + pos)) : len - pos;

		line++;
		if (line_verb(text + pos, n, verb, sizeof(verb))) {
			if (!strcmp(verb, "begin") && depth++ == 0)
				bottom = line;
			else if ((!strcmp(verb, "commit") || !strcmp(verb, "abort")) && depth)
				depth--;
		}
		pos += n + (eol ? 1 : 0);
	}
	return depth ? bottom : 0;
}

/* Prefix the reason with the line number, once. */
static int fail_line(struct vmm_ctl_ctx *ctx, struct vmm_err *err, unsigned line, int r)
{
	char msg[VMM_ERR_MAX];

	ctx->line = line;
	if (!err)
		return r;
	if (!err->msg[0] || err->code != r)
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(-r));
	snprintf(msg, sizeof(msg), "%s", err->msg);
	vmm_err_set(err, r, "line %u: %.*s", line, VMM_ERR_MAX - 24, msg);
	return r;
}

int vmm_ctl_exec(struct vmm_ctl_ctx *ctx, const char *text, size_t len, struct vmm_err *err)
{
	struct vmm_err local;
	struct ctl_state st = { .ctx = ctx, .m = ctx->mem };
	size_t pos = 0;
	unsigned line = 0;
	int r;

	if (!err)
		err = &local;
	st.err = err;
	vmm_err_clear(err);
	ctx->line = 0;
	st.outer = vmm_memory_depth(ctx->mem);
	st.open_begin = find_open_begin(text, len);
	base_open(&st);
	while (pos < len) {
		const char *eol = memchr(text + pos, '\n', len - pos);
		size_t n = eol ? (size_t)(eol - (text + pos)) : len - pos;

		st.line = ++line;
		vmm_err_clear(err);
		r = run_line(&st, text + pos, n);
		if (r) {
			unwind(&st);
			return fail_line(ctx, err, line, r);
		}
		pos += n + (eol ? 1 : 0);
	}
	if (st.base_user || !st.base_open)
		return 0;
	r = base_commit(&st);
	if (r)
		return fail_line(ctx, err, line, r);
	return 0;
}

int vmm_ctl_exec_file(struct vmm_ctl_ctx *ctx, const char *path, struct vmm_err *err)
{
	struct vmm_buf b;
	int r;

	vmm_buf_init(&b);
	r = vmm_buf_read_file(&b, path);
	if (r)
		r = vmm_err_set(err, r, "%s: %s", path, strerror(-r));
	else
		r = vmm_ctl_exec(ctx, b.data ? b.data : "", b.len, err);
	vmm_buf_free(&b);
	return r;
}
