/* SPDX-License-Identifier: MIT */
/*
 * Private to the QEMU-text readers (qemu_flat.c, qemu_diff.c and the -D importer):
 * the parsed form of an `info mtree -f` dump — flat-view blocks, each with the
 * address spaces that share it and its ranges exactly as printed — and the
 * line splitter they all use.
 */
#ifndef VMM_QEMU_PRIV_H
#define VMM_QEMU_PRIV_H

#include <vmm/base.h>

/**
 * struct qrange - one printed flat range
 * @start, @size: the guest range (size up to 2^64)
 * @prio: priority of the leaf region's mapping
 * @type: "ram", "rom", "romd", "ramd" or "i/o"
 * @nv: the "nv-" prefix was printed
 * @name: the leaf region's display name
 * @offset: offset_in_region (0 when no "@" suffix)
 * @kvm: the " KVM" mark was printed
 * @line: 1-based input line
 */
struct qrange {
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
 * struct qview - one "FlatView #N" block
 * @as, @nas: the address spaces printed in the block, in printed order
 * @asroot: the root region's name of each (names repeat; name and root
 *          together tell most apart)
 * @root: the "root:" of the first address space (NULL when absent)
 * @mr_root: the "Root memory region:" name ("(none)" when none)
 * @r, @nr: ranges in printed (ascending) order
 */
struct qview {
	char **as;
	char **asroot;
	size_t nas;
	char *root;
	char *mr_root;
	struct qrange *r;
	size_t nr;
	unsigned line;
};

struct qflat {
	struct qview *v;
	size_t nv;
};

/* Parse `info mtree -f` text; -EINVAL with "line N: ..." in @err on bad input. */
int qflat_parse(const char *text, size_t len, struct qflat *out, struct vmm_err *err);
void qflat_free(struct qflat *f);
/* The block that lists address space @as, or NULL. */
const struct qview *qflat_find(const struct qflat *f, const char *as);
/* Index of the first range whose start is >= @addr (binary search). */
size_t qview_lower(const struct qview *v, uint64_t addr);

/*
 * Line iteration over a text that need not be NUL-terminated: returns the
 * next line (without its "\n" or "\r\n") as a NUL-terminated copy in @line
 * (reused between calls, free it at the end), or false at the end.
 */
struct qlines {
	const char *p, *end;
	char *line;
	size_t cap;
	unsigned no;
};
void qlines_init(struct qlines *l, const char *text, size_t len);
bool qlines_next(struct qlines *l);
void qlines_free(struct qlines *l);

/* "%016x-%016x" at @s: start and end; returns the characters consumed or 0. */
size_t qparse_span(const char *s, uint64_t *start, uint64_t *end);

#endif
