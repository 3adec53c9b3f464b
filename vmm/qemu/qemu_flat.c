// SPDX-License-Identifier: MIT
/*
 * Reader for QEMU's `info mtree -f` text: the flat-view blocks with their
 * address spaces and printed ranges. The importer uses it to settle what the
 * tree dump cannot say (io regions vs containers, readonly aliases, empty
 * regions) and `mtree diff` compares two of them range by range.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_priv.h"

void qlines_init(struct qlines *l, const char *text, size_t len)
{
	memset(l, 0, sizeof(*l));
	l->p = text;
	l->end = text + len;
}

bool qlines_next(struct qlines *l)
{
	const char *nl;
	size_t n;

	if (l->p >= l->end)
		return false;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	n = nl ? (size_t)(nl - l->p) : (size_t)(l->end - l->p);
	if (n + 1 > l->cap) {
		char *p = realloc(l->line, n + 64);

		if (!p)
			return false;
		l->line = p;
		l->cap = n + 64;
	}
	memcpy(l->line, l->p, n);
	if (n && l->line[n - 1] == '\r')
		n--;
	l->line[n] = '\0';
	l->p = nl ? nl + 1 : l->end;
	l->no++;
	return true;
}

void qlines_free(struct qlines *l)
{
	free(l->line);
	l->line = NULL;
	l->cap = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly 16 hex digits. */
static bool hex16(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < 16; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	*v = x;
	return true;
}

size_t qparse_span(const char *s, uint64_t *start, uint64_t *end)
{
	if (strlen(s) < 33 || !hex16(s, start) || s[16] != '-' || !hex16(s + 17, end))
		return 0;
	return 33;
}

/* " @%016x" at the very end of @name: cut it off and return the offset. */
static bool cut_offset(char *name, uint64_t *off)
{
	size_t n = strlen(name);

	if (n < 18 || name[n - 18] != ' ' || name[n - 17] != '@' || !hex16(name + n - 16, off))
		return false;
	name[n - 18] = '\0';
	return true;
}

/* "  START-END (prio P, [nv-]TYPE): NAME[ @OFF][ KVM]" */
static int parse_range(const char *line, struct qrange *r)
{
	uint64_t start, end;
	char type[16], *name;
	size_t n, len;
	int used = 0;

	memset(r, 0, sizeof(*r));
	n = qparse_span(line + 2, &start, &end);
	if (!n || sscanf(line + 2 + n, " (prio %d, %15[^)]): %n", &r->prio, type, &used) != 2 ||
	    !used)
		return -EINVAL;
	r->nv = !strncmp(type, "nv-", 3);
	snprintf(r->type, sizeof(r->type), "%s", type + (r->nv ? 3 : 0));
	name = strdup(line + 2 + n + used);
	if (!name)
		return -ENOMEM;
	len = strlen(name);
	if (len >= 4 && !strcmp(name + len - 4, " KVM")) {
		r->kvm = true;
		name[len - 4] = '\0';
	}
	cut_offset(name, &r->offset);
	r->name = name;
	r->start = start;
	r->size = (vmm_u128)end - start + 1;
	return 0;
}

static int push(void **arr, size_t *n, size_t size)
{
	void *p;

	/* capacity is the next power of two: grow when @n reaches one */
	if (*n == 0 || (*n & (*n - 1)) == 0) {
		p = realloc(*arr, (*n ? *n * 2 : 1) * size);
		if (!p)
			return -ENOMEM;
		*arr = p;
	}
	memset((char *)*arr + *n * size, 0, size);
	(*n)++;
	return 0;
}

/* ' AS "NAME", root: ROOT[, alias X]' */
static int parse_as(const char *line, struct qview *v)
{
	const char *q = strstr(line + 5, "\", root: "), *alias;
	char *name, *root;
	size_t n = v->nas;

	if (!q)
		return -EINVAL;
	alias = strstr(q + 9, ", alias ");
	name = strndup(line + 5, (size_t)(q - line - 5));
	root = alias ? strndup(q + 9, (size_t)(alias - q - 9)) : strdup(q + 9);
	/* Both arrays grow together: push() reallocates at the same counts. */
	if (!name || !root || push((void **)&v->asroot, &n, sizeof(char *)) ||
	    push((void **)&v->as, &v->nas, sizeof(char *))) {
		free(name);
		free(root);
		return -ENOMEM;
	}
	v->as[v->nas - 1] = name;
	v->asroot[v->nas - 1] = root;
	if (!v->root && !(v->root = strdup(q + 9)))
		return -ENOMEM;
	return 0;
}

static int parse_line(struct qflat *f, const char *line, unsigned no)
{
	struct qview *v = f->nv ? &f->v[f->nv - 1] : NULL;

	if (!strncmp(line, "FlatView #", 10)) {
		if (push((void **)&f->v, &f->nv, sizeof(*f->v)))
			return -ENOMEM;
		f->v[f->nv - 1].line = no;
		return 0;
	}
	if (!v)
		return -EINVAL;
	if (!strncmp(line, " AS \"", 5))
		return parse_as(line, v);
	if (!strncmp(line, " Root memory region: ", 21)) {
		free(v->mr_root);	/* a repeated line must not leak the first */
		return (v->mr_root = strdup(line + 21)) ? 0 : -ENOMEM;
	}
	if (!strcmp(line, "  No rendered FlatView"))
		return 0;
	if (!strncmp(line, "  ", 2)) {
		if (push((void **)&v->r, &v->nr, sizeof(*v->r)))
			return -ENOMEM;
		v->r[v->nr - 1].line = no;
		if (parse_range(line, &v->r[v->nr - 1])) {
			v->nr--;
			return -EINVAL;
		}
		v->r[v->nr - 1].line = no;
		return 0;
	}
	return -EINVAL;
}

int qflat_parse(const char *text, size_t len, struct qflat *out, struct vmm_err *err)
{
	struct qlines l;
	int r = 0;

	memset(out, 0, sizeof(*out));
	qlines_init(&l, text, len);
	while (qlines_next(&l)) {
		if (!l.line[0])
			continue;
		r = parse_line(out, l.line, l.no);
		if (r) {
			vmm_err_set(err, r, "line %u: %s '%.60s'", l.no,
				    r == -ENOMEM ? "out of memory at" : "not info mtree -f text:",
				    l.line);
			break;
		}
	}
	qlines_free(&l);
	if (r)
		qflat_free(out);
	return r;
}

void qflat_free(struct qflat *f)
{
	for (size_t i = 0; i < f->nv; i++) {
		struct qview *v = &f->v[i];

		for (size_t j = 0; j < v->nas; j++) {
			free(v->as[j]);
			free(v->asroot[j]);
		}
		free(v->asroot);
		for (size_t j = 0; j < v->nr; j++)
			free(v->r[j].name);
		free(v->as);
		free(v->r);
		free(v->root);
		free(v->mr_root);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

const struct qview *qflat_find(const struct qflat *f, const char *as)
{
	for (size_t i = 0; i < f->nv; i++)
		for (size_t j = 0; j < f->v[i].nas; j++)
			if (!strcmp(f->v[i].as[j], as))
				return &f->v[i];
	return NULL;
}

size_t qview_lower(const struct qview *v, uint64_t addr)
{
	size_t lo = 0, hi = v->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->r[mid].start < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
