/* SPDX-License-Identifier: MIT */
/*
 * RAM blocks (QEMU's RAMBlock, softmmu/physmem.c): the host memory behind
 * ram, rom and romd regions. Sizes are rounded up to the block's page size,
 * offsets in the ram_addr space are allocated best-fit with QEMU's rules, the
 * list is kept biggest-first, and the host mapping is aligned by reserving
 * size + align bytes PROT_NONE and mapping the block inside, keeping a guard
 * page after it. A block is reference counted: readers that copy from its
 * host mapping hold a reference, so it outlives its region if they must.
 */
#ifndef VMM_RAMBLOCK_H
#define VMM_RAMBLOCK_H

#include <stdatomic.h>
#include <vmm/base.h>

struct vmm_mr;

enum vmm_rb_backend {
	VMM_RB_ANON,
	VMM_RB_MEMFD,
	VMM_RB_FILE,	/* a path; hugetlbfs gives huge pages */
};

#define VMM_RB_RESIZEABLE	(1u << 0)	/* RAM_RESIZEABLE */
#define VMM_RB_SHARED		(1u << 1)	/* RAM_SHARED (memfd, file) */
#define VMM_RB_READONLY_FD	(1u << 2)	/* file opened read-only */

/**
 * struct vmm_ramblock
 * @idstr: unique name ("pc.ram")
 * @offset: start in the ram_addr space
 * @used_length: current size (page rounded)
 * @max_length: reserved size (== used_length unless resizeable)
 * @page_size: host page size of the backing (4 KiB, or the hugetlbfs size)
 * @host: start of the mapping
 * @fd: backing fd (-1 for anonymous memory)
 * @flags: VMM_RB_*
 * @backend, @path: where the memory comes from
 * @mr: owning region (NULL once the region is gone)
 * @refs: references
 */
struct vmm_ramblock {
	char *idstr;
	uint64_t offset;
	uint64_t used_length;
	uint64_t max_length;
	uint64_t page_size;
	void *host;
	int fd;
	unsigned flags;
	enum vmm_rb_backend backend;
	char *path;
	struct vmm_mr *mr;
	atomic_uint refs;
	/* reservation, for munmap (readers: vmm_ramblock_extent()) */
	void *reserved;
	size_t reserved_len;
	struct vmm_ramblock *next;	/* list order: max_length descending */
};

/* The RAM block list of one model. */
struct vmm_ramlist;

struct vmm_ramlist *vmm_ramlist_new(void);
void vmm_ramlist_free(struct vmm_ramlist *rl);

/*
 * Allocate a block of @size bytes (and @max_size for a resizeable one, 0
 * otherwise) from @backend ("anon", "memfd", "file:PATH") and insert it.
 * -EEXIST idstr taken, -EINVAL bad backend/size, -ENOMEM, errors of open/mmap.
 */
int vmm_ramblock_new(struct vmm_ramlist *rl, const char *idstr, uint64_t size,
		     uint64_t max_size, const char *backend, struct vmm_ramblock **out,
		     struct vmm_err *err);
/* Remove from the list and drop the list's reference (the mapping goes with the last one). */
void vmm_ramblock_remove(struct vmm_ramlist *rl, struct vmm_ramblock *rb);
/* qemu_ram_resize(): 0 < new size <= max_length, resizeable blocks only. */
int vmm_ramblock_resize(struct vmm_ramblock *rb, uint64_t new_size, struct vmm_err *err);

void vmm_ramblock_ref(struct vmm_ramblock *rb);
void vmm_ramblock_unref(struct vmm_ramblock *rb);

struct vmm_ramblock *vmm_ramlist_first(struct vmm_ramlist *rl);
struct vmm_ramblock *vmm_ramlist_find(struct vmm_ramlist *rl, const char *idstr);
size_t vmm_ramlist_count(const struct vmm_ramlist *rl);

/**
 * vmm_ramblock_extent() - the host address range a block occupies
 * @rb: the block
 * @start: set to the first byte of its reservation (the mapping)
 * @len: set to the reservation's length: the mapping and its guard page
 *
 * What a reader of /proc/self/maps looks for to find the block's lines.
 */
void vmm_ramblock_extent(const struct vmm_ramblock *rb, uintptr_t *start, size_t *len);

/* Test hook: make the @n-th next backend allocation of @rl fail with @neg_errno (0 disarms). */
void vmm_ramlist_inject_fault(struct vmm_ramlist *rl, unsigned n, int neg_errno);

#endif
