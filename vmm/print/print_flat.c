// SPDX-License-Identifier: MIT
/*
 * `info mtree -f` and `info ramblock` exactly as QEMU 7.2 prints them
 * (softmmu/memory.c mtree_info_flatview/mtree_print_flatview and
 * softmmu/physmem.c ram_block_format), plus our own `info memslots` table.
 * Flat views are numbered in order of first use by the address spaces in
 * creation order (QEMU walks a pointer-keyed hash table instead); each block
 * lists the spaces that share the view in creation order, as QEMU's GArray
 * does. A range gets " KVM" when the view belongs to the space KVM listens to
 * ("memory") and a memslot covers exactly that range (kvm_accel_has_memory).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/flatview.h>
#include <vmm/kvm.h>
#include <vmm/memory.h>
#include <vmm/text.h>
#include <vmm/print.h>
#include <vmm/ramblock.h>
#include "print_priv.h"

/* The address space the KVM listener is registered on (QEMU's address_space_memory). */
#define KVM_AS_NAME "memory"

static void fv_print_range(const struct vmm_flat_range *r, struct print_slotidx *kvm,
			   struct vmm_buf *out)
{
	uint64_t start = (uint64_t)r->start;
	uint64_t last = print_last(r->size);
	char nb[PRINT_NAME_BUF];

	vmm_buf_printf(out, "  %016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s): %s", start,
		       start + last, r->mr->priority, r->nonvolatile ? "nv-" : "",
		       r->readonly ? "rom" : print_mr_type(r->mr), PRINT_NAME(r->mr->name, nb));
	if (r->offset_in_region)
		vmm_buf_printf(out, " @%016" PRIx64, (uint64_t)r->offset_in_region);
	/* QEMU asks for MR_SIZE + 1 in 64 bits: a 2^64 range asks for size 0 */
	if (kvm && print_slotidx_exact(kvm, start, last + 1))
		vmm_buf_puts(out, " KVM");
	vmm_buf_puts(out, "\n");
}

/* One "FlatView #N" block for the entries @v[0..n) that share a view. */
static void fv_print_block(unsigned num, const struct print_fvgroup *v, size_t n,
			   struct print_slotidx *slots, struct vmm_buf *out)
{
	const struct vmm_flatview *fv = v[0].fv;
	const struct vmm_flat_range *fr;
	struct print_slotidx *kvm = NULL;
	struct vmm_fv_iter it;
	size_t i;

	vmm_buf_printf(out, "FlatView #%u\n", num);
	for (i = 0; i < n; i++) {
		const struct vmm_mr *root = v[i].as->root;

		vmm_buf_puts(out, " AS \"");
		vmm_buf_put_name(out, v[i].as->name);
		vmm_buf_puts(out, "\", root: ");
		vmm_buf_put_name(out, root ? root->name : "(none)");
		if (root && root->type == VMM_MR_ALIAS && root->alias) {
			vmm_buf_puts(out, ", alias ");
			vmm_buf_put_name(out, root->alias->name);
		}
		vmm_buf_puts(out, "\n");
		if (slots && !strcmp(v[i].as->name, KVM_AS_NAME))
			kvm = slots;
	}
	vmm_buf_puts(out, " Root memory region: ");
	vmm_buf_put_name(out, fv && fv->root ? fv->root->name : "(none)");
	vmm_buf_puts(out, "\n");
	if (!fv || !fv->nr) {
		vmm_buf_puts(out, "  No rendered FlatView\n\n");
		return;
	}
	if (kvm)
		print_slotidx_rewind(kvm);
	vmm_flatview_for_each(fr, it, fv)
		fv_print_range(fr, kvm, out);
	vmm_buf_puts(out, "\n");
}

/**
 * vmm_print_flatview() - QEMU's `info mtree -f`
 * @m: the model
 * @accel: where the memslots live (NULL: no " KVM" marks, as under TCG)
 * @out: appended to; out->oom is set if memory ran out
 */
void vmm_print_flatview(struct vmm_memory *m, struct vmm_accel *accel, struct vmm_buf *out)
{
	struct print_slotidx slots;
	struct print_fvgroup *v;
	ssize_t n;
	size_t i, first = 0;
	unsigned num = 0;

	if (print_slotidx_build(&slots, accel)) {
		out->oom = true;
		return;
	}
	n = print_fvgroup_build(m, &v);
	if (n < 0) {
		out->oom = true;
		print_slotidx_free(&slots);
		return;
	}
	for (i = 1; i <= (size_t)n; i++) {
		if (i < (size_t)n && v[i].group == v[first].group)
			continue;
		fv_print_block(num++, v + first, i - first, accel ? &slots : NULL, out);
		first = i;
	}
	print_fvgroup_free(v, (size_t)n);
	print_slotidx_free(&slots);
}

/**
 * vmm_print_ramblock() - QEMU's `info ramblock`
 * @m: the model
 * @out: appended to
 *
 * Blocks in list order (biggest max_length first); Used is used_length and
 * Total max_length, as QEMU labels them.
 */
void vmm_print_ramblock(struct vmm_memory *m, struct vmm_buf *out)
{
	struct vmm_ramblock *rb;
	char psize[32], nb[PRINT_NAME_BUF];

	vmm_buf_printf(out, "%24s %8s  %18s %18s %18s\n", "Block Name", "PSize", "Offset",
		       "Used", "Total");
	for (rb = vmm_ramlist_first(vmm_memory_ramlist(m)); rb; rb = rb->next) {
		print_size_str(rb->page_size, psize, sizeof(psize));
		vmm_buf_printf(out, "%24s %8s  0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016" PRIx64
			       "\n", PRINT_NAME(rb->idstr, nb), psize, rb->offset, rb->used_length,
			       rb->max_length);
	}
}

/**
 * vmm_print_memslots() - the registered KVM memslots, one line each
 * @accel: the accelerator (NULL: the header alone)
 * @out: appended to
 *
 * Our own format (QEMU has no such command), in slot order:
 *
 *      slot as_id     guest_phys_addr        memory_size     userspace_addr  flags
 *         0     0  0x0000000000000000 0x00000000000a0000 0x00007f5c40000000  -
 *         3     0  0x00000000fffc0000 0x0000000000040000 0x00007f5c3ff00000  READONLY
 *
 * The columns are the fields of struct kvm_userspace_memory_region; flags are
 * spelled as in <linux/kvm.h> without the KVM_MEM_ prefix, joined by '|', or
 * '-' when none.
 */
void vmm_print_memslots(struct vmm_accel *accel, struct vmm_buf *out)
{
	const struct vmm_memslot *s;
	uint32_t iter = 0;

	vmm_buf_printf(out, "%5s %5s  %18s %18s %18s  %s\n", "slot", "as_id", "guest_phys_addr",
		       "memory_size", "userspace_addr", "flags");
	if (!accel)
		return;
	while ((s = vmm_accel_memslot_next(accel, &iter))) {
		vmm_buf_printf(out, "%5" PRIu32 " %5u  0x%016" PRIx64 " 0x%016" PRIx64
			       " 0x%016" PRIx64 "  ", s->slot, (unsigned)s->as_id, s->gpa,
			       s->size, s->hva);
		print_slot_flags(s->flags, out);
		vmm_buf_puts(out, "\n");
	}
}
