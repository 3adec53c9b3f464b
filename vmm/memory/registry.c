// SPDX-License-Identifier: MIT
/*
 * The registry of the memory model: regions by ID (a hash table) and in
 * creation order, address spaces in creation order and by key (the name,
 * or NAME#K for the K-th space of a repeated name), the lookups and
 * accessors over them, and the current flat view of an address space taken
 * safely against a commit on another thread. Delete and its undo move
 * regions out of and back into the registry here.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ramblock.h>

#include "registry_priv.h"

static size_t hash_id(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

void mem_as_free(struct vmm_as *as)
{
	if (as->current)
		vmm_flatview_unref(as->current);
	free(as->name);
	free(as);
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

uint64_t vmm_memory_generation(const struct vmm_memory *m)
{
	return m->generation;
}

struct vmm_mr *vmm_mr_find(struct vmm_memory *m, const char *id)
{
	struct mr_int *p;

	if (!id)
		return NULL;
	for (p = m->htab[hash_id(id) & (m->hsize - 1)]; p; p = p->hnext)
		if (strcmp(p->pub.id, id) == 0)
			return &p->pub;
	return NULL;
}

struct vmm_mr *vmm_memory_first_region(struct vmm_memory *m)
{
	return m->all_head;
}

struct vmm_as *vmm_memory_first_as(struct vmm_memory *m)
{
	return m->as_head;
}

size_t vmm_memory_region_count(const struct vmm_memory *m)
{
	return m->nr_regions;
}

struct vmm_ramlist *vmm_memory_ramlist(struct vmm_memory *m)
{
	return m->rl;
}

static void htab_grow(struct vmm_memory *m)
{
	size_t nsize = m->hsize * 2, i;
	struct mr_int **nt = calloc(nsize, sizeof(*nt));
	struct mr_int *p, *n;

	if (!nt)
		return;	/* keep the old table: longer chains, still correct */
	for (i = 0; i < m->hsize; i++) {
		for (p = m->htab[i]; p; p = n) {
			size_t h = hash_id(p->pub.id) & (nsize - 1);

			n = p->hnext;
			p->hnext = nt[h];
			nt[h] = p;
		}
	}
	free(m->htab);
	m->htab = nt;
	m->hsize = nsize;
}

/* Put @mr back into the registry; its all_prev/all_next still name its old neighbours. */
void mem_region_relink_registry(struct vmm_memory *m, struct vmm_mr *mr)
{
	struct mr_int *p = mr_int(mr);
	size_t h;

	if (m->nr_regions + 1 > m->hsize)
		htab_grow(m);
	h = hash_id(mr->id) & (m->hsize - 1);
	p->hnext = m->htab[h];
	m->htab[h] = p;
	if (mr->all_prev)
		mr->all_prev->all_next = mr;
	else
		m->all_head = mr;
	if (mr->all_next)
		mr->all_next->all_prev = mr;
	else
		m->all_tail = mr;
	m->nr_regions++;
	p->dead = false;
}

/* Take @mr out of the registry, keeping its list neighbours for a later relink. */
void mem_region_unlink_registry(struct vmm_memory *m, struct vmm_mr *mr)
{
	struct mr_int **pp = &m->htab[hash_id(mr->id) & (m->hsize - 1)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == mr_int(mr)) {
			*pp = mr_int(mr)->hnext;
			break;
		}
	}
	if (mr->all_prev)
		mr->all_prev->all_next = mr->all_next;
	else
		m->all_head = mr->all_next;
	if (mr->all_next)
		mr->all_next->all_prev = mr->all_prev;
	else
		m->all_tail = mr->all_prev;
	m->nr_regions--;
	mr_int(mr)->dead = true;
}

/* Drop the RAM block from the model's list (writer side); the region keeps its own ref. */
void mem_region_release_rb(struct vmm_memory *m, struct vmm_mr *mr)
{
	if (mr->rb && mr->rb->mr == mr)
		vmm_ramblock_remove(m->rl, mr->rb);
}

/*
 * Split a key into its name (the first @*len bytes) and ordinal: "NAME" is
 * the first of its name, "NAME#K" the K-th (K >= 2, in its one decimal
 * spelling). -EINVAL for anything else with a '#'.
 */
int mem_as_key_split(const char *key, size_t *len, unsigned *nth)
{
	const char *hash = strchr(key, '#');
	unsigned long k = 0;

	*nth = 1;
	*len = strlen(key);
	if (!hash)
		return 0;
	*len = (size_t)(hash - key);
	if (!*len || hash[1] < '1' || hash[1] > '9')
		return -EINVAL;
	for (const char *p = hash + 1; *p; p++) {
		if (*p < '0' || *p > '9' || k > UINT_MAX / 10)
			return -EINVAL;
		k = k * 10 + (unsigned long)(*p - '0');
	}
	if (k < 2 || k > UINT_MAX)
		return -EINVAL;
	*nth = (unsigned)k;
	return 0;
}

bool mem_as_named(const struct vmm_as *as, const char *name, size_t len)
{
	return !strncmp(as->name, name, len) && !as->name[len];
}

struct vmm_as *vmm_as_find(struct vmm_memory *m, const char *key)
{
	unsigned nth;
	size_t len;

	if (!key || mem_as_key_split(key, &len, &nth))
		return NULL;
	for (struct vmm_as *as = vmm_memory_first_as(m); as; as = as->next)
		if (mem_as_named(as, key, len) && !--nth)
			return as;
	return NULL;
}

char *vmm_as_key(const struct vmm_as *as, char *buf)
{
	unsigned nth = 1;
	size_t len = strlen(as->name);

	for (const struct vmm_as *o = vmm_memory_first_as(as->mem); o && o != as; o = o->next)
		nth += mem_as_named(o, as->name, len);
	if (nth == 1)
		snprintf(buf, VMM_AS_KEY_MAX, "%s", as->name);
	else
		snprintf(buf, VMM_AS_KEY_MAX, "%s#%u", as->name, nth);
	return buf;
}
