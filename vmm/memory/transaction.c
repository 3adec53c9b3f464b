// SPDX-License-Identifier: MIT
/*
 * Transactions of the memory model: the undo log that every primitive
 * mutation appends its inverse to, nested begin/commit/abort, and the
 * outermost commit that renders one flat view per distinct flat-view root,
 * tells the listeners what changed in QEMU's order
 * (memory_region_transaction_commit + address_space_update_topology_pass),
 * and publishes the views. A failing listener rolls everything back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memory_priv.h"

int mem_log_push(struct vmm_memory *m, const struct undo_rec *r)
{
	if (m->log_nr == m->log_cap) {
		size_t cap = m->log_cap ? m->log_cap * 2 : 64;
		struct undo_rec *l = realloc(m->log, cap * sizeof(*l));

		if (!l)
			return -ENOMEM;
		m->log = l;
		m->log_cap = cap;
	}
	m->log[m->log_nr++] = *r;
	return 0;
}

/**
 * vmm_memory_begin() - open a (possibly nested) transaction
 * @m: model
 *
 * If the bookkeeping cannot grow the transaction still nests: the depth is
 * counted and the mark falls back to the enclosing one's.
 */
void vmm_memory_begin(struct vmm_memory *m)
{
	if (m->depth == m->marks_cap) {
		size_t cap = m->marks_cap ? m->marks_cap * 2 : 8;
		size_t *v = realloc(m->marks, cap * sizeof(*v));

		if (v) {
			m->marks = v;
			m->marks_cap = cap;
		}
	}
	if (m->depth < m->marks_cap)
		m->marks[m->depth] = m->log_nr;
	m->depth++;
}

unsigned vmm_memory_depth(const struct vmm_memory *m)
{
	return m->depth;
}

static void as_relink(struct vmm_memory *m, struct vmm_as *as, struct vmm_as *prev)
{
	struct vmm_as **pp = prev ? &prev->next : &m->as_head;

	as->next = *pp;
	*pp = as;
}

static void as_unlink(struct vmm_memory *m, struct vmm_as *as)
{
	struct vmm_as **pp;

	for (pp = &m->as_head; *pp; pp = &(*pp)->next) {
		if (*pp == as) {
			*pp = as->next;
			return;
		}
	}
}

static void undo_one(struct vmm_memory *m, struct undo_rec *u)
{
	switch (u->op) {
	case U_CREATE:
		mem_region_unlink_registry(m, u->mr);
		if (u->mr->alias)
			mem_alias_detach(u->mr);
		mem_region_release_rb(m, u->mr);
		vmm_mr_unref(u->mr);
		break;
	case U_DELETE:
		mem_region_relink_registry(m, u->mr);
		if (u->mr->alias)
			mem_alias_attach(u->mr, u->mr->alias);
		break;
	case U_LINK:
		mem_unlink(u->mr);
		mr_int(u->mr)->link_seq = (uint64_t)u->old;
		break;
	case U_UNLINK:
		mem_link(u->mr, u->parent, u->sib_prev);
		break;
	case U_FIELD:
		mem_field_apply(u->mr, u->field, u->old, u->old_ptr);
		break;
	case U_AS_NEW:
		as_unlink(m, u->as);
		mem_as_free(u->as);
		break;
	case U_AS_DEL:
		as_relink(m, u->as, u->as_prev);
		break;
	}
}

static void undo_to(struct vmm_memory *m, size_t mark)
{
	while (m->log_nr > mark)
		undo_one(m, &m->log[--m->log_nr]);
}

static size_t top_mark(const struct vmm_memory *m)
{
	unsigned d = m->depth - 1;

	while (d >= m->marks_cap && d > 0)
		d--;
	return d < m->marks_cap ? m->marks[d] : 0;
}

/**
 * vmm_memory_abort() - undo everything since the matching vmm_memory_begin()
 * @m: model
 */
void vmm_memory_abort(struct vmm_memory *m)
{
	if (!m->depth)
		return;
	undo_to(m, top_mark(m));
	m->depth--;
	if (!m->depth)
		mem_dirty_reset(m);
}

void mem_txn_enter(struct vmm_memory *m)
{
	vmm_memory_begin(m);
}

/* End a mutator's own transaction: abort on @r, else commit. */
int mem_txn_leave(struct vmm_memory *m, int r, struct vmm_err *err)
{
	if (r) {
		vmm_memory_abort(m);
		return r;
	}
	return vmm_memory_commit(m, err);
}

void mem_publish(struct vmm_as *as, struct vmm_flatview *fv)
{
	struct vmm_memory *m = as->mem;
	struct vmm_flatview *old;

	pthread_mutex_lock(&m->view_lock);
	old = as->current;
	as->current = fv;
	pthread_mutex_unlock(&m->view_lock);
	vmm_flatview_unref(old);
}

/**
 * vmm_as_get_flatview() - the current flat view of @as, referenced
 * @as: address space
 *
 * Safe against a commit running on another thread.
 *
 * Return: the view; release it with vmm_flatview_unref().
 */
struct vmm_flatview *vmm_as_get_flatview(struct vmm_as *as)
{
	struct vmm_memory *m = as->mem;
	struct vmm_flatview *fv;

	pthread_mutex_lock(&m->view_lock);
	fv = as->current;
	vmm_flatview_ref(fv);
	pthread_mutex_unlock(&m->view_lock);
	return fv;
}

/* ---- the outermost commit ---- */

/* One address space's part of a commit: its old and new view. */
struct plan_as {
	struct vmm_as *as;
	struct vmm_mr *root;
	struct vmm_flatview *nv;
	bool dead;
	bool inc;		/* listeners hear only about @spans */
	bool borrow;		/* @nv borrows chunks of @as->current until settled */
	struct mem_span *spans;
	size_t nspans;
};

struct commit_ctx {
	struct vmm_memory *m;
	struct plan_as *plan;
	size_t nplan;
	struct vmm_listener **ls;
	size_t nls;
	struct vmm_err *err;
};

static struct vmm_flatview *reuse_old(struct vmm_memory *m, struct vmm_flatview *nv)
{
	struct vmm_as *as;

	for (as = m->as_head; as; as = as->next) {
		if (mem_flatview_same(as->current, nv)) {
			vmm_flatview_unref(nv);
			vmm_flatview_ref(as->current);
			return as->current;
		}
	}
	nv->id = ++m->next_fv_id;
	return nv;
}

/* Share plan entry @j's new view (and its spans when both had the same old view). */
static int plan_share(struct commit_ctx *c, struct plan_as *p, const struct plan_as *q)
{
	p->nv = q->nv;
	vmm_flatview_ref(p->nv);
	if (!q->inc || p->as->current != q->as->current)
		return 0;
	p->spans = malloc((q->nspans ? q->nspans : 1) * sizeof(*p->spans));
	if (!p->spans)
		return vmm_err_set(c->err, -ENOMEM, "out of memory");
	memcpy(p->spans, q->spans, q->nspans * sizeof(*p->spans));
	p->nspans = q->nspans;
	p->inc = true;
	return 0;
}

/* Render (or share, or keep) the new view of live plan entry @i. */
static int plan_render(struct commit_ctx *c, size_t i)
{
	struct plan_as *p = &c->plan[i];
	size_t j;
	int r;

	p->root = vmm_flatview_root_of(p->as->root);
	for (j = 0; j < i; j++)
		if (!c->plan[j].dead && c->plan[j].root == p->root)
			return plan_share(c, p, &c->plan[j]);
	r = mem_plan_incremental(c->m, p->as, p->root, &p->nv, &p->spans, &p->nspans,
				 &p->borrow);
	if (r < 0)
		return vmm_err_set(c->err, r, "out of memory rendering \"%s\"", p->as->name);
	if (r > 0) {
		p->inc = true;
		return 0;
	}
	c->m->stats.full++;
	p->nv = vmm_flatview_render(p->root);
	if (!p->nv)
		return vmm_err_set(c->err, -ENOMEM, "out of memory rendering \"%s\"",
				   p->as->name);
	p->nv = reuse_old(c->m, p->nv);
	return 0;
}

static int plan_build(struct commit_ctx *c)
{
	struct vmm_memory *m = c->m;
	struct vmm_as *as;
	size_t i, n = 0;
	int r;

	for (as = m->as_head; as; as = as->next)
		n++;
	for (i = 0; i < m->log_nr; i++)
		n += m->log[i].op == U_AS_DEL;
	c->plan = calloc(n ? n : 1, sizeof(*c->plan));
	if (!c->plan)
		return vmm_err_set(c->err, -ENOMEM, "out of memory");
	for (as = m->as_head; as; as = as->next) {
		c->plan[c->nplan].as = as;
		r = plan_render(c, c->nplan++);
		if (r)
			return r;
	}
	for (i = 0; i < m->log_nr; i++) {
		if (m->log[i].op != U_AS_DEL)
			continue;
		c->plan[c->nplan].as = m->log[i].as;
		c->plan[c->nplan].dead = true;
		c->plan[c->nplan].nv = mem_flatview_empty();
		if (!c->plan[c->nplan++].nv)
			return vmm_err_set(c->err, -ENOMEM, "out of memory");
	}
	return 0;
}

static void plan_free(struct commit_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nplan; i++) {
		struct plan_as *p = &c->plan[i];

		if (p->borrow)
			mem_flatview_settle(p->as->current, p->nv, false);
		vmm_flatview_unref(p->nv);
		free(p->spans);
	}
	free(c->plan);
	c->plan = NULL;
	c->nplan = 0;
}

static int listeners_collect(struct commit_ctx *c)
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

static bool listens(const struct vmm_listener *l, const struct vmm_as *as)
{
	return !l->as_name || strcmp(l->as_name, as->name) == 0;
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
	return vmm_err_set(c->err, r < 0 ? r : -EIO,
			   "memory listener refused %s of %s at 0x%llx+0x%llx in \"%s\": %s",
			   what, s->mr->id, (unsigned long long)vmm_u128_lo(s->offset_within_as),
			   (unsigned long long)vmm_u128_lo(s->size), s->as->name,
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

static int notify(struct commit_ctx *c)
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

/*
 * Settle borrowed references (view_lock held, so no reader can take a new
 * reference on an old view): when the address spaces being switched hold
 * every reference of the old view, its references move to the new one.
 */
static void settle_all(struct commit_ctx *c)
{
	size_t i, j;

	for (i = 0; i < c->nplan; i++) {
		struct plan_as *p = &c->plan[i];
		struct vmm_flatview *o = p->as->current;
		unsigned holders = 0;

		if (!p->borrow)
			continue;
		for (j = 0; j < c->nplan; j++)
			holders += c->plan[j].as->current == o;
		mem_flatview_settle(o, p->nv, atomic_load(&o->refs) == holders);
		p->borrow = false;
	}
}

/* The commit succeeded: publish the views and empty the graveyard. */
static void finish(struct commit_ctx *c)
{
	struct vmm_memory *m = c->m;
	struct vmm_flatview **old = calloc(c->nplan ? c->nplan : 1, sizeof(*old));
	size_t i;

	pthread_mutex_lock(&m->view_lock);
	settle_all(c);
	for (i = 0; i < c->nplan; i++) {
		struct vmm_flatview *prev = c->plan[i].as->current;

		c->plan[i].as->current = c->plan[i].nv;
		c->plan[i].nv = NULL;
		if (old)
			old[i] = prev;
		else	/* no room to defer: drop it under the lock */
			vmm_flatview_unref(prev);
	}
	pthread_mutex_unlock(&m->view_lock);
	for (i = 0; old && i < c->nplan; i++)
		vmm_flatview_unref(old[i]);
	free(old);
	for (i = 0; i < m->log_nr; i++) {
		struct undo_rec *u = &m->log[i];

		if (u->op == U_DELETE) {
			mem_region_release_rb(m, u->mr);
			vmm_mr_unref(u->mr);
		} else if (u->op == U_AS_DEL) {
			mem_as_free(u->as);
		}
	}
	m->log_nr = 0;
	m->generation++;
	mem_dirty_reset(m);
}

static int commit_outermost(struct vmm_memory *m, struct vmm_err *err)
{
	struct commit_ctx c = { .m = m, .err = err };
	int r;

	m->in_commit = true;
	r = listeners_collect(&c);
	if (!r)
		r = plan_build(&c);
	if (!r)
		r = notify(&c);
	if (!r)
		finish(&c);
	plan_free(&c);
	free(c.ls);
	if (r) {
		undo_to(m, 0);
		mem_dirty_reset(m);
	}
	m->in_commit = false;
	return r;
}

/**
 * vmm_memory_commit() - close the innermost transaction
 * @m: model
 * @err: reason when a listener refused the change
 *
 * Only the outermost commit renders, notifies and publishes; on a listener
 * failure every listener is rolled back, the whole transaction is undone and
 * the old flat views stay current.
 *
 * Return: 0 or -errno.
 */
int vmm_memory_commit(struct vmm_memory *m, struct vmm_err *err)
{
	if (!m->depth)
		return vmm_err_set(err, -EINVAL, "commit without begin");
	if (--m->depth)
		return 0;
	if (!m->log_nr) {
		mem_dirty_reset(m);
		return 0;
	}
	return commit_outermost(m, err);
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
