// SPDX-License-Identifier: MIT
/*
 * The primitive mutations of the memory model, the steps that every edit is
 * made of and that the undo log replays inverted: linking a region into its
 * parent's sibling list at QEMU's place (before the first sibling of lower
 * or equal priority, found through the parent's priority groups), unlinking
 * it, and reading or applying one attribute (address and size changes move
 * the region in its parent's children index). None of them can fail once
 * mem_link_reserve() has made room, so an undo cannot fail either.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ramblock.h>

#include "primitive_priv.h"
#include "region_index_priv.h"

/* Index of @prio's group in @p, or where it would go (groups sorted high to low). */
static size_t pg_find(const struct mr_int *p, int prio)
{
	size_t lo = 0, hi = p->npg;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->pg[mid].prio > prio)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Room for one more priority group in @parent, so that mem_link() cannot fail. */
int mem_link_reserve(struct vmm_mr *parent)
{
	struct mr_int *p = mr_int(parent);
	struct mem_prio_group *v;
	size_t cap;

	if (p->npg < p->pg_cap)
		return 0;
	cap = p->pg_cap ? p->pg_cap * 2 : 4;
	v = realloc(p->pg, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->pg = v;
	p->pg_cap = cap;
	return 0;
}

/* @mr was just linked into @parent's list: count it in its priority group. */
static void pg_add(struct vmm_mr *parent, struct vmm_mr *mr)
{
	struct mr_int *p = mr_int(parent);
	size_t i = pg_find(p, mr->priority);

	if (i == p->npg || p->pg[i].prio != mr->priority) {
		memmove(&p->pg[i + 1], &p->pg[i], (p->npg - i) * sizeof(p->pg[0]));
		p->pg[i] = (struct mem_prio_group){ mr->priority, 0, mr };
		p->npg++;
	}
	p->pg[i].n++;
	if (!mr->sib_prev || mr->sib_prev->priority != mr->priority)
		p->pg[i].head = mr;
	if (!mr->sib_next)
		p->tail = mr;
}

/* @mr is about to leave @parent's list. */
static void pg_del(struct vmm_mr *parent, struct vmm_mr *mr)
{
	struct mr_int *p = mr_int(parent);
	size_t i = pg_find(p, mr->priority);

	if (p->tail == mr)
		p->tail = mr->sib_prev;
	if (i == p->npg || p->pg[i].prio != mr->priority)
		return;
	if (--p->pg[i].n == 0) {
		memmove(&p->pg[i], &p->pg[i + 1], (p->npg - i - 1) * sizeof(p->pg[0]));
		p->npg--;
	} else if (p->pg[i].head == mr) {
		p->pg[i].head = mr->sib_next;
	}
}

/* Link @mr into @parent right after @after (NULL: at the head). */
void mem_link(struct vmm_mr *mr, struct vmm_mr *parent, struct vmm_mr *after)
{
	mr->container = parent;
	mr->sib_prev = after;
	if (after) {
		mr->sib_next = after->sib_next;
		after->sib_next = mr;
	} else {
		mr->sib_next = parent->subregions;
		parent->subregions = mr;
	}
	if (mr->sib_next)
		mr->sib_next->sib_prev = mr;
	pg_add(parent, mr);
	mem_index_insert(parent, mr);
}

void mem_unlink(struct vmm_mr *mr)
{
	pg_del(mr->container, mr);
	mem_index_remove(mr->container, mr);
	if (mr->sib_prev)
		mr->sib_prev->sib_next = mr->sib_next;
	else
		mr->container->subregions = mr->sib_next;
	if (mr->sib_next)
		mr->sib_next->sib_prev = mr->sib_prev;
	mr->container = NULL;
	mr->sib_next = mr->sib_prev = NULL;
}

/*
 * QEMU's order: before the first sibling whose priority is <= ours, i.e.
 * before the head of the first priority group not above ours.
 */
struct vmm_mr *mem_insert_point(struct vmm_mr *parent, int prio)
{
	struct mr_int *p = mr_int(parent);
	size_t i = pg_find(p, prio);

	return i < p->npg ? p->pg[i].head->sib_prev : p->tail;
}

vmm_u128 mem_field_get(const struct vmm_mr *mr, enum mr_field f, struct vmm_mr **ptr)
{
	switch (f) {
	case F_ENABLED: return mr->enabled;
	case F_READONLY: return mr->readonly;
	case F_NONVOLATILE: return mr->nonvolatile;
	case F_ROMD: return mr->romd_mode;
	case F_LOG: return mr->dirty_log_mask;
	case F_PRIO: return (vmm_u128)(uint32_t)mr->priority;
	case F_ADDR: return mr->addr;
	case F_ALIAS_OFFSET: return mr->alias_offset;
	case F_SIZE: return mr->size;
	case F_ALIAS: *ptr = mr->alias; return 0;
	}
	return 0;
}

void mem_field_apply(struct vmm_mr *mr, enum mr_field f, vmm_u128 v, struct vmm_mr *ptr)
{
	switch (f) {
	case F_ENABLED: mr->enabled = v; break;
	case F_READONLY: mr->readonly = v; break;
	case F_NONVOLATILE: mr->nonvolatile = v; break;
	case F_ROMD: mr->romd_mode = v; break;
	case F_LOG: mr->dirty_log_mask = (uint8_t)v; break;
	case F_PRIO: mr->priority = (int)(uint32_t)v; break;
	case F_ADDR: mem_set_geometry(mr, F_ADDR, v); break;
	case F_ALIAS_OFFSET: mr->alias_offset = (uint64_t)v; break;
	case F_SIZE:
		/* resizing back to a size the block had cannot fail */
		if (mr->rb)
			vmm_ramblock_resize(mr->rb, (uint64_t)v, NULL);
		mem_set_geometry(mr, F_SIZE, v);
		break;
	case F_ALIAS:
		mem_alias_detach(mr);
		mem_alias_attach(mr, ptr);
		break;
	}
}
