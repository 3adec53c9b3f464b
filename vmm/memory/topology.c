// SPDX-License-Identifier: MIT
/*
 * Topology edits of the memory model: mapping and unmapping subregions in
 * QEMU's sibling order, attribute setters (priority and address changes
 * re-insert the region, as memory_region_readd_subregion does), resizing
 * and alias retargeting. Every edit checks first (cycles, 2^64 overflow,
 * alias windows), then applies primitive mutations (primitive.c) that each
 * log their inverse and note their dirty windows, so a failure or an abort
 * restores the exact previous state and a commit re-renders only what moved.
 */
#include <errno.h>
#include <stdlib.h>

#include <vmm/ramblock.h>

#include "commit_priv.h"
#include "dirty_window_priv.h"
#include "primitive_priv.h"
#include "region_index_priv.h"
#include "undo_priv.h"

/* Log and apply one attribute change. */
static int field_set(struct vmm_mr *mr, enum mr_field f, vmm_u128 v, struct vmm_mr *ptr,
		     struct vmm_err *err)
{
	struct undo_rec u = { .op = U_FIELD, .field = f, .mr = mr };

	u.old = mem_field_get(mr, f, &u.old_ptr);
	if (mem_log_push(mr->mem, &u))
		return vmm_err_set(err, -ENOMEM, "out of memory");
	mem_dirty_before(mr->mem, mr);
	mem_field_apply(mr, f, v, ptr);
	mem_dirty_after(mr->mem, mr);
	return 0;
}

static int do_link(struct vmm_mr *mr, struct vmm_mr *parent, struct vmm_err *err)
{
	struct undo_rec u = { .op = U_LINK, .mr = mr, .old = mr_int(mr)->link_seq };

	if (mem_link_reserve(parent) || mem_log_push(mr->mem, &u))
		return vmm_err_set(err, -ENOMEM, "out of memory");
	mem_dirty_before(mr->mem, mr);
	mr_int(mr)->link_seq = ++mr->mem->next_link_seq;
	mem_link(mr, parent, mem_insert_point(parent, mr->priority));
	mem_dirty_after(mr->mem, mr);
	return 0;
}

static int do_unlink(struct vmm_mr *mr, struct vmm_err *err)
{
	struct undo_rec u = { .op = U_UNLINK, .mr = mr, .parent = mr->container,
			      .sib_prev = mr->sib_prev };

	if (mem_log_push(mr->mem, &u))
		return vmm_err_set(err, -ENOMEM, "out of memory");
	mem_dirty_before(mr->mem, mr);
	mem_unlink(mr);
	mem_dirty_after(mr->mem, mr);
	return 0;
}

/* Grow-on-demand stack for the cycle search (no recursion: chains can be long). */
struct mr_stack {
	struct vmm_mr **v;
	size_t n, cap;
};

static int stack_push(struct mr_stack *s, struct vmm_mr *mr)
{
	if (mr_int(mr)->mark == mr->mem->epoch)
		return 0;
	mr_int(mr)->mark = mr->mem->epoch;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct vmm_mr **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = mr;
	return 0;
}

/*
 * Can @from reach @to through subregion and alias-target edges? Returns 1,
 * 0, or -ENOMEM. Each region is visited once (epoch marks).
 */
static int reaches(struct vmm_mr *from, struct vmm_mr *to)
{
	struct mr_stack s = { 0 };
	struct vmm_mr *mr, *c;
	int r;

	from->mem->epoch++;
	r = stack_push(&s, from);
	while (!r && s.n) {
		mr = s.v[--s.n];
		if (mr == to) {
			r = 1;
			break;
		}
		if (mr->alias)
			r = stack_push(&s, mr->alias);
		for (c = mr->subregions; c && !r; c = c->sib_next)
			r = stack_push(&s, c);
	}
	free(s.v);
	return r;
}

static int map_check(struct vmm_mr *mr, struct vmm_mr *parent, uint64_t addr,
		     struct vmm_err *err)
{
	int r = mem_region_check_live(mr, err);

	if (!r)
		r = mem_region_check_live(parent, err);
	if (r)
		return r;
	if (mr->container)
		return vmm_err_set(err, -EBUSY, "%s is already mapped in %s", mr->id,
				   mr->container->id);
	if (parent->type == VMM_MR_ALIAS)
		return vmm_err_set(err, -EINVAL, "%s is an alias; it cannot hold subregions",
				   parent->id);
	if ((vmm_u128)addr + mr->size > VMM_U64_LIMIT)
		return vmm_err_set(err, -ERANGE, "%s at 0x%llx + size %s ends beyond 2^64",
				   mr->id, (unsigned long long)addr, mem_hex(mr->size).s);
	r = reaches(mr, parent);
	if (r < 0)
		return vmm_err_set(err, r, "out of memory");
	if (r)
		return vmm_err_set(err, -ELOOP, "mapping %s into %s would make a cycle",
				   mr->id, parent->id);
	return 0;
}

/**
 * vmm_mr_map() - map @mr into @parent (memory_region_add_subregion_overlap)
 * @mr: unmapped region
 * @parent: container or terminating region (not an alias)
 * @addr: offset inside @parent
 * @prio: priority among the siblings
 * @err: reason on failure
 *
 * Return: 0, -EBUSY already mapped, -ELOOP cycle, -ERANGE overflow, -EINVAL.
 */
int vmm_mr_map(struct vmm_mr *mr, struct vmm_mr *parent, uint64_t addr, int prio,
	       struct vmm_err *err)
{
	struct vmm_memory *m = mr->mem;
	int r;

	mem_txn_enter(m);
	r = map_check(mr, parent, addr, err);
	if (!r && mr->addr != addr)
		r = field_set(mr, F_ADDR, addr, NULL, err);
	if (!r && mr->priority != prio)
		r = field_set(mr, F_PRIO, (uint32_t)prio, NULL, err);
	if (!r)
		r = do_link(mr, parent, err);
	return mem_txn_leave(m, r, err);
}

/**
 * vmm_mr_unmap() - remove @mr from its container (memory_region_del_subregion)
 * @mr: mapped region
 * @err: reason on failure
 *
 * Return: 0 or -EINVAL when not mapped.
 */
int vmm_mr_unmap(struct vmm_mr *mr, struct vmm_err *err)
{
	struct vmm_memory *m = mr->mem;
	int r;

	mem_txn_enter(m);
	r = mem_region_check_live(mr, err);
	if (!r && !mr->container)
		r = vmm_err_set(err, -EINVAL, "%s is not mapped", mr->id);
	if (!r)
		r = do_unlink(mr, err);
	return mem_txn_leave(m, r, err);
}

/* Apply a checked attribute change as its own (nested) transaction. */
static int simple_set(struct vmm_mr *mr, enum mr_field f, vmm_u128 v, struct vmm_err *err)
{
	struct vmm_memory *m = mr->mem;
	struct vmm_mr *dummy;
	int r;

	mem_txn_enter(m);
	r = mem_region_check_live(mr, err);
	if (!r && mem_field_get(mr, f, &dummy) != v)
		r = field_set(mr, f, v, NULL, err);
	return mem_txn_leave(m, r, err);
}

int vmm_mr_set_enabled(struct vmm_mr *mr, bool on, struct vmm_err *err)
{
	return simple_set(mr, F_ENABLED, on, err);
}

int vmm_mr_set_readonly(struct vmm_mr *mr, bool on, struct vmm_err *err)
{
	return simple_set(mr, F_READONLY, on, err);
}

int vmm_mr_set_nonvolatile(struct vmm_mr *mr, bool on, struct vmm_err *err)
{
	return simple_set(mr, F_NONVOLATILE, on, err);
}

/**
 * vmm_mr_set_romd() - switch a ROM device in or out of romd mode
 * @mr: a romd region
 * @on: romd mode (reads from RAM) or not (every access to the device)
 * @err: reason on failure
 *
 * Return: 0 or -EINVAL for other region types.
 */
int vmm_mr_set_romd(struct vmm_mr *mr, bool on, struct vmm_err *err)
{
	int r = mem_region_check_live(mr, err);

	if (!r && mr->type != VMM_MR_ROMD)
		r = vmm_err_set(err, -EINVAL, "%s is not a romd region", mr->id);
	return r ? r : simple_set(mr, F_ROMD, on, err);
}

/**
 * vmm_mr_set_log_dirty() - turn migration dirty logging on or off
 * @mr: a ram, rom or romd region
 * @on: logging
 * @err: reason on failure
 *
 * Return: 0 or -EINVAL for regions without RAM.
 */
int vmm_mr_set_log_dirty(struct vmm_mr *mr, bool on, struct vmm_err *err)
{
	int r = mem_region_check_live(mr, err);

	if (!r && !vmm_mr_is_ram(mr))
		r = vmm_err_set(err, -EINVAL, "%s has no RAM to log", mr->id);
	return r ? r : simple_set(mr, F_LOG, on ? (mr->dirty_log_mask | VMM_DIRTY_LOG_MIGRATION)
				       : (mr->dirty_log_mask & ~VMM_DIRTY_LOG_MIGRATION), err);
}

/* Change priority or address; a mapped region is re-inserted among its siblings. */
static int readd(struct vmm_mr *mr, enum mr_field f, vmm_u128 v, struct vmm_err *err)
{
	struct vmm_mr *parent = mr->container;
	int r;

	r = do_unlink(mr, err);
	if (!r)
		r = field_set(mr, f, v, NULL, err);
	if (!r)
		r = do_link(mr, parent, err);
	return r;
}

/**
 * vmm_mr_set_priority() - change the priority; a mapped region moves to the
 * front of its new priority group
 * @mr: region
 * @prio: new priority
 * @err: reason on failure
 *
 * Return: 0 or -errno.
 */
int vmm_mr_set_priority(struct vmm_mr *mr, int prio, struct vmm_err *err)
{
	struct vmm_memory *m = mr->mem;
	int r;

	mem_txn_enter(m);
	r = mem_region_check_live(mr, err);
	if (!r && mr->priority != prio) {
		if (mr->container)
			r = readd(mr, F_PRIO, (uint32_t)prio, err);
		else
			r = field_set(mr, F_PRIO, (uint32_t)prio, NULL, err);
	}
	return mem_txn_leave(m, r, err);
}

/**
 * vmm_mr_set_addr() - move a region (memory_region_set_address)
 * @mr: region
 * @addr: new offset inside its container
 * @err: reason on failure
 *
 * An unmapped region only records the address (map checks it); an
 * address-space root keeps rendering at it, as in QEMU.
 *
 * Return: 0 or -ERANGE when a mapped region would end beyond 2^64.
 */
int vmm_mr_set_addr(struct vmm_mr *mr, uint64_t addr, struct vmm_err *err)
{
	struct vmm_memory *m = mr->mem;
	int r;

	mem_txn_enter(m);
	r = mem_region_check_live(mr, err);
	if (!r && mr->container && (vmm_u128)addr + mr->size > VMM_U64_LIMIT)
		r = vmm_err_set(err, -ERANGE, "%s at 0x%llx + size %s ends beyond 2^64",
				mr->id, (unsigned long long)addr, mem_hex(mr->size).s);
	if (!r && mr->addr != addr) {
		if (mr->container)
			r = readd(mr, F_ADDR, addr, err);
		else
			r = field_set(mr, F_ADDR, addr, NULL, err);
	}
	return mem_txn_leave(m, r, err);
}

/**
 * vmm_mr_set_alias_offset() - move an alias's window inside its target
 * @mr: alias
 * @off: new window start
 * @err: reason on failure
 *
 * Return: 0 or -EINVAL (not an alias, window outside the target).
 */
int vmm_mr_set_alias_offset(struct vmm_mr *mr, uint64_t off, struct vmm_err *err)
{
	/* a deleted alias's target may be gone: check liveness before the window */
	int r = mem_region_check_live(mr, err);

	if (!r && mr->type != VMM_MR_ALIAS)
		r = vmm_err_set(err, -EINVAL, "%s is not an alias", mr->id);
	if (!r && (vmm_u128)off + mr->size > mr->alias->size)
		r = vmm_err_set(err, -EINVAL, "alias %s: window 0x%llx+%s is outside %s",
				mr->id, (unsigned long long)off, mem_hex(mr->size).s, mr->alias->id);
	return r ? r : simple_set(mr, F_ALIAS_OFFSET, off, err);
}

/* An alias of @mr whose window would not fit in @size, or NULL. */
static struct vmm_mr *alias_beyond(struct vmm_mr *mr, vmm_u128 size)
{
	struct vmm_mr *a;

	struct mr_int *p;

	for (p = mr_int(mr)->alias_head; p; p = p->alias_next) {
		a = &p->pub;
		if ((vmm_u128)a->alias_offset + a->size > size)
			return a;
	}
	return NULL;
}

static int size_check(struct vmm_mr *mr, vmm_u128 size, struct vmm_err *err)
{
	struct vmm_mr *a;

	if (size > VMM_U64_LIMIT)
		return vmm_err_set(err, -ERANGE, "%s: size above 2^64", mr->id);
	if (mr->container && (vmm_u128)mr->addr + size > VMM_U64_LIMIT)
		return vmm_err_set(err, -ERANGE, "%s at 0x%llx + size %s ends beyond 2^64",
				   mr->id, (unsigned long long)mr->addr, mem_hex(size).s);
	if (mr->type == VMM_MR_ALIAS && (vmm_u128)mr->alias_offset + size > mr->alias->size)
		return vmm_err_set(err, -EINVAL, "alias %s: window 0x%llx+%s is outside %s",
				   mr->id, (unsigned long long)mr->alias_offset, mem_hex(size).s,
				   mr->alias->id);
	a = alias_beyond(mr, size);
	if (a)
		return vmm_err_set(err, -EBUSY, "%s: alias %s's window would extend beyond it",
				   mr->id, a->id);
	if (mr->rb && (size == 0 || size > mr->rb->max_length))
		return vmm_err_set(err, -EINVAL, "%s: RAM size %s not within 1..0x%llx",
				   mr->id, mem_hex(size).s, (unsigned long long)mr->rb->max_length);
	return 0;
}

/**
 * vmm_mr_set_size() - resize a region (memory_region_set_size / qemu_ram_resize)
 * @mr: region; RAM-backed ones only within a resizeable block's maximum
 * @size: new size, up to 2^64
 * @err: reason on failure
 *
 * Return: 0, -ERANGE, -EINVAL (RAM limits, alias window) or -EBUSY (an alias
 * of @mr would no longer fit).
 */
int vmm_mr_set_size(struct vmm_mr *mr, vmm_u128 size, struct vmm_err *err)
{
	struct vmm_memory *m = mr->mem;
	int r;

	mem_txn_enter(m);
	r = mem_region_check_live(mr, err);
	if (!r && mr->size != size)
		r = size_check(mr, size, err);
	if (!r && mr->size != size && mr->rb)
		r = vmm_ramblock_resize(mr->rb, (uint64_t)size, err);
	if (!r && mr->size != size) {
		struct undo_rec u = { .op = U_FIELD, .field = F_SIZE, .mr = mr, .old = mr->size };

		if (mem_log_push(m, &u)) {
			if (mr->rb)
				vmm_ramblock_resize(mr->rb, (uint64_t)mr->size, NULL);
			r = vmm_err_set(err, -ENOMEM, "out of memory");
		} else {
			mem_dirty_before(m, mr);
			mem_set_geometry(mr, F_SIZE, size);
			mem_dirty_after(m, mr);
		}
	}
	return mem_txn_leave(m, r, err);
}

/**
 * vmm_mr_set_alias_target() - point an alias at another region
 * @mr: alias
 * @target: new target; the current window must fit in it
 * @err: reason on failure
 *
 * Return: 0, -EINVAL (not an alias, window outside) or -ELOOP (cycle).
 */
int vmm_mr_set_alias_target(struct vmm_mr *mr, struct vmm_mr *target, struct vmm_err *err)
{
	struct vmm_memory *m = mr->mem;
	int r;

	mem_txn_enter(m);
	r = mem_region_check_live(mr, err);
	if (!r)
		r = mem_region_check_live(target, err);
	if (!r && mr->type != VMM_MR_ALIAS)
		r = vmm_err_set(err, -EINVAL, "%s is not an alias", mr->id);
	if (!r && (vmm_u128)mr->alias_offset + mr->size > target->size)
		r = vmm_err_set(err, -EINVAL, "alias %s: window 0x%llx+%s is outside %s",
				mr->id, (unsigned long long)mr->alias_offset, mem_hex(mr->size).s,
				target->id);
	if (!r && target != mr->alias) {
		r = reaches(target, mr);
		if (r > 0)
			r = vmm_err_set(err, -ELOOP, "alias %s -> %s would make a cycle", mr->id,
					target->id);
		else if (r < 0)
			r = vmm_err_set(err, r, "out of memory");
		if (!r)
			r = field_set(mr, F_ALIAS, 0, target, err);
	}
	return mem_txn_leave(m, r, err);
}
