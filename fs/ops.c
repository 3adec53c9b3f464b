// SPDX-License-Identifier: MIT
/*
 * The FUSE low-level callbacks (mfs_<op>) of mtreefs. Every callback maps an
 * inode number to (row, key) through fs/ino.c and then asks the row of the
 * file table (fs/table.c) — no callback knows a file name. Generated files are
 * rendered once per open into the file handle and served with direct I/O, so
 * a reader sees one consistent snapshot of any size; ram files are copied
 * straight from guest memory (fs/ram.c). Entry and attribute timeouts are 0,
 * so every path is revalidated and an edit is visible at once. Every entry
 * reply counts one lookup of its inode number and FORGET gives lookups back
 * (fs/ino.c), so the entries of vanished objects are freed once the kernel
 * drops them; an open file keeps its own copy of (row, key) and never needs
 * its inode entry.
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmm/kvm.h>
#include <vmm/machine.h>

#include "mtreefs.h"

/*
 * An open file: the snapshot of a generated file, or nothing for ram and
 * write-only files. A read holds a reference while its reply is sent: the
 * kernel may complete the read, and a RELEASE may run on another thread, the
 * moment writev() returns — before the reading thread is done with the buffer.
 */
struct mfs_fh {
	atomic_uint refs;
	const struct mfs_row *row;
	char *key;
	pthread_mutex_t lock;		/* MFS_GROWS rows: @buf may be replaced by a read */
	struct vmm_buf buf;
	uint64_t *held;			/* directories: the numbers readdir reports (held) */
	size_t nr_held;
	struct mfs *fs;
	struct mfs_fh *prev, *next;	/* fs->fhs: what is open, for the end of the session */
};

static void fh_free(struct mfs_fh *fh)
{
	pthread_mutex_destroy(&fh->lock);
	vmm_buf_free(&fh->buf);
	free(fh->held);
	free(fh->key);
	free(fh);
}

static void unhold_all(struct mfs *fs, const uint64_t *held, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mfs_ino_unhold(fs, held[i]);
}

/* A new open file, one reference, on the list of open files. */
static struct mfs_fh *fh_new(struct mfs *fs, const struct mfs_row *row)
{
	struct mfs_fh *fh = calloc(1, sizeof(*fh));

	if (!fh)
		return NULL;
	atomic_init(&fh->refs, 1);
	pthread_mutex_init(&fh->lock, NULL);
	fh->row = row;
	fh->fs = fs;
	vmm_buf_init(&fh->buf);
	pthread_mutex_lock(&fs->fh_lock);
	fh->next = fs->fhs;
	if (fs->fhs)
		fs->fhs->prev = fh;
	fs->fhs = fh;
	pthread_mutex_unlock(&fs->fh_lock);
	return fh;
}

static void fh_put(struct mfs_fh *fh)
{
	struct mfs *fs = fh->fs;

	if (atomic_fetch_sub(&fh->refs, 1) != 1)
		return;
	pthread_mutex_lock(&fs->fh_lock);
	if (fh->prev)
		fh->prev->next = fh->next;
	else
		fs->fhs = fh->next;
	if (fh->next)
		fh->next->prev = fh->prev;
	pthread_mutex_unlock(&fs->fh_lock);
	unhold_all(fs, fh->held, fh->nr_held);
	fh_free(fh);
}

void mfs_fh_init(struct mfs *fs)
{
	pthread_mutex_init(&fs->fh_lock, NULL);
	fs->fhs = NULL;
}

/**
 * mfs_fh_fini() - free the files still open when the session ended
 * @fs: filesystem whose session loop has returned (no request runs any more)
 *
 * A session ended by a signal or an unmount gets no RELEASE for the files
 * its clients still had open; their snapshots are freed here (the inode
 * table goes right after, so their holds are not given back one by one).
 */
void mfs_fh_fini(struct mfs *fs)
{
	while (fs->fhs) {
		struct mfs_fh *fh = fs->fhs;

		fs->fhs = fh->next;
		fh_free(fh);
	}
	pthread_mutex_destroy(&fs->fh_lock);
}

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

/* Parent key: a "*" row names one more object than its directory. */
static void parent_key(const struct mfs_row *row, const char *key, char *out, size_t cap)
{
	const char *slash = strrchr(key, '/');
	size_t n = strlen(key);

	if (mfs_row_is_wild(row))
		n = slash ? (size_t)(slash - key) : 0;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, key, n);
	out[n] = 0;
}

/* Does (@row, @key) exist right now? Topology lock held. */
static bool exists(struct mfs *fs, const struct mfs_row *row, const char *key)
{
	char pkey[1024];

	while (row->parent >= 0) {
		if (mfs_row_is_wild(row) ? row->find(fs, key) < 0 :
		    (row->present && !row->present(fs, key)))
			return false;
		parent_key(row, key, pkey, sizeof(pkey));
		key = pkey;
		row = &mfs_rows[row->parent];
	}
	return true;
}

static int node_of(struct mfs *fs, fuse_ino_t ino, const struct mfs_row **row, char **key)
{
	int rc = mfs_ino_lookup(fs, ino, row, key);
	bool ok;

	if (rc < 0)
		return rc;
	topo_lock(fs, NULL);
	ok = exists(fs, *row, *key);
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

/* Resolve a ram file, run @fn on the view under the lock, then drop the view. */
static int with_view(struct mfs *fs, const struct mfs_row *row, const char *key,
		     int (*fn)(struct mfs_view *v, void *arg), void *arg)
{
	struct mfs_view v = { 0 };
	int rc;

	topo_lock(fs, NULL);
	rc = row->ram(fs, key, &v);
	if (rc == 0)
		rc = fn(&v, arg);
	topo_unlock(fs, NULL);
	mfs_view_release(&v);
	return rc;
}

static int view_size(struct mfs_view *v, void *arg)
{
	*(uint64_t *)arg = v->size;
	return 0;
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
		int rc = with_view(fs, row, key, view_size, &size);

		st->st_size = (off_t)size;
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

/* The child row of @prow called @name, and its key. Topology lock held. */
static const struct mfs_row *child(struct mfs *fs, const struct mfs_row *prow, const char *pkey,
				   const char *name, struct vmm_buf *ckey)
{
	int pidx = (int)(prow - mfs_rows);

	for (size_t i = 0; i < mfs_nr_rows; i++) {
		const struct mfs_row *r = &mfs_rows[i];

		if (r->parent != pidx)
			continue;
		vmm_buf_reset(ckey);
		vmm_buf_puts(ckey, pkey);
		if (mfs_row_is_wild(r)) {
			if (*pkey)
				vmm_buf_puts(ckey, "/");
			vmm_buf_puts(ckey, name);
			if (!ckey->oom && r->find(fs, ckey->data) == 0)
				return r;
		} else if (!strcmp(mfs_row_name(r), name) && (!r->present || r->present(fs, pkey))) {
			return r;
		}
	}
	return NULL;
}

static void mfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mfs *fs = req_fs(req);
	const struct mfs_row *prow, *row;
	struct vmm_buf ckey;
	char *pkey;
	int rc = node_of(fs, parent, &prow, &pkey);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	vmm_buf_init(&ckey);
	topo_lock(fs, NULL);
	row = S_ISDIR(prow->mode) ? child(fs, prow, pkey, name, &ckey) : NULL;
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

/*
 * ---- directories: listed once per opendir, sliced by readdir ----
 *
 * The kernel does not count the numbers of readdir entries as lookups, so the
 * listing holds them until releasedir: while it is open, a stat of a listed
 * name gets the number the listing showed.
 */

struct listing {
	fuse_req_t req;
	struct mfs *fs;
	const struct mfs_row *row;
	const char *pkey;
	struct vmm_buf out;
	struct vmm_buf key;
	uint64_t *held;
	size_t nr_held, cap_held;
};

/* The number of (@row, @key), held by the listing. Return: it, or 0 on ENOMEM. */
static uint64_t listing_hold(struct listing *l, const struct mfs_row *row, const char *key)
{
	uint64_t ino;

	if (l->nr_held == l->cap_held) {
		size_t cap = l->cap_held ? l->cap_held * 2 : 64;
		uint64_t *p = realloc(l->held, cap * sizeof(*p));

		if (!p)
			return 0;
		l->held = p;
		l->cap_held = cap;
	}
	ino = mfs_ino_hold(l->fs, row, key);
	if (ino)
		l->held[l->nr_held++] = ino;
	return ino;
}

static void add_entry(struct listing *l, const char *name, const struct mfs_row *row,
		      const char *key)
{
	struct stat st = { 0 };
	size_t need;

	st.st_ino = listing_hold(l, row, key);
	if (!st.st_ino) {
		l->out.oom = true;
		return;
	}
	st.st_mode = row->mode & S_IFMT;
	need = fuse_add_direntry(l->req, NULL, 0, name, NULL, 0);
	if (l->out.len + need + 1 > l->out.cap) {
		size_t cap = (l->out.cap ? l->out.cap * 2 : 4096) + need;
		char *p = realloc(l->out.data, cap);

		if (!p) {
			l->out.oom = true;
			return;
		}
		l->out.data = p;
		l->out.cap = cap;
	}
	fuse_add_direntry(l->req, l->out.data + l->out.len, need, name, &st,
			  (off_t)(l->out.len + need));
	l->out.len += need;
}

static void add_wild(void *arg, const char *name)
{
	struct listing *l = arg;
	const struct mfs_row *r = l->row;

	vmm_buf_reset(&l->key);
	vmm_buf_puts(&l->key, l->pkey);
	if (*l->pkey)
		vmm_buf_puts(&l->key, "/");
	vmm_buf_puts(&l->key, name);
	if (!l->key.oom)
		add_entry(l, name, r, l->key.data);
}

static int list_dir(struct listing *l, const struct mfs_row *dir, const char *key)
{
	int idx = (int)(dir - mfs_rows), rc = 0;
	char pk[1024];

	add_entry(l, ".", dir, key);
	if (dir->parent < 0) {
		add_entry(l, "..", dir, key);
	} else {
		parent_key(dir, key, pk, sizeof(pk));
		add_entry(l, "..", &mfs_rows[dir->parent], pk);
	}
	l->pkey = key;
	for (size_t i = 0; i < mfs_nr_rows && rc == 0; i++) {
		const struct mfs_row *r = &mfs_rows[i];

		if (r->parent != idx)
			continue;
		l->row = r;
		if (mfs_row_is_wild(r))
			rc = r->list(l->fs, key, add_wild, l);
		else if (!r->present || r->present(l->fs, key))
			add_entry(l, mfs_row_name(r), r, key);
	}
	return rc < 0 ? rc : (l->out.oom || l->key.oom ? -ENOMEM : 0);
}

static void mfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mfs *fs = req_fs(req);
	struct listing l = { .req = req, .fs = fs };
	const struct mfs_row *row;
	struct mfs_fh *snap;
	char *key;
	int rc = node_of(fs, ino, &row, &key);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	vmm_buf_init(&l.out);
	vmm_buf_init(&l.key);
	topo_lock(fs, NULL);
	rc = S_ISDIR(row->mode) ? list_dir(&l, row, key) : -ENOTDIR;
	topo_unlock(fs, NULL);
	vmm_buf_free(&l.key);
	free(key);
	snap = rc == 0 ? fh_new(fs, row) : NULL;
	if (rc == 0 && !snap)
		rc = -ENOMEM;
	if (rc < 0) {
		unhold_all(fs, l.held, l.nr_held);
		free(l.held);
		vmm_buf_free(&l.out);
		fuse_reply_err(req, -rc);
		return;
	}
	snap->buf = l.out;
	snap->held = l.held;
	snap->nr_held = l.nr_held;
	fi->fh = (uintptr_t)snap;
	fuse_reply_open(req, fi);
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

	atomic_fetch_add(&snap->refs, 1);
	reply_slice(req, &snap->buf, size, off);
	fh_put(snap);
}

static void mfs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fh_put((struct mfs_fh *)(uintptr_t)fi->fh);
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
	int rc = node_of(fs, ino, &row, &key);

	if (rc < 0)
		goto fail;
	rc = open_check(row, fi->flags);
	if (rc == 0 && !(fh = fh_new(fs, row)))
		rc = -ENOMEM;
	if (rc < 0)
		goto fail_key;
	fh->key = key;
	/* The snapshot a reader sees: rendered once, here. */
	if (row->render && (fi->flags & O_ACCMODE) != O_WRONLY) {
		rc = render(fs, row, key, &fh->buf);
		if (rc < 0)
			goto fail_fh;
	}
	fi->fh = (uintptr_t)fh;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
	return;
fail_fh:
	fh_put(fh);
	fuse_reply_err(req, -rc);
	return;
fail_key:
	free(key);
fail:
	fuse_reply_err(req, -rc);
}

static void mfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fh_put((struct mfs_fh *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

struct span {
	uint64_t off, len;
	struct mfs_seg segs[MFS_SEGS_MAX];
	int n;
};

static int view_segs(struct mfs_view *v, void *arg)
{
	struct span *sp = arg;

	sp->n = mfs_view_segs(v, sp->off, sp->len, sp->segs, MFS_SEGS_MAX);
	return sp->n < 0 ? sp->n : 0;
}

static unsigned data_segs(const struct span *sp)
{
	unsigned d = 0;

	while (d < (unsigned)sp->n && sp->segs[d].type == MFS_SEG_DATA)
		d++;
	return d;
}

/* Guest memory goes out without an extra copy: the reply points into the mapping. */
static void ram_read(fuse_req_t req, struct mfs *fs, struct mfs_fh *fh, size_t size, off_t off)
{
	struct span sp = { .off = (uint64_t)off, .len = size };
	struct fuse_bufvec *bv;
	unsigned d;
	int rc = with_view(fs, fh->row, fh->key, view_segs, &sp);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	d = data_segs(&sp);
	if (sp.n == 0) {
		fuse_reply_buf(req, NULL, 0);
	} else if (d == 0) {
		fuse_reply_err(req, EIO);
	} else if (!(bv = calloc(1, sizeof(*bv) + d * sizeof(bv->buf[0])))) {
		fuse_reply_err(req, ENOMEM);
	} else {
		bv->count = d;
		for (unsigned i = 0; i < d; i++) {
			bv->buf[i].mem = sp.segs[i].host;
			bv->buf[i].size = sp.segs[i].len;
			bv->buf[i].fd = -1;
		}
		fuse_reply_data(req, bv, 0);
		free(bv);
	}
	mfs_segs_release(sp.segs, (unsigned)(sp.n > 0 ? sp.n : 0));
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
		ram_read(req, req_fs(req), fh, size, off);
		return;
	}
	atomic_fetch_add(&fh->refs, 1);
	if (fh->row->flags & MFS_GROWS)
		grows_read(req, fh, size, off);
	else
		reply_slice(req, &fh->buf, size, off);
	fh_put(fh);
}

/* The host may write where the guest may not: ROM included; io and holes end the write. */
static void ram_write(fuse_req_t req, struct mfs *fs, struct mfs_fh *fh, const char *buf,
		      size_t size, off_t off)
{
	struct span sp = { .off = (uint64_t)off, .len = size };
	size_t done = 0;
	unsigned d, i;
	int rc = with_view(fs, fh->row, fh->key, view_segs, &sp);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	d = data_segs(&sp);
	for (i = 0; i < d && !sp.segs[i].ro_fd; i++) {
		memcpy(sp.segs[i].host, buf + done, sp.segs[i].len);
		done += sp.segs[i].len;
	}
	if (i) {
		/* after the copy, so a log read in between cannot lose this write */
		topo_lock(fs, NULL);
		while (i--)
			vmm_accel_mark_dirty_host(fs->mc->accel, sp.segs[i].host, sp.segs[i].len);
		topo_unlock(fs, NULL);
	}
	mfs_segs_release(sp.segs, (unsigned)sp.n);
	if (done || size == 0)
		fuse_reply_write(req, done);
	else
		fuse_reply_err(req, sp.n == 0 ? ENOSPC : (d ? EACCES : EIO));
}

static void mfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct mfs_fh *fh = (struct mfs_fh *)(uintptr_t)fi->fh;
	struct mfs *fs = req_fs(req);
	struct vmm_err err;
	int rc;

	if (fh->row->ram) {
		ram_write(req, fs, fh, buf, size, off);
		return;
	}
	if (!fh->row->write) {
		fuse_reply_err(req, EACCES);
		return;
	}
	vmm_err_clear(&err);
	topo_lock(fs, fh->row);
	rc = fh->row->write(fs, fh->row, fh->key, buf, size, &err);
	topo_unlock(fs, fh->row);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_write(req, size);
}

struct seek {
	uint64_t off;
	int whence;
	int64_t result;
};

static int seek_view(struct mfs_view *v, void *arg)
{
	struct seek *sk = arg;
	uint64_t pos = sk->off;
	struct mfs_seg s;

	if (pos >= v->size)
		return -ENXIO;
	for (;;) {
		int rc = mfs_view_probe(v, pos, &s);

		if (rc < 0)
			return rc;
		if (s.type == MFS_SEG_END) {
			if (sk->whence == SEEK_DATA)
				return -ENXIO;
			sk->result = (int64_t)v->size;
			return 0;
		}
		if ((s.type == MFS_SEG_DATA) == (sk->whence == SEEK_DATA)) {
			sk->result = (int64_t)pos;
			return 0;
		}
		pos += s.len;
	}
}

static void mfs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		      struct fuse_file_info *fi)
{
	struct mfs_fh *fh = (struct mfs_fh *)(uintptr_t)fi->fh;
	struct seek sk = { .off = (uint64_t)off, .whence = whence };
	int rc;

	if (whence != SEEK_DATA && whence != SEEK_HOLE) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (fh->row->ram) {
		rc = with_view(req_fs(req), fh->row, fh->key, seek_view, &sk);
	} else {
		pthread_mutex_lock(&fh->lock);
		rc = (uint64_t)off >= fh->buf.len ? -ENXIO : 0;
		sk.result = whence == SEEK_DATA ? off : (off_t)fh->buf.len;
		pthread_mutex_unlock(&fh->lock);
	}
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_lseek(req, (off_t)sk.result);
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
	.release = mfs_release,
	.lseek = mfs_lseek,
};
