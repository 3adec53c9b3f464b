// SPDX-License-Identifier: MIT
/*
 * Range-by-range comparison of two `info mtree -f` texts (QEMU's or ours):
 * for every address space, the flat view it resolves to on each side is
 * walked in address order and every range that is not printed identically on
 * both sides is reported, "-" for the first text and "+" for the second, in
 * QEMU's own line format. Address spaces that share a flat view on both sides
 * are reported together, once. Block order and the numbering of the blocks
 * do not matter (QEMU's depend on pointer hashing). Names are printed with
 * the rule of vmm/text.h, so a name in either text cannot forge a line.
 */
#include <errno.h>
#include <string.h>

#include <vmm/qemu.h>
#include <vmm/text.h>

#include "qemu_priv.h"

static void put_range(struct vmm_buf *out, char sign, const struct qrange *r)
{
	vmm_buf_printf(out, "%c %016llx-%016llx (prio %d, %s%s): ", sign,
		       (unsigned long long)r->start,
		       (unsigned long long)(r->start + (uint64_t)(r->size - 1)), r->prio,
		       r->nv ? "nv-" : "", r->type);
	vmm_buf_put_name(out, r->name);
	if (r->offset)
		vmm_buf_printf(out, " @%016llx", (unsigned long long)r->offset);
	vmm_buf_puts(out, r->kvm ? " KVM\n" : "\n");
}

static bool same_range(const struct qrange *a, const struct qrange *b, unsigned flags)
{
	return a->start == b->start && a->size == b->size && a->prio == b->prio &&
	       a->nv == b->nv && !strcmp(a->type, b->type) && !strcmp(a->name, b->name) &&
	       a->offset == b->offset && ((flags & VMM_QDIFF_IGNORE_KVM) || a->kvm == b->kvm);
}

/* Merge walk over two address-ordered range lists; returns the differing ranges. */
static int diff_ranges(const struct qview *a, const struct qview *b, unsigned flags,
		       struct vmm_buf *out)
{
	size_t i = 0, j = 0, na = a ? a->nr : 0, nb = b ? b->nr : 0;
	int n = 0;

	while (i < na || j < nb) {
		const struct qrange *x = i < na ? &a->r[i] : NULL;
		const struct qrange *y = j < nb ? &b->r[j] : NULL;

		if (x && y && same_range(x, y, flags)) {
			i++, j++;
			continue;
		}
		/* a range changed in place counts once, shown as '-' then '+' */
		n++;
		if (x && (!y || x->start <= y->start)) {
			put_range(out, '-', x);
			i++;
		}
		if (y && (!x || y->start <= x->start)) {
			put_range(out, '+', y);
			j++;
		}
	}
	return n;
}

static bool same_view(const struct qview *a, const struct qview *b, unsigned flags)
{
	if (a->nr != b->nr || strcmp(a->mr_root ? a->mr_root : "", b->mr_root ? b->mr_root : ""))
		return false;
	for (size_t i = 0; i < a->nr; i++)
		if (!same_range(&a->r[i], &b->r[i], flags))
			return false;
	return true;
}

/*
 * The view of @b that address space @k of @va has. Names repeat (one
 * "e1000e" per device), so the name and root are matched, preferring a view
 * that shows no difference; the name alone when no space of @b has both.
 */
static const struct qview *match(const struct qview *va, size_t k, const struct qflat *b,
				 unsigned flags)
{
	const struct qview *first = NULL;

	for (size_t i = 0; i < b->nv; i++)
		for (size_t j = 0; j < b->v[i].nas; j++) {
			if (strcmp(b->v[i].as[j], va->as[k]) ||
			    strcmp(b->v[i].asroot[j], va->asroot[k]))
				continue;
			if (same_view(va, &b->v[i], flags))
				return &b->v[i];
			first = first ? first : &b->v[i];
		}
	return first ? first : qflat_find(b, va->as[k]);
}

static void put_header(struct vmm_buf *out, const struct qview *va, size_t first,
		       const struct qview *vb, const struct qflat *b, unsigned flags)
{
	bool sep = false;

	for (size_t k = first; k < va->nas; k++) {
		if (match(va, k, b, flags) != vb)
			continue;
		vmm_buf_printf(out, "%sAS \"", sep ? ", " : "");
		vmm_buf_put_name(out, va->as[k]);
		vmm_buf_puts(out, "\"");
		sep = true;
	}
	vmm_buf_puts(out, ":\n");
}

/* Compare view @va of @a with the views its address spaces have in @b. */
static int diff_view(const struct qview *va, const struct qflat *b, unsigned flags,
		     struct vmm_buf *out)
{
	int total = 0;

	for (size_t k = 0; k < va->nas; k++) {
		const struct qview *vb = match(va, k, b, flags);
		struct vmm_buf part;
		bool seen = false;
		int n;

		for (size_t e = 0; e < k && !seen; e++)
			seen = match(va, e, b, flags) == vb;
		if (seen)
			continue;
		vmm_buf_init(&part);
		n = diff_ranges(va, vb, flags, &part);
		if (vb && strcmp(va->mr_root ? va->mr_root : "", vb->mr_root ? vb->mr_root : "")) {
			vmm_buf_puts(&part, "- Root memory region: ");
			vmm_buf_put_name(&part, va->mr_root ? va->mr_root : "");
			vmm_buf_puts(&part, "\n+ Root memory region: ");
			vmm_buf_put_name(&part, vb->mr_root ? vb->mr_root : "");
			vmm_buf_puts(&part, "\n");
			n++;
		}
		if (!vb) {
			vmm_buf_puts(out, "AS \"");
			vmm_buf_put_name(out, va->as[k]);
			vmm_buf_puts(out, "\": only in the first\n");
			n = n ? n : 1;
		} else if (n) {
			put_header(out, va, k, vb, b, flags);
		}
		vmm_buf_put(out, part.data ? part.data : "", part.len);
		vmm_buf_free(&part);
		total += n;
	}
	return total;
}

int vmm_flat_text_diff_flags(const char *a, size_t a_len, const char *b, size_t b_len,
			     unsigned flags, struct vmm_buf *out, struct vmm_err *err)
{
	struct qflat fa, fb;
	int r, n = 0;

	r = qflat_parse(a, a_len, &fa, err);
	if (r)
		return r;
	r = qflat_parse(b, b_len, &fb, err);
	if (r) {
		qflat_free(&fa);
		return r;
	}
	for (size_t i = 0; i < fa.nv; i++)
		n += diff_view(&fa.v[i], &fb, flags, out);
	for (size_t i = 0; i < fb.nv; i++)
		for (size_t k = 0; k < fb.v[i].nas; k++) {
			if (qflat_find(&fa, fb.v[i].as[k]))
				continue;
			vmm_buf_puts(out, "AS \"");
			vmm_buf_put_name(out, fb.v[i].as[k]);
			vmm_buf_puts(out, "\": only in the second\n");
			n += diff_ranges(NULL, &fb.v[i], flags, out) + !fb.v[i].nr;
		}
	qflat_free(&fa);
	qflat_free(&fb);
	return n;
}

int vmm_flat_text_diff(const char *a, size_t a_len, const char *b, size_t b_len,
		       struct vmm_buf *out)
{
	return vmm_flat_text_diff_flags(a, a_len, b, b_len, 0, out, NULL);
}
