// SPDX-License-Identifier: MIT
/*
 * Memory listeners (QEMU's MemoryListener): the notification round of an
 * outermost commit in QEMU's order (address_space_update_topology_pass:
 * removals with the listeners in reverse order, then additions and
 * unchanged ranges in address order, dirty-log changes, then commit or a
 * rollback of every listener), and registration, which replays the current
 * ranges as QEMU does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "listener_priv.h"

/* Snapshot the registered listeners into @c (a listener may unregister itself later). */
int mem_listeners_collect(struct commit_ctx *c)
{
	struct vmm_listener *l;
	size_t n = 0;

	for (l = c->m->listeners; l; l = l->next)
		n++;
	c->ls = calloc(n ? n : 1, sizeof(*c->ls));
	if (!c->ls)
		return vmm_err_set(c->err, -ENOMEM, "out of memory");
	for (l = c->m->listeners; l; l = l->next)
		c->ls[c->nls++] = l;
	return 0;
}

/* A listener named for an address space hears that one (by key), not its namesakes. */
static bool listens(const struct vmm_listener *l, const struct vmm_as *as)
{
	char key[VMM_AS_KEY_MAX];

	return !l->as_name || strcmp(l->as_name, vmm_as_key(as, key)) == 0;
}

static void section_of(struct vmm_section *s, struct vmm_as *as,
		       const struct vmm_flat_range *fr)
{
	s->as = as;
	s->mr = fr->mr;
	s->offset_within_region = fr->offset_in_region;
	s->offset_within_as = fr->start;
	s->size = fr->size;
	s->readonly = fr->readonly;
	s->nonvolatile = fr->nonvolatile;
	s->romd_mode = fr->romd_mode;
	s->dirty_log_mask = fr->dirty_log_mask;
}

/* QEMU's flatrange_equal: everything but the dirty-log mask. */
static bool fr_equal(const struct vmm_flat_range *a, const struct vmm_flat_range *b)
{
	return a->start == b->start && a->size == b->size && a->mr == b->mr &&
	       a->offset_in_region == b->offset_in_region && a->romd_mode == b->romd_mode &&
	       a->readonly == b->readonly && a->nonvolatile == b->nonvolatile;
}

static int listener_failed(struct commit_ctx *c, int r, const char *what,
			   const struct vmm_section *s)
{
	char at[VMM_U128_BUF], size[VMM_U128_BUF];

	return vmm_err_set(c->err, r < 0 ? r : -EIO,
			   "memory listener refused %s of %s at %s+%s in \"%s\": %s",
			   what, s->mr->id, vmm_u128_fmt(s->offset_within_as, VMM_U128_HEX, at),
			   vmm_u128_fmt(s->size, VMM_U128_HEX, size), s->as->name,
			   strerror(r < 0 ? -r : EIO));
}

static int call_del(struct commit_ctx *c, const struct vmm_section *s)
{
	size_t i;
	int r;

	for (i = c->nls; i-- > 0;) {
		struct vmm_listener *l = c->ls[i];

		if (!listens(l, s->as) || !l->region_del)
			continue;
		r = l->region_del(l, s);
		if (r)
			return listener_failed(c, r, "removal", s);
	}
	return 0;
}

static int call_add(struct commit_ctx *c, const struct vmm_section *s)
{
	size_t i;
	int r;

	for (i = 0; i < c->nls; i++) {
		struct vmm_listener *l = c->ls[i];

		if (!listens(l, s->as) || !l->region_add)
			continue;
		r = l->region_add(l, s);
		if (r)
			return listener_failed(c, r, "addition", s);
	}
	return 0;
}

/*
 * An unchanged range: region_nop on every listener, then log_start on every
 * listener, then log_stop on every listener (one MEMORY_LISTENER_UPDATE_REGION
 * each, as QEMU does).
 */
static int call_nop(struct commit_ctx *c, const struct vmm_section *s, unsigned old_mask)
{
	unsigned nm = s->dirty_log_mask;
	size_t i;
	int r = 0;

	for (i = 0; i < c->nls; i++)
		if (listens(c->ls[i], s->as) && c->ls[i]->region_nop)
			c->ls[i]->region_nop(c->ls[i], s);
	for (i = 0; i < c->nls && !r && (nm & ~old_mask); i++)
		if (listens(c->ls[i], s->as) && c->ls[i]->log_start)
			r = c->ls[i]->log_start(c->ls[i], s, old_mask, nm);
	for (i = 0; i < c->nls && !r && (old_mask & ~nm); i++)
		if (listens(c->ls[i], s->as) && c->ls[i]->log_stop)
			r = c->ls[i]->log_stop(c->ls[i], s, old_mask, nm);
	return r ? listener_failed(c, r, "a dirty-log change", s) : 0;
}

/*
 * address_space_update_topology_pass over old ranges [@sp->o0, @sp->o1) and
 * new ranges [@sp->n0, @sp->n1): dels when !@adding, adds and nops when @adding.
 */
static int update_pass(struct commit_ctx *c, struct vmm_as *as, const struct vmm_flatview *o,
		       const struct vmm_flatview *n, const struct mem_span *sp, bool adding)
{
	const struct vmm_flat_range *fo, *fn;
	struct vmm_fv_iter io, in;
	struct vmm_section s;
	int r = 0;

	vmm_fv_iter_init(&io, o, sp->o0);
	vmm_fv_iter_init(&in, n, sp->n0);
	fo = sp->o0 < sp->o1 ? vmm_fv_iter_next(&io) : NULL;
	fn = sp->n0 < sp->n1 ? vmm_fv_iter_next(&in) : NULL;
	while (!r && (fo || fn)) {
		bool del = fo && (!fn || fo->start < fn->start ||
				  (fo->start == fn->start && !fr_equal(fo, fn)));
		bool same = !del && fo && fn && fr_equal(fo, fn);

		section_of(&s, as, del ? fo : fn);
		if (del && !adding)
			r = call_del(c, &s);
		else if (same && adding)
			r = call_nop(c, &s, fo->dirty_log_mask);
		else if (!del && !same && adding)
			r = call_add(c, &s);
		if (del || same)
			fo = io.i < sp->o1 ? vmm_fv_iter_next(&io) : NULL;
		if (!del)
			fn = in.i < sp->n1 ? vmm_fv_iter_next(&in) : NULL;
	}
	return r;
}

static bool anyone_listens(struct commit_ctx *c, struct vmm_as *as)
{
	size_t i;

	for (i = 0; i < c->nls; i++)
		if (listens(c->ls[i], as))
			return true;
	return false;
}

/* Does a listener of @as want region_nop (then it hears about every range)? */
static bool wants_nop(struct commit_ctx *c, struct vmm_as *as)
{
	size_t i;

	for (i = 0; i < c->nls; i++)
		if (listens(c->ls[i], as) && c->ls[i]->region_nop)
			return true;
	return false;
}

/* Both passes for one address space: over its spans, or over the whole views. */
static int update_as(struct commit_ctx *c, struct plan_as *p)
{
	const struct vmm_flatview *o = p->as->current, *n = p->nv;
	struct mem_span whole = { 0, o->nr, 0, n->nr };
	const struct mem_span *sp = &whole;
	size_t ns = 1, i;
	int r = 0;

	if (p->inc && !wants_nop(c, p->as)) {
		if (o == n)
			return 0;
		sp = p->spans;
		ns = p->nspans;
	}
	for (i = 0; i < ns && !r; i++)
		r = update_pass(c, p->as, o, n, &sp[i], false);
	for (i = 0; i < ns && !r; i++)
		r = update_pass(c, p->as, o, n, &sp[i], true);
	return r;
}

/* The notification round of a commit over @c's plan; on failure every listener is rolled back. */
int mem_notify(struct commit_ctx *c)
{
	size_t i;
	int r = 0;

	for (i = 0; i < c->nls; i++)
		if (c->ls[i]->begin)
			c->ls[i]->begin(c->ls[i]);
	for (i = 0; i < c->nplan && !r; i++) {
		struct plan_as *p = &c->plan[i];

		if (!anyone_listens(c, p->as))
			continue;
		r = update_as(c, p);
	}
	for (i = 0; i < c->nls && !r; i++) {
		struct vmm_listener *l = c->ls[i];

		if (l->commit && (r = l->commit(l)) != 0)
			vmm_err_set(c->err, r < 0 ? r : -EIO, "memory listener commit failed: %s",
				    strerror(r < 0 ? -r : EIO));
	}
	if (r) {
		r = r < 0 ? r : -EIO;
		for (i = 0; i < c->nls; i++)
			if (c->ls[i]->rollback)
				c->ls[i]->rollback(c->ls[i]);
	}
	return r;
}

/* ---- listener registration ---- */

static int replay(struct vmm_listener *l, struct vmm_memory *m, bool adding)
{
	const struct vmm_flat_range *fr;
	struct vmm_section s;
	struct vmm_fv_iter it;
	struct vmm_as *as;
	int r = 0;

	for (as = m->as_head; as && !r; as = as->next) {
		if (!listens(l, as))
			continue;
		vmm_fv_iter_init(&it, as->current, 0);
		while (!r && (fr = vmm_fv_iter_next(&it)) != NULL) {
			section_of(&s, as, fr);
			if (adding) {
				r = l->region_add ? l->region_add(l, &s) : 0;
				if (!r && fr->dirty_log_mask && l->log_start)
					r = l->log_start(l, &s, 0, fr->dirty_log_mask);
			} else {
				if (fr->dirty_log_mask && l->log_stop)
					l->log_stop(l, &s, fr->dirty_log_mask, 0);
				if (l->region_del)
					l->region_del(l, &s);
			}
		}
	}
	return r;
}

/**
 * vmm_memory_listener_register() - add @l and replay every current range to it
 * @m: model
 * @l: listener
 * @err: reason when the replay failed (the listener is then not registered)
 *
 * Return: 0 or the listener's -errno.
 */
int vmm_memory_listener_register(struct vmm_memory *m, struct vmm_listener *l,
				 struct vmm_err *err)
{
	struct vmm_listener **pp;
	int r;

	if (l->begin)
		l->begin(l);
	r = replay(l, m, true);
	if (!r && l->commit)
		r = l->commit(l);
	if (r) {
		if (l->rollback)
			l->rollback(l);
		return vmm_err_set(err, r < 0 ? r : -EIO, "listener registration failed: %s",
				   strerror(r < 0 ? -r : EIO));
	}
	l->next = NULL;
	for (pp = &m->listeners; *pp; pp = &(*pp)->next)
		;
	*pp = l;
	return 0;
}

/**
 * vmm_memory_listener_unregister() - remove @l, reporting every range as deleted
 * @m: model
 * @l: registered listener
 */
void vmm_memory_listener_unregister(struct vmm_memory *m, struct vmm_listener *l)
{
	struct vmm_listener **pp;

	for (pp = &m->listeners; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			l->next = NULL;
			if (l->begin)
				l->begin(l);
			replay(l, m, false);
			if (l->commit)
				l->commit(l);
			return;
		}
	}
}
