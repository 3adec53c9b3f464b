// SPDX-License-Identifier: MIT
/*
 * The control language as one writer writes it (README, "The control
 * language"; vmm/include/vmm/ctl.h, struct vmm_ctl_session): the kernel cuts
 * one write() into pieces wherever its page and size limits fall, so lines
 * are assembled here, per open file, and run only when complete. The file's
 * transaction lives here too, as a queue of checked but unapplied commands
 * that commit hands to the line runner (ctl.c) as one call; the model itself
 * never holds a transaction open between calls, so no other writer can see,
 * join, commit or abort it. Each piece is all or nothing: its complete lines
 * outside the transaction (with the queue, when it commits) are one
 * vmm_ctl_exec() call, and a refused piece leaves the partial line, the queue
 * and the line count as they were. This file sits above the runner and calls
 * only down.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_commands_priv.h"

/**
 * struct vmm_ctl_session - one open ctl file's lines and transaction
 * @part:   bytes after the last newline, waiting for the rest of their line
 * @lines:  lines taken so far
 * @txn:    a begin of an earlier piece is open
 * @depth:  begin lines nested inside it (queued with their commit/abort)
 * @begin_line: line number of that begin
 * @queue:  its commands, newline-terminated, in order
 * @qline:  the line number of each queued command; @nq of them, room for @qcap
 * @failed: the text of the line the last refused call named
 */
struct vmm_ctl_session {
	struct vmm_buf part;
	unsigned lines;
	bool txn;
	unsigned depth;
	unsigned begin_line;
	struct vmm_buf queue;
	unsigned *qline;
	size_t nq, qcap;
	struct vmm_buf failed;
};

/**
 * struct piece - what one call does, built before anything is applied
 * @exec, @eline, @ne, @ecap: the lines to run as one vmm_ctl_exec() call, with
 *                            their line numbers
 * @qstart, @nqstart: the queue's live part starts here (a commit or abort in
 *                    the piece retires what is before, once the piece succeeds)
 */
struct piece {
	struct vmm_buf exec;
	unsigned *eline;
	size_t ne, ecap;
	size_t qstart, nqstart;
};

struct vmm_ctl_session *vmm_ctl_session_new(void)
{
	struct vmm_ctl_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	vmm_buf_init(&s->part);
	vmm_buf_init(&s->queue);
	vmm_buf_init(&s->failed);
	return s;
}

void vmm_ctl_session_free(struct vmm_ctl_session *s)
{
	if (!s)
		return;
	vmm_buf_free(&s->part);
	vmm_buf_free(&s->queue);
	vmm_buf_free(&s->failed);
	free(s->qline);
	free(s);
}

static int push_line(unsigned **arr, size_t *n, size_t *cap, unsigned line)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		unsigned *p = realloc(*arr, nc * sizeof(**arr));

		if (!p)
			return -ENOMEM;
		*arr = p;
		*cap = nc;
	}
	(*arr)[(*n)++] = line;
	return 0;
}

/* Append one line (without its newline) and its number to a text. */
static int add_line(struct vmm_buf *b, unsigned **arr, size_t *n, size_t *cap,
		    const char *line, size_t len, unsigned no)
{
	vmm_buf_put(b, line, len);
	vmm_buf_put(b, "\n", 1);
	if (b->oom || push_line(arr, n, cap, no))
		return -ENOMEM;
	return 0;
}

static int refuse(struct vmm_ctl_session *s, struct vmm_err *err, unsigned no, const char *line,
		  size_t len, int r)
{
	char msg[VMM_ERR_MAX];

	vmm_buf_reset(&s->failed);
	vmm_buf_put(&s->failed, line, len);
	snprintf(msg, sizeof(msg), "%s", err->msg[0] && err->code == r ? err->msg : strerror(-r));
	return vmm_err_set(err, r, "line %u: %.*s", no, VMM_ERR_MAX - 24, msg);
}

/*
 * The verb of a line once its words check out ("" for blank and comment
 * lines), or -errno with @err set.
 */
static int line_verb(const char *line, size_t len, char *verb, size_t cap, struct vmm_err *err)
{
	char buf[VMM_CTL_LINE_MAX + 1], scratch[VMM_CTL_LINE_MAX + 1];
	char *tok[VMM_CTL_MAX_TOKENS];
	int n;

	verb[0] = '\0';
	n = ctl_split_line(line, len, buf, scratch, tok, err);
	if (n <= 0)
		return n;
	if (!ctl_verb_known(tok[0]))
		return vmm_err_set(err, -EINVAL, "unknown command '%s'", tok[0]);
	if (ctl_verb_depth(tok[0]) && n != 1)
		return vmm_err_set(err, -EINVAL, "%s takes no arguments", tok[0]);
	snprintf(verb, cap, "%s", tok[0]);
	return 0;
}

/* Sort one complete line into the piece: run it, queue it, or settle the queue. */
static int take_line(struct vmm_ctl_session *s, struct piece *p, const char *line, size_t len,
		     unsigned no, struct vmm_err *err)
{
	char verb[32];
	int d, r;

	r = line_verb(line, len, verb, sizeof(verb), err);
	if (!s->txn && r) {
		/* outside a batch the runner checks it, in its turn */
		vmm_err_clear(err);
		return add_line(&p->exec, &p->eline, &p->ne, &p->ecap, line, len, no);
	}
	if (r || !verb[0])
		return r;
	d = ctl_verb_depth(verb);
	if (!s->txn) {
		if (d < 0)
			return vmm_err_set(err, -EINVAL, "%s without begin", verb);
		if (d > 0) {
			s->txn = true;
			s->depth = 0;
			s->begin_line = no;
			return 0;
		}
		return add_line(&p->exec, &p->eline, &p->ne, &p->ecap, line, len, no);
	}
	if (d > 0 || (d < 0 && s->depth)) {
		s->depth += d;		/* a nested pair runs inside the queue */
	} else if (d < 0) {
		if (!strcmp(verb, "commit") && s->queue.len > p->qstart) {
			vmm_buf_put(&p->exec, s->queue.data + p->qstart, s->queue.len - p->qstart);
			for (size_t i = p->nqstart; i < s->nq; i++)
				if (push_line(&p->eline, &p->ne, &p->ecap, s->qline[i]))
					return -ENOMEM;
		}
		p->qstart = s->queue.len;
		p->nqstart = s->nq;
		s->txn = false;
		return p->exec.oom ? -ENOMEM : 0;
	}
	if (s->queue.len + len + 1 > VMM_CTL_TXN_MAX)
		return vmm_err_set(err, -EFBIG, "transaction larger than %u bytes", VMM_CTL_TXN_MAX);
	return add_line(&s->queue, &s->qline, &s->nq, &s->qcap, line, len, no);
}

/* The line of @text numbered @idx (1-based), for the error_log. */
static void nth_line(const struct vmm_buf *text, unsigned idx, const char **line, size_t *len)
{
	const char *p = text->data ? text->data : "", *end = p + text->len;

	for (unsigned i = 1; i < idx && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl ? nl + 1 : end;
	}
	*line = p;
	*len = (size_t)((const char *)(memchr(p, '\n', (size_t)(end - p)) ?: end) - p);
}

/* Run the piece's lines; a refusal is renamed to the session's line number. */
static int run_piece(struct vmm_ctl_session *s, struct vmm_ctl_ctx *ctx, struct piece *p,
		     struct vmm_err *err)
{
	char why[VMM_ERR_MAX];
	const char *line, *reason;
	size_t len;
	int r;

	if (!p->ne)
		return 0;
	r = vmm_ctl_exec(ctx, p->exec.data, p->exec.len, err);
	if (!r)
		return 0;
	if (ctx->line < 1 || ctx->line > p->ne)
		return r;
	nth_line(&p->exec, ctx->line, &line, &len);
	/* the runner said "line K: why" in its own numbering: keep the why */
	reason = strstr(err->msg, ": ");
	snprintf(why, sizeof(why), "%s", reason ? reason + 2 : strerror(-r));
	vmm_err_set(err, r, "%s", why);
	ctx->line = p->eline[ctx->line - 1];
	return refuse(s, err, ctx->line, line, len, r);
}

/*
 * Take the complete lines of s->part[0, end): on success retire them from
 * the part and the settled queue; on failure restore everything from @old.
 */
static int take_lines(struct vmm_ctl_session *s, struct vmm_ctl_ctx *ctx, size_t end,
		      struct vmm_err *err)
{
	struct vmm_ctl_session old = *s;
	struct piece p = { .qstart = 0, .nqstart = 0 };
	size_t pos = 0;
	int r = 0;

	vmm_buf_init(&p.exec);
	ctx->line = 0;
	while (pos < end) {
		const char *line = s->part.data + pos;
		const char *nl = memchr(line, '\n', end - pos);
		size_t len = nl ? (size_t)(nl - line) : end - pos;

		r = take_line(s, &p, line, len, ++s->lines, err);
		if (r) {
			ctx->line = s->lines;
			r = refuse(s, err, s->lines, line, len, r);
			break;
		}
		pos += len + 1;
	}
	if (!r)
		r = run_piece(s, ctx, &p, err);
	if (r) {
		/* nothing changed: queue and counters back, the part keeps its bytes */
		s->queue.len = old.queue.len;
		s->queue.oom = false;
		if (s->queue.data)
			s->queue.data[s->queue.len] = '\0';
		s->nq = old.nq;
		s->lines = old.lines;
		s->txn = old.txn;
		s->depth = old.depth;
		s->begin_line = old.begin_line;
	} else if (p.qstart) {
		memmove(s->queue.data, s->queue.data + p.qstart, s->queue.len - p.qstart + 1);
		s->queue.len -= p.qstart;
		memmove(s->qline, s->qline + p.nqstart, (s->nq - p.nqstart) * sizeof(*s->qline));
		s->nq -= p.nqstart;
	}
	vmm_buf_free(&p.exec);
	free(p.eline);
	return r;
}

/* Drop the first @n bytes of the part. */
static void part_consume(struct vmm_ctl_session *s, size_t n)
{
	memmove(s->part.data, s->part.data + n, s->part.len - n);
	s->part.len -= n;
	if (s->part.data)
		s->part.data[s->part.len] = '\0';
}

int vmm_ctl_session_feed(struct vmm_ctl_session *s, struct vmm_ctl_ctx *ctx, const char *buf,
			 size_t len, struct vmm_err *err)
{
	size_t had = s->part.len, end;
	const char *last;
	int r;

	vmm_err_clear(err);
	if (!len)
		return 0;
	vmm_buf_put(&s->part, buf, len);
	if (s->part.oom) {
		s->part.oom = false;
		r = vmm_err_set(err, -ENOMEM, "out of memory");
		goto undo;
	}
	last = memrchr(s->part.data, '\n', s->part.len);
	end = last ? (size_t)(last - s->part.data) + 1 : 0;
	/* the unfinished line may not outgrow the longest one allowed */
	if (s->part.len - end > VMM_CTL_LINE_MAX) {
		ctx->line = s->lines + 1;
		for (size_t i = 0; i < end; i++)
			ctx->line += s->part.data[i] == '\n';
		r = vmm_err_set(err, -EINVAL, "line %u: line longer than %d bytes", ctx->line,
				VMM_CTL_LINE_MAX);
		vmm_buf_reset(&s->failed);
		vmm_buf_put(&s->failed, s->part.data + end, 64);
		goto undo;
	}
	if (!end)
		return 0;
	r = take_lines(s, ctx, end, err);
	if (r)
		goto undo;
	part_consume(s, end);
	return 0;
undo:
	s->part.len = had;
	if (s->part.data)
		s->part.data[had] = '\0';
	return r;
}

int vmm_ctl_session_flush(struct vmm_ctl_session *s, struct vmm_ctl_ctx *ctx,
			  struct vmm_err *err)
{
	int r;

	vmm_err_clear(err);
	if (!s->part.len)
		return 0;
	vmm_buf_put(&s->part, "\n", 1);
	r = s->part.oom ? vmm_err_set(err, -ENOMEM, "out of memory") :
	    take_lines(s, ctx, s->part.len, err);
	/* the line is over either way: its writer has nothing left to add */
	vmm_buf_reset(&s->part);
	s->part.oom = false;
	return r;
}

int vmm_ctl_session_close(struct vmm_ctl_session *s, struct vmm_ctl_ctx *ctx,
			  struct vmm_err *err)
{
	int r = vmm_ctl_session_flush(s, ctx, err);

	if (!s->txn)
		return r;
	if (!r) {
		ctx->line = s->begin_line;
		r = vmm_err_set(err, -ECANCELED,
				"line %u: transaction aborted: the file was closed before commit "
				"(%zu commands dropped)", s->begin_line, s->nq);
		vmm_buf_reset(&s->failed);
		vmm_buf_puts(&s->failed, "begin");
	}
	vmm_buf_reset(&s->queue);
	s->nq = 0;
	s->txn = false;
	s->depth = 0;
	return r;
}

bool vmm_ctl_session_in_txn(const struct vmm_ctl_session *s, struct vmm_ctl_session_info *info)
{
	if (!s || !s->txn)
		return false;
	if (info) {
		info->begin_line = s->begin_line;
		info->commands = s->nq;
		info->bytes = s->queue.len;
	}
	return true;
}

const char *vmm_ctl_session_failed_line(const struct vmm_ctl_session *s, size_t *len)
{
	*len = s->failed.len;
	return s->failed.data ? s->failed.data : "";
}
