// SPDX-License-Identifier: MIT
/*
 * FUSE passthrough for ram files. A ram file whose bytes are exactly one
 * RAM block's backing file (a memfd or file:PATH block: ramblocks/X/ram,
 * or regions/X/ram of the block's own ram or rom region) is opened with a
 * backing file (libfuse 3.17's fuse_passthrough_open): the kernel then reads
 * and writes the block's file itself, at memory speed, and mmap(MAP_SHARED)
 * maps the very pages the guest runs on. The kernel maps file offset N to
 * backing offset N, so only a file starting at the block's offset 0
 * qualifies, and only when the backing file is exactly as long as the ram
 * file: a longer one (a resizeable block below its maximum, a file:PATH that
 * was longer) would let reads run past the file's end; hugetlbfs files are
 * left out too, as they have no write(2). Everything else
 * (anonymous RAM, which has no file; address spaces, flat ranges, memslots,
 * containers, aliases into a block, read-only backing files) keeps the
 * daemon's path, where mmap(MAP_SHARED) fails with ENODEV. Writes through a
 * passthrough file do not reach the daemon, so they are not marked in KVM's
 * dirty log: a writable open of a block whose region logs dirty pages takes
 * the daemon's path. The kernel writes where it is told: a write at or past
 * the end (O_APPEND opens stay with the daemon) grows the backing file, not
 * the ram file. The kernel allows one backing file per inode, so one
 * backing id per backing file is shared by every open of it and closed with
 * its last open. The feature needs a libfuse that has it (build time), a
 * kernel that offers it (FUSE_INIT) and CAP_SYS_ADMIN (the first open);
 * machine/daemon/passthrough says which is missing. MTREEFS_PASSTHROUGH=off
 * in the daemon's environment turns it off, for comparing the two paths.
 * An attached QEMU's block qualifies the same way with QEMU's own backing
 * file (fs/attach_ram.c opens it through /proc/PID/map_files), for
 * read-only opens only: writes go through the daemon, which refuses them
 * or writes through /proc/PID/mem (mtreefs(1), ATTACHING TO QEMU).
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "attach.h"
#include "passthrough.h"

#define PT_STR_(x) #x
#define PT_STR(x) PT_STR_(x)

/* One backing file registered with the kernel, shared by all its opens. */
struct pt_backing {
	dev_t dev;
	ino_t ino;
	int id;
	unsigned opens;
	struct pt_backing *next;
};

/* One open file served by passthrough. */
struct pt_open {
	const struct mfs_fh *fh;
	struct pt_backing *b;
	struct pt_open *next;
};

/* One mount per daemon: the state is the process's. */
static struct {
	pthread_mutex_t lock;
	bool on;
	char why[160];			/* why it is off */
	struct pt_backing *backings;
	struct pt_open *opens;
	unsigned nr_opens;
} pt = { .lock = PTHREAD_MUTEX_INITIALIZER, .why = "not mounted yet" };

static void pt_off(const char *why)
{
	pt.on = false;
	snprintf(pt.why, sizeof(pt.why), "%s", why);
}

/* FUSE_INIT: ask for passthrough when libfuse, the kernel and the user allow it. */
void mfs_pt_init(struct fuse_conn_info *conn)
{
	const char *env = getenv("MTREEFS_PASSTHROUGH");

	pthread_mutex_lock(&pt.lock);
#ifdef FUSE_CAP_PASSTHROUGH
	if (env && !strcmp(env, "off"))
		pt_off("MTREEFS_PASSTHROUGH=off");
	else if (!(conn->capable & FUSE_CAP_PASSTHROUGH))
		pt_off("the kernel does not offer FUSE passthrough (Linux 6.9 or newer, "
		       "CONFIG_FUSE_PASSTHROUGH)");
	else {
		conn->want |= FUSE_CAP_PASSTHROUGH;
		pt.on = true;
	}
#else
	(void)env;
	pt_off("built with libfuse " PT_STR(FUSE_MAJOR_VERSION) "." PT_STR(FUSE_MINOR_VERSION)
	       ", which has no passthrough (3.17 or newer: make deps as root)");
#endif
	pthread_mutex_unlock(&pt.lock);
}

#ifdef FUSE_CAP_PASSTHROUGH
/*
 * Whether @rb's backing file can stand for a ram file of @size (see the top).
 * A backing file already registered is used whatever else holds: the kernel
 * refuses a plain open of an inode that is open with passthrough.
 */
static bool pt_fits(struct mfs *fs, struct vmm_ramblock *rb, int fd, uint64_t size,
		    struct stat *st)
{
	bool logging;

	/* hugetlbfs (a page size of its own) cannot write(2): it stays with the daemon. */
	if (fd < 0 || fstat(fd, st) < 0)
		return false;
	if (fd != rb->fd)	/* an attached QEMU's file: no flags or page size of ours */
		return (uint64_t)st->st_size == size && size &&
		       st->st_blksize == sysconf(_SC_PAGESIZE);
	if ((rb->flags & VMM_RB_READONLY_FD) || rb->page_size != (uint64_t)sysconf(_SC_PAGESIZE))
		return false;
	for (struct pt_backing *b = pt.backings; b; b = b->next)
		if (b->dev == st->st_dev && b->ino == st->st_ino)
			return true;
	if ((uint64_t)st->st_size != size || !size)
		return false;
	pthread_mutex_lock(&fs->mc->lock);
	logging = rb->mr && rb->mr->dirty_log_mask;
	pthread_mutex_unlock(&fs->mc->lock);
	return !logging;
}

/* The backing id for @rb's file: the one registered, or a new one (pt.lock held). */
static struct pt_backing *pt_backing_get(fuse_req_t req, int fd, const struct stat *st)
{
	struct pt_backing *b;
	int id;

	for (b = pt.backings; b; b = b->next)
		if (b->dev == st->st_dev && b->ino == st->st_ino)
			return b;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	errno = 0;
	id = fuse_passthrough_open(req, fd);
	if (id <= 0) {
		int e = errno ? errno : EPERM;
		char why[160];

		snprintf(why, sizeof(why), "opening a backing file failed: %s%s", strerror(e),
			 e == EPERM ? " (the daemon needs CAP_SYS_ADMIN)" : "");
		if (e == EPERM)
			pt_off(why);	/* it would fail for every file */
		free(b);
		return NULL;
	}
	b->dev = st->st_dev;
	b->ino = st->st_ino;
	b->id = id;
	b->next = pt.backings;
	pt.backings = b;
	return b;
}
#endif

/**
 * mfs_pt_open() - open a ram file with passthrough when it qualifies
 * @req: the OPEN request
 * @fs: the filesystem
 * @fh: the new open file (its row is a ram row)
 * @fi: the open's file info: backing_id is set when true is returned
 *
 * Return: true when the kernel will serve the file from its backing file.
 */
bool mfs_pt_open(fuse_req_t req, struct mfs *fs, struct mfs_fh *fh, struct fuse_file_info *fi)
{
#ifdef FUSE_CAP_PASSTHROUGH
	struct pt_backing *b = NULL;
	struct vmm_ramblock *rb;
	struct pt_open *o;
	struct stat st;
	uint64_t size = 0;
	int fd;

	/* O_APPEND would write at the backing file's end and grow it: the daemon answers ENOSPC. */
	if (!pt.on || (fi->flags & O_APPEND))
		return false;
	if (mfs_attached() && (fi->flags & O_ACCMODE) != O_RDONLY)
		return false;
	rb = mfs_ram_whole_block(fs, fh->row, fh->key, &size);
	if (!rb)
		return false;
	fd = mfs_attached() ? mfs_attach_block_fd(rb, size) : rb->fd;
	o = calloc(1, sizeof(*o));
	pthread_mutex_lock(&pt.lock);
	if (o && pt.on && pt_fits(fs, rb, fd, size, &st))
		b = pt_backing_get(req, fd, &st);
	if (b) {
		b->opens++;
		o->fh = fh;
		o->b = b;
		o->next = pt.opens;
		pt.opens = o;
		pt.nr_opens++;
		fi->backing_id = b->id;
	}
	pthread_mutex_unlock(&pt.lock);
	if (fd >= 0 && fd != rb->fd)
		close(fd);
	vmm_ramblock_unref(rb);
	if (!b)
		free(o);
	return b != NULL;
#else
	return false;
#endif
}

/* RELEASE of a ram file: its backing id goes with the last open of the backing file. */
void mfs_pt_release(fuse_req_t req, struct mfs_fh *fh)
{
#ifdef FUSE_CAP_PASSTHROUGH
	struct pt_open **pp, *o = NULL;
	struct pt_backing **bp;

	pthread_mutex_lock(&pt.lock);
	for (pp = &pt.opens; *pp; pp = &(*pp)->next)
		if ((*pp)->fh == fh) {
			o = *pp;
			*pp = o->next;
			break;
		}
	if (o) {
		pt.nr_opens--;
		if (--o->b->opens == 0) {
			for (bp = &pt.backings; *bp != o->b; bp = &(*bp)->next)
				;
			*bp = o->b->next;
			fuse_passthrough_close(req, o->b->id);
			free(o->b);
		}
		free(o);
	}
	pthread_mutex_unlock(&pt.lock);
#endif
}

/* machine/daemon/passthrough: on, or off and why; the files it serves now. */
void mfs_pt_status(struct vmm_buf *out)
{
	unsigned nb = 0;

	pthread_mutex_lock(&pt.lock);
	for (struct pt_backing *b = pt.backings; b; b = b->next)
		nb++;
	if (pt.on)
		vmm_buf_printf(out, "passthrough on\n");
	else
		vmm_buf_printf(out, "passthrough off: %s\n", pt.why);
	vmm_buf_printf(out, "open files %u\nbacking files %u\n", pt.nr_opens, nb);
	pthread_mutex_unlock(&pt.lock);
}
