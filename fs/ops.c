// SPDX-License-Identifier: MIT
/*
 * The FUSE low-level callbacks (mfs_<op>) of mtreefs and their table,
 * mfs_ops. Every callback maps an inode number to (row, key) through
 * fs/ino.c and then asks the row of the file table (fs/table.c) — no
 * callback knows a file name. Generated files are rendered once per open into
 * the file handle (fs/fh.c) and served with direct I/O, so a reader sees one
 * consistent snapshot of any size; a file that is the topology's alone
 * (MFS_TOPO) is rendered once per topology generation and shared by every
 * open and stat at it (fs/render_cache.c), so its stat reports the size its
 * next open serves. What an open pins is charged to the opener's uid; past
 * -o max_pinned the open fails with EMFILE. Directories are listed once per
 * opendir (fs/listing.c); ram files are copied straight from guest memory
 * (fs/ram.c). Entry and attribute timeouts are 0, so every path is
 * revalidated and an edit is visible at once. Every entry reply counts one
 * lookup of its inode number and FORGET gives lookups back (fs/ino.c), so
 * the entries of vanished objects are freed once the kernel drops them; an
 * open file keeps its own copy of (row, key) and never needs its inode entry.
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmm/machine.h>

#include "attach.h"
#include "ctl_file.h"
#include "mtreefs.h"
#include "ram_priv.h"
#include "passthrough.h"

static struct mfs *req_fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void topo_lock(struct mfs *fs, const struct mfs_row *row)
{
	if (!row || !(row->flags & MFS_NOLOCK))
		pthread_mutex_lock(&fs->mc->lock);
}

static void topo_unlock(struct mfs *fs, const struct mfs_row *row)
{
	if (!row || !(row->flags & MFS_NOLOCK))
		pthread_mutex_unlock(&fs->mc->lock);
}

static int node_of(struct mfs *fs, fuse_ino_t ino, const struct mfs_row **row, char **key)
{
	int rc = mfs_ino_lookup(fs, ino, row, key);
	bool ok;

	if (rc < 0)
		return rc;
	topo_lock(fs, NULL);
	ok = mfs_exists(fs, *row, *key);
	topo_unlock(fs, NULL);
	if (!ok) {
		free(*key);
		return -ENOENT;
	}
	return 0;
}

static int render(struct mfs *fs, const struct mfs_row *row, const char *key, struct vmm_buf *out)
{
	int rc;

	topo_lock(fs, row);
	rc = row->render(fs, key, out);
	topo_unlock(fs, row);
	if (rc == 0 && out->oom)
		rc = -ENOMEM;
	return rc;
}

static int stat_of(struct mfs *fs, const struct mfs_row *row, const char *key, fuse_ino_t ino,
		   struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = row->ram ? (S_IFREG | fs->ram_mode) : row->mode;
	st->st_nlink = S_ISDIR(row->mode) ? 2 : 1;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = fs->mount_time;
	if (row->ram) {
		uint64_t size = 0;
		int rc = mfs_ram_size(fs, row, key, &size);

		st->st_size = (off_t)size;
		return rc;
	}
	if (row->render && mfs_attach_serves(row))
		return 0;	/* QEMU's text of the moment: its size is known at open */
	if (row->render && (row->flags & MFS_TOPO)) {
		struct mfs_render *r;
		int rc = mfs_render_get(fs, row, key, &r);

		if (rc == 0) {
			st->st_size = (off_t)mfs_render_buf(r)->len;
			mfs_render_put(fs, r);
		}
		return rc;
	}
	if (row->render && !(row->flags & MFS_BIG)) {
		struct vmm_buf b;
		int rc;

		vmm_buf_init(&b);
		rc = render(fs, row, key, &b);
		st->st_size = (off_t)b.len;
		vmm_buf_free(&b);
		return rc;
	}
	return 0;
}

/*
 * The entry counts one lookup; when the kernel does not take the reply (the
 * request was interrupted) no FORGET will come for it, so it is given back.
 */
static void reply_entry(fuse_req_t req, struct mfs *fs, const struct mfs_row *row,
			const char *key)
{
	struct fuse_entry_param e = { 0 };
	int rc;

	e.ino = mfs_ino_ref(fs, row, key);
	if (!e.ino) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = stat_of(fs, row, key, e.ino, &e.attr);
	if (rc < 0) {
		mfs_ino_forget(fs, e.ino, 1);
		fuse_reply_err(req, -rc);
		return;
	}
	e.attr_timeout = 0;
	e.entry_timeout = 0;
	if (fuse_reply_entry(req, &e) != 0)
		mfs_ino_forget(fs, e.ino, 1);
}

/* FORGET: the kernel dropped an inode it had looked up @nlookup times. */
static void mfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	mfs_ino_forget(req_fs(req), ino, nlookup);
	fuse_reply_none(req);
}

static void mfs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct mfs *fs = req_fs(req);

	for (size_t i = 0; i < count; i++)
		mfs_ino_forget(fs, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void mfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mfs *fs = req_fs(req);
	const struct mfs_row *prow, *row;
	struct vmm_buf ckey;
	char *pkey;
	int rc;

	mfs_attach_refresh(fs);		/* an attached QEMU: its topology of now */
	rc = node_of(fs, parent, &prow, &pkey);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	vmm_buf_init(&ckey);
	topo_lock(fs, NULL);
	row = S_ISDIR(prow->mode) ? mfs_child(fs, prow, pkey, name, &ckey) : NULL;
	topo_unlock(fs, NULL);
	if (!S_ISDIR(prow->mode))
		fuse_reply_err(req, ENOTDIR);
	else if (!row || ckey.oom)
		fuse_reply_err(req, row ? ENOMEM : ENOENT);
	else
		reply_entry(req, fs, row, ckey.data ? ckey.data : "");
	vmm_buf_free(&ckey);
	free(pkey);
}

static void mfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mfs *fs = req_fs(req);
	const struct mfs_row *row;
	struct stat st;
	char *key;
	int rc = node_of(fs, ino, &row, &key);

	if (rc == 0) {
		rc = stat_of(fs, row, key, ino, &st);
		free(key);
	}
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, 0);
}

/* Truncation of a control or ram file is accepted and ignored (echo > ctl opens with O_TRUNC). */
static void mfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			struct fuse_file_info *fi)
{
	struct mfs *fs = req_fs(req);
	const struct mfs_row *row;
	struct stat st;
	char *key;
	int rc = node_of(fs, ino, &row, &key);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
		rc = -EPERM;
	else if ((to_set & FUSE_SET_ATTR_SIZE) && !row->write && !row->ram)
		rc = -EACCES;
	else
		rc = stat_of(fs, row, key, ino, &st);
	free(key);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, 0);
}

static void mfs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct mfs *fs = req_fs(req);
	const struct mfs_row *row;
	struct vmm_buf b;
	char *key;
	int rc = node_of(fs, ino, &row, &key);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	vmm_buf_init(&b);
	rc = S_ISLNK(row->mode) ? render(fs, row, key, &b) : -EINVAL;
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_readlink(req, b.data ? b.data : "");
	vmm_buf_free(&b);
	free(key);
}

/* ---- directories: listed once per opendir (fs/listing.c), sliced by readdir ---- */

static void mfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mfs *fs = req_fs(req);
	struct vmm_buf out;
	const struct mfs_row *row;
	struct mfs_fh *snap;
	uint64_t *held = NULL;
	size_t nr_held = 0;
	char *key;
	int rc;

	mfs_attach_refresh(fs);
	rc = node_of(fs, ino, &row, &key);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	vmm_buf_init(&out);
	topo_lock(fs, NULL);
	rc = S_ISDIR(row->mode) ? mfs_list_dir(req, fs, row, key, &out, &held, &nr_held) : -ENOTDIR;
	topo_unlock(fs, NULL);
	free(key);
	snap = rc == 0 ? mfs_fh_new(fs, row) : NULL;
	if (rc == 0 && !snap)
		rc = -ENOMEM;
	if (rc < 0) {
		mfs_unhold_all(fs, held, nr_held);
		free(held);
		vmm_buf_free(&out);
		fuse_reply_err(req, -rc);
		return;
	}
	snap->buf = out;
	snap->held = held;
	snap->nr_held = nr_held;
	rc = mfs_pin_open(fs, snap, fuse_req_ctx(req)->uid);
	if (rc < 0) {
		mfs_fh_put(snap);
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = (uintptr_t)snap;
	fuse_reply_open(req, fi);
}

/* What the reads of @fh are served from: its own snapshot, or the shared rendering. */
static const struct vmm_buf *fh_snap(const struct mfs_fh *fh)
{
	return fh->shared ? mfs_render_buf(fh->shared) : &fh->buf;
}

/* Reply with [@off, @off+@size) of a snapshot; nothing at or past its end. */
static void reply_slice(fuse_req_t req, const struct vmm_buf *b, size_t size, off_t off)
{
	size_t o = (size_t)off;

	if (off < 0 || o >= b->len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, b->data + o, b->len - o < size ? b->len - o : size);
}

static void mfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	struct mfs_fh *snap = (struct mfs_fh *)(uintptr_t)fi->fh;

	mfs_fh_get(snap);
	reply_slice(req, &snap->buf, size, off);
	mfs_fh_put(snap);
}

static void mfs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	mfs_fh_put((struct mfs_fh *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* ---- files ---- */

static int open_check(const struct mfs_row *row, int flags)
{
	int acc = flags & O_ACCMODE;

	if (S_ISDIR(row->mode))
		return -EISDIR;
	if (!S_ISREG(row->mode))
		return -ELOOP;
	if (acc != O_RDONLY && !row->write && !row->ram)
		return -EACCES;
	if (acc != O_WRONLY && !row->render && !row->ram)
		return -EACCES;
	return 0;
}

static void mfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mfs *fs = req_fs(req);
	const struct mfs_row *row;
	struct mfs_fh *fh = NULL;
	char *key;
	int rc;

	mfs_attach_refresh(fs);
	rc = node_of(fs, ino, &row, &key);

	if (rc < 0)
		goto fail;
	rc = open_check(row, fi->flags);
	if (rc == 0 && !(fh = mfs_fh_new(fs, row)))
		rc = -ENOMEM;
	if (rc < 0)
		goto fail_key;
	fh->key = key;
	/* A ram file stays with the object it was opened on (fs/ram_bind.c). */
	if (row->ram) {
		rc = mfs_ram_bind(fs, row, key, &fh->ram);
		if (rc < 0)
			goto fail_fh;
	}
	/*
	 * The snapshot a reader sees: an attached QEMU's own text, or rendered
	 * once, here, or shared at this generation.
	 */
	if (row->render && (fi->flags & O_ACCMODE) != O_WRONLY) {
		rc = mfs_attach_text(fs, row, &fh->buf);
		if (rc == -ENOENT && (row->flags & MFS_TOPO))
			rc = mfs_render_get(fs, row, key, &fh->shared);
		else if (rc == -ENOENT)
			rc = render(fs, row, key, &fh->buf);
		if (rc < 0)
			goto fail_fh;
	}
	rc = mfs_pin_open(fs, fh, fuse_req_ctx(req)->uid);
	if (rc < 0)
		goto fail_fh;
	fi->fh = (uintptr_t)fh;
	/* A ram file that is one backing file is served by the kernel (fs/passthrough.c). */
	fi->direct_io = !(row->ram && mfs_pt_open(req, fs, fh, fi));
	fi->keep_cache = 0;
	fi->noflush = !mfs_ctl_file_is(row);	/* only a ctl file acts on close() */
	fuse_reply_open(req, fi);
	return;
fail_fh:
	mfs_fh_put(fh);
	fuse_reply_err(req, -rc);
	return;
fail_key:
	free(key);
fail:
	fuse_reply_err(req, -rc);
}

static void mfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mfs_fh *fh = (struct mfs_fh *)(uintptr_t)fi->fh;

	if (fh->row->ram)
		mfs_pt_release(req, fh);
	mfs_fh_put(fh);
	fuse_reply_err(req, 0);
}

/*
 * A log (error_log, machine/console) renders again when read from the start
 * or at the end of its snapshot, so `tail -f` sees new lines: at the end the
 * new rendering is taken only when the old one is its beginning (lines were
 * added), and the read goes on from there. Once the log wrapped, a read at
 * the end stays the end until the file is read from the start again (tail
 * does that when the size shrinks), so no reader gets half a line. Every
 * other generated file stays the one snapshot of its open.
 */
static void grows_read(fuse_req_t req, struct mfs_fh *fh, size_t size, off_t off)
{
	struct vmm_buf now;
	size_t old;

	pthread_mutex_lock(&fh->lock);
	old = fh->buf.len;
	if (off == 0 || (off > 0 && (size_t)off >= old)) {
		vmm_buf_init(&now);
		if (render(fh->fs, fh->row, fh->key, &now) == 0 &&
		    (off == 0 || (now.len > old && (!old || !memcmp(now.data, fh->buf.data, old))))) {
			vmm_buf_free(&fh->buf);
			fh->buf = now;
		} else {
			vmm_buf_free(&now);
		}
	}
	reply_slice(req, &fh->buf, size, off);
	pthread_mutex_unlock(&fh->lock);
}

static void mfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct mfs_fh *fh = (struct mfs_fh *)(uintptr_t)fi->fh;

	if (fh->row->ram) {
		mfs_ram_read_bound(req, req_fs(req), fh->row, fh->key, fh->ram, size, off);
		return;
	}
	mfs_fh_get(fh);
	if (fh->row->flags & MFS_GROWS)
		grows_read(req, fh, size, off);
	else
		reply_slice(req, fh_snap(fh), size, off);
	mfs_fh_put(fh);
}

static void mfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct mfs_fh *fh = (struct mfs_fh *)(uintptr_t)fi->fh;
	struct mfs *fs = req_fs(req);
	struct vmm_err err;
	int rc;

	if (fh->row->ram) {
		mfs_ram_write_bound(req, fs, fh->row, fh->key, fh->ram, buf, size, off);
		return;
	}
	if (!fh->row->write) {
		fuse_reply_err(req, EACCES);
		return;
	}
	vmm_err_clear(&err);
	topo_lock(fs, fh->row);
	if (mfs_ctl_file_is(fh->row))
		rc = mfs_ctl_file_write(req, fs, fh, fi->lock_owner, buf, size, &err);
	else
		rc = fh->row->write(fs, fh->row, fh->key, buf, size, &err);
	topo_unlock(fs, fh->row);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_write(req, size);
}

/*
 * close() of a descriptor: a ctl file runs the final line its writer left
 * unfinished, when the closing process is that writer (lock_owner names its
 * descriptor table, so a forked child's exit does not end a line).
 */
static void mfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mfs_fh *fh = (struct mfs_fh *)(uintptr_t)fi->fh;
	struct mfs *fs = req_fs(req);
	int rc = 0;

	if (mfs_ctl_file_is(fh->row)) {
		topo_lock(fs, fh->row);
		rc = mfs_ctl_file_flush(fs, fh, fi->lock_owner);
		topo_unlock(fs, fh->row);
	}
	fuse_reply_err(req, -rc);
}

static void mfs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		      struct fuse_file_info *fi)
{
	struct mfs_fh *fh = (struct mfs_fh *)(uintptr_t)fi->fh;
	off_t result;
	int rc;

	if (whence != SEEK_DATA && whence != SEEK_HOLE) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (fh->row->ram) {
		rc = mfs_ram_seek_bound(req_fs(req), fh->row, fh->key, fh->ram, off, whence, &result);
	} else {
		size_t len;

		pthread_mutex_lock(&fh->lock);
		len = fh_snap(fh)->len;
		pthread_mutex_unlock(&fh->lock);
		rc = (uint64_t)off >= len ? -ENXIO : 0;
		result = whence == SEEK_DATA ? off : (off_t)len;
	}
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_lseek(req, result);
}

/*
 * The tree is the topology: names are made and removed by ctl commands, never
 * by mkdir, rm, mv or ln. Without these callbacks FUSE would answer ENOSYS
 * ("Function not implemented") to root, who passes the 0555 directory modes;
 * answer what the VFS answers for a filesystem that cannot do it (sysfs):
 * EPERM, and EACCES for creating a file.
 */
static void mfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      dev_t rdev)
{
	fuse_reply_err(req, EPERM);
}

static void mfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	fuse_reply_err(req, EPERM);
}

static void mfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EPERM);
}

static void mfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EPERM);
}

static void mfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		       const char *newname, unsigned int flags)
{
	fuse_reply_err(req, EPERM);
}

static void mfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	fuse_reply_err(req, EPERM);
}

static void mfs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		       struct fuse_file_info *fi)
{
	fuse_reply_err(req, EACCES);
}

/* Ask for 1 MiB requests so a big read crosses the kernel boundary rarely. */
static void mfs_init(void *userdata, struct fuse_conn_info *conn)
{
	conn->max_write = MFS_IO_MAX;
	conn->max_readahead = MFS_IO_MAX;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
	mfs_pt_init(conn);
}

const struct fuse_lowlevel_ops mfs_ops = {
	.init = mfs_init,
	.lookup = mfs_lookup,
	.forget = mfs_forget,
	.forget_multi = mfs_forget_multi,
	.getattr = mfs_getattr,
	.setattr = mfs_setattr,
	.readlink = mfs_readlink,
	.mknod = mfs_mknod,
	.mkdir = mfs_mkdir,
	.unlink = mfs_unlink,
	.rmdir = mfs_unlink,
	.symlink = mfs_symlink,
	.rename = mfs_rename,
	.link = mfs_link,
	.create = mfs_create,
	.opendir = mfs_opendir,
	.readdir = mfs_readdir,
	.releasedir = mfs_releasedir,
	.open = mfs_open,
	.read = mfs_read,
	.write = mfs_write,
	.flush = mfs_flush,
	.release = mfs_release,
	.lseek = mfs_lseek,
};
