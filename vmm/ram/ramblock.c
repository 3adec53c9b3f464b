// SPDX-License-Identifier: MIT
/*
 * RAM blocks, after QEMU 7.2's softmmu/physmem.c and util/mmap-alloc.c: the
 * host memory behind ram, rom and romd regions. A block gets an offset in the
 * ram_addr space and a place in the biggest-first list from ramlist.c, and
 * its host mapping is made the way qemu_ram_mmap() makes it: a PROT_NONE
 * reservation of size + align, the block mapped MAP_FIXED at the aligned
 * address inside, one PROT_NONE guard page kept after it, the rest returned.
 * Backends are anonymous private memory (QEMU's default), a memfd, or a file
 * (hugetlbfs files give the block their huge page size).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <vmm/path.h>

#include "ramlist_priv.h"

/* QEMU_VMALLOC_ALIGN on x86-64 Linux: host mappings start on a 2 MiB boundary. */
#define RAM_VMALLOC_ALIGN	(2ull << 20)
#define RAM_IDSTR_MAX		256	/* sizeof(RAMBlock.idstr) */
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC		0x958458f6
#endif

static uint64_t host_page_size(void)
{
	static uint64_t ps;

	if (!ps)
		ps = (uint64_t)sysconf(_SC_PAGESIZE);
	return ps;
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/*
 * qemu_ram_mmap(): reserve @size + @align bytes PROT_NONE, map the block at
 * the first @align boundary inside with MAP_FIXED, give back what precedes it
 * and what follows its guard page. Returns the block's address or MAP_FAILED.
 */
static void *ram_mmap(int fd, uint64_t size, uint64_t align, bool shared,
		      void **reserved, size_t *reserved_len)
{
	uint64_t guard = host_page_size(), total = size + align, head, tail;
	int flags = MAP_FIXED | (shared ? MAP_SHARED : MAP_PRIVATE);
	uint8_t *resv, *ptr;

	if (fd < 0)
		flags |= MAP_ANONYMOUS;
	resv = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (resv == MAP_FAILED)
		return MAP_FAILED;
	head = round_up((uint64_t)(uintptr_t)resv, align) - (uint64_t)(uintptr_t)resv;
	ptr = mmap(resv + head, size, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (ptr == MAP_FAILED) {
		int e = errno;

		munmap(resv, total);
		errno = e;
		return MAP_FAILED;
	}
	if (head)
		munmap(resv, head);
	tail = total - head;
	if (tail > size + guard)
		munmap(ptr + size + guard, tail - size - guard);
	*reserved = ptr;
	*reserved_len = size + guard;
	return ptr;
}

/* file:PATH — an existing file keeps its contents; a directory gets an unlinked temp file. */
static int file_open(const char *path, struct vmm_err *err)
{
	char tmpl[PATH_MAX];
	int fd, e;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	e = errno;
	if (e == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		e = errno;
	} else if (e == EISDIR) {
		if (snprintf(tmpl, sizeof(tmpl), "%s/mtreefs_XXXXXX", path) >= (int)sizeof(tmpl))
			return vmm_err_set(err, -ENAMETOOLONG, "%s: path too long", path);
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0) {
			unlink(tmpl);
			return fd;
		}
		e = errno;
	}
	return vmm_err_set(err, -e, "cannot open backing file %s: %s", path, strerror(e));
}

/*
 * Size the backing file: QEMU truncates only an empty file (an existing one
 * keeps its data) and refuses one smaller than the block.
 */
static int file_size_check(struct vmm_ramblock *rb, uint64_t map_len, struct vmm_err *err)
{
	struct stat st;

	if (fstat(rb->fd, &st) < 0)
		return vmm_err_set(err, -errno, "fstat %s: %s", rb->path, strerror(errno));
	if (st.st_size > 0 && (uint64_t)st.st_size < rb->max_length)
		return vmm_err_set(err, -EINVAL,
				   "backing store size 0x%llx does not match size 0x%llx",
				   (unsigned long long)st.st_size,
				   (unsigned long long)rb->max_length);
	if (st.st_size == 0 && ftruncate(rb->fd, (off_t)map_len) < 0)
		return vmm_err_set(err, -errno, "ftruncate %s: %s", rb->path, strerror(errno));
	return 0;
}

/* qemu_fd_getpagesize(): hugetlbfs reports its huge page size as f_bsize. */
static uint64_t fd_page_size(int fd)
{
	struct statfs fs;

	if (fstatfs(fd, &fs) == 0 && (unsigned long)fs.f_type == HUGETLBFS_MAGIC)
		return (uint64_t)fs.f_bsize;
	return host_page_size();
}

/* Open the backend's fd (if any) and set page_size; returns the length to map. */
static int backend_open(struct vmm_ramblock *rb, uint64_t *map_len, struct vmm_err *err)
{
	int r;

	rb->page_size = host_page_size();
	*map_len = rb->max_length;
	if (rb->backend == VMM_RB_ANON)
		return 0;
	if (rb->backend == VMM_RB_MEMFD) {
		rb->fd = memfd_create(rb->idstr, MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (rb->fd < 0)
			return vmm_err_set(err, -errno, "memfd_create: %s", strerror(errno));
		if (ftruncate(rb->fd, (off_t)rb->max_length) < 0)
			return vmm_err_set(err, -errno, "memfd ftruncate: %s", strerror(errno));
		/*
		 * Sealed at its size, as QEMU's memory-backend-memfd does (seal=on):
		 * nobody can truncate the guest's RAM under a mapping (SIGBUS) or
		 * grow it through a passthrough ram file. Resizing a block only
		 * changes used_length within the memfd's max_length.
		 */
		if (fcntl(rb->fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK) < 0)
			return vmm_err_set(err, -errno, "memfd seal: %s", strerror(errno));
		return 0;
	}
	r = file_open(rb->path, err);
	if (r < 0)
		return r;
	rb->fd = r;
	rb->page_size = fd_page_size(rb->fd);
	if (rb->max_length < rb->page_size)
		return vmm_err_set(err, -EINVAL,
				   "memory size 0x%llx must be at least the page size 0x%llx",
				   (unsigned long long)rb->max_length,
				   (unsigned long long)rb->page_size);
	*map_len = round_up(rb->max_length, rb->page_size);
	return file_size_check(rb, *map_len, err);
}

/* Back @rb with memory: open the backend and map it the QEMU way. */
static int backend_alloc(struct vmm_ramlist *rl, struct vmm_ramblock *rb,
			 struct vmm_err *err)
{
	uint64_t map_len, align;
	int r = ramlist_fault_take(rl);

	if (r)
		return vmm_err_set(err, r, "injected fault allocating %s", rb->idstr);
	r = backend_open(rb, &map_len, err);
	if (r < 0)
		return r;
	align = rb->page_size > RAM_VMALLOC_ALIGN ? rb->page_size : RAM_VMALLOC_ALIGN;
	if (map_len > SIZE_MAX - align)
		return vmm_err_set(err, -ENOMEM, "block %s too large", rb->idstr);
	rb->host = ram_mmap(rb->fd, map_len, align, rb->fd >= 0, &rb->reserved,
			    &rb->reserved_len);
	if (rb->host == MAP_FAILED) {
		rb->host = NULL;
		return vmm_err_set(err, -errno, "cannot set up guest memory '%s': %s",
				   rb->idstr, strerror(errno));
	}
	/*
	 * As QEMU's ram_block_add(): let THP back guest RAM. Besides what it does
	 * for the guest, the kernel pins huge pages whole when a ram file is read
	 * through FUSE (1 MiB reads of anonymous RAM: 8.6 -> 15 GiB/s here).
	 * Advice only: where THP is off this fails or does nothing, both fine.
	 */
	(void)madvise(rb->host, map_len, MADV_HUGEPAGE);
	return 0;
}

static void ramblock_destroy(struct vmm_ramblock *rb)
{
	if (rb->reserved)
		munmap(rb->reserved, rb->reserved_len);
	if (rb->fd >= 0)
		close(rb->fd);
	free(rb->idstr);
	free(rb->path);
	free(rb_int(rb));
}

/* "anon", "memfd" or "file:PATH" (NULL or "" mean anon). */
static int backend_parse(struct vmm_ramblock *rb, const char *backend, struct vmm_err *err)
{
	if (!backend || !*backend || !strcmp(backend, "anon")) {
		rb->backend = VMM_RB_ANON;
	} else if (!strcmp(backend, "memfd")) {
		rb->backend = VMM_RB_MEMFD;
		rb->flags |= VMM_RB_SHARED;
	} else if (!strncmp(backend, "file:", 5) && backend[5]) {
		/* before anything touches the path: relative paths, and our own mount, are refused */
		int r = vmm_path_check(backend + 5, err);

		if (r < 0)
			return r;
		rb->backend = VMM_RB_FILE;
		rb->flags |= VMM_RB_SHARED;
		rb->path = strdup(backend + 5);
		if (!rb->path)
			return vmm_err_set(err, -ENOMEM, "out of memory");
	} else {
		return vmm_err_set(err, -EINVAL,
				   "unknown backend '%s' (anon, memfd or file:PATH)", backend);
	}
	return 0;
}

/* Validate the sizes and fill the lengths (host-page rounded, as qemu_ram_alloc_*). */
static int ramblock_sizes(struct vmm_ramblock *rb, uint64_t size, uint64_t max_size,
			  struct vmm_err *err)
{
	uint64_t ps = host_page_size();

	if (size == 0)
		return vmm_err_set(err, -EINVAL, "RAM block %s: size 0", rb->idstr);
	if (max_size && max_size < size)
		return vmm_err_set(err, -EINVAL, "RAM block %s: max 0x%llx below size 0x%llx",
				   rb->idstr, (unsigned long long)max_size,
				   (unsigned long long)size);
	if ((max_size ? max_size : size) > RAM_ADDR_MAX - RAM_VMALLOC_ALIGN - ps)
		return vmm_err_set(err, -EINVAL, "RAM block %s: size too large", rb->idstr);
	rb->used_length = round_up(size, ps);
	rb->max_length = max_size ? round_up(max_size, ps) : rb->used_length;
	if (max_size)
		rb->flags |= VMM_RB_RESIZEABLE;
	return 0;
}

int vmm_ramblock_new(struct vmm_ramlist *rl, const char *idstr, uint64_t size,
		     uint64_t max_size, const char *backend, struct vmm_ramblock **out,
		     struct vmm_err *err)
{
	struct rb_int *b, *after = NULL;
	struct vmm_ramblock *rb;
	int r;

	if (!idstr || !*idstr || strlen(idstr) >= RAM_IDSTR_MAX)
		return vmm_err_set(err, -EINVAL, "RAM block name must have 1 to %d bytes",
				   RAM_IDSTR_MAX - 1);
	if (vmm_ramlist_find(rl, idstr))
		return vmm_err_set(err, -EEXIST, "RAM block \"%s\" already registered", idstr);
	b = calloc(1, sizeof(*b));
	if (!b)
		return vmm_err_set(err, -ENOMEM, "out of memory");
	rb = &b->pub;
	rb->fd = -1;
	rb->refs = 1;
	rb->idstr = strdup(idstr);
	r = rb->idstr ? 0 : vmm_err_set(err, -ENOMEM, "out of memory");
	if (!r)
		r = ramblock_sizes(rb, size, max_size, err);
	if (!r)
		r = backend_parse(rb, backend, err);
	if (!r)
		r = ramlist_place(rl, rb->max_length, &rb->offset, &after);
	if (r == -ENOSPC)
		vmm_err_set(err, r, "no gap of 0x%llx bytes in the ram_addr space",
			    (unsigned long long)rb->max_length);
	if (!r)
		r = backend_alloc(rl, rb, err);
	if (r)
		goto fail_destroy;
	ramlist_link(rl, b, after);
	if (out)
		*out = rb;
	return 0;

fail_destroy:
	ramblock_destroy(rb);
	return r;
}

/* A block not in @rl (already removed) is left alone, as QEMU's list walk would. */
void vmm_ramblock_remove(struct vmm_ramlist *rl, struct vmm_ramblock *rb)
{
	if (rb_int(rb)->owner != rl)
		return;
	ramlist_unlink(rl, rb_int(rb));
	rb->mr = NULL;
	vmm_ramblock_unref(rb);
}

/* Here rather than in ramlist.c, which knows the list but not how a block is freed. */
void vmm_ramlist_free(struct vmm_ramlist *rl)
{
	if (!rl)
		return;
	while (rl->head)
		vmm_ramblock_remove(rl, rl->head);
	free(rl);
}

int vmm_ramblock_resize(struct vmm_ramblock *rb, uint64_t new_size, struct vmm_err *err)
{
	uint64_t n;

	if (new_size == 0 || new_size > RAM_ADDR_MAX - host_page_size())
		return vmm_err_set(err, -EINVAL, "%s: bad size 0x%llx", rb->idstr,
				   (unsigned long long)new_size);
	n = round_up(new_size, host_page_size());
	if (n == rb->used_length)
		return 0;
	if (!(rb->flags & VMM_RB_RESIZEABLE))
		return vmm_err_set(err, -EINVAL, "Size mismatch: %s: 0x%llx != 0x%llx",
				   rb->idstr, (unsigned long long)n,
				   (unsigned long long)rb->used_length);
	if (n > rb->max_length)
		return vmm_err_set(err, -EINVAL, "Size too large: %s: 0x%llx > 0x%llx",
				   rb->idstr, (unsigned long long)n,
				   (unsigned long long)rb->max_length);
	rb->used_length = n;
	return 0;
}

void vmm_ramblock_extent(const struct vmm_ramblock *rb, uintptr_t *start, size_t *len)
{
	*start = (uintptr_t)(rb->reserved ? rb->reserved : rb->host);
	*len = rb->reserved ? rb->reserved_len : (size_t)rb->max_length;
}

void vmm_ramblock_ref(struct vmm_ramblock *rb)
{
	atomic_fetch_add(&rb->refs, 1);
}

void vmm_ramblock_unref(struct vmm_ramblock *rb)
{
	if (rb && atomic_fetch_sub(&rb->refs, 1) == 1)
		ramblock_destroy(rb);
}
