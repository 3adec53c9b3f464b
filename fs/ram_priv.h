/* SPDX-License-Identifier: MIT */
/*
 * Open ram files bound to the object they were opened on (fs/ram_bind.c): a
 * region or RAM block deleted while a file is open stays the file's object,
 * and once the path names another object (or none) every request on the old
 * file fails with ESTALE. fs/ops.c binds at open (mfs_ram_bind in fs/ram.c),
 * passes the binding to the *_bound requests, and fs/fh.c drops it with the
 * open file.
 */
#ifndef MTREEFS_RAM_PRIV_H
#define MTREEFS_RAM_PRIV_H

#include <stdbool.h>
#include <sys/types.h>

struct fuse_req;
struct mfs;
struct mfs_row;
struct mfs_ram_bind;

int mfs_ram_bind(struct mfs *fs, const struct mfs_row *row, const char *key,
		 struct mfs_ram_bind **out);
void mfs_ram_unbind(struct mfs_ram_bind *b);
int mfs_ram_bind_mr(struct mfs *fs, const char *key, struct mfs_ram_bind **out);
int mfs_ram_bind_rb(struct mfs *fs, const char *key, struct mfs_ram_bind **out);
bool mfs_ram_bound_to(struct mfs *fs, const struct mfs_ram_bind *b, const char *key);
void mfs_ram_read_bound(struct fuse_req *req, struct mfs *fs, const struct mfs_row *row,
			const char *key, const struct mfs_ram_bind *b, size_t size, off_t off);
void mfs_ram_write_bound(struct fuse_req *req, struct mfs *fs, const struct mfs_row *row,
			 const char *key, const struct mfs_ram_bind *b, const char *buf,
			 size_t size, off_t off);
int mfs_ram_seek_bound(struct mfs *fs, const struct mfs_row *row, const char *key,
		       const struct mfs_ram_bind *b, off_t off, int whence, off_t *result);

#endif
