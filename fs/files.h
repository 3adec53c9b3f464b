/* SPDX-License-Identifier: MIT */
/*
 * What the files of the mount's directories share. Each top-level directory
 * has one source file (fs/regions.c, fs/address_spaces.c, fs/flatviews.c,
 * fs/memslots.c, fs/ramblocks.c, fs/machine.c, fs/info.c; the root's ctl and
 * error_log in fs/ctl.c and fs/errlog.c) holding its row functions and its
 * part of the file table, so adding a file is one row beside the function
 * that renders it. fs/table.c joins the parts, in this order, into the one
 * table that lookup, getattr, readdir, open, read and write consult.
 */
#ifndef MTREEFS_FILES_H
#define MTREEFS_FILES_H

#include <inttypes.h>

#include "mtreefs.h"

#define MFS_RENDER(fn)	int fn(struct mfs *fs, const char *key, struct vmm_buf *out)
#define MFS_WRITE(fn)	int fn(struct mfs *fs, const struct mfs_row *row, const char *key, \
			       const char *buf, size_t len, struct vmm_err *err)
#define MFS_LIST(fn)	int fn(struct mfs *fs, const char *pkey, mfs_list_cb cb, void *arg)
#define MFS_FIND(fn)	int fn(struct mfs *fs, const char *key)
#define MFS_PRESENT(fn)	bool fn(struct mfs *fs, const char *key)

/* Modes of the rows */
#define DIR_	(S_IFDIR | 0555)
#define RO	(S_IFREG | 0444)
#define RW	(S_IFREG | 0644)
#define WO	(S_IFREG | 0200)
#define PRIV	(S_IFREG | 0600)	/* guest memory and the global ctl: the mounting user only */
#define LNK	(S_IFLNK | 0777)

/* The parts of the table, each ended by a row without a pattern. */
extern const struct mfs_row mfs_ctl_rows[];		/* ctl.c */
extern const struct mfs_row mfs_errlog_rows[];		/* errlog.c */
extern const struct mfs_row mfs_info_rows[];		/* info.c */
extern const struct mfs_row mfs_as_rows[];		/* address_spaces.c */
extern const struct mfs_row mfs_fv_rows[];		/* flatviews.c */
extern const struct mfs_row mfs_region_rows[];		/* regions.c */
extern const struct mfs_row mfs_memslot_rows[];		/* memslots.c */
extern const struct mfs_row mfs_ramblock_rows[];	/* ramblocks.c */
extern const struct mfs_row mfs_machine_rows[];		/* machine.c */

/* ctl.c: writes become control-language transactions */
int mfs_reject(struct mfs *fs, const struct mfs_row *row, const char *key, const char *cmd,
	       size_t len, struct vmm_err *err);
/* A ctl write: one transaction; a rejection is logged with its failing line. */
int mfs_ctl_write(struct mfs *fs, const struct mfs_row *row, const char *key, const char *region,
		  const char *buf, size_t len, struct vmm_err *err);
/* An attribute write: "set ID KEY VALUE", the key named by vmm_ctl_key_find_file(). */
MFS_WRITE(mfs_set_write);

/* Addresses and sizes print as 0x%x, up to 2^64 (a 16 EiB region's size). */
static inline void mfs_put_hex(struct vmm_buf *out, vmm_u128 v)
{
	char buf[VMM_U128_BUF];

	vmm_buf_printf(out, "%s\n", vmm_u128_fmt(v, VMM_U128_HEX, buf));
}

#endif
