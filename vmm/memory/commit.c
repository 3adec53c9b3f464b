// SPDX-License-Identifier: MIT
/*
 * Commits of the memory model: a mutator's own transaction (enter/leave),
 * and the outermost commit, which renders one flat view per distinct
 * flat-view root (incrementally from the dirty windows when it can), has the
 * listeners told what changed (listener.c), and publishes the views and
 * empties the graveyard; a failing listener rolls everything back through
 * the undo log (QEMU's memory_region_transaction_commit).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commit_priv.h"
#include "dirty_window_priv.h"
#include "flatview_priv.h"
#include "listener_priv.h"
#include "registry_priv.h"
#include "undo_priv.h"

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

/* ---- the outermost commit ---- */

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

	r = mem_listeners_collect(&c);
	if (!r)
		r = plan_build(&c);
	if (!r)
		r = mem_notify(&c);
	if (!r)
		finish(&c);
	plan_free(&c);
	free(c.ls);
	if (r) {
		mem_undo_to(m, 0);
		mem_dirty_reset(m);
	}
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
