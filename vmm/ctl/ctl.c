// SPDX-License-Identifier: MIT
/*
 * The control language's line runner (README, "The control language"; the
 * top of vmm/ctl): it splits text into lines, refuses control characters and
 * overlong lines, tokenizes each line and hands it to the command table
 * (ctl_commands.c), inside the call's transactions (ctl_txn.c), so a call
 * applies all of its lines or none; a caller that is told to stop (the
 * context's cancelled()) gets -EINTR between two lines and nothing applied.
 * Before the first line it finds the begin
 * that the text leaves open, the one that must outlive the call; after a
 * failed line it undoes what the call still has open, and names the line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_commands_priv.h"

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

int ctl_split_line(const char *line, size_t len, char *buf, char *scratch, char **tok,
		   struct vmm_err *err)
{
	int n, r = check_line(line, len, err);

	if (r)
		return r;
	memcpy(buf, line, len);
	buf[len] = '\0';
	n = vmm_ctl_tokenize(buf, scratch, tok, VMM_CTL_MAX_TOKENS);
	if (n == -EINVAL && strchr(buf, '"'))
		return vmm_err_set(err, -EINVAL, "unterminated quote");
	if (n < 0)
		return vmm_err_set(err, n, "more than %d words", VMM_CTL_MAX_TOKENS);
	return n;
}

static int run_line(struct ctl_state *st, const char *line, size_t len)
{
	char buf[VMM_CTL_LINE_MAX + 1], scratch[VMM_CTL_LINE_MAX + 1];
	char *tok[VMM_CTL_MAX_TOKENS];
	int n = ctl_split_line(line, len, buf, scratch, tok, st->err);

	if (n <= 0)
		return n;
	return ctl_run(st, tok, n);
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
			int d = ctl_verb_depth(verb);

			if (d > 0 && depth++ == 0)
				bottom = line;
			else if (d < 0 && depth)
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
	ctl_txn_start(&st.txn, ctx->mem, find_open_begin(text, len));
	while (pos < len) {
		const char *eol = memchr(text + pos, '\n', len - pos);
		size_t n = eol ? (size_t)(eol - (text + pos)) : len - pos;

		st.line = ++line;
		vmm_err_clear(err);
		if (ctx->cancelled && ctx->cancelled(ctx->cancel_arg))
			r = vmm_err_set(err, -EINTR, "interrupted: the daemon is stopping");
		else
			r = run_line(&st, text + pos, n);
		if (r) {
			ctl_txn_unwind(&st.txn);
			return fail_line(ctx, err, line, r);
		}
		pos += n + (eol ? 1 : 0);
	}
	r = ctl_txn_finish(&st.txn, err);
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
