// SPDX-License-Identifier: MIT
/*
 * ramblocks/: the RAM blocks, one directory per block, named by its escaped
 * idstr, with QEMU's RAMBlock fields, a link to its region, how much of it
 * is resident (mincore(2)), the lines of /proc/self/maps that back it, and a
 * ram file that reads the block directly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "files.h"

static MFS_LIST(l_rb)
{
	for (struct vmm_ramblock *rb = vmm_ramlist_first(vmm_memory_ramlist(fs->mem)); rb;
	     rb = rb->next)
		mfs_list_escaped(cb, arg, rb->idstr);
	return 0;
}

static MFS_FIND(f_rb) { return mfs_ramblock(fs, key) ? 0 : -ENOENT; }

#define RB_NUM(fn, fmt, expr) static MFS_RENDER(fn) { \
	struct vmm_ramblock *rb = mfs_ramblock(fs, key); \
	if (!rb) \
		return -ENOENT; \
	vmm_buf_printf(out, fmt "\n", expr); \
	return 0; \
}

RB_NUM(r_rb_offset, "0x%" PRIx64, rb->offset)
RB_NUM(r_rb_used, "0x%" PRIx64, rb->used_length)
RB_NUM(r_rb_max, "0x%" PRIx64, rb->max_length)
RB_NUM(r_rb_page_size, "0x%" PRIx64, rb->page_size)
RB_NUM(r_rb_host, "0x%" PRIxPTR, (uintptr_t)rb->host)
RB_NUM(r_rb_fd, "%d", rb->fd)
RB_NUM(r_rb_flags, "0x%x", rb->flags)

static MFS_PRESENT(p_rb_region)
{
	struct vmm_ramblock *rb = mfs_ramblock(fs, key);

	return rb && rb->mr;
}

static MFS_RENDER(r_rb_region)
{
	struct vmm_ramblock *rb = mfs_ramblock(fs, key);

	if (!rb || !rb->mr)
		return -ENOENT;
	vmm_buf_puts(out, "../../regions/");
	mfs_escape(rb->mr->id, out);
	return 0;
}

/* Bytes of the used length that are resident in host memory right now. */
static MFS_RENDER(r_rb_resident)
{
	struct vmm_ramblock *rb = mfs_ramblock(fs, key);
	size_t page = (size_t)sysconf(_SC_PAGESIZE), pages;
	uint64_t resident = 0;
	unsigned char *vec;

	if (!rb)
		return -ENOENT;
	pages = (rb->used_length + page - 1) / page;
	vec = malloc(pages ? pages : 1);
	if (!vec)
		return -ENOMEM;
	if (pages && mincore(rb->host, rb->used_length, vec) < 0) {
		int rc = -errno;

		free(vec);
		return rc;
	}
	for (size_t i = 0; i < pages; i++)
		resident += vec[i] & 1;
	free(vec);
	vmm_buf_printf(out, "0x%" PRIx64 "\n", resident * page);
	return 0;
}

/* The lines of /proc/self/maps that overlap the block's reservation. */
static MFS_RENDER(r_rb_maps)
{
	struct vmm_ramblock *rb = mfs_ramblock(fs, key);
	uintptr_t lo, hi, s, e;
	char line[512];
	size_t len;
	FILE *f;

	if (!rb)
		return -ENOENT;
	vmm_ramblock_extent(rb, &lo, &len);
	hi = lo + len;
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &s, &e) == 2 && s < hi && e > lo)
			vmm_buf_puts(out, line);
	fclose(f);
	return 0;
}

const struct mfs_row mfs_ramblock_rows[] = {
	{ .pattern = "ramblocks", .mode = DIR_ },
	{ .pattern = "ramblocks/*", .mode = DIR_, .list = l_rb, .find = f_rb },
	{ .pattern = "ramblocks/*/offset", .mode = RO, .render = r_rb_offset },
	{ .pattern = "ramblocks/*/used_length", .mode = RO, .render = r_rb_used },
	{ .pattern = "ramblocks/*/max_length", .mode = RO, .render = r_rb_max },
	{ .pattern = "ramblocks/*/page_size", .mode = RO, .render = r_rb_page_size },
	{ .pattern = "ramblocks/*/host", .mode = RO, .render = r_rb_host },
	{ .pattern = "ramblocks/*/fd", .mode = RO, .render = r_rb_fd },
	{ .pattern = "ramblocks/*/flags", .mode = RO, .render = r_rb_flags },
	{ .pattern = "ramblocks/*/region", .mode = LNK, .present = p_rb_region, .render = r_rb_region },
	{ .pattern = "ramblocks/*/resident", .mode = RO, .flags = MFS_BIG, .render = r_rb_resident },
	{ .pattern = "ramblocks/*/maps", .mode = RO, .flags = MFS_BIG, .render = r_rb_maps },
	{ .pattern = "ramblocks/*/ram", .mode = PRIV, .ram = mfs_ram_ramblock },
	{ .pattern = NULL }
};
