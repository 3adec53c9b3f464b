/* SPDX-License-Identifier: MIT */
/*
 * FUSE passthrough of ram files (fs/passthrough.c): a ram file whose bytes
 * are one RAM block's backing file from offset 0 is handed to the kernel at
 * open, which then reads, writes and maps that file itself. The hooks are
 * called from fs/ops.c (init, open, release) and the status is shown by
 * machine/daemon/passthrough (fs/machine.c).
 */
#ifndef MTREEFS_PASSTHROUGH_H
#define MTREEFS_PASSTHROUGH_H

#include <stdbool.h>
#include <stdint.h>

#include "mtreefs.h"

struct fuse_conn_info;
struct fuse_file_info;

void mfs_pt_init(struct fuse_conn_info *conn);
bool mfs_pt_open(struct fuse_req *req, struct mfs *fs, struct mfs_fh *fh,
		 struct fuse_file_info *fi);
void mfs_pt_release(struct fuse_req *req, struct mfs_fh *fh);
void mfs_pt_status(struct vmm_buf *out);

#endif
