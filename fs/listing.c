// SPDX-License-Identifier: MIT
/*
 * Directory listings: a directory is listed once per opendir, from the rows
 * of the file table under it ("." and ".." first, then the rows in table
 * order, a "*" row as the names its lister gives), and readdir slices the
 * result. The kernel does not count the numbers of readdir entries as
 * lookups, so the listing holds them until releasedir: while it is open, a
 * stat of a listed name gets the number the listing showed.
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>

#include "mtreefs.h"

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

static int list_rows(struct listing *l, const struct mfs_row *dir, const char *key)
{
	int idx = (int)(dir - mfs_rows), rc = 0;
	char pk[1024];

	add_entry(l, ".", dir, key);
	if (dir->parent < 0) {
		add_entry(l, "..", dir, key);
	} else {
		mfs_parent_key(dir, key, pk, sizeof(pk));
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

/**
 * mfs_list_dir() - the readdir entries of a directory, as one buffer
 * @req: the OPENDIR request (fuse_add_direntry needs it)
 * @fs: filesystem (topology lock held)
 * @dir, @key: the directory
 * @out: (out) the entries, to slice in readdir
 * @held, @nr_held: (out) the numbers the entries report, held; also on error,
 *                  when the caller gives them back with mfs_unhold_all()
 *
 * Return: 0 or -errno.
 */
int mfs_list_dir(struct fuse_req *req, struct mfs *fs, const struct mfs_row *dir, const char *key,
		 struct vmm_buf *out, uint64_t **held, size_t *nr_held)
{
	struct listing l = { .req = req, .fs = fs };
	int rc;

	vmm_buf_init(&l.out);
	vmm_buf_init(&l.key);
	rc = list_rows(&l, dir, key);
	vmm_buf_free(&l.key);
	*out = l.out;
	*held = l.held;
	*nr_held = l.nr_held;
	return rc;
}
