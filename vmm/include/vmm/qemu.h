/* SPDX-License-Identifier: MIT */
/*
 * Reading QEMU's own text: `info mtree -D` (and `-f` to settle what -D cannot
 * say: containers vs i/o regions, readonly aliases; `info ramblock` for the
 * RAM blocks) turned into a control
 * script that rebuilds the same topology; and comparing two topologies range
 * by range (mtree diff).
 */
#ifndef VMM_QEMU_H
#define VMM_QEMU_H

#include <vmm/base.h>

struct vmm_memory;

/*
 * Translate QEMU's `info mtree -D` text @tree (and optional `info mtree -f`
 * text @flat, may be NULL) into a control script in @out. Returns 0 or
 * -EINVAL with @err naming the offending input line.
 */
int vmm_qemu_import(const char *tree, size_t tree_len, const char *flat, size_t flat_len,
		    struct vmm_buf *out, struct vmm_err *err);

/**
 * struct vmm_qemu_dump - the texts of one QEMU machine that the importer reads
 * @tree: `info mtree -D` (required)
 * @flat: `info mtree -f`, or NULL
 * @ramblock: `info ramblock`, or NULL: with it the script gives every RAM
 *            block QEMU's idstr (device path included), offset, used and
 *            max length and list place, and adds the blocks QEMU never maps
 *            (option ROMs, fw_cfg files) as unmapped rom regions
 */
struct vmm_qemu_dump {
	const char *tree;
	size_t tree_len;
	const char *flat;
	size_t flat_len;
	const char *ramblock;
	size_t ramblock_len;
};

/* vmm_qemu_import() of all the texts in @d. */
int vmm_qemu_import_dump(const struct vmm_qemu_dump *d, struct vmm_buf *out,
			 struct vmm_err *err);

/*
 * Compare two `info mtree -f` style flat-view texts (from QEMU or from us) per
 * address space, range by range; writes a unified-style report to @out and
 * returns the number of differing ranges (0: same).
 */
int vmm_flat_text_diff(const char *a, size_t a_len, const char *b, size_t b_len,
		       struct vmm_buf *out);

#define VMM_QDIFF_IGNORE_KVM	(1u << 0)	/* a " KVM" mark on one side only is no difference */

/*
 * vmm_flat_text_diff() with @flags (VMM_QDIFF_*): returns the number of
 * differences, or -EINVAL with @err naming the bad line when either text is
 * not `info mtree -f` output.
 */
int vmm_flat_text_diff_flags(const char *a, size_t a_len, const char *b, size_t b_len,
			     unsigned flags, struct vmm_buf *out, struct vmm_err *err);

#endif
