// SPDX-License-Identifier: MIT
/*
 * The ram files: guest memory read and written straight through the host
 * mapping. Under the topology lock a file is resolved into a view (a flat
 * view it holds a reference on, or a RAM block) and the request is cut into
 * pieces: RAM-backed data (a RAM block reference is taken on each, so the
 * mapping outlives any edit made once the lock is dropped), io ranges and
 * holes. The copy itself runs without the lock: a read replies with pointers
 * into the mapping, a write copies in and then marks the pages dirty for
 * KVM's log. Device callbacks never run: a read stops short at io or a hole
 * and fails with EIO there; SEEK_DATA and SEEK_HOLE skip what is not RAM.
 * This file serves the whole of a ram file: its size, read, write and seek.
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fuse_lowlevel.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vmm/flatview.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "attach.h"
#include "mtreefs.h"
#include "ram_priv.h"

#define OFF_MAX ((uint64_t)INT64_MAX)

/**
 * struct mfs_view - a ram file resolved under the topology lock
 * @fv:   flat view the file reads through (a reference), or NULL
 * @base: offset of file offset 0 inside @fv's address space, or inside @rb
 * @rb:   RAM block the file reads directly (no reference: valid under the lock)
 * @size: file size
 * @io:   the whole object is an io region (every read is EIO)
 */
struct mfs_view {
	struct vmm_flatview *fv;
	struct vmm_ramblock *rb;
	uint64_t base;
	uint64_t size;
	bool io;
};

enum mfs_seg_type { MFS_SEG_DATA, MFS_SEG_IO, MFS_SEG_HOLE, MFS_SEG_END };

/**
 * struct mfs_seg - one piece of a ram file at some offset
 * @host: host address (DATA only)
 * @len:  bytes to the end of the piece
 * @rb:   RAM block holding @host (a reference once taken by view_segs)
 * @ro_fd: backed by a read-only file (host writes impossible)
 */
struct mfs_seg {
	enum mfs_seg_type type;
	void *host;
	uint64_t len;
	struct vmm_ramblock *rb;
	bool ro_fd;
};

static void view_release(struct mfs_view *v)
{
	if (v->fv)
		vmm_flatview_unref(v->fv);
	v->fv = NULL;
}

static uint64_t clamp_size(vmm_u128 size)
{
	return size > OFF_MAX ? OFF_MAX : (uint64_t)size;
}

static int probe_fv(const struct vmm_flatview *fv, uint64_t addr, uint64_t left,
		    struct mfs_seg *s)
{
	ssize_t i = vmm_flatview_lookup(fv, addr);
	const struct vmm_flat_range *fr;
	vmm_u128 end;

	if (i < 0) {
		size_t n = vmm_flatview_lower_bound(fv, addr);

		s->type = MFS_SEG_HOLE;
		s->len = left;
		if (n < fv->nr && vmm_flatview_range(fv, n)->start - addr < left)
			s->len = (uint64_t)(vmm_flatview_range(fv, n)->start - addr);
		return 0;
	}
	fr = vmm_flatview_range(fv, i);
	end = fr->start + fr->size;
	s->len = end - addr < left ? (uint64_t)(end - addr) : left;
	if (!vmm_mr_reads_ram(fr->mr, fr->romd_mode)) {
		s->type = MFS_SEG_IO;
		return 0;
	}
	s->type = MFS_SEG_DATA;
	s->rb = fr->mr->rb;
	s->ro_fd = fr->mr->rb->flags & VMM_RB_READONLY_FD;
	s->host = vmm_flat_range_host(fr, addr);
	return s->host ? 0 : -EIO;
}

/**
 * view_probe() - what lies at @off of a resolved ram file
 * @v: the view (topology lock held)
 * @off: file offset
 * @s: (out) the piece starting at @off; MFS_SEG_END at or beyond the end
 *
 * Return: 0 or -EIO when the model is inconsistent.
 */
static int view_probe(const struct mfs_view *v, uint64_t off, struct mfs_seg *s)
{
	memset(s, 0, sizeof(*s));
	if (off >= v->size) {
		s->type = MFS_SEG_END;
		return 0;
	}
	if (v->io) {
		s->type = MFS_SEG_IO;
		s->len = v->size - off;
		return 0;
	}
	if (v->fv)
		return probe_fv(v->fv, v->base + off, v->size - off, s);
	s->type = MFS_SEG_DATA;
	s->rb = v->rb;
	s->ro_fd = v->rb->flags & VMM_RB_READONLY_FD;
	s->host = (char *)v->rb->host + v->base + off;
	s->len = v->size - off;
	return 0;
}

static void segs_release(struct mfs_seg *segs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (segs[i].type == MFS_SEG_DATA && segs[i].rb)
			vmm_ramblock_unref(segs[i].rb);
}

/**
 * view_segs() - cut [@off, @off+@len) of a view into pieces
 * @v: the view (topology lock held)
 * @off, @len: the request
 * @segs: (out) up to @max pieces; data pieces hold a RAM block reference
 * @max: capacity of @segs
 *
 * Gathering stops after the first piece that is not data, so the caller
 * copies the data pieces and reports an io piece or hole that follows them.
 * Return: number of pieces (0 at end of file) or -errno.
 */
static int view_segs(const struct mfs_view *v, uint64_t off, uint64_t len, struct mfs_seg *segs,
		     unsigned max)
{
	unsigned n = 0;

	while (len && n < max) {
		struct mfs_seg *s = &segs[n];
		int rc = view_probe(v, off, s);

		if (rc < 0) {
			segs_release(segs, n);
			return rc;
		}
		if (s->type == MFS_SEG_END)
			break;
		if (s->len > len)
			s->len = len;
		n++;
		if (s->type != MFS_SEG_DATA)
			break;
		vmm_ramblock_ref(s->rb);
		off += s->len;
		len -= s->len;
	}
	return (int)n;
}

static void view_of_fv(struct mfs_view *v, struct vmm_flatview *fv, uint64_t base, uint64_t size)
{
	v->fv = fv;
	v->base = base;
	v->size = size;
}

/* The end of the last range: an address space's file is as long as what is mapped. */
static uint64_t fv_extent(const struct vmm_flatview *fv)
{
	const struct vmm_flat_range *last = fv->nr ? vmm_flatview_range(fv, fv->nr - 1) : NULL;

	return last ? clamp_size(last->start + last->size) : 0;
}

int mfs_ram_as(struct mfs *fs, const char *key, struct mfs_view *v)
{
	struct vmm_as *as = mfs_as(fs, key);
	struct vmm_flatview *fv;

	if (!as)
		return -ENOENT;
	fv = vmm_as_get_flatview(as);
	if (!fv)
		return -ENOMEM;
	view_of_fv(v, fv, 0, fv_extent(fv));
	return 0;
}

/* A container reads through the flat view of an address space rooted at it, or a fresh render. */
static int container_view(struct mfs *fs, struct vmm_mr *mr, uint64_t base, uint64_t size,
			  struct mfs_view *v)
{
	struct vmm_flatview *fv = NULL;

	for (struct vmm_as *as = vmm_memory_first_as(fs->mem); as && !fv; as = as->next)
		if (as->root == mr)
			fv = vmm_as_get_flatview(as);
	if (!fv) {
		fv = vmm_flatview_render(mr);
		if (!fv)
			return -ENOMEM;
		/* Rendering starts from the region's own addr, as QEMU's does. */
		base += mr->addr;
	}
	view_of_fv(v, fv, base, size);
	return 0;
}

static int region_view(struct mfs *fs, struct vmm_mr *mr, uint64_t base, uint64_t size,
		       struct mfs_view *v)
{
	for (unsigned depth = 0; mr->type == VMM_MR_ALIAS; depth++) {
		if (depth > 64 || !mr->alias)
			return -ELOOP;
		base += mr->alias_offset;
		mr = mr->alias;
	}
	switch (mr->type) {
	case VMM_MR_CONTAINER:
		return container_view(fs, mr, base, size, v);
	case VMM_MR_IO:
		v->io = true;
		v->size = size;
		return 0;
	default:
		if (!mr->rb || !mr->rb->host)
			return -EIO;
		v->rb = mr->rb;
		v->base = base;
		/* Bytes past the block's used length (a shrunk resizeable block) are not there. */
		v->size = base >= mr->rb->used_length ? 0 :
			  (size < mr->rb->used_length - base ? size : mr->rb->used_length - base);
		return 0;
	}
}

int mfs_ram_region(struct mfs *fs, const char *key, struct mfs_view *v)
{
	struct vmm_mr *mr = mfs_mr(fs, key);

	if (!mr)
		return -ENOENT;
	return region_view(fs, mr, 0, clamp_size(mr->size), v);
}

int mfs_ram_range(struct mfs *fs, const char *key, struct mfs_view *v)
{
	struct vmm_flatview *fv;
	const struct vmm_flat_range *fr = mfs_range(fs, key, &fv);

	if (!fr)
		return -ENOENT;
	vmm_flatview_ref(fv);
	view_of_fv(v, fv, (uint64_t)fr->start, clamp_size(fr->size));
	return 0;
}

int mfs_ram_memslot(struct mfs *fs, const char *key, struct mfs_view *v)
{
	const struct vmm_memslot *s = mfs_memslot(fs, key);
	struct vmm_flatview *fv;

	if (!s || !fs->mc->memory_as)
		return -ENOENT;
	/* The slot's memory is what the "memory" address space maps at its gpa. */
	fv = vmm_as_get_flatview(fs->mc->memory_as);
	if (!fv)
		return -ENOMEM;
	view_of_fv(v, fv, s->gpa, s->size);
	return 0;
}

int mfs_ram_ramblock(struct mfs *fs, const char *key, struct mfs_view *v)
{
	struct vmm_ramblock *rb = mfs_ramblock(fs, key);

	if (!rb || !rb->host)
		return -ENOENT;
	v->rb = rb;
	v->base = 0;
	v->size = rb->used_length;
	return 0;
}

/* ---- requests on an open ram file ---- */

/**
 * mfs_ram_bind() - remember the object of a ram file being opened
 * @fs: filesystem
 * @row, @key: the file
 * @out: (out) the binding (fs/ram_bind.c), or NULL for the files that follow
 *       their key: those of address spaces, flat ranges and memslots, which
 *       are views of the topology rather than objects
 *
 * Return: 0, -ENOENT when the object is gone already, -ENOMEM.
 */
int mfs_ram_bind(struct mfs *fs, const struct mfs_row *row, const char *key,
		 struct mfs_ram_bind **out)
{
	*out = NULL;
	if (row->ram == mfs_ram_region)
		return mfs_ram_bind_mr(fs, key, out);
	if (row->ram == mfs_ram_ramblock)
		return mfs_ram_bind_rb(fs, key, out);
	return 0;
}

/*
 * Resolve a ram file, run @fn on the view under the lock, then drop the view.
 * A file bound to an object whose key now names another object, or nothing,
 * is ESTALE for good.
 */
static int with_view(struct mfs *fs, const struct mfs_row *row, const char *key,
		     const struct mfs_ram_bind *b, int (*fn)(struct mfs_view *v, void *arg),
		     void *arg)
{
	struct mfs_view v = { 0 };
	int rc;

	pthread_mutex_lock(&fs->mc->lock);
	rc = mfs_ram_bound_to(fs, b, key) ? row->ram(fs, key, &v) : -ESTALE;
	if (rc == 0)
		rc = fn(&v, arg);
	pthread_mutex_unlock(&fs->mc->lock);
	view_release(&v);
	return rc;
}

static int view_size(struct mfs_view *v, void *arg)
{
	*(uint64_t *)arg = v->size;
	return 0;
}

/* Passthrough (fs/passthrough.c) serves a file that is one RAM block from its offset 0. */
struct whole {
	struct vmm_ramblock *rb;
	uint64_t size;
};

static int view_whole_block(struct mfs_view *v, void *arg)
{
	struct whole *w = arg;

	w->size = v->size;
	w->rb = v->rb && !v->fv && !v->io && v->base == 0 ? v->rb : NULL;
	if (w->rb)
		vmm_ramblock_ref(w->rb);
	return 0;
}

struct vmm_ramblock *mfs_ram_whole_block(struct mfs *fs, const struct mfs_row *row,
					 const char *key, uint64_t *size)
{
	struct whole w = { 0 };

	if (with_view(fs, row, key, NULL, view_whole_block, &w) < 0)
		return NULL;
	*size = w.size;
	return w.rb;
}

/* The size of the ram file (@row, @key): what getattr reports. */
int mfs_ram_size(struct mfs *fs, const struct mfs_row *row, const char *key, uint64_t *size)
{
	return with_view(fs, row, key, NULL, view_size, size);
}

struct span {
	uint64_t off, len;
	struct mfs_seg segs[MFS_SEGS_MAX];
	int n;
};

static int span_segs(struct mfs_view *v, void *arg)
{
	struct span *sp = arg;

	sp->n = view_segs(v, sp->off, sp->len, sp->segs, MFS_SEGS_MAX);
	return sp->n < 0 ? sp->n : 0;
}

static unsigned data_segs(const struct span *sp)
{
	unsigned d = 0;

	while (d < (unsigned)sp->n && sp->segs[d].type == MFS_SEG_DATA)
		d++;
	return d;
}

/* An attached QEMU: the data pieces are copied from or to its memory (fs/attach.c). */
static void attach_io(fuse_req_t req, struct mfs *fs, const struct mfs_row *row, const char *key,
		      const struct span *sp, unsigned d, const char *buf, size_t size)
{
	struct mfs_attach_piece p[MFS_SEGS_MAX];

	for (unsigned i = 0; i < d; i++)
		p[i] = (struct mfs_attach_piece){ sp->segs[i].rb, sp->segs[i].host,
						  sp->segs[i].len };
	if (buf)
		mfs_attach_write(req, fs, row, key, p, d, buf, size);
	else
		mfs_attach_read(req, fs, p, d);
}

/* Guest memory goes out without an extra copy: the reply points into the mapping. */
void mfs_ram_read_bound(fuse_req_t req, struct mfs *fs, const struct mfs_row *row,
			const char *key, const struct mfs_ram_bind *b, size_t size, off_t off)
{
	struct span sp = { .off = (uint64_t)off, .len = size };
	/* On the stack: a small read's cost is round trips, not worth a malloc too. */
	struct {
		struct fuse_bufvec bv;
		struct fuse_buf more[MFS_SEGS_MAX - 1];
	} vec = { 0 };
	struct fuse_bufvec *bv = &vec.bv;
	unsigned d;
	int rc = with_view(fs, row, key, b, span_segs, &sp);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	d = data_segs(&sp);
	if (sp.n == 0) {
		fuse_reply_buf(req, NULL, 0);
	} else if (d == 0) {
		fuse_reply_err(req, EIO);
	} else if (mfs_attached()) {
		attach_io(req, fs, row, key, &sp, d, NULL, 0);
	} else {
		bv->count = d;
		for (unsigned i = 0; i < d; i++) {
			bv->buf[i].mem = sp.segs[i].host;
			bv->buf[i].size = sp.segs[i].len;
			bv->buf[i].fd = -1;
		}
		fuse_reply_data(req, bv, 0);
	}
	segs_release(sp.segs, (unsigned)(sp.n > 0 ? sp.n : 0));
}

/*
 * Copy into guest memory without risking SIGBUS: a file or memfd behind the
 * block may have been truncated, or its filesystem may be full, and then a
 * store through the mapping kills the whole daemon. The kernel does the copy
 * instead (as it does for reads, which go out through writev on /dev/fuse)
 * and reports such a page as EFAULT. Where process_vm_writev is not allowed
 * (a seccomp filter), a plain copy is the only way left.
 * Return: bytes copied (short at a bad page) or -errno when none were.
 */
static ssize_t host_store(void *dst, const void *src, size_t len)
{
	struct iovec local = { (void *)src, len }, remote = { dst, len };
	ssize_t n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);

	if (n >= 0)
		return n;
	if (errno != ENOSYS && errno != EPERM)
		return -errno;
	memcpy(dst, src, len);
	return (ssize_t)len;
}

/* Why a page of @s could not be written: the backing file is too short, or its filesystem full. */
static int store_error(const struct mfs_seg *s, uint64_t done, struct vmm_err *err)
{
	uint64_t at = (uint64_t)((char *)s->host - (char *)s->rb->host) + done;
	struct statvfs sv;
	struct stat st;

	if (s->rb->fd < 0)
		return vmm_err_set(err, -EIO, "RAM block %s: page at 0x%" PRIx64 " cannot be "
				   "written", s->rb->idstr, at);
	if (fstat(s->rb->fd, &st) == 0 && (uint64_t)st.st_size <= at)
		return vmm_err_set(err, -EIO, "RAM block %s: its backing file ends at 0x%" PRIx64
				   " (truncated?), the page at 0x%" PRIx64 " is gone",
				   s->rb->idstr, (uint64_t)st.st_size, at);
	if (fstatvfs(s->rb->fd, &sv) == 0 && sv.f_bavail == 0)
		return vmm_err_set(err, -ENOSPC, "RAM block %s: no space left for the page at 0x%"
				   PRIx64 " on its backing filesystem", s->rb->idstr, at);
	return vmm_err_set(err, -EIO, "RAM block %s: page at 0x%" PRIx64 " cannot be written "
			   "(backing store refused it)", s->rb->idstr, at);
}

static void log_store_error(struct mfs *fs, const struct mfs_row *row, const char *key,
			    size_t size, off_t off, const struct vmm_err *err)
{
	struct vmm_buf path;
	char what[80];
	int n;

	vmm_buf_init(&path);
	mfs_path_of(row, key, &path);
	n = snprintf(what, sizeof(what), "write of %zu bytes at 0x%llx", size,
		     (unsigned long long)off);
	mfs_errlog_add(fs, path.data ? path.data : "?", what, (size_t)n, err);
	vmm_buf_free(&path);
}

/* The host may write where the guest may not: ROM included; io and holes end the write. */
void mfs_ram_write_bound(fuse_req_t req, struct mfs *fs, const struct mfs_row *row,
			 const char *key, const struct mfs_ram_bind *b, const char *buf,
			 size_t size, off_t off)
{
	struct span sp = { .off = (uint64_t)off, .len = size };
	struct vmm_err err;
	size_t done = 0;
	unsigned d, i;
	ssize_t n = 0;
	int rc = with_view(fs, row, key, b, span_segs, &sp);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	vmm_err_clear(&err);
	d = data_segs(&sp);
	if (mfs_attached()) {
		attach_io(req, fs, row, key, &sp, d, buf, size);
		segs_release(sp.segs, (unsigned)sp.n);
		return;
	}
	for (i = 0; i < d && !sp.segs[i].ro_fd; i++) {
		n = host_store(sp.segs[i].host, buf + done, sp.segs[i].len);
		if (n > 0)
			done += (size_t)n;
		if (n != (ssize_t)sp.segs[i].len)
			break;
	}
	/* after the copy, so a log read in between cannot lose this write */
	for (size_t j = 0, left = done; left; j++) {
		size_t len = sp.segs[j].len < left ? sp.segs[j].len : left;

		vmm_machine_mark_dirty(fs->mc, sp.segs[j].host, len);
		left -= len;
	}
	/* a page that cannot be stored: the reply says so once nothing before it was */
	if (i < d && !sp.segs[i].ro_fd && n != (ssize_t)sp.segs[i].len && !done) {
		rc = n < 0 && n != -EFAULT ? vmm_err_set(&err, (int)n, "RAM block %s: %s",
							 sp.segs[i].rb->idstr, strerror((int)-n))
					   : store_error(&sp.segs[i], n > 0 ? (uint64_t)n : 0, &err);
		log_store_error(fs, row, key, size, off, &err);
	}
	segs_release(sp.segs, (unsigned)sp.n);
	if (done || size == 0)
		fuse_reply_write(req, done);
	else if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_err(req, sp.n == 0 ? ENOSPC : (d ? EACCES : EIO));
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
		int rc = view_probe(v, pos, &s);

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

/* SEEK_DATA and SEEK_HOLE in a ram file: holes and io ranges are not data. */
int mfs_ram_seek_bound(struct mfs *fs, const struct mfs_row *row, const char *key,
		       const struct mfs_ram_bind *b, off_t off, int whence, off_t *result)
{
	struct seek sk = { .off = (uint64_t)off, .whence = whence };
	int rc = with_view(fs, row, key, b, seek_view, &sk);

	*result = (off_t)sk.result;
	return rc;
}
