/* SPDX-License-Identifier: MIT */
/*
 * mtreefs --qemu SOCKET: the mount shows a running QEMU instead of a machine
 * of its own (mtreefs(1), ATTACHING TO QEMU). fs/attach.c holds all of it;
 * the other files call in through these hooks, each a line or two, and they
 * do nothing when no QEMU is attached.
 */
#ifndef MTREEFS_ATTACH_H
#define MTREEFS_ATTACH_H

#include <stdbool.h>

#include "mtreefs.h"

struct fuse_session;

#define MFS_ATTACH_REFRESH_MS	200	/* default --refresh */

struct mfs_attach_opts {
	const char *socket;	/* NULL: not attached */
	unsigned refresh_ms;
	bool writable;		/* --writable-ram */
};

/* main.c: connect, read the topology, open QEMU's memory and build the machine. */
int mfs_attach_open(const struct mfs_attach_opts *o, struct vmm_machine **mc,
		    struct vmm_err *err);
/* main.c, mounted, signals still blocked: start watching QEMU's events. */
int mfs_attach_start(struct mfs *fs, struct fuse_session *se);
/* main.c, the loop over: stop watching; the exit status (@rc, or 1 when QEMU was lost). */
int mfs_attach_stop(int rc);
/* main.c, after the machine is destroyed. */
void mfs_attach_close(void);

bool mfs_attached(void);
/* ops.c: before lookup, opendir and open: re-read QEMU's topology when stale. */
void mfs_attach_refresh(struct mfs *fs);
/* ops.c open: QEMU's own text for info/ files (0), or -ENOENT: render as usual. */
int mfs_attach_text(struct mfs *fs, const struct mfs_row *row, struct vmm_buf *out);
/* True when attached and @row is an info/ file QEMU's own text answers (size 0 in stat). */
bool mfs_attach_serves(const struct mfs_row *row);
/* ctl.c, machine.c: an attached topology is read-only: 0, or -EROFS with @err saying why. */
int mfs_attach_refuse(struct vmm_err *err);
/* machine.c: machine/qemu/@what (version, pid, machine, state, socket, ranges, refresh). */
int mfs_attach_info(struct mfs *fs, const char *what, struct vmm_buf *out);

/* memslots.c: QEMU's host address of @local, inside a RAM block of our model. */
uint64_t mfs_attach_host_addr(uint64_t local);

/* passthrough.c: QEMU's backing file of @rb when it is the whole ram file (a new fd), or -ENOENT. */
int mfs_attach_block_fd(const struct vmm_ramblock *rb, uint64_t size);

/* ram.c: the data pieces of one request, copied from or to QEMU's memory. */
struct mfs_attach_piece {
	const struct vmm_ramblock *rb;
	const void *host;		/* our model's address inside @rb */
	size_t len;
};
void mfs_attach_read(struct fuse_req *req, struct mfs *fs, const struct mfs_attach_piece *p,
		     unsigned n);
void mfs_attach_write(struct fuse_req *req, struct mfs *fs, const struct mfs_row *row,
		      const char *key, const struct mfs_attach_piece *p, unsigned n,
		      const char *buf, size_t size);

#endif
