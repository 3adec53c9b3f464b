// SPDX-License-Identifier: MIT
/*
 * Guest RAM of an attached QEMU (mtreefs(1), ATTACHING TO QEMU): fs/ram.c
 * cuts a request into pieces of our model's RAM blocks as for a machine of
 * its own, and the bytes of each piece come from (or go to) the same block
 * in QEMU, at the host address the block table says: QEMU's address of a
 * mapped byte (gpa2hva) minus its offset in the block, since a QEMU RAM
 * block is one mapping. The table is rebuilt with each model, under the
 * topology lock, and swapped under mem_lock.
 *
 * A block QEMU maps from a shared file (memory-backend-memfd, or
 * memory-backend-file with share=on; libvirt's memfd memoryBacking) is
 * mapped into the daemon too: its backing file is opened through
 * /proc/PID/map_files/START-END (root or CAP_SYS_ADMIN) and mapped
 * MAP_SHARED, read-only, at QEMU's file offset, so the daemon sees QEMU's
 * very pages and a read is answered with fuse_reply_data pointing into the
 * mapping: one copy (into the reader, by the kernel), as for anonymous RAM
 * of a machine of its own, instead of process_vm_readv into a buffer and
 * the copy out of it. Writes still go through /proc/PID/mem (the pages are
 * the same, so the mapping sees them). Anonymous RAM, which another process
 * cannot map, and a mapping that fails keep the copying path. Each mapping
 * is counted: the block table holds one reference, a read holds one while
 * the kernel copies out of it, and a rebuilt table takes the reference of
 * the same file range rather than mapping it again, so a mapping is
 * unmapped only when no table and no read uses it any more.
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmm/flatview.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "attach_priv.h"

/* QEMU's backing file of one block, mapped into the daemon. */
struct attach_map {
	atomic_uint refs;
	void *base;
	int fd;			/* QEMU's backing file, for FUSE passthrough */
	uint64_t len, foff;	/* the block's length and offset in the file */
	dev_t dev;
	ino_t ino;
};

static struct attach_map *map_ref(struct attach_map *m)
{
	if (m)
		atomic_fetch_add(&m->refs, 1);
	return m;
}

static void map_unref(struct attach_map *m)
{
	if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
		return;
	munmap(m->base, m->len);
	close(m->fd);
	free(m);
}

/* One line of QEMU's /proc/PID/maps: a shared mapping of a file. */
struct qmap {
	uint64_t start, end, off;
	char range[40];		/* START-END as map_files names it */
};

/* QEMU's shared file mappings, from /proc/PID/maps; -errno when unreadable. */
static int qmaps_read(struct qmap **out, size_t *nr)
{
	char path[40], line[512], perms[8];
	struct qmap *t = NULL, *nt;
	size_t n = 0, cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)vmm_qmp_pid(mfs_att->q));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct qmap q;
		unsigned long long ino;
		int pos = 0;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %llu%n", &q.start,
			   &q.end, perms, &q.off, &ino, &pos) < 5 || perms[3] != 's' || !ino)
			continue;	/* private or anonymous: nothing the daemon can map */
		snprintf(q.range, sizeof(q.range), "%.*s", (int)strcspn(line, " "), line);
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			if (!(nt = realloc(t, cap * sizeof(*t))))
				break;
			t = nt;
		}
		t[n++] = q;
	}
	fclose(f);
	*out = t;
	*nr = n;
	return 0;
}

/*
 * The mapping of QEMU's block at @hva, @len long: the old table's one when
 * it maps the same file range, else a new mapping; NULL when QEMU's
 * mapping is not a shared file one or the daemon may not open it.
 */
static struct attach_map *map_block(const struct qmap *qm, size_t nq, uint64_t hva, uint64_t len)
{
	const struct qmap *q = NULL;
	struct attach_map *m;
	char path[80];
	struct stat st;
	uint64_t foff;
	void *base;
	int fd;

	for (size_t i = 0; i < nq && !q; i++)
		if (qm[i].start <= hva && hva < qm[i].end && len <= qm[i].end - hva)
			q = &qm[i];
	if (!q || !len)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%s", (int)vmm_qmp_pid(mfs_att->q),
		 q->range);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	foff = q->off + (hva - q->start);
	/* a file shorter than the block would fault the reads past its end */
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < foff + len) {
		close(fd);
		return NULL;
	}
	for (size_t i = 0; i < mfs_att->nr_blk; i++) {
		m = mfs_att->blk[i].map;
		if (m && m->dev == st.st_dev && m->ino == st.st_ino && m->foff == foff &&
		    m->len == len) {
			close(fd);
			return map_ref(m);
		}
	}
	base = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)foff);
	if (base == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		munmap(base, len);
		close(fd);
		return NULL;
	}
	atomic_init(&m->refs, 1);
	m->fd = fd;
	m->base = base;
	m->len = len;
	m->foff = foff;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	return m;
}

/* The block table of the machine's current model (topology lock held). */
static int blk_table(struct vmm_machine *mc, struct attach_blk **out, size_t *nr)
{
	struct vmm_flatview *fv = mc->memory_as ? vmm_as_get_flatview(mc->memory_as) : NULL;
	struct attach_blk *t = calloc(fv ? fv->nr + 1 : 1, sizeof(*t));
	struct qmap *qm = NULL;
	size_t n = 0, nq = 0;

	if (!t) {
		if (fv)
			vmm_flatview_unref(fv);
		return -ENOMEM;
	}
	qmaps_read(&qm, &nq);	/* unreadable: every block is copied */
	for (size_t i = 0; fv && i < fv->nr; i++) {
		const struct vmm_flat_range *fr = vmm_flatview_range(fv, i);
		const struct vmm_ramblock *rb = fr->mr->rb;
		const struct vmm_qemu_mem_range *qr = NULL;
		uint64_t gpa = (uint64_t)fr->start, boff;
		size_t j, k;

		if (!rb || !rb->host || !vmm_mr_reads_ram(fr->mr, fr->romd_mode))
			continue;
		for (k = 0; k < n && t[k].rb != rb; k++)
			;
		for (j = 0; k == n && (qr = vmm_qemu_mem_range(mfs_att->mem, j)); j++)
			if (gpa >= qr->gpa && gpa - qr->gpa < qr->size)
				break;
		if (k < n || !qr)
			continue;	/* known, or QEMU maps no RAM there */
		boff = (uint64_t)((char *)vmm_flat_range_host(fr, fr->start) - (char *)rb->host);
		t[n].rb = rb;
		t[n].hva = qr->hva + (gpa - qr->gpa) - boff;
		t[n].len = rb->max_length;
		t[n].writable = qr->writable;
		t[n].map = map_block(qm, nq, t[n].hva, t[n].len);
		n++;
	}
	free(qm);
	if (fv)
		vmm_flatview_unref(fv);
	*out = t;
	*nr = n;
	return 0;
}

/* Swap in the new block table (topology lock held). */
void attach_blk_swap(struct vmm_machine *mc)
{
	struct attach_blk *t, *old;
	size_t n, old_n;

	if (blk_table(mc, &t, &n) < 0)
		return;		/* keep the old table: reads of new blocks fail with EIO */
	pthread_rwlock_wrlock(&mfs_att->mem_lock);
	old = mfs_att->blk;
	old_n = mfs_att->nr_blk;
	mfs_att->blk = t;
	mfs_att->nr_blk = n;
	pthread_rwlock_unlock(&mfs_att->mem_lock);
	/* a read still copying out of a retired mapping holds its own reference */
	for (size_t i = 0; i < old_n; i++)
		map_unref(old[i].map);
	free(old);
}

void attach_blk_free(void)
{
	for (size_t i = 0; i < mfs_att->nr_blk; i++)
		map_unref(mfs_att->blk[i].map);
	free(mfs_att->blk);
	mfs_att->blk = NULL;
	mfs_att->nr_blk = 0;
}

bool attach_hva_shared(uint64_t hva)
{
	for (size_t i = 0; i < mfs_att->nr_blk; i++)
		if (hva >= mfs_att->blk[i].hva && hva - mfs_att->blk[i].hva < mfs_att->blk[i].len)
			return mfs_att->blk[i].map != NULL;
	return false;
}

/**
 * mfs_attach_host_addr() - QEMU's host address for one of our model's
 * @local: an address inside a RAM block of the current model (topology lock held)
 *
 * Return: where QEMU keeps that byte, or @local when not attached or unknown.
 */
uint64_t mfs_attach_host_addr(uint64_t local)
{
	uint64_t hva = local;

	if (!mfs_att)
		return local;
	pthread_rwlock_rdlock(&mfs_att->mem_lock);
	for (size_t i = 0; i < mfs_att->nr_blk; i++) {
		uint64_t base = (uint64_t)(uintptr_t)mfs_att->blk[i].rb->host;

		if (local >= base && local - base < mfs_att->blk[i].rb->max_length) {
			hva = mfs_att->blk[i].hva + (local - base);
			break;
		}
	}
	pthread_rwlock_unlock(&mfs_att->mem_lock);
	return hva;
}

/* mem_lock read-held */
static const struct attach_blk *blk_find(const struct vmm_ramblock *rb)
{
	for (size_t i = 0; i < mfs_att->nr_blk; i++)
		if (mfs_att->blk[i].rb == rb)
			return &mfs_att->blk[i];
	return NULL;
}

/**
 * mfs_attach_block_fd() - QEMU's backing file of @rb, for passthrough
 * @rb: a RAM block of the current model
 * @size: the ram file's size
 *
 * Only a block the daemon maps from its file's offset 0, with the file
 * exactly @size long, qualifies: the kernel reads file offset N at backing
 * offset N and would read past the block in a longer file.
 *
 * Return: a new descriptor (the caller closes it), or -ENOENT.
 */
int mfs_attach_block_fd(const struct vmm_ramblock *rb, uint64_t size)
{
	const struct attach_blk *b;
	struct stat st;
	int fd = -ENOENT;

	if (!mfs_att)
		return -ENOENT;
	pthread_rwlock_rdlock(&mfs_att->mem_lock);
	b = blk_find(rb);
	if (b && b->map && b->map->foff == 0 && b->map->len == size &&
	    !fstat(b->map->fd, &st) && (uint64_t)st.st_size == size)
		fd = fcntl(b->map->fd, F_DUPFD_CLOEXEC, 0);
	pthread_rwlock_unlock(&mfs_att->mem_lock);
	return fd < 0 ? -ENOENT : fd;
}

/* ---- guest RAM ---- */

/*
 * Copy the pieces in order, stopping at the first that fails: a block QEMU
 * maps nowhere (we cannot locate it), or a write to ROM. Returns the bytes done.
 */
static size_t copy_pieces(const struct mfs_attach_piece *p, unsigned n, char *buf, bool write,
			  int *first_err)
{
	struct vmm_qemu_mem *m = mfs_att->mem;
	struct vmm_err err;
	size_t done = 0;

	*first_err = 0;
	pthread_rwlock_rdlock(&mfs_att->mem_lock);
	for (unsigned i = 0; i < n; i++) {
		const struct attach_blk *b = blk_find(p[i].rb);
		uint64_t off = (uint64_t)((const char *)p[i].host - (const char *)p[i].rb->host);
		int r;

		if (!b || off + p[i].len > p[i].rb->max_length) {
			*first_err = -EIO;
			break;
		}
		if (write && !b->writable) {
			*first_err = -EROFS;
			break;
		}
		if (write)
			r = vmm_qemu_mem_write_host(m, b->hva + off, buf + done, p[i].len, &err);
		else
			r = vmm_qemu_mem_read_host(m, b->hva + off, buf + done, p[i].len, &err);
		if (r) {
			*first_err = -EIO;
			break;
		}
		done += p[i].len;
	}
	pthread_rwlock_unlock(&mfs_att->mem_lock);
	return done;
}

/*
 * Each FUSE thread keeps its read buffer: a fresh 1 MiB malloc is a fresh
 * mmap whose pages fault in on every request. It is page-aligned: the
 * kernel copies QEMU's pages into a buffer that is not about 6x slower
 * (measured: 1.9 vs 11 GiB/s for 1 MiB process_vm_readv).
 */
static pthread_key_t buf_key;
static pthread_once_t buf_once = PTHREAD_ONCE_INIT;

struct tbuf {
	size_t cap;
	void *data;
};

static void tbuf_free(void *p)
{
	struct tbuf *b = p;

	if (b)
		free(b->data);
	free(b);
}

static void buf_key_make(void)
{
	pthread_key_create(&buf_key, tbuf_free);
}

static char *thread_buf(size_t len)
{
	size_t cap = len > MFS_IO_MAX ? len : MFS_IO_MAX;
	struct tbuf *b;

	pthread_once(&buf_once, buf_key_make);
	b = pthread_getspecific(buf_key);
	if (b && b->cap >= len)
		return b->data;
	if (!b && !(b = calloc(1, sizeof(*b))))
		return NULL;
	free(b->data);
	b->cap = 0;
	if (posix_memalign(&b->data, 4096, cap))
		b->data = NULL;
	else
		b->cap = cap;
	pthread_setspecific(buf_key, b);
	return b->data;
}

/*
 * One piece in a block the daemon maps: reply from the mapping, holding a
 * reference while the kernel copies out of it (writev on /dev/fuse, where a
 * page gone from a truncated file is EFAULT, not SIGBUS). Several pieces
 * are copied instead: libfuse would gather them with memcpy in the daemon,
 * a second copy and one that such a page would kill. False: not replied.
 */
static bool reply_mapped(fuse_req_t req, const struct mfs_attach_piece *p, unsigned n)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(p->len);
	struct attach_map *held = NULL;
	const struct attach_blk *b;
	uint64_t off;

	if (n != 1)
		return false;
	off = (uint64_t)((const char *)p->host - (const char *)p->rb->host);
	pthread_rwlock_rdlock(&mfs_att->mem_lock);
	b = blk_find(p->rb);
	if (b && b->map && off <= b->map->len && p->len <= b->map->len - off) {
		held = map_ref(b->map);
		bv.buf[0].mem = (char *)held->base + off;
	}
	pthread_rwlock_unlock(&mfs_att->mem_lock);
	if (!held)
		return false;
	fuse_reply_data(req, &bv, 0);
	map_unref(held);
	return true;
}

void mfs_attach_read(fuse_req_t req, struct mfs *fs, const struct mfs_attach_piece *p,
		     unsigned n)
{
	size_t total = 0, done;
	char *buf;
	int e;

	if (reply_mapped(req, p, n))
		return;

	for (unsigned i = 0; i < n; i++)
		total += p[i].len;
	buf = thread_buf(total);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	done = copy_pieces(p, n, buf, false, &e);
	if (done || !e)
		fuse_reply_buf(req, buf, done);
	else
		fuse_reply_err(req, -e);
}

static void log_refusal(struct mfs *fs, const struct mfs_row *row, const char *key,
			struct vmm_err *err)
{
	struct vmm_buf path;

	vmm_buf_init(&path);
	mfs_path_of(row, key, &path);
	mfs_errlog_add(fs, path.data ? path.data : "?", "write", 5, err);
	vmm_buf_free(&path);
}

void mfs_attach_write(fuse_req_t req, struct mfs *fs, const struct mfs_row *row, const char *key,
		      const struct mfs_attach_piece *p, unsigned n, const char *buf, size_t size)
{
	struct vmm_err err;
	size_t done;
	int e;

	vmm_err_clear(&err);
	if (!mfs_att->o.writable) {
		vmm_err_set(&err, -EROFS, "guest RAM of an attached QEMU is read-only unless "
			    "mounted with --writable-ram");
		log_refusal(fs, row, key, &err);
		fuse_reply_err(req, EROFS);
		return;
	}
	done = copy_pieces(p, n, (char *)buf, true, &e);
	if (done || size == 0)
		fuse_reply_write(req, done);
	else
		fuse_reply_err(req, e ? -e : EIO);
}
