// SPDX-License-Identifier: MIT
/*
 * The undo log of the memory model: every primitive mutation appends its
 * inverse, nested vmm_memory_begin() marks a log position, and abort (or a
 * commit a listener refused) replays the inverses back to that mark, so a
 * failure restores the exact previous state.
 */
#include <errno.h>
#include <stdlib.h>

#include "dirty_window_priv.h"
#include "primitive_priv.h"
#include "region_index_priv.h"
#include "registry_priv.h"
#include "undo_priv.h"

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

/* Undo every record after log position @mark, newest first. */
void mem_undo_to(struct vmm_memory *m, size_t mark)
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
	mem_undo_to(m, top_mark(m));
	m->depth--;
	if (!m->depth)
		mem_dirty_reset(m);
}
