// SPDX-License-Identifier: MIT
/*
 * Import from `info ramblock`: what the tree dumps cannot say about RAM
 * blocks. Each row is matched to the ram, rom or romd region it backs (its
 * idstr is the region's name, behind a device path and '/' for devices with
 * one: "0000:00:02.0/vga.vram"); a row no region matches is a block QEMU
 * never maps (option ROMs, fw_cfg's "/rom@etc/..." blobs) and becomes an
 * unmapped rom region. Offsets follow from creation order in QEMU (the
 * best-fit placement of ramlist.c), which the dumps do not show, so the plan
 * creates the blocks in offset order, each then landing right after the one
 * below, with a filler region holding each hole QEMU left between blocks
 * until the script's end. qemu_emit.c writes the plan out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_dump_priv.h"

#define RB_ALIGN	(256ull << 10)	/* QEMU's ram_addr offset alignment */
#define RB_PAGE		4096ull

struct qrow {
	char *idstr;
	uint64_t offset, used, max;
	struct qnode *q;	/* the region it backs (or its unmapped region) */
};

struct qrb {
	struct qrow *row;	/* list (printed) order */
	size_t nrow, cap;
};

static void rows_free(struct qrb *rb)
{
	for (size_t i = 0; i < rb->nrow; i++)
		free(rb->row[i].idstr);
	free(rb->row);
}

static int hex_field(const char *s, uint64_t *v)
{
	char *end;

	if (strncmp(s, "0x", 2))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s + 2, &end, 16);
	return errno || end == s + 2 || *end ? -EINVAL : 0;
}

/* "NAME  4 KiB  0xOFFSET 0xUSED 0xTOTAL": the name is all before the last five words. */
static int parse_row(struct qrb *rb, char *line)
{
	char *w[5], *end = line + strlen(line);
	struct qrow *row;

	for (int i = 4; i >= 0; i--) {
		while (end > line && end[-1] == ' ')
			end--;
		*end = '\0';
		while (end > line && end[-1] != ' ')
			end--;
		w[i] = end;
		if (!*w[i])
			return -EINVAL;
	}
	while (end > line && end[-1] == ' ')
		end--;
	*end = '\0';
	while (*line == ' ')
		line++;
	if (!*line)
		return -EINVAL;
	if (rb->nrow == rb->cap) {
		size_t cap = rb->cap ? rb->cap * 2 : 16;
		struct qrow *n = realloc(rb->row, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rb->row = n;
		rb->cap = cap;
	}
	row = &rb->row[rb->nrow];
	memset(row, 0, sizeof(*row));
	if (hex_field(w[2], &row->offset) || hex_field(w[3], &row->used) ||
	    hex_field(w[4], &row->max) || !row->used || row->used > row->max ||
	    row->offset % RB_ALIGN || row->max % RB_PAGE || row->used % RB_PAGE ||
	    row->max > UINT64_MAX - row->offset - RB_ALIGN)
		return -EINVAL;
	row->idstr = strdup(line);
	if (!row->idstr)
		return -ENOMEM;
	rb->nrow++;
	return 0;
}

static int parse_text(struct qrb *rb, const char *text, size_t len, struct vmm_err *err)
{
	struct qlines l;
	int r = 0;

	qlines_init(&l, text, len);
	while (!r && qlines_next(&l)) {
		if (!*l.line || strstr(l.line, "Block Name"))
			continue;
		r = parse_row(rb, l.line);
		if (r == -EINVAL)
			vmm_err_set(err, r, "ramblock line %u: not info ramblock text", l.no);
		else if (r)
			vmm_err_set(err, r, "out of memory");
	}
	qlines_free(&l);
	for (size_t i = 0; !r && i < rb->nrow; i++)
		for (size_t j = i + 1; !r && j < rb->nrow; j++)
			if (!strcmp(rb->row[i].idstr, rb->row[j].idstr))
				r = vmm_err_set(err, -EINVAL, "ramblock: block '%s' listed twice",
						rb->row[i].idstr);
	return r;
}

static bool ram_backed(const struct qnode *q)
{
	return !q->dead && (q->kind == QK_RAM || q->kind == QK_ROM || q->kind == QK_ROMD);
}

/* The region name inside an idstr: after the device path, when there is one. */
static const char *region_part(const char *idstr)
{
	const char *slash = strchr(idstr, '/');

	return slash && slash != idstr ? slash + 1 : idstr;
}

/* An unmatched region named @name, one of the block's size first. */
static struct qnode *match(struct qimp *im, const char *name, uint64_t used, bool *taken)
{
	struct qnode *any = NULL;

	for (size_t i = 0; i < im->nn; i++) {
		struct qnode *q = im->n[i];
		uint64_t size = q->size > UINT64_MAX - RB_PAGE ? 0 :
				((uint64_t)q->size + RB_PAGE - 1) & ~(RB_PAGE - 1);

		if (taken[i] || !ram_backed(q) || strcmp(q->name, name))
			continue;
		if (size == used) {
			taken[i] = true;
			return q;
		}
		if (!any)
			any = q;
	}
	for (size_t i = 0; any && i < im->nn; i++)
		if (im->n[i] == any)
			taken[i] = true;
	return any;
}

static struct qnode *node_add(struct qimp *im, size_t *cap, const char *name, enum qkind kind,
			      uint64_t size)
{
	struct qnode *q;

	if (im->nn == *cap) {
		size_t c = *cap * 2 + 16;
		struct qnode **n = realloc(im->n, c * sizeof(*n));

		if (!n)
			return NULL;
		im->n = n;
		*cap = c;
	}
	q = calloc(1, sizeof(*q));
	if (!q || !(q->name = strdup(name))) {
		free(q);
		return NULL;
	}
	snprintf(q->type, sizeof(q->type), "%s", kind == QK_ROM ? "rom" : "ram");
	q->kind = kind;
	q->size = size;
	q->enabled = true;
	im->n[im->nn++] = q;
	return q;
}

static int step(struct qimp *im, struct qnode *q, bool del)
{
	struct qstep *s;

	if (!q)
		return -ENOMEM;
	s = realloc(im->rplan, (im->nrplan + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	im->rplan = s;
	s[im->nrplan].q = q;
	s[im->nrplan++].del = del;
	return 0;
}

/* Attach every row to a region: a matching one, or a new unmapped rom region. */
static int attach(struct qimp *im, struct qrb *rb, size_t *cap)
{
	size_t nn = im->nn;
	bool *taken = calloc(nn ? nn : 1, sizeof(*taken));

	if (!taken)
		return -ENOMEM;
	for (size_t i = 0; i < rb->nrow; i++) {
		struct qrow *row = &rb->row[i];

		row->q = match(im, row->idstr, row->used, taken);
		if (!row->q && region_part(row->idstr) != row->idstr)
			row->q = match(im, region_part(row->idstr), row->used, taken);
	}
	free(taken);
	for (size_t i = 0; i < rb->nrow; i++) {
		struct qrow *row = &rb->row[i];

		if (!row->q)
			row->q = node_add(im, cap, region_part(row->idstr), QK_ROM, row->used);
		if (!row->q)
			return -ENOMEM;
		row->q->idstr = strdup(row->idstr);
		if (!row->q->idstr)
			return -ENOMEM;
		row->q->rb_max = row->max;
		row->q->size = row->used;	/* the block's used length is the region's size */
	}
	return 0;
}

static int by_offset(const void *a, const void *b)
{
	const struct qrow *x = *(struct qrow *const *)a, *y = *(struct qrow *const *)b;

	return (x->offset > y->offset) - (x->offset < y->offset);
}

/*
 * Create in offset order: each block then lands where the last one ended
 * (rounded), the only gap there is; a hole QEMU left (a block it freed) is
 * held by a filler until the end. The block at the lowest offset comes
 * first: nothing below the lowest block is ever offered.
 */
static int plan(struct qimp *im, struct qrb *rb, size_t *cap, struct qnode ***holes,
		size_t *nholes)
{
	struct qrow **sorted = malloc((rb->nrow ? rb->nrow : 1) * sizeof(*sorted));
	uint64_t next = 0;	/* where the next block goes: the last end, rounded */
	int r = 0;

	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < rb->nrow; i++)
		sorted[i] = &rb->row[i];
	qsort(sorted, rb->nrow, sizeof(*sorted), by_offset);
	for (size_t i = 0; i < rb->nrow && !r; i++) {
		struct qrow *row = sorted[i];

		if (row->offset < next) {
			r = vmm_err_set(im->err, -EINVAL, "ramblock: '%s' at 0x%llx overlaps the block below",
					row->idstr, (unsigned long long)row->offset);
			break;
		}
		if (row->offset > next) {
			struct qnode *h = node_add(im, cap, "ram_addr-hole", QK_RAM,
						   row->offset - next);
			struct qnode **hs = realloc(*holes, (*nholes + 1) * sizeof(*hs));

			if (hs)
				*holes = hs;
			if (!h || !hs) {
				r = -ENOMEM;
				break;
			}
			hs[(*nholes)++] = h;
			h->filler = true;
			r = step(im, h, false);
		}
		if (!r)
			r = step(im, row->q, false);
		next = (row->offset + row->max + RB_ALIGN - 1) & ~(RB_ALIGN - 1);
	}
	free(sorted);
	return r;
}

/*
 * QEMU lists equal sizes in creation order, which offset order gives here;
 * only a block QEMU put into a freed hole below an equal one breaks that.
 */
static size_t misordered(const struct qrb *rb)
{
	size_t n = 0;

	for (size_t i = 0; i < rb->nrow; i++)
		for (size_t j = i + 1; j < rb->nrow; j++)
			n += rb->row[i].max == rb->row[j].max &&
			     rb->row[i].offset > rb->row[j].offset;
	return n;
}

int qimp_ramblock(struct qimp *im, const char *text, size_t len)
{
	struct qrb rb = { 0 };
	struct qnode **holes = NULL;
	size_t nholes = 0, cap = im->nn;
	int r = parse_text(&rb, text, len, im->err);

	if (!r)
		r = attach(im, &rb, &cap);
	if (!r)
		r = plan(im, &rb, &cap, &holes, &nholes);
	/* deleted at the script's commit, once every block has its place */
	for (size_t i = 0; i < nholes && !r; i++)
		r = step(im, holes[i], true);
	if (!r)
		im->rb_misordered = misordered(&rb);
	free(holes);
	rows_free(&rb);
	if (r == -ENOMEM)
		vmm_err_set(im->err, r, "out of memory");
	return r;
}
