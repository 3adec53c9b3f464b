/* SPDX-License-Identifier: MIT */
/*
 * The ctl files as files that stay open (fs/ctl_file.c): every open of a ctl
 * file (the global ctl, regions/ID/ctl) gets a session of the control
 * language that assembles its writer's lines across the pieces the kernel
 * cuts a write into and holds that writer's own transaction (README, "The
 * control language"). The FUSE callbacks (fs/ops.c) hand each write, flush
 * and release of such a file here; info/transactions lists what is open.
 */
#ifndef MTREEFS_CTL_FILE_H
#define MTREEFS_CTL_FILE_H

#include "mtreefs.h"

struct fuse_req;
struct mfs_ctl_file;

/* Whether @row is a ctl file: its writes are lines of the control language. */
bool mfs_ctl_file_is(const struct mfs_row *row);

/*
 * One write request on the open ctl file @fh (topology lock held). @req is
 * asked whether its writer was interrupted, and names the writer for
 * info/transactions; @owner is the request's lock owner (the writer's
 * descriptor table). Returns 0 or -errno; a refusal is in error_log and
 * changed nothing.
 */
int mfs_ctl_file_write(struct fuse_req *req, struct mfs *fs, struct mfs_fh *fh, uint64_t owner,
		       const char *buf, size_t len, struct vmm_err *err);

/*
 * A descriptor of @fh was closed by @owner (topology lock held): when that
 * is who wrote the unfinished final line, the line is complete and runs.
 * Another process closing its copy (a forked child exiting) ends nothing.
 */
int mfs_ctl_file_flush(struct mfs *fs, struct mfs_fh *fh, uint64_t owner);

/*
 * The last reference of @fh is gone (no lock held): a final line runs, an
 * open transaction is aborted, both with an error_log line when they fail.
 */
void mfs_ctl_file_release(struct mfs *fs, struct mfs_fh *fh);

/* Free a session without running anything (the session loop is over). */
void mfs_ctl_file_free(struct mfs_ctl_file *cf);

/* info/transactions: one line per open transaction (topology lock held). */
int mfs_ctl_render_transactions(struct mfs *fs, const char *key, struct vmm_buf *out);

#endif
