// SPDX-License-Identifier: MIT
/*
 * QEMU dump importer: reads `info mtree -D` (address-space groups with their
 * root trees, then one `memory-region:` section per alias target) and turns
 * it into a control script that rebuilds the same topology. A region that is
 * printed several times (the root of a group that is also an alias target, a
 * section inside another section) is recognised by its identical subtree and
 * created once. What the tree text cannot say is taken from `info mtree -f`
 * when given: whether an i/o region terminates (it then shows up as ranges of
 * its own), which aliases are readonly (their ranges print as rom), and
 * whether a one-byte span is really an empty region.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ctl.h>
#include <vmm/qemu.h>

#include "qemu_priv.h"

enum qkind { QK_CONTAINER, QK_IO, QK_RAM, QK_ROM, QK_ROMD, QK_ALIAS };

struct qnode {
	char *name;
	char type[16];		/* as printed: ram rom romd ramd i/o */
	bool alias;
	char *tname;		/* alias target's name */
	uint64_t aoff;
	struct qnode *target;
	vmm_u128 size;
	uint64_t addr;		/* relative to the parent; printed start for roots */
	int prio;
	bool enabled, nv, readonly;
	bool visited, evidence;	/* reached by rendering / seen as ranges in -f */
	unsigned rom_hits, ram_hits;	/* -f ranges below it printed rom / ram */
	bool dead;		/* a duplicate printing of another node */
	bool group_root, section_root, emitted;
	unsigned char color;	/* check_cycles(): 0 unseen, 1 on the path, 2 done */
	struct qnode *parent;
	struct qnode **kids;	/* printed order */
	struct qnode **list;	/* QEMU's subregion list order (see sort_list) */
	size_t nkids;
	unsigned line;
	enum qkind kind;
	char *id;
};

struct qgroup {
	char **as;
	size_t nas;
	struct qnode *root;
};

struct qimp {
	struct qnode **n;	/* every node, in printed order */
	size_t nn;
	struct qgroup *g;
	size_t ng;
	struct qnode **sec;	/* section roots, in printed order */
	size_t nsec;
	struct qflat flat;
	bool have_flat;
	struct vmm_err *err;
};

/* Grow @arr (of @n elements of @size) by one zeroed element. */
static int grow(void *arrp, size_t *n, size_t size)
{
	void **arr = arrp;

	if (*n == 0 || (*n & (*n - 1)) == 0) {
		void *p = realloc(*arr, (*n ? *n * 2 : 1) * size);

		if (!p)
			return -ENOMEM;
		*arr = p;
	}
	memset((char *)*arr + *n * size, 0, size);
	(*n)++;
	return 0;
}

static struct qnode *node_new(struct qimp *im)
{
	struct qnode *q = calloc(1, sizeof(*q));

	if (!q || grow(&im->n, &im->nn, sizeof(*im->n))) {
		free(q);
		return NULL;
	}
	im->n[im->nn - 1] = q;
	return q;
}

static int add_kid(struct qnode *p, struct qnode *k)
{
	if (grow(&p->kids, &p->nkids, sizeof(*p->kids)))
		return -ENOMEM;
	p->kids[p->nkids - 1] = k;
	k->parent = p;
	return 0;
}

/* "alias NAME @TARGET START-END" (the " [disabled]" suffix already cut) */
static int parse_alias(struct qnode *q, const char *rest)
{
	size_t len = strlen(rest);
	uint64_t ws, we;
	const char *at;

	if (len < 6 + 34 || rest[len - 34] != ' ' ||
	    !qparse_span(rest + len - 33, &ws, &we))
		return -EINVAL;
	at = strstr(rest + 6, " @");
	if (!at || at >= rest + len - 34)
		return -EINVAL;
	q->alias = true;
	q->aoff = ws;
	q->name = strndup(rest + 6, (size_t)(at - rest - 6));
	q->tname = strndup(at + 2, (size_t)(rest + len - 34 - at - 2));
	return q->name && q->tname ? 0 : -ENOMEM;
}

/*
 * One tree line: "  START-END (prio P, [nv-]TYPE): NAME[ [disabled]]" or an
 * alias line. @start gets the printed start; the level is the indent / 2.
 */
static int parse_tree_line(struct qnode *q, const char *line, unsigned *level,
			   uint64_t *start)
{
	size_t ind = strspn(line, " "), n, len;
	uint64_t end;
	char type[16], *rest;
	int used = 0, r;

	if (ind < 2 || ind % 2)
		return -EINVAL;
	*level = (unsigned)ind / 2;
	line += ind;
	if (!strncmp(line, "[DETECTED OVERFLOW!] ", 21))
		line += 21;
	n = qparse_span(line, start, &end);
	if (!n || sscanf(line + n, " (prio %d, %15[^)]): %n", &q->prio, type, &used) != 2 ||
	    !used)
		return -EINVAL;
	q->nv = !strncmp(type, "nv-", 3);
	snprintf(q->type, sizeof(q->type), "%s", type + (q->nv ? 3 : 0));
	q->size = (vmm_u128)end - *start + 1;
	rest = strdup(line + n + used);
	if (!rest)
		return -ENOMEM;
	len = strlen(rest);
	q->enabled = !(len >= 11 && !strcmp(rest + len - 11, " [disabled]"));
	if (!q->enabled)
		rest[len - 11] = '\0';
	if (!strncmp(rest, "alias ", 6) && (r = parse_alias(q, rest)) != -EINVAL) {
		free(rest);
		return r;
	}
	q->name = rest;
	return 0;
}

/* Same region printed twice: identical line and identical subtree. */
static bool same(const struct qnode *a, const struct qnode *b)
{
	if (strcmp(a->name, b->name) || strcmp(a->type, b->type) || a->alias != b->alias ||
	    a->size != b->size || a->addr != b->addr || a->prio != b->prio ||
	    a->enabled != b->enabled || a->nv != b->nv || a->nkids != b->nkids)
		return false;
	if (a->alias && (a->aoff != b->aoff || strcmp(a->tname, b->tname)))
		return false;
	for (size_t i = 0; i < a->nkids; i++)
		if (!same(a->kids[i], b->kids[i]))
			return false;
	return true;
}

static void kill_tree(struct qnode *q)
{
	q->dead = true;
	for (size_t i = 0; i < q->nkids; i++)
		kill_tree(q->kids[i]);
}

/*
 * A child printed in this tree may be a region already seen as the root of an
 * earlier group or section (an address space rooted inside another tree, a
 * section target mapped in a later section): reuse that node.
 */
static void adopt_known(struct qimp *im, struct qnode *p, size_t mark)
{
	for (size_t i = 0; i < p->nkids; i++) {
		struct qnode *k = p->kids[i], *e = NULL;

		for (size_t j = 0; j < mark && !e; j++) {
			struct qnode *c = im->n[j];

			if (!c->dead && !c->parent && (c->group_root || c->section_root) &&
			    same(c, k))
				e = c;
		}
		if (e) {
			kill_tree(k);
			p->kids[i] = e;
			e->parent = p;
		} else {
			adopt_known(im, k, mark);
		}
	}
}

/* An earlier node printing exactly like @root, not already a root of the same sort. */
static struct qnode *find_known(struct qimp *im, struct qnode *root, size_t mark, bool group)
{
	for (size_t j = 0; j < mark; j++) {
		struct qnode *c = im->n[j];

		if (c->dead || (group ? c->group_root : c->section_root))
			continue;
		if (same(c, root))
			return c;
	}
	return NULL;
}

/* Close a group or section: unify its tree with what was printed before. */
static struct qnode *settle_tree(struct qimp *im, struct qnode *root, size_t mark, bool group)
{
	struct qnode *known = find_known(im, root, mark, group);

	if (known) {
		kill_tree(root);
		root = known;
	} else {
		adopt_known(im, root, mark);
	}
	if (group)
		root->group_root = true;
	else
		root->section_root = true;
	return root;
}

#define QMAX_DEPTH 64

/* Parser state over the -D text: the block being read and its open path. */
struct qparse {
	enum { QB_NONE, QB_AS, QB_SECTION } block;
	struct qnode *stack[QMAX_DEPTH + 1];
	uint64_t starts[QMAX_DEPTH + 1];
	unsigned depth;
	size_t mark;		/* first node of the current block */
	unsigned head_line;
};

static int end_block(struct qimp *im, struct qparse *ps)
{
	struct qnode *root = ps->depth ? ps->stack[1] : NULL;

	if (ps->block == QB_NONE)
		return 0;
	if (!root)
		return vmm_err_set(im->err, -EINVAL, "line %u: %s without a tree", ps->head_line,
				   ps->block == QB_AS ? "address-space" : "memory-region");
	root = settle_tree(im, root, ps->mark, ps->block == QB_AS);
	if (ps->block == QB_AS) {
		im->g[im->ng - 1].root = root;
	} else {
		if (grow(&im->sec, &im->nsec, sizeof(*im->sec)))
			return -ENOMEM;
		im->sec[im->nsec - 1] = root;
	}
	ps->block = QB_NONE;
	ps->depth = 0;
	return 0;
}

static int add_as_name(struct qimp *im, struct qparse *ps, const char *name, unsigned no)
{
	struct qgroup *g;
	int r;

	if (ps->block != QB_AS || ps->depth) {
		r = end_block(im, ps);
		if (r || (r = grow(&im->g, &im->ng, sizeof(*im->g))))
			return r;
		ps->block = QB_AS;
		ps->mark = im->nn;
		ps->head_line = no;
	}
	g = &im->g[im->ng - 1];
	if (grow(&g->as, &g->nas, sizeof(*g->as)) || !(g->as[g->nas - 1] = strdup(name)))
		return -ENOMEM;
	return 0;
}

static int add_tree_line(struct qimp *im, struct qparse *ps, const char *line, unsigned no)
{
	struct qnode *q;
	unsigned level;
	uint64_t start;
	int r;

	if (ps->block == QB_NONE)
		return vmm_err_set(im->err, -EINVAL,
				   "line %u: tree line outside an address-space or memory-region", no);
	q = node_new(im);
	if (!q)
		return -ENOMEM;
	q->line = no;
	r = parse_tree_line(q, line, &level, &start);
	if (r == -EINVAL)
		return vmm_err_set(im->err, r, "line %u: not an info mtree line: '%.60s'", no, line);
	if (r)
		return r;
	if (level > QMAX_DEPTH || level > ps->depth + 1 || (level == 1 && ps->depth))
		return vmm_err_set(im->err, -EINVAL, "line %u: unexpected indent (level %u)", no,
				   level);
	q->addr = level == 1 ? start : start - ps->starts[level - 1];
	if (level > 1 && (r = add_kid(ps->stack[level - 1], q)))
		return r;
	ps->stack[level] = q;
	ps->starts[level] = start;
	ps->depth = level;
	return 0;
}

static int parse_dump(struct qimp *im, const char *text, size_t len)
{
	struct qparse ps = { .block = QB_NONE };
	struct qlines l;
	int r = 0;

	qlines_init(&l, text, len);
	while (!r && qlines_next(&l)) {
		const char *line = l.line;

		if (!line[0]) {
			r = end_block(im, &ps);
		} else if (!strncmp(line, "address-space: ", 15)) {
			r = add_as_name(im, &ps, line + 15, l.no);
		} else if (!strncmp(line, "memory-region: ", 15)) {
			r = end_block(im, &ps);
			ps.block = QB_SECTION;
			ps.mark = im->nn;
			ps.head_line = l.no;
		} else if (line[0] == ' ') {
			r = add_tree_line(im, &ps, line, l.no);
		} else {
			r = vmm_err_set(im->err, -EINVAL, "line %u: not info mtree -D text: '%.60s'",
					l.no, line);
		}
	}
	if (!r)
		r = end_block(im, &ps);
	qlines_free(&l);
	if (r == -ENOMEM)
		vmm_err_set(im->err, r, "out of memory");
	if (!r && !im->ng)
		r = vmm_err_set(im->err, -EINVAL, "no address-space in the dump");
	return r;
}

/*
 * Every alias target has a `memory-region:` section of its own name (QEMU
 * queues each target once, by pointer). Names may repeat, so among equally
 * named sections take the first whose size holds the alias window.
 */
static int resolve_targets(struct qimp *im)
{
	for (size_t i = 0; i < im->nn; i++) {
		struct qnode *a = im->n[i], *first = NULL, *fit = NULL;

		if (a->dead || !a->alias)
			continue;
		for (size_t j = 0; j < im->nsec && !fit; j++) {
			struct qnode *s = im->sec[j];

			if (strcmp(s->name, a->tname))
				continue;
			first = first ? first : s;
			if ((vmm_u128)a->aoff + a->size <= s->size)
				fit = s;
		}
		for (size_t j = 0; j < im->nn && !first; j++)
			if (!im->n[j]->dead && !strcmp(im->n[j]->name, a->tname))
				first = im->n[j];
		a->target = fit ? fit : first;
		if (!a->target)
			return vmm_err_set(im->err, -EINVAL,
					   "line %u: alias target '%s' is printed nowhere", a->line,
					   a->tname);
	}
	return 0;
}

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

#define QID_BASE_MAX 100	/* IDs stay well below VMM_ID_MAX */

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._-:@", c);
}

/* Open-addressing set of the IDs handed out so far (big dumps have 100k regions). */
struct idset {
	const char **slot;
	size_t cap, used;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static bool idset_has(const struct idset *set, const char *id)
{
	for (size_t i = str_hash(id) & (set->cap - 1); set->slot[i]; i = (i + 1) & (set->cap - 1))
		if (!strcmp(set->slot[i], id))
			return true;
	return false;
}

/* @cap is a power of two at least twice the number of IDs, so it never fills. */
static void idset_add(struct idset *set, const char *id)
{
	size_t i = str_hash(id) & (set->cap - 1);

	while (set->slot[i])
		i = (i + 1) & (set->cap - 1);
	set->slot[i] = id;
	set->used++;
}

/*
 * IDs from names: characters outside the ID alphabet become '_'; the first
 * region of a name gets it bare, later ones ".2", ".3", ... in printed order.
 */
static int assign_id(struct qnode *q, struct idset *set)
{
	char base[QID_BASE_MAX], id[QID_BASE_MAX + 16];
	size_t n = 0;

	for (const char *s = q->name; *s && n < sizeof(base) - 1; s++)
		base[n++] = id_char(*s) ? *s : '_';
	base[n] = '\0';
	if (!n || !strcmp(base, ".") || !strcmp(base, ".."))
		snprintf(base, sizeof(base), "region");
	snprintf(id, sizeof(id), "%s", base);
	for (unsigned k = 2; idset_has(set, id); k++)
		snprintf(id, sizeof(id), "%s.%u", base, k);
	q->id = strdup(id);
	if (!q->id)
		return -ENOMEM;
	idset_add(set, q->id);
	return 0;
}

static void put_size(struct vmm_buf *out, vmm_u128 v)
{
	if (v == VMM_U64_LIMIT)
		vmm_buf_puts(out, " 16E");
	else
		vmm_buf_printf(out, " 0x%llx", (unsigned long long)v);
}

static void put_name(struct vmm_buf *out, const struct qnode *q)
{
	if (!strcmp(q->name, q->id))
		return;
	vmm_buf_puts(out, " name=");
	vmm_ctl_quote(out, q->name);
}

static void emit_create(struct vmm_buf *out, struct qnode *q)
{
	static const char *const cmd[] = {
		[QK_CONTAINER] = "container", [QK_IO] = "io", [QK_RAM] = "ram",
		[QK_ROM] = "rom", [QK_ROMD] = "romd", [QK_ALIAS] = "alias",
	};

	vmm_buf_printf(out, "%s %s", cmd[q->kind], q->id);
	if (q->kind == QK_ALIAS)
		vmm_buf_printf(out, " %s 0x%llx", q->target->id, (unsigned long long)q->aoff);
	put_size(out, q->size);
	put_name(out, q);
	vmm_buf_puts(out, "\n");
	q->emitted = true;
}

/* Plain regions in printed order, then aliases once their target exists. */
static int emit_regions(struct qimp *im, struct vmm_buf *out)
{
	size_t left = 0, before;

	for (size_t i = 0; i < im->nn; i++) {
		if (im->n[i]->dead)
			continue;
		if (im->n[i]->kind != QK_ALIAS)
			emit_create(out, im->n[i]);
		else
			left++;
	}
	while (left) {
		before = left;
		for (size_t i = 0; i < im->nn; i++) {
			struct qnode *q = im->n[i];

			if (!q->dead && q->kind == QK_ALIAS && !q->emitted && q->target->emitted) {
				emit_create(out, q);
				left--;
			}
		}
		if (left == before)
			break;
	}
	for (size_t i = 0; i < im->nn && left; i++)
		if (!im->n[i]->dead && !im->n[i]->emitted)
			return vmm_err_set(im->err, -ELOOP, "line %u: alias '%s' is part of a cycle",
					   im->n[i]->line, im->n[i]->name);
	return 0;
}

/* Mapping in reverse of the wanted list puts every region at the front of it. */
static void emit_maps(struct qnode *p, struct vmm_buf *out)
{
	for (size_t n = p->nkids; n--;)
		vmm_buf_printf(out, "map %s in %s at 0x%llx prio %d\n", p->list[n]->id, p->id,
			       (unsigned long long)p->list[n]->addr, p->list[n]->prio);
}

static void emit_attrs(struct vmm_buf *out, const struct qnode *q)
{
	if (!q->parent && q->addr)
		vmm_buf_printf(out, "set %s addr 0x%llx\n", q->id, (unsigned long long)q->addr);
	if (!q->enabled)
		vmm_buf_printf(out, "set %s enabled off\n", q->id);
	if (q->readonly)
		vmm_buf_printf(out, "set %s readonly on\n", q->id);
	if (q->nv)
		vmm_buf_printf(out, "set %s nonvolatile on\n", q->id);
}

/* @a is listed before @b in the -f block that lists both. */
static bool as_before(const struct qimp *im, const char *a, const char *b)
{
	for (size_t i = 0; i < im->flat.nv; i++) {
		const struct qview *v = &im->flat.v[i];
		int ia = -1, ib = -1;

		for (size_t k = 0; k < v->nas; k++) {
			if (!strcmp(v->as[k], a))
				ia = (int)k;
			if (!strcmp(v->as[k], b))
				ib = (int)k;
		}
		if (ia >= 0 && ib >= 0)
			return ia < ib;
	}
	return false;
}

/*
 * Address spaces in QEMU's creation order as far as it shows: each -f block
 * lists its address spaces in that order, -D only sorted by name. Pick, each
 * time, the first remaining one (in -D order) that no remaining one precedes.
 */
static int emit_address_spaces(struct qimp *im, struct vmm_buf *out)
{
	size_t total = 0, k = 0;
	struct { const char *name; const char *root; bool done; } *as;

	for (size_t i = 0; i < im->ng; i++)
		total += im->g[i].nas;
	as = calloc(total ? total : 1, sizeof(*as));
	if (!as)
		return vmm_err_set(im->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < im->ng; i++)
		for (size_t j = 0; j < im->g[i].nas; j++, k++) {
			as[k].name = im->g[i].as[j];
			as[k].root = im->g[i].root->id;
		}
	for (size_t left = total; left; left--) {
		size_t pick = total;

		for (size_t i = 0; i < total && pick == total; i++) {
			bool blocked = false;

			for (size_t j = 0; j < total && !blocked && !as[i].done; j++)
				blocked = j != i && !as[j].done && im->have_flat &&
					  as_before(im, as[j].name, as[i].name);
			if (!as[i].done && !blocked)
				pick = i;
		}
		if (pick == total)	/* contradictory blocks: keep -D order */
			for (pick = 0; as[pick].done; pick++)
				;
		as[pick].done = true;
		vmm_buf_puts(out, "address-space ");
		vmm_ctl_quote(out, as[pick].name);
		vmm_buf_printf(out, " %s\n", as[pick].root);
	}
	free(as);
	return 0;
}

static int emit_script(struct qimp *im, struct vmm_buf *out)
{
	size_t live = 0, nas = 0;
	int r;

	for (size_t i = 0; i < im->nn; i++)
		live += !im->n[i]->dead;
	for (size_t i = 0; i < im->ng; i++)
		nas += im->g[i].nas;
	vmm_buf_printf(out, "# Imported from QEMU's info mtree -D%s: %zu regions, %zu address spaces\n",
		       im->have_flat ? " and -f" : "", live, nas);
	r = emit_regions(im, out);
	for (size_t i = 0; i < im->nn && !r; i++)
		if (!im->n[i]->dead && im->n[i]->nkids)
			emit_maps(im->n[i], out);
	for (size_t i = 0; i < im->nn && !r; i++)
		if (!im->n[i]->dead)
			emit_attrs(out, im->n[i]);
	if (!r)
		r = emit_address_spaces(im, out);
	if (!r && out->oom)
		r = vmm_err_set(im->err, -ENOMEM, "out of memory");
	return r;
}

static void imp_free(struct qimp *im)
{
	for (size_t i = 0; i < im->nn; i++) {
		free(im->n[i]->name);
		free(im->n[i]->tname);
		free(im->n[i]->kids);
		free(im->n[i]->list);
		free(im->n[i]->id);
		free(im->n[i]);
	}
	for (size_t i = 0; i < im->ng; i++) {
		for (size_t j = 0; j < im->g[i].nas; j++)
			free(im->g[i].as[j]);
		free(im->g[i].as);
	}
	free(im->n);
	free(im->g);
	free(im->sec);
	if (im->have_flat)
		qflat_free(&im->flat);
}

static int settle(struct qimp *im)
{
	struct idset set = { 0 };
	int r = 0;

	gather_evidence(im);
	for (set.cap = 16; set.cap < 2 * im->nn; set.cap *= 2)
		;
	set.slot = calloc(set.cap, sizeof(*set.slot));
	if (!set.slot)
		return vmm_err_set(im->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < im->nn && !r; i++) {
		struct qnode *q = im->n[i];

		if (q->dead)
			continue;
		decide_kind(im, q);
		r = sort_list(q);
		if (!r)
			r = assign_id(q, &set);
	}
	free(set.slot);
	if (!r && im->have_flat)
		r = gather_readonly(im);
	for (size_t i = 0; i < im->nn && !r; i++)
		im->n[i]->readonly = im->n[i]->rom_hits && !im->n[i]->ram_hits;
	return r ? vmm_err_set(im->err, r, "out of memory") : 0;
}

int vmm_qemu_import(const char *tree, size_t tree_len, const char *flat, size_t flat_len,
		    struct vmm_buf *out, struct vmm_err *err)
{
	struct qimp im = { .err = err };
	int r;

	vmm_err_clear(err);
	if (flat) {
		r = qflat_parse(flat, flat_len, &im.flat, err);
		if (r)
			return r;
		im.have_flat = true;
	}
	r = parse_dump(&im, tree, tree_len);
	if (!r)
		r = resolve_targets(&im);
	if (!r)
		r = check_cycles(&im);
	if (!r)
		r = settle(&im);
	if (!r)
		r = emit_script(&im, out);
	imp_free(&im);
	return r;
}
