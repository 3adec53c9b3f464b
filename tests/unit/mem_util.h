/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the memory-model unit tests: terse constructors that report a
 * failed setup as a TAP failure, a one-line-per-range text form of a flat
 * view to compare against expected values worked out from QEMU's rules, and
 * a full text snapshot of the model used to check that a rejected or aborted
 * edit left everything exactly as it was.
 */
#ifndef MTREEFS_MEM_UTIL_H
#define MTREEFS_MEM_UTIL_H

#include <vmm/flatview.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "tap.h"

#define SZ(x) ((vmm_u128)(x))

static inline struct vmm_mr *mk_container(struct vmm_memory *m, const char *id, vmm_u128 size)
{
	struct vmm_mr *mr = NULL;
	struct vmm_err e = { 0 };

	if (vmm_mr_new_container(m, id, NULL, size, &mr, &e))
		ok(0, "create container %s: %s", id, e.msg);
	return mr;
}

static inline struct vmm_mr *mk_io(struct vmm_memory *m, const char *id, vmm_u128 size)
{
	struct vmm_mr *mr = NULL;
	struct vmm_err e = { 0 };

	if (vmm_mr_new_io(m, id, NULL, size, NULL, &mr, &e))
		ok(0, "create io %s: %s", id, e.msg);
	return mr;
}

static inline struct vmm_mr *mk_ram(struct vmm_memory *m, enum vmm_mr_type t, const char *id,
				    vmm_u128 size)
{
	struct vmm_mr *mr = NULL;
	struct vmm_err e = { 0 };

	if (vmm_mr_new_ram(m, t, id, NULL, size, NULL, &mr, &e))
		ok(0, "create %s %s: %s", vmm_mr_type_name(t), id, e.msg);
	return mr;
}

static inline struct vmm_mr *mk_alias(struct vmm_memory *m, const char *id, struct vmm_mr *t,
				      uint64_t off, vmm_u128 size)
{
	struct vmm_mr *mr = NULL;
	struct vmm_err e = { 0 };

	if (vmm_mr_new_alias(m, id, NULL, t, off, size, &mr, &e))
		ok(0, "create alias %s: %s", id, e.msg);
	return mr;
}

static inline void do_map(struct vmm_mr *mr, struct vmm_mr *parent, uint64_t addr, int prio)
{
	struct vmm_err e = { 0 };

	if (vmm_mr_map(mr, parent, addr, prio, &e))
		ok(0, "map %s in %s: %s", mr->id, parent->id, e.msg);
}

/* "START-END ID[ @OFF][ ro][ nv][ log]" per range, END inclusive. */
static inline char *fv_text(const struct vmm_flatview *fv)
{
	struct vmm_buf b;
	size_t i;

	vmm_buf_init(&b);
	for (i = 0; i < fv->nr; i++) {
		const struct vmm_flat_range *r = vmm_flatview_range(fv, i);

		vmm_buf_printf(&b, "%llx-%llx %s", (unsigned long long)r->start,
			       (unsigned long long)(r->start + r->size - 1), r->mr->id);
		if (r->offset_in_region)
			vmm_buf_printf(&b, " @%llx", (unsigned long long)r->offset_in_region);
		if (r->readonly)
			vmm_buf_puts(&b, " ro");
		if (r->nonvolatile)
			vmm_buf_puts(&b, " nv");
		if (r->dirty_log_mask)
			vmm_buf_puts(&b, " log");
		vmm_buf_puts(&b, "\n");
	}
	return vmm_buf_steal(&b, NULL);
}

/* The current flat view of @as as text (caller frees). */
static inline char *as_text(struct vmm_as *as)
{
	struct vmm_flatview *fv = vmm_as_get_flatview(as);
	char *s = fv_text(fv);

	vmm_flatview_unref(fv);
	return s;
}

/* Render @root (after root simplification) as text. */
static inline char *render_text(struct vmm_mr *root)
{
	struct vmm_flatview *fv = vmm_flatview_render(vmm_flatview_root_of(root));
	char *s = fv ? fv_text(fv) : NULL;

	if (fv)
		vmm_flatview_unref(fv);
	return s;
}

/* Everything observable about the model, in a stable text form. */
static inline char *model_text(struct vmm_memory *m)
{
	struct vmm_buf b;
	struct vmm_mr *mr, *c;
	struct vmm_as *as;

	vmm_buf_init(&b);
	for (mr = vmm_memory_first_region(m); mr; mr = mr->all_next) {
		vmm_buf_printf(&b, "%s %s %s size=%llx%s addr=%llx prio=%d en=%d ro=%d nv=%d "
			       "romd=%d log=%d in=%s alias=%s@%llx refs=%u:", mr->id, mr->name,
			       vmm_mr_type_name(mr->type), (unsigned long long)mr->size,
			       mr->size == VMM_U64_LIMIT ? "(2^64)" : "",
			       (unsigned long long)mr->addr, mr->priority, mr->enabled,
			       mr->readonly, mr->nonvolatile, mr->romd_mode, mr->dirty_log_mask,
			       mr->container ? mr->container->id : "-",
			       mr->alias ? mr->alias->id : "-",
			       (unsigned long long)mr->alias_offset, mr->alias_refs);
		for (c = mr->subregions; c; c = c->sib_next)
			vmm_buf_printf(&b, " %s", c->id);
		vmm_buf_puts(&b, "\n");
	}
	for (as = vmm_memory_first_as(m); as; as = as->next) {
		char *v = as_text(as);

		vmm_buf_printf(&b, "as %s root=%s\n%s", as->name, as->root->id, v);
		free(v);
	}
	vmm_buf_printf(&b, "count=%zu\n", vmm_memory_region_count(m));
	return vmm_buf_steal(&b, NULL);
}

/* Names of @parent's subregions in list order, space separated (caller frees). */
static inline char *child_order(struct vmm_mr *parent)
{
	struct vmm_buf b;
	struct vmm_mr *c;

	vmm_buf_init(&b);
	for (c = parent->subregions; c; c = c->sib_next)
		vmm_buf_printf(&b, "%s%s", b.len ? " " : "", c->id);
	return vmm_buf_steal(&b, NULL);
}

#endif
