// SPDX-License-Identifier: MIT
/*
 * Open files and directories. An open keeps its own copy of (row, key), so
 * it never needs its inode entry again, and the snapshot its reads are
 * served from: a generated file rendered once (for a file that is the
 * topology's alone, a reference on the rendering its generation shares,
 * fs/render_cache.c), or a directory listing with the inode numbers it
 * reports held until it is closed; what it pins is charged to its opener.
 * Every open is on a list, because a session ended by a signal or an
 * unmount gets no RELEASE for what its clients still had open.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "ctl_file.h"
#include "mtreefs.h"
#include "ram_priv.h"

static void fh_free(struct mfs_fh *fh)
{
	pthread_mutex_destroy(&fh->lock);
	mfs_ctl_file_free(fh->ctl);
	vmm_buf_free(&fh->buf);
	mfs_ram_unbind(fh->ram);
	free(fh->held);
	free(fh->key);
	/* after the buffers, so a trim it triggers returns their memory too */
	mfs_pin_drop(fh->fs, fh);
	free(fh);
}

void mfs_unhold_all(struct mfs *fs, const uint64_t *held, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mfs_ino_unhold(fs, held[i]);
}

/* A new open file, one reference, on the list of open files. */
struct mfs_fh *mfs_fh_new(struct mfs *fs, const struct mfs_row *row)
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

void mfs_fh_put(struct mfs_fh *fh)
{
	struct mfs *fs = fh->fs;

	if (atomic_fetch_sub(&fh->refs, 1) != 1)
		return;
	/* a ctl file's last line and open transaction end with the file */
	mfs_ctl_file_release(fs, fh);
	pthread_mutex_lock(&fs->fh_lock);
	if (fh->prev)
		fh->prev->next = fh->next;
	else
		fs->fhs = fh->next;
	if (fh->next)
		fh->next->prev = fh->prev;
	pthread_mutex_unlock(&fs->fh_lock);
	mfs_unhold_all(fs, fh->held, fh->nr_held);
	fh_free(fh);
}

/* A second reference, for a request that uses the file while a RELEASE may run. */
void mfs_fh_get(struct mfs_fh *fh)
{
	atomic_fetch_add(&fh->refs, 1);
}

/* Return: 0, or -ENOMEM when the cache of shared renderings cannot be set up. */
int mfs_fh_init(struct mfs *fs)
{
	pthread_mutex_init(&fs->fh_lock, NULL);
	fs->fhs = NULL;
	return mfs_cache_init(fs);
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
	mfs_cache_fini(fs);
	pthread_mutex_destroy(&fs->fh_lock);
}
