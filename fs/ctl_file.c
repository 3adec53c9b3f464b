// SPDX-License-Identifier: MIT
/*
 * Open ctl files (README, "The control language"; mtreefs(1)). The kernel
 * hands one write() over as several requests, cut at max_write and at the
 * page boundaries of the writer's buffer, so a ctl file keeps a session of
 * the control language per open (struct vmm_ctl_session): lines are
 * assembled across requests and run only when complete, each request's
 * complete lines are one transaction, and a begin belongs to the open file
 * that wrote it, its commands queued until that file's commit. A final line
 * without newline runs when its writer closes its descriptor (FLUSH, so
 * close() can report its error; a forked child closing its copy does not
 * count) or at the last close; the last close aborts a transaction still
 * open. Refusals go to error_log with the failing line, including those of
 * flush and release, which no write() can report. Every session runs under
 * the topology lock, which also guards what info/transactions reads.
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmm/ctl.h>
#include <vmm/memory.h>
#include <vmm/machine.h>

#include "attach.h"
#include "ctl_file.h"
#include "files.h"

/**
 * struct mfs_ctl_file - the control state of one open ctl file
 * @s: its session
 * @pid, @uid: who wrote the begin of its open transaction
 * @since: when (CLOCK_REALTIME)
 * @begin_line: the line of that begin (0: none stamped yet)
 * @owner: lock owner of the last write, whose unfinished line a close by the
 *         same owner completes (0: unknown, any close does)
 */
struct mfs_ctl_file {
	struct vmm_ctl_session *s;
	pid_t pid;
	uid_t uid;
	struct timespec since;
	unsigned begin_line;
	uint64_t owner;
};

/* What a run between two lines asks: stop the daemon, or the writer gave up. */
struct stop {
	struct mfs *fs;
	struct fuse_req *req;
};

static bool stopping(void *arg)
{
	struct stop *st = arg;

	if (st->req && fuse_req_interrupted(st->req))
		return true;
	return st->fs->se && fuse_session_exited(st->fs->se);
}

bool mfs_ctl_file_is(const struct mfs_row *row)
{
	return !strcmp(row->pattern, "ctl") || !strcmp(row->pattern, "regions/*/ctl");
}

/*
 * The context of @fh's commands: its implied region (regions/ID/ctl), the
 * address spaces the machine keeps pointers to, and the stop question.
 */
static int ctx_of(struct mfs *fs, struct mfs_fh *fh, struct vmm_ctl_ctx *ctx, char *id,
		  size_t cap, struct stop *st, struct vmm_as **pins)
{
	char raw[VMM_ID_MAX * 3 + 1];
	size_t n = 0;

	*ctx = (struct vmm_ctl_ctx){ .mem = fs->mem, .cancelled = stopping, .cancel_arg = st };
	if (strcmp(fh->row->pattern, "ctl")) {		/* a region's own ctl */
		if (mfs_key_part(fh->key, 0, raw, sizeof(raw)) < 0 ||
		    mfs_unescape(raw, id, cap) < 0 || !vmm_mr_find(fs->mem, id))
			return -ENOENT;
		ctx->region = id;
	}
	if (fs->mc->memory_as)
		pins[n++] = fs->mc->memory_as;
	if (fs->mc->io_as)
		pins[n++] = fs->mc->io_as;
	ctx->pinned = pins;
	ctx->nr_pinned = n;
	return 0;
}

/* Log a refusal with the line the session names. */
static int refused(struct mfs *fs, struct mfs_fh *fh, int rc, struct vmm_err *err)
{
	size_t n;
	const char *line = vmm_ctl_session_failed_line(fh->ctl->s, &n);

	if (!err->code)
		err->code = rc;
	return mfs_reject(fs, fh->row, fh->key, line, n, err);
}

/* A transaction that just opened is stamped with its writer and time. */
static void stamp(struct mfs_ctl_file *cf, struct fuse_req *req)
{
	const struct fuse_ctx *who = req ? fuse_req_ctx(req) : NULL;
	struct vmm_ctl_session_info info;

	if (!vmm_ctl_session_in_txn(cf->s, &info) || info.begin_line == cf->begin_line)
		return;
	cf->begin_line = info.begin_line;
	cf->pid = who ? who->pid : 0;
	cf->uid = who ? who->uid : (uid_t)-1;
	clock_gettime(CLOCK_REALTIME, &cf->since);
}

int mfs_ctl_file_write(struct fuse_req *req, struct mfs *fs, struct mfs_fh *fh, uint64_t owner,
		       const char *buf, size_t len, struct vmm_err *err)
{
	struct stop st = { .fs = fs, .req = req };
	char id[VMM_ID_MAX + 1];
	struct vmm_as *pins[2];
	struct vmm_ctl_ctx ctx;
	int rc;

	/* an attached QEMU's topology is changed in QEMU, not here */
	vmm_err_clear(err);
	rc = mfs_attach_refuse(err);
	if (rc < 0)
		return mfs_reject(fs, fh->row, fh->key, buf, len, err);
	rc = ctx_of(fs, fh, &ctx, id, sizeof(id), &st, pins);
	if (rc)
		return rc;
	if (!fh->ctl) {
		struct mfs_ctl_file *cf = calloc(1, sizeof(*cf));

		if (!cf || !(cf->s = vmm_ctl_session_new())) {
			free(cf);
			return -ENOMEM;
		}
		fh->ctl = cf;
	}
	rc = vmm_ctl_session_feed(fh->ctl->s, &ctx, buf, len, err);
	if (rc < 0)
		return refused(fs, fh, rc, err);
	fh->ctl->owner = owner;
	stamp(fh->ctl, req);
	return 0;
}

int mfs_ctl_file_flush(struct mfs *fs, struct mfs_fh *fh, uint64_t owner)
{
	struct stop st = { .fs = fs };
	char id[VMM_ID_MAX + 1];
	struct vmm_as *pins[2];
	struct vmm_ctl_ctx ctx;
	struct vmm_err err;
	int rc;

	if (!fh->ctl || (fh->ctl->owner && owner != fh->ctl->owner))
		return 0;
	vmm_err_clear(&err);
	rc = ctx_of(fs, fh, &ctx, id, sizeof(id), &st, pins);
	if (rc)
		return rc;
	rc = vmm_ctl_session_flush(fh->ctl->s, &ctx, &err);
	if (rc < 0)
		return refused(fs, fh, rc, &err);
	stamp(fh->ctl, NULL);
	return 0;
}

void mfs_ctl_file_release(struct mfs *fs, struct mfs_fh *fh)
{
	struct stop st = { .fs = fs };
	char id[VMM_ID_MAX + 1];
	struct vmm_as *pins[2];
	struct vmm_ctl_ctx ctx;
	struct vmm_err err;
	int rc;

	if (!mfs_ctl_file_is(fh->row))
		return;
	vmm_err_clear(&err);
	/* fh->ctl was set by writes under this lock; read it under it too */
	pthread_mutex_lock(&fs->mc->lock);
	if (!fh->ctl)
		goto out;
	/* when the file's region is gone nothing can run: the session just ends */
	if (!ctx_of(fs, fh, &ctx, id, sizeof(id), &st, pins)) {
		rc = vmm_ctl_session_close(fh->ctl->s, &ctx, &err);
		if (rc < 0)
			refused(fs, fh, rc, &err);
	}
	mfs_ctl_file_free(fh->ctl);
	fh->ctl = NULL;
out:
	pthread_mutex_unlock(&fs->mc->lock);
}

void mfs_ctl_file_free(struct mfs_ctl_file *cf)
{
	if (!cf)
		return;
	vmm_ctl_session_free(cf->s);
	free(cf);
}

int mfs_ctl_render_transactions(struct mfs *fs, const char *key, struct vmm_buf *out)
{
	struct vmm_ctl_session_info info;
	struct vmm_buf path;
	char when[40];
	struct tm tm;

	vmm_buf_init(&path);
	pthread_mutex_lock(&fs->fh_lock);
	for (struct mfs_fh *fh = fs->fhs; fh; fh = fh->next) {
		if (!fh->ctl || !vmm_ctl_session_in_txn(fh->ctl->s, &info))
			continue;
		vmm_buf_reset(&path);
		mfs_path_of(fh->row, fh->key, &path);
		gmtime_r(&fh->ctl->since.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		vmm_buf_printf(out, "%s pid %d uid %u since %s begin-line %u commands %zu bytes %zu\n",
			       path.data ? path.data : "?", (int)fh->ctl->pid, (unsigned)fh->ctl->uid,
			       when, info.begin_line, info.commands, info.bytes);
	}
	pthread_mutex_unlock(&fs->fh_lock);
	vmm_buf_free(&path);
	return 0;
}
