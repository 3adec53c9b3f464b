/* SPDX-License-Identifier: MIT */
/*
 * Private helpers shared by the printers (print*.c): a pointer-keyed hash map
 * so that de-duplication (alias targets, shared flat views, address-space
 * groups) stays linear at 100k regions, QEMU's region type words, its
 * size_to_str() and a gpa-sorted index of the KVM memslots for the " KVM"
 * marks and the JSON memslot links.
 */
#ifndef VMM_PRINT_UTIL_H
#define VMM_PRINT_UTIL_H

#include <sys/types.h>
#include <vmm/base.h>
#include <vmm/kvm.h>

struct vmm_mr;
struct vmm_memory;
struct vmm_as;
struct vmm_flatview;

/**
 * struct vmm_ptrmap - open-addressing map from pointer to size_t
 * @keys: slots (NULL = empty)
 * @vals: values beside @keys
 * @cap: slot count (a power of two, or 0)
 * @n: keys stored
 */
struct vmm_ptrmap {
	const void **keys;
	size_t *vals;
	size_t cap;
	size_t n;
};

void vmm_ptrmap_init(struct vmm_ptrmap *m);
void vmm_ptrmap_free(struct vmm_ptrmap *m);
/* Insert @key with @val unless present: 1 inserted, 0 already there, -ENOMEM. */
int vmm_ptrmap_put(struct vmm_ptrmap *m, const void *key, size_t val);
/* True and *@val set when @key is present. */
bool vmm_ptrmap_get(const struct vmm_ptrmap *m, const void *key, size_t *val);

/* QEMU's memory_region_type(): "ram", "rom", "romd", "i/o", following aliases. */
const char *vmm_print_mr_type(const struct vmm_mr *mr);
/* QEMU's MR_SIZE(): last offset of a size (size - 1), 0 for an empty region. */
uint64_t vmm_print_last(vmm_u128 size);
/* QEMU's size_to_str(): "4 KiB", "2 MiB", "0 B" into @out (at least 16 bytes). */
void vmm_print_size_str(uint64_t val, char *out, size_t len);

/**
 * struct vmm_slotidx - the registered memslots of as_id 0, sorted by gpa
 * @v, @n: slots
 * @cur: cursor for vmm_slotidx_exact()/vmm_slotidx_within() (callers ask in
 *       ascending address order, so a whole flat view costs one pass)
 */
struct vmm_slotidx {
	struct vmm_memslot *v;
	size_t n;
	size_t cur;
};

/* Build from @a (may be NULL: empty index). 0 or -ENOMEM. */
int vmm_slotidx_build(struct vmm_slotidx *idx, const struct vmm_accel *a);
void vmm_slotidx_free(struct vmm_slotidx *idx);
void vmm_slotidx_rewind(struct vmm_slotidx *idx);
/* The slot at exactly [gpa, gpa+size) (QEMU's kvm_lookup_matching_slot), or NULL. */
const struct vmm_memslot *vmm_slotidx_exact(struct vmm_slotidx *idx, uint64_t gpa,
					    uint64_t size);
/* The first slot lying inside [start, start+size), or NULL. */
const struct vmm_memslot *vmm_slotidx_within(struct vmm_slotidx *idx, vmm_u128 start,
					     vmm_u128 size);

/* Spell KVM memslot flags: "-" or "LOG_DIRTY_PAGES|READONLY" (unknown bits in hex). */
void vmm_print_slot_flags(uint32_t flags, struct vmm_buf *out);

/**
 * struct vmm_fvgroup - an address space and its current flat view
 * @as: the space
 * @fv: its view (a reference is held)
 * @group: number of the view, in order of first use by the spaces in creation order
 * @idx: the space's place in creation order
 */
struct vmm_fvgroup {
	struct vmm_as *as;
	struct vmm_flatview *fv;
	size_t group;
	size_t idx;
};

/*
 * Every address space of @m with a reference on its view, sorted by (group,
 * creation order): the spaces sharing a view are adjacent, views numbered in
 * order of first use. Returns the count (*@out NULL when 0) or -ENOMEM.
 */
ssize_t vmm_fvgroup_build(struct vmm_memory *m, struct vmm_fvgroup **out);
void vmm_fvgroup_free(struct vmm_fvgroup *v, size_t n);

#endif
