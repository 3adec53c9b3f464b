/* SPDX-License-Identifier: MIT */
/*
 * Printers, byte for byte as QEMU 7.2's monitor prints them (with "\n" line
 * ends and creation order where QEMU's order depends on pointer hashing):
 * `info mtree`, `info mtree -D`, `info mtree -f`, `info ramblock`; plus our own
 * `info memslots` table and a JSON dump of the whole model.
 */
#ifndef VMM_PRINT_H
#define VMM_PRINT_H

#include <vmm/base.h>

struct vmm_memory;
struct vmm_accel;
struct vmm_as;

#define VMM_PRINT_DISABLED	(1u << 0)	/* -D: show disabled regions */

/* info mtree [-D] */
void vmm_print_mtree(struct vmm_memory *m, unsigned flags, struct vmm_buf *out);
/* info mtree -f; @accel (may be NULL) supplies the " KVM" marks */
void vmm_print_flatview(struct vmm_memory *m, struct vmm_accel *accel, struct vmm_buf *out);
/* info ramblock */
void vmm_print_ramblock(struct vmm_memory *m, struct vmm_buf *out);
/* one line per registered memslot: slot as_id gpa size hva flags */
void vmm_print_memslots(struct vmm_accel *accel, struct vmm_buf *out);
/* everything as one JSON document */
void vmm_print_json(struct vmm_memory *m, struct vmm_accel *accel, struct vmm_buf *out);

#endif
