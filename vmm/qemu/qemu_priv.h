/* SPDX-License-Identifier: MIT */
/*
 * Private to the QEMU-text readers (qemu_flat.c, qemu_import.c, qemu_diff.c):
 * the parsed form of an `info mtree -f` dump — flat-view blocks, each with the
 * address spaces that share it and its ranges exactly as printed — and the
 * line splitter they all use.
 */
#ifndef VMM_QEMU_INT_H
#define VMM_QEMU_INT_H

#include <vmm/base.h>

/**
 * struct vmm_qrange - one printed flat range
 * @start, @size: the guest range (size up to 2^64)
 * @prio: priority of the leaf region's mapping
 * @type: "ram", "rom", "romd", "ramd" or "i/o"
 * @nv: the "nv-" prefix was printed
 * @name: the leaf region's display name
 * @offset: offset_in_region (0 when no "@" suffix)
 * @kvm: the " KVM" mark was printed
 * @line: 1-based input line
 */
struct vmm_qrange {
	uint64_t start;
	vmm_u128 size;
	int prio;
	char type[16];
	bool nv;
	char *name;
	uint64_t offset;
	bool kvm;
	unsigned line;
};

/**
 * struct vmm_qview - one "FlatView #N" block
 * @as, @nas: the address spaces printed in the block, in printed order
 * @root: the "root:" of the first address space (NULL when absent)
 * @mr_root: the "Root memory region:" name ("(none)" when none)
 * @r, @nr: ranges in printed (ascending) order
 */
struct vmm_qview {
	char **as;
	size_t nas;
	char *root;
	char *mr_root;
	struct vmm_qrange *r;
	size_t nr;
	unsigned line;
};

struct vmm_qflat {
	struct vmm_qview *v;
	size_t nv;
};

/* Parse `info mtree -f` text; -EINVAL with "line N: ..." in @err on bad input. */
int vmm_qflat_parse(const char *text, size_t len, struct vmm_qflat *out, struct vmm_err *err);
void vmm_qflat_free(struct vmm_qflat *f);
/* The block that lists address space @as, or NULL. */
const struct vmm_qview *vmm_qflat_find(const struct vmm_qflat *f, const char *as);
/* Index of the first range whose start is >= @addr (binary search). */
size_t vmm_qview_lower(const struct vmm_qview *v, uint64_t addr);

/*
 * Line iteration over a text that need not be NUL-terminated: returns the
 * next line (without its "\n" or "\r\n") as a NUL-terminated copy in @line
 * (reused between calls, free it at the end), or false at the end.
 */
struct vmm_qlines {
	const char *p, *end;
	char *line;
	size_t cap;
	unsigned no;
};
void vmm_qlines_init(struct vmm_qlines *l, const char *text, size_t len);
bool vmm_qlines_next(struct vmm_qlines *l);
void vmm_qlines_free(struct vmm_qlines *l);

/* "%016x-%016x" at @s: start and end; returns the characters consumed or 0. */
size_t vmm_qparse_span(const char *s, uint64_t *start, uint64_t *end);

#endif
