// SPDX-License-Identifier: MIT
/*
 * The ram files: guest memory read and written straight through the host
 * mapping. Under the topology lock a file is resolved into a view (a flat
 * view it holds a reference on, or a RAM block) and the request is cut into
 * pieces: RAM-backed data (a RAM block reference is taken on each, so the
 * mapping outlives any edit made once the lock is dropped), io ranges and
 * holes. The copy itself runs without the lock. Device callbacks never run:
 * a read stops short at io or a hole and fails with EIO there.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/flatview.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "mtreefs.h"

#define OFF_MAX ((uint64_t)INT64_MAX)

void mfs_view_release(struct mfs_view *v)
{
	if (v->fv)
		vmm_flatview_unref(v->fv);
	v->fv = NULL;
}

static uint64_t clamp_size(vmm_u128 size)
{
	return size > OFF_MAX ? OFF_MAX : (uint64_t)size;
}

/* A range reads from RAM when its leaf is ram/rom, or a ROM device in romd mode. */
static bool range_is_data(const struct vmm_flat_range *fr)
{
	if (!fr->mr->rb)
		return false;
	return fr->mr->type != VMM_MR_ROMD || fr->romd_mode;
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
	if (!range_is_data(fr)) {
		s->type = MFS_SEG_IO;
		return 0;
	}
	s->type = MFS_SEG_DATA;
	s->rb = fr->mr->rb;
	s->ro_fd = fr->mr->rb->flags & VMM_RB_READONLY_FD;
	s->host = vmm_mr_host(fr->mr, (uint64_t)(fr->offset_in_region + (addr - fr->start)));
	return s->host ? 0 : -EIO;
}

/**
 * mfs_view_probe() - what lies at @off of a resolved ram file
 * @v: the view (topology lock held)
 * @off: file offset
 * @s: (out) the piece starting at @off; MFS_SEG_END at or beyond the end
 *
 * Return: 0 or -EIO when the model is inconsistent.
 */
int mfs_view_probe(const struct mfs_view *v, uint64_t off, struct mfs_seg *s)
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

/**
 * mfs_view_segs() - cut [@off, @off+@len) of a view into pieces
 * @v: the view (topology lock held)
 * @off, @len: the request
 * @segs: (out) up to @max pieces; data pieces hold a RAM block reference
 * @max: capacity of @segs
 *
 * Gathering stops after the first piece that is not data, so the caller
 * copies the data pieces and reports an io piece or hole that follows them.
 * Return: number of pieces (0 at end of file) or -errno.
 */
int mfs_view_segs(const struct mfs_view *v, uint64_t off, uint64_t len, struct mfs_seg *segs,
		  unsigned max)
{
	unsigned n = 0;

	while (len && n < max) {
		struct mfs_seg *s = &segs[n];
		int rc = mfs_view_probe(v, off, s);

		if (rc < 0) {
			mfs_segs_release(segs, n);
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

void mfs_segs_release(struct mfs_seg *segs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (segs[i].type == MFS_SEG_DATA && segs[i].rb)
			vmm_ramblock_unref(segs[i].rb);
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
