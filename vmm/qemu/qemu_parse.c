// SPDX-License-Identifier: MIT
/*
 * Import phase one, reading: `info mtree -D` text (address-space groups with
 * their root trees, then one `memory-region:` section per alias target)
 * becomes one node per printed region line, with its parent and children as
 * indented. A region printed several times (the root of a group that is also
 * an alias target, a section inside another section) is recognised by its
 * identical subtree and kept once, the other printings marked dead. Each
 * alias is then linked to the section that prints its target.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_dump_priv.h"

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

/* @s is @a or holds it: an alias there cannot target @s (a cycle QEMU refuses). */
static bool holds(const struct qnode *s, const struct qnode *a)
{
	for (; a; a = a->parent)
		if (a == s)
			return true;
	return false;
}

/*
 * Every alias target has a `memory-region:` section of its own name (QEMU
 * queues each target once, by pointer). Names may repeat, so among equally
 * named sections take the first whose size holds the alias window and that
 * does not hold the alias: a PCI bridge behind another maps its windows
 * into the other's "pci_bridge_pci", an alias of its own "pci_bridge_pci".
 */
static int resolve_targets(struct qimp *im)
{
	for (size_t i = 0; i < im->nn; i++) {
		struct qnode *a = im->n[i], *first = NULL, *fit = NULL;

		if (a->dead || !a->alias)
			continue;
		for (size_t j = 0; j < im->nsec && !fit; j++) {
			struct qnode *s = im->sec[j];

			if (strcmp(s->name, a->tname) || holds(s, a))
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

int qimp_parse(struct qimp *im, const char *text, size_t len)
{
	int r = parse_dump(im, text, len);

	return r ? r : resolve_targets(im);
}
