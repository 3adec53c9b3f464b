// SPDX-License-Identifier: MIT
/*
 * The whole model as one JSON document (info/topology.json, `mtree render
 * --json`): address spaces, regions with their attributes and links, flat
 * views with their ranges, RAM blocks and memslots. Sizes, addresses and
 * offsets are "0x..." strings because a 2^64 size does not fit a JSON number
 * (nor, beyond 2^53, most parsers' numbers); small counters are numbers.
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 come out as
 * \u00XX (read as Latin-1) so the document always parses.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/flatview.h>
#include <vmm/kvm.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include <vmm/ramblock.h>
#include "print_priv.h"

#define KVM_AS_NAME "memory"	/* the space the KVM listener serves (as_id 0) */

/* Length of the valid UTF-8 sequence at @s (1..4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void json_str(struct vmm_buf *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	if (!str) {
		vmm_buf_puts(out, "null");
		return;
	}
	vmm_buf_put(out, "\"", 1);
	for (; *s; s += n) {
		n = utf8_len(s);
		if (*s == '"' || *s == '\\') {
			vmm_buf_printf(out, "\\%c", *s);
		} else if (*s == '\n') {
			vmm_buf_puts(out, "\\n");
		} else if (*s == '\t') {
			vmm_buf_puts(out, "\\t");
		} else if (*s < 0x20 || !n) {
			vmm_buf_printf(out, "\\u%04x", *s);
			n = 1;
		} else {
			vmm_buf_put(out, s, n);
		}
	}
	vmm_buf_put(out, "\"", 1);
}

/* ", KEY: VALUE" for a string (or null) value. */
static void json_kstr(struct vmm_buf *out, const char *key, const char *val)
{
	vmm_buf_printf(out, ", \"%s\": ", key);
	json_str(out, val);
}

/* A 128-bit quantity as a "0x..." string. */
static void json_khex(struct vmm_buf *out, const char *key, vmm_u128 v)
{
	char buf[VMM_U128_BUF];

	vmm_buf_printf(out, ", \"%s\": \"%s\"", key, vmm_u128_fmt(v, VMM_U128_HEX, buf));
}

static void json_kbool(struct vmm_buf *out, const char *key, bool v)
{
	vmm_buf_printf(out, ", \"%s\": %s", key, v ? "true" : "false");
}

static const char *mr_id(const struct vmm_mr *mr)
{
	return mr ? mr->id : NULL;
}

static void json_region(struct vmm_buf *out, const struct vmm_mr *mr)
{
	const struct vmm_mr *s;
	const char *sep = "";

	vmm_buf_puts(out, "    {\"id\": ");
	json_str(out, mr->id);
	json_kstr(out, "name", mr->name);
	json_kstr(out, "type", vmm_mr_type_name(mr->type));
	json_kstr(out, "qemu_type", print_mr_type(mr));
	json_khex(out, "size", mr->size);
	json_khex(out, "addr", mr->addr);
	vmm_buf_printf(out, ", \"priority\": %d", mr->priority);
	json_kbool(out, "enabled", mr->enabled);
	json_kbool(out, "readonly", mr->readonly);
	json_kbool(out, "nonvolatile", mr->nonvolatile);
	json_kbool(out, "romd_mode", mr->romd_mode);
	json_kbool(out, "log_dirty", mr->dirty_log_mask & VMM_DIRTY_LOG_MIGRATION);
	json_kstr(out, "container", mr_id(mr->container));
	vmm_buf_puts(out, ", \"subregions\": [");
	for (s = mr->subregions; s; s = s->sib_next) {
		vmm_buf_puts(out, sep);
		json_str(out, s->id);
		sep = ", ";
		if (s->sib_next == mr->subregions)
			break;
	}
	vmm_buf_puts(out, "]");
	json_kstr(out, "alias", mr_id(mr->alias));
	if (mr->type == VMM_MR_ALIAS)
		json_khex(out, "alias_offset", mr->alias_offset);
	else
		vmm_buf_puts(out, ", \"alias_offset\": null");
	json_kstr(out, "ramblock", mr->rb ? mr->rb->idstr : NULL);
	json_kstr(out, "device", mr->device && *mr->device ? mr->device : NULL);
	vmm_buf_puts(out, "}");
}

static void json_regions(struct vmm_memory *m, struct vmm_buf *out)
{
	const struct vmm_mr *mr, *first = vmm_memory_first_region(m);
	const char *sep = "\n";

	vmm_buf_puts(out, "  \"regions\": [");
	for (mr = first; mr; mr = mr->all_next) {
		vmm_buf_puts(out, sep);
		json_region(out, mr);
		sep = ",\n";
		if (mr->all_next == first)
			break;
	}
	vmm_buf_puts(out, "\n  ]");
}

static void json_as(const struct print_fvgroup *v, size_t n, struct vmm_buf *out)
{
	const char *sep = "\n";
	size_t *pos, i;

	/* the entries are grouped by view: list them back in creation order */
	pos = n ? malloc(n * sizeof(*pos)) : NULL;
	if (n && !pos) {
		out->oom = true;
		return;
	}
	for (i = 0; i < n; i++)
		pos[v[i].idx] = i;
	vmm_buf_puts(out, "  \"address_spaces\": [");
	for (i = 0; i < n; i++) {
		const struct print_fvgroup *e = &v[pos[i]];

		vmm_buf_printf(out, "%s    {\"name\": ", sep);
		json_str(out, e->as->name);
		json_kstr(out, "root", mr_id(e->as->root));
		if (e->fv)
			vmm_buf_printf(out, ", \"flatview\": %" PRIu64 "}", e->fv->id);
		else
			vmm_buf_puts(out, ", \"flatview\": null}");
		sep = ",\n";
	}
	vmm_buf_puts(out, "\n  ]");
	free(pos);
}

static void json_range(const struct vmm_flat_range *r, struct print_slotidx *kvm,
		       struct vmm_buf *out)
{
	const struct vmm_memslot *s = kvm ? print_slotidx_within(kvm, r->start, r->size) : NULL;

	vmm_buf_puts(out, "        {\"region\": ");
	json_str(out, r->mr->id);
	json_khex(out, "start", r->start);
	json_khex(out, "end", r->start + print_last(r->size));
	json_khex(out, "size", r->size);
	json_khex(out, "offset", r->offset_in_region);
	json_kbool(out, "readonly", r->readonly);
	json_kbool(out, "nonvolatile", r->nonvolatile);
	json_kbool(out, "romd_mode", r->romd_mode);
	json_kbool(out, "log_dirty", r->dirty_log_mask & VMM_DIRTY_LOG_MIGRATION);
	if (s)
		vmm_buf_printf(out, ", \"memslot\": %" PRIu32 "}", s->slot);
	else
		vmm_buf_puts(out, ", \"memslot\": null}");
}

/* One view and the spaces @v[0..n) that share it. */
static void json_flatview(const struct print_fvgroup *v, size_t n, struct print_slotidx *slots,
			  struct vmm_buf *out)
{
	const struct vmm_flatview *fv = v[0].fv;
	const struct vmm_flat_range *fr;
	struct print_slotidx *kvm = NULL;
	struct vmm_fv_iter it;
	const char *sep = "";
	size_t i;

	vmm_buf_printf(out, "    {\"id\": %" PRIu64, fv->id);
	json_kstr(out, "root", mr_id(fv->root));
	vmm_buf_puts(out, ", \"address_spaces\": [");
	for (i = 0; i < n; i++) {
		vmm_buf_puts(out, sep);
		json_str(out, v[i].as->name);
		sep = ", ";
		if (!strcmp(v[i].as->name, KVM_AS_NAME))
			kvm = slots;
	}
	vmm_buf_puts(out, "], \"ranges\": [");
	sep = "\n";
	print_slotidx_rewind(slots);
	vmm_flatview_for_each(fr, it, fv) {
		vmm_buf_puts(out, sep);
		json_range(fr, kvm, out);
		sep = ",\n";
	}
	vmm_buf_puts(out, fv->nr ? "\n      ]}" : "]}");
}

static void json_flatviews(const struct print_fvgroup *v, size_t n, struct print_slotidx *slots,
			   struct vmm_buf *out)
{
	const char *sep = "\n";
	size_t i, first = 0;

	vmm_buf_puts(out, "  \"flatviews\": [");
	for (i = 1; i <= n; i++) {
		if (i < n && v[i].group == v[first].group)
			continue;
		if (v[first].fv) {
			vmm_buf_puts(out, sep);
			json_flatview(v + first, i - first, slots, out);
			sep = ",\n";
		}
		first = i;
	}
	vmm_buf_puts(out, "\n  ]");
}

static const char *rb_backend_name(enum vmm_rb_backend b)
{
	switch (b) {
	case VMM_RB_MEMFD:
		return "memfd";
	case VMM_RB_FILE:
		return "file";
	default:
		return "anon";
	}
}

static void json_rb_flags(unsigned flags, struct vmm_buf *out)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ VMM_RB_RESIZEABLE, "RESIZEABLE" },
		{ VMM_RB_SHARED, "SHARED" },
		{ VMM_RB_READONLY_FD, "READONLY_FD" },
	};
	const char *sep = "";
	size_t i;

	vmm_buf_puts(out, ", \"flags\": [");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].bit))
			continue;
		vmm_buf_printf(out, "%s\"%s\"", sep, names[i].name);
		sep = ", ";
	}
	vmm_buf_puts(out, "]");
}

static void json_ramblocks(struct vmm_memory *m, struct vmm_buf *out)
{
	const struct vmm_ramblock *rb;
	const char *sep = "\n";

	vmm_buf_puts(out, "  \"ramblocks\": [");
	for (rb = vmm_ramlist_first(vmm_memory_ramlist(m)); rb; rb = rb->next) {
		vmm_buf_printf(out, "%s    {\"idstr\": ", sep);
		json_str(out, rb->idstr);
		json_khex(out, "offset", rb->offset);
		json_khex(out, "used_length", rb->used_length);
		json_khex(out, "max_length", rb->max_length);
		json_khex(out, "page_size", rb->page_size);
		json_khex(out, "host", (uintptr_t)rb->host);
		vmm_buf_printf(out, ", \"fd\": %d", rb->fd);
		json_rb_flags(rb->flags, out);
		json_kstr(out, "backend", rb_backend_name(rb->backend));
		json_kstr(out, "path", rb->path);
		json_kstr(out, "region", mr_id(rb->mr));
		vmm_buf_puts(out, "}");
		sep = ",\n";
	}
	vmm_buf_puts(out, "\n  ]");
}

static void json_memslots(struct vmm_accel *accel, struct vmm_buf *out)
{
	const struct vmm_memslot *s;
	const char *sep = "\n";
	uint32_t iter = 0;

	vmm_buf_puts(out, "  \"memslots\": [");
	while (accel && (s = vmm_accel_memslot_next(accel, &iter))) {
		vmm_buf_printf(out, "%s    {\"slot\": %" PRIu32 ", \"as_id\": %u", sep, s->slot,
			       (unsigned)s->as_id);
		json_khex(out, "guest_phys_addr", s->gpa);
		json_khex(out, "memory_size", s->size);
		json_khex(out, "userspace_addr", s->hva);
		vmm_buf_puts(out, ", \"flags\": \"");
		print_slot_flags(s->flags, out);
		vmm_buf_puts(out, "\"}");
		sep = ",\n";
	}
	vmm_buf_puts(out, "\n  ]");
}

/**
 * vmm_print_json() - the whole model as one JSON document
 * @m: the model
 * @accel: where the memslots live (NULL: "accel" null, no memslots)
 * @out: appended to; out->oom is set if memory ran out
 *
 * Top-level keys: accel, address_spaces (creation order), regions (creation
 * order; subregions in list order, i.e. QEMU's priority order), flatviews
 * (order of first use; each range names its leaf region and the memslot lying
 * inside it), ramblocks (list order) and memslots (slot order, flags spelled
 * as in `info memslots`). Regions are referred to by ID, RAM blocks by idstr.
 */
void vmm_print_json(struct vmm_memory *m, struct vmm_accel *accel, struct vmm_buf *out)
{
	struct print_slotidx slots;
	struct print_fvgroup *v;
	ssize_t n;

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
	vmm_buf_puts(out, "{\n  \"accel\": ");
	json_str(out, accel ? vmm_accel_name(accel) : NULL);
	vmm_buf_puts(out, ",\n");
	json_as(v, (size_t)n, out);
	vmm_buf_puts(out, ",\n");
	json_regions(m, out);
	vmm_buf_puts(out, ",\n");
	json_flatviews(v, (size_t)n, &slots, out);
	vmm_buf_puts(out, ",\n");
	json_ramblocks(m, out);
	vmm_buf_puts(out, ",\n");
	json_memslots(accel, out);
	vmm_buf_puts(out, "\n}\n");
	print_fvgroup_free(v, (size_t)n);
	print_slotidx_free(&slots);
}
