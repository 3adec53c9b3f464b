// SPDX-License-Identifier: MIT
/*
 * Helpers shared by the printers: a pointer hash map that keeps every
 * de-duplication linear, QEMU's type words and size_to_str(), and a sorted
 * view of the memslots so that the " KVM" marks of a whole flat view are found
 * in one merge pass instead of one slot-table search per range.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/flatview.h>
#include <vmm/memory.h>
#include "print_priv.h"

void print_ptrmap_init(struct print_ptrmap *m)
{
	memset(m, 0, sizeof(*m));
}

void print_ptrmap_free(struct print_ptrmap *m)
{
	free(m->keys);
	free(m->vals);
	print_ptrmap_init(m);
}

static size_t ptr_hash(const void *p, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;

	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static size_t ptrmap_slot(const struct print_ptrmap *m, const void *key)
{
	size_t i = ptr_hash(key, m->cap);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int ptrmap_grow(struct print_ptrmap *m)
{
	struct print_ptrmap n = { 0 };
	size_t i;

	n.cap = m->cap ? m->cap * 2 : 64;
	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.vals = calloc(n.cap, sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -ENOMEM;
	}
	for (i = 0; i < m->cap; i++) {
		size_t s;

		if (!m->keys[i])
			continue;
		s = ptrmap_slot(&n, m->keys[i]);
		n.keys[s] = m->keys[i];
		n.vals[s] = m->vals[i];
	}
	n.n = m->n;
	print_ptrmap_free(m);
	*m = n;
	return 0;
}

int print_ptrmap_put(struct print_ptrmap *m, const void *key, size_t val)
{
	size_t s;

	if ((m->n + 1) * 2 > m->cap && ptrmap_grow(m))
		return -ENOMEM;
	s = ptrmap_slot(m, key);
	if (m->keys[s])
		return 0;
	m->keys[s] = key;
	m->vals[s] = val;
	m->n++;
	return 1;
}

int print_ptrmap_number(struct print_ptrmap *m, const void *key, size_t *group)
{
	int r = print_ptrmap_put(m, key, m->n);

	if (r < 0)
		return r;
	print_ptrmap_get(m, key, group);
	return 0;
}

bool print_ptrmap_get(const struct print_ptrmap *m, const void *key, size_t *val)
{
	size_t s;

	if (!m->cap)
		return false;
	s = ptrmap_slot(m, key);
	if (!m->keys[s])
		return false;
	if (val)
		*val = m->vals[s];
	return true;
}

/*
 * QEMU decides the word from the region's attributes, not its constructor:
 * rom is "ram && readonly" (so a ROM made writable prints ram), romd is a ROM
 * device currently in romd mode (out of it, it prints i/o like any device),
 * and containers print i/o. An alias prints its target's word.
 */
const char *print_mr_type(const struct vmm_mr *mr)
{
	while (mr->type == VMM_MR_ALIAS && mr->alias)
		mr = mr->alias;
	switch (mr->type) {
	case VMM_MR_RAM:
	case VMM_MR_ROM:
		return mr->readonly ? "rom" : "ram";
	case VMM_MR_ROMD:
		return mr->romd_mode ? "romd" : "i/o";
	default:
		return "i/o";
	}
}

uint64_t print_last(vmm_u128 size)
{
	return size ? (uint64_t)(size - 1) : 0;
}

/*
 * size_to_str() picks the unit from floor(log2(val * 1024 / 1000)) / 10, so a
 * value switches to the next unit once it reaches 1000 of the current one;
 * done here in integers (no libm), then printed with "%0.3g" as QEMU does.
 */
void print_size_str(uint64_t val, char *out, size_t len)
{
	static const char *const suffix[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	unsigned i = 0;

	while (i < 6 && (vmm_u128)val * 1024 >= ((vmm_u128)1000 << (10 * (i + 1))))
		i++;
	snprintf(out, len, "%0.3g %sB", (double)val / (double)((uint64_t)1 << (10 * i)),
		 suffix[i]);
}

static int slot_cmp(const void *a, const void *b)
{
	const struct vmm_memslot *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

int print_slotidx_build(struct print_slotidx *idx, const struct vmm_accel *a)
{
	const struct vmm_memslot *s;
	uint32_t iter = 0;
	size_t cap = 0;

	memset(idx, 0, sizeof(*idx));
	if (!a)
		return 0;
	while ((s = vmm_accel_memslot_next(a, &iter))) {
		if (s->as_id != 0 || !s->size)
			continue;
		if (idx->n == cap) {
			struct vmm_memslot *v;

			cap = cap ? cap * 2 : 16;
			v = realloc(idx->v, cap * sizeof(*v));
			if (!v) {
				print_slotidx_free(idx);
				return -ENOMEM;
			}
			idx->v = v;
		}
		idx->v[idx->n++] = *s;
	}
	if (idx->n)
		qsort(idx->v, idx->n, sizeof(*idx->v), slot_cmp);
	return 0;
}

void print_slotidx_free(struct print_slotidx *idx)
{
	free(idx->v);
	memset(idx, 0, sizeof(*idx));
}

void print_slotidx_rewind(struct print_slotidx *idx)
{
	idx->cur = 0;
}

/* Move the cursor to the first slot starting at or after @gpa. */
static void slotidx_seek(struct print_slotidx *idx, vmm_u128 gpa)
{
	if (idx->cur > 0 && idx->cur <= idx->n && idx->v[idx->cur - 1].gpa >= gpa)
		idx->cur = 0;	/* asked out of order: start again */
	while (idx->cur < idx->n && idx->v[idx->cur].gpa < gpa)
		idx->cur++;
}

const struct vmm_memslot *print_slotidx_exact(struct print_slotidx *idx, uint64_t gpa,
					      uint64_t size)
{
	slotidx_seek(idx, gpa);
	if (idx->cur < idx->n && idx->v[idx->cur].gpa == gpa && idx->v[idx->cur].size == size)
		return &idx->v[idx->cur];
	return NULL;
}

const struct vmm_memslot *print_slotidx_within(struct print_slotidx *idx, vmm_u128 start,
					       vmm_u128 size)
{
	const struct vmm_memslot *s;

	slotidx_seek(idx, start);
	if (idx->cur >= idx->n)
		return NULL;
	s = &idx->v[idx->cur];
	if ((vmm_u128)s->gpa + s->size <= start + size)
		return s;
	return NULL;
}

void print_slot_flags(uint32_t flags, struct vmm_buf *out)
{
	const char *sep = "";

	if (!flags) {
		vmm_buf_puts(out, "-");
		return;
	}
	if (flags & VMM_MEM_LOG_DIRTY_PAGES) {
		vmm_buf_puts(out, "LOG_DIRTY_PAGES");
		sep = "|";
	}
	if (flags & VMM_MEM_READONLY) {
		vmm_buf_printf(out, "%sREADONLY", sep);
		sep = "|";
	}
	flags &= ~(VMM_MEM_LOG_DIRTY_PAGES | VMM_MEM_READONLY);
	if (flags)
		vmm_buf_printf(out, "%s0x%x", sep, flags);
}

static int fvgroup_cmp(const void *pa, const void *pb)
{
	const struct print_fvgroup *a = pa, *b = pb;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

void print_fvgroup_free(struct print_fvgroup *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].fv)
			vmm_flatview_unref(v[i].fv);
	free(v);
}

ssize_t print_fvgroup_build(struct vmm_memory *m, struct print_fvgroup **out)
{
	struct print_ptrmap byfv;
	const void *key;
	struct print_fvgroup *v;
	size_t n = 0, i;
	struct vmm_as *as;

	for (as = vmm_memory_first_as(m); as; as = as->next)
		n++;
	*out = NULL;
	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	print_ptrmap_init(&byfv);
	for (as = vmm_memory_first_as(m), i = 0; as; as = as->next, i++) {
		v[i].as = as;
		v[i].idx = i;
		v[i].fv = vmm_as_get_flatview(as);
		/* a space without a view (never expected) gets a group of its own */
		key = v[i].fv ? (const void *)v[i].fv : (const void *)as;
		if (print_ptrmap_number(&byfv, key, &v[i].group) < 0) {
			print_ptrmap_free(&byfv);
			print_fvgroup_free(v, i + 1);
			return -ENOMEM;
		}
	}
	print_ptrmap_free(&byfv);
	qsort(v, n, sizeof(*v), fvgroup_cmp);
	*out = v;
	return (ssize_t)n;
}
