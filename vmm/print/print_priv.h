/* SPDX-License-Identifier: MIT */
/*
 * Private helpers shared by the printers (print*.c): a pointer-keyed hash map
 * so that de-duplication (alias targets, shared flat views, address-space
 * groups) stays linear at 100k regions, QEMU's region type words, its
 * size_to_str() and a gpa-sorted index of the KVM memslots for the " KVM"
 * marks and the JSON memslot links.
 */
#ifndef VMM_PRINT_PRIV_H
#define VMM_PRINT_PRIV_H

#include <sys/types.h>
#include <vmm/base.h>
#include <vmm/kvm.h>
#include <vmm/text.h>

struct vmm_mr;
struct vmm_memory;
struct vmm_as;
struct vmm_flatview;

/**
 * struct print_ptrmap - open-addressing map from pointer to size_t
 * @keys: slots (NULL = empty)
 * @vals: values beside @keys
 * @cap: slot count (a power of two, or 0)
 * @n: keys stored
 */
struct print_ptrmap {
	const void **keys;
	size_t *vals;
	size_t cap;
	size_t n;
};

void print_ptrmap_init(struct print_ptrmap *m);
void print_ptrmap_free(struct print_ptrmap *m);
/* Insert @key with @val unless present: 1 inserted, 0 already there, -ENOMEM. */
int print_ptrmap_put(struct print_ptrmap *m, const void *key, size_t val);
/* True and *@val set when @key is present. */
bool print_ptrmap_get(const struct print_ptrmap *m, const void *key, size_t *val);
/*
 * Number keys by first use: *@group is @key's number, a new key getting the
 * next one (0, 1, ...). 0 or -ENOMEM. How QEMU's printers group address
 * spaces by root or by flat view, in the order the spaces were created.
 */
int print_ptrmap_number(struct print_ptrmap *m, const void *key, size_t *group);

/* Room for a name with every byte escaped as \xNN (vmm/text.h), and the escaped name for a %s. */
#define PRINT_NAME_BUF		(4 * 256 + 1)
#define PRINT_NAME(name, buf)	vmm_name_printable((name), (buf), sizeof(buf))

/* QEMU's memory_region_type(): "ram", "rom", "romd", "i/o", following aliases. */
const char *print_mr_type(const struct vmm_mr *mr);
/* QEMU's MR_SIZE(): last offset of a size (size - 1), 0 for an empty region. */
uint64_t print_last(vmm_u128 size);
/* QEMU's size_to_str(): "4 KiB", "2 MiB", "0 B" into @out (at least 16 bytes). */
void print_size_str(uint64_t val, char *out, size_t len);

/**
 * struct print_slotidx - the registered memslots of as_id 0, sorted by gpa
 * @v, @n: slots
 * @cur: cursor for print_slotidx_exact()/print_slotidx_within() (callers ask in
 *       ascending address order, so a whole flat view costs one pass)
 */
struct print_slotidx {
	struct vmm_memslot *v;
	size_t n;
	size_t cur;
};

/* Build from @a (may be NULL: empty index). 0 or -ENOMEM. */
int print_slotidx_build(struct print_slotidx *idx, const struct vmm_accel *a);
void print_slotidx_free(struct print_slotidx *idx);
void print_slotidx_rewind(struct print_slotidx *idx);
/* The slot at exactly [gpa, gpa+size) (QEMU's kvm_lookup_matching_slot), or NULL. */
const struct vmm_memslot *print_slotidx_exact(struct print_slotidx *idx, uint64_t gpa,
					      uint64_t size);
/* The first slot lying inside [start, start+size), or NULL. */
const struct vmm_memslot *print_slotidx_within(struct print_slotidx *idx, vmm_u128 start,
					       vmm_u128 size);

/* Spell KVM memslot flags: "-" or "LOG_DIRTY_PAGES|READONLY" (unknown bits in hex). */
void print_slot_flags(uint32_t flags, struct vmm_buf *out);

/**
 * struct print_fvgroup - an address space and its current flat view
 * @as: the space
 * @fv: its view (a reference is held)
 * @group: number of the view, in order of first use by the spaces in creation order
 * @idx: the space's place in creation order
 */
struct print_fvgroup {
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
ssize_t print_fvgroup_build(struct vmm_memory *m, struct print_fvgroup **out);
void print_fvgroup_free(struct print_fvgroup *v, size_t n);

#endif
