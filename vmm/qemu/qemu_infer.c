// SPDX-License-Identifier: MIT
/*
 * Import phase two, inference: what the -D tree text cannot say is settled
 * here. Walks that render the trees the way QEMU does (aliases followed,
 * subregions in QEMU's list order) decide whether an i/o region terminates
 * (it then shows up in `info mtree -f` as ranges of its own), which aliases
 * are readonly (their ram ranges print as rom), and whether a one-byte span is
 * really an empty region. Those walks follow aliases, so a dump whose aliases
 * form a cycle is refused first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "qemu_dump_priv.h"

/* The next node reachable from @n after @i steps: its children, then its alias target. */
static struct qnode *edge(const struct qnode *n, size_t i)
{
	return i < n->nkids ? n->kids[i] : i == n->nkids ? n->target : NULL;
}

/*
 * An alias that reaches itself through containers and aliases would make
 * QEMU's rendering (and our walks) recurse without end; refuse such a dump
 * with ELOOP, as the model refuses the same edit. Iterative depth-first
 * search, so a long chain cannot exhaust the stack.
 */
static int check_cycles(struct qimp *im)
{
	struct { struct qnode *n; size_t i; } *st;
	int r = 0;

	st = calloc(im->nn + 1, sizeof(*st));
	if (!st)
		return vmm_err_set(im->err, -ENOMEM, "out of memory");
	for (size_t k = 0; k < im->nn && !r; k++) {
		size_t sp = 0;

		if (im->n[k]->color)
			continue;
		st[sp].n = im->n[k], st[sp].i = 0, sp++;
		im->n[k]->color = 1;
		while (sp && !r) {
			struct qnode *n = st[sp - 1].n;
			size_t i = st[sp - 1].i;
			struct qnode *m;

			if (i > n->nkids) {
				n->color = 2;
				sp--;
				continue;
			}
			st[sp - 1].i++;
			m = edge(n, i);
			if (!m || m->color == 2)
				continue;
			if (m->color == 1) {
				r = vmm_err_set(im->err, -ELOOP,
						"line %u: '%s' reaches itself through aliases and containers",
						n->line, n->name);
				break;
			}
			m->color = 1;
			st[sp].n = m, st[sp].i = 0, sp++;
		}
	}
	free(st);
	return r;
}

typedef __int128 s128;

/*
 * The -f ranges that belong to i/o region @n where rendering reached it at
 * @abs within [@lo, @hi): same name and offset_in_region == start - @abs.
 * An i/o region with ranges of its own terminates.
 */
static void match_ranges(struct qnode *n, s128 abs, s128 lo, s128 hi,
			 const struct qview *v)
{
	size_t i;

	if (strcmp(n->type, "i/o") || n->evidence)
		return;
	i = qview_lower(v, (uint64_t)lo);
	if (i > 0 && (s128)v->r[i - 1].start + (s128)v->r[i - 1].size > lo)
		i--;
	for (; i < v->nr && v->r[i].start < hi; i++) {
		const struct qrange *r = &v->r[i];

		if (!strcmp(r->name, n->name) && (uint64_t)(r->start - abs) == r->offset) {
			n->evidence = true;
			return;
		}
	}
}

/* Render-like walk: which regions are reached where (QEMU's render_memory_region paths). */
static void walk(struct qnode *n, s128 base, s128 lo, s128 hi, const struct qview *v,
		 unsigned depth)
{
	s128 abs = base + (s128)n->addr, end = abs + (s128)n->size;

	if (!n->enabled || depth > QMAX_DEPTH * 4)
		return;
	lo = lo > abs ? lo : abs;
	hi = hi < end ? hi : end;
	if (lo >= hi)
		return;
	n->visited = true;
	if (n->alias) {
		if (n->target)
			walk(n->target, abs - (s128)n->aoff - (s128)n->target->addr, lo, hi, v,
			     depth + 1);
		return;
	}
	for (size_t i = 0; i < n->nkids; i++)
		walk(n->kids[i], abs, lo, hi, v, depth + 1);
	if (v)
		match_ranges(n, abs, lo, hi, v);
}

/*
 * QEMU keeps subregions highest priority first and, among equal priorities,
 * newest first; it prints equal-address equal-priority siblings in list order.
 * So the wanted list is the printed order stably sorted by priority, and
 * mapping in reverse of it puts every region at the front of the list.
 */
static int sort_list(struct qnode *p)
{
	size_t n = 0;

	p->list = malloc((p->nkids ? p->nkids : 1) * sizeof(*p->list));
	if (!p->list)
		return -ENOMEM;
	for (size_t i = 0; i < p->nkids; i++) {
		size_t j = n++;

		while (j > 0 && p->list[j - 1]->prio < p->kids[i]->prio) {
			p->list[j] = p->list[j - 1];
			j--;
		}
		p->list[j] = p->kids[i];
	}
	return 0;
}

/* Guest ranges already rendered in one flat view: sorted, disjoint [lo, hi). */
struct cover {
	s128 (*iv)[2];
	size_t n, cap;
};

/*
 * Claim [@lo, @hi): the pieces not rendered before are reported to @piece
 * (earlier ranges win, as in QEMU), then the whole span counts as rendered.
 */
static int cover_claim(struct cover *c, s128 lo, s128 hi,
		       void (*piece)(void *, s128, s128), void *ctx)
{
	size_t i = 0, j;
	s128 at = lo, nlo = lo, nhi = hi;

	while (i < c->n && c->iv[i][1] < lo)
		i++;
	for (j = i; j < c->n && c->iv[j][0] <= hi; j++) {
		if (c->iv[j][0] > at)
			piece(ctx, at, c->iv[j][0]);
		at = c->iv[j][1] > at ? c->iv[j][1] : at;
		nlo = c->iv[j][0] < nlo ? c->iv[j][0] : nlo;
		nhi = c->iv[j][1] > nhi ? c->iv[j][1] : nhi;
	}
	if (at < hi)
		piece(ctx, at, hi);
	if (j == i && c->n == c->cap) {
		void *p = realloc(c->iv, (c->cap ? c->cap * 2 : 16) * sizeof(*c->iv));

		if (!p)
			return -ENOMEM;
		c->iv = p;
		c->cap = c->cap ? c->cap * 2 : 16;
	}
	if (j == i) {
		memmove(&c->iv[i + 1], &c->iv[i], (c->n - i) * sizeof(*c->iv));
		c->n++;
	} else {
		memmove(&c->iv[i + 1], &c->iv[j], (c->n - j) * sizeof(*c->iv));
		c->n -= j - i - 1;
	}
	c->iv[i][0] = nlo;
	c->iv[i][1] = nhi;
	return 0;
}

/* One ram leaf being rendered: its position and the alias (or container) above it. */
struct ro_ctx {
	const struct qview *v;
	struct qnode *leaf, *holder;
	s128 abs;
};

/* A piece a ram leaf really renders: does -f print it rom there? */
static void ro_piece(void *opaque, s128 lo, s128 hi)
{
	struct ro_ctx *c = opaque;
	ssize_t i = (ssize_t)qview_lower(c->v, (uint64_t)lo + 1) - 1;
	const struct qrange *r;

	if (i < 0 || !c->holder)
		return;
	r = &c->v->r[i];
	if (strcmp(r->name, c->leaf->name) || (uint64_t)(r->start - c->abs) != r->offset)
		return;
	if (!strcmp(r->type, "rom"))
		c->holder->rom_hits++;
	else
		c->holder->ram_hits++;
}

static void ro_none(void *opaque, s128 lo, s128 hi)
{
}

/*
 * QEMU's rendering order (subregion list order, earlier wins, terminating
 * regions fill what is left) tells which path produced each printed range,
 * so a rom range of a ram region blames the alias it was reached through.
 */
static int ro_render(struct cover *cv, struct qnode *n, s128 base, s128 lo, s128 hi,
		     struct ro_ctx *c, struct qnode *alias_above, unsigned depth)
{
	s128 abs = base + (s128)n->addr, end = abs + (s128)n->size;
	int r = 0;

	if (!n->enabled || depth > QMAX_DEPTH * 4)
		return 0;
	lo = lo > abs ? lo : abs;
	hi = hi < end ? hi : end;
	if (lo >= hi)
		return 0;
	if (n->alias)
		return n->target ? ro_render(cv, n->target, abs - (s128)n->aoff -
					     (s128)n->target->addr, lo, hi, c, n, depth + 1) : 0;
	for (size_t i = 0; i < n->nkids && !r; i++)
		r = ro_render(cv, n->list[i], abs, lo, hi, c, alias_above, depth + 1);
	if (r || n->kind == QK_CONTAINER)
		return r;
	c->leaf = n;
	c->holder = alias_above ? alias_above : n->parent;
	c->abs = abs;
	return cover_claim(cv, lo, hi, n->kind == QK_RAM && !strcmp(n->type, "ram") ?
			   ro_piece : ro_none, c);
}

static int gather_readonly(struct qimp *im)
{
	int r = 0;

	for (size_t i = 0; i < im->ng && !r; i++) {
		struct ro_ctx c = { 0 };
		struct cover cv = { 0 };

		for (size_t j = 0; j < im->g[i].nas && !c.v; j++)
			c.v = qflat_find(&im->flat, im->g[i].as[j]);
		if (c.v)
			r = ro_render(&cv, im->g[i].root, 0, 0, (s128)VMM_U64_LIMIT, &c, NULL, 0);
		free(cv.iv);
	}
	return r;
}

static void gather_evidence(struct qimp *im)
{
	for (size_t i = 0; i < im->ng; i++) {
		const struct qview *v = NULL;

		for (size_t j = 0; j < im->g[i].nas && !v && im->have_flat; j++)
			v = qflat_find(&im->flat, im->g[i].as[j]);
		walk(im->g[i].root, 0, 0, (s128)VMM_U64_LIMIT, v, 0);
	}
}

/* What the printed type leaves open, settled by the -f evidence when there is some. */
static void decide_kind(struct qimp *im, struct qnode *n)
{
	if (n->alias)
		n->kind = QK_ALIAS;
	else if (!strcmp(n->type, "ram") || !strcmp(n->type, "ramd"))
		n->kind = QK_RAM;
	else if (!strcmp(n->type, "rom"))
		n->kind = QK_ROM;
	else if (!strcmp(n->type, "romd"))
		n->kind = QK_ROMD;
	else if (n->evidence)
		n->kind = QK_IO;
	else if (im->have_flat && n->visited && n->nkids == 0 && n->size == 1)
		n->kind = QK_IO, n->size = 0;	/* prints start-start, renders nothing */
	else if (im->have_flat && n->visited)
		n->kind = QK_CONTAINER;
	else
		n->kind = n->nkids ? QK_CONTAINER : QK_IO;
}

int qimp_infer(struct qimp *im)
{
	int r = check_cycles(im);

	if (r)
		return r;
	gather_evidence(im);
	for (size_t i = 0; i < im->nn && !r; i++) {
		struct qnode *q = im->n[i];

		if (q->dead)
			continue;
		decide_kind(im, q);
		r = sort_list(q);
	}
	if (!r && im->have_flat)
		r = gather_readonly(im);
	for (size_t i = 0; i < im->nn && !r; i++)
		im->n[i]->readonly = im->n[i]->rom_hits && !im->n[i]->ram_hits;
	return r ? vmm_err_set(im->err, r, "out of memory") : 0;
}
