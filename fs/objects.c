// SPDX-License-Identifier: MIT
/*
 * From keys to model objects: the "*" components of a path name a region
 * (its ID), an address space or RAM block (its escaped name), a flat view
 * (its id), a flat range ("START-END" as info mtree -f prints it) or a memslot
 * (its slot number). Every function here runs under the topology lock and
 * returns NULL when the object is gone, which is how a removed region
 * disappears from the mount at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/flatview.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "mtreefs.h"

static bool part_name(const char *key, unsigned idx, char *out, size_t cap)
{
	char raw[VMM_NAME_MAX * 3 + 1];

	return mfs_key_part(key, idx, raw, sizeof(raw)) == 0 && mfs_unescape(raw, out, cap) == 0;
}

static bool part_u64(const char *key, unsigned idx, uint64_t *v)
{
	char s[32], *end;

	if (mfs_key_part(key, idx, s, sizeof(s)) < 0 || s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	/* Only the canonical spelling names the object: no "007". */
	return !errno && !*end && !(s[0] == '0' && s[1]);
}

struct vmm_mr *mfs_mr(struct mfs *fs, const char *key)
{
	char id[VMM_ID_MAX + 1];

	return part_name(key, 0, id, sizeof(id)) ? vmm_mr_find(fs->mem, id) : NULL;
}

struct vmm_as *mfs_as(struct mfs *fs, const char *key)
{
	char name[VMM_NAME_MAX + 1];

	return part_name(key, 0, name, sizeof(name)) ? vmm_as_find(fs->mem, name) : NULL;
}

struct vmm_flatview *mfs_fv(struct mfs *fs, const char *key)
{
	uint64_t id;

	if (!part_u64(key, 0, &id))
		return NULL;
	for (struct vmm_as *as = vmm_memory_first_as(fs->mem); as; as = as->next)
		if (as->current && as->current->id == id)
			return as->current;
	return NULL;
}

void mfs_range_name(const struct vmm_flat_range *fr, char *out, size_t cap)
{
	uint64_t start = (uint64_t)fr->start;

	snprintf(out, cap, "%016" PRIx64 "-%016" PRIx64, start, (uint64_t)(fr->start + fr->size - 1));
}

const struct vmm_flat_range *mfs_range(struct mfs *fs, const char *key,
				       struct vmm_flatview **fvp)
{
	struct vmm_flatview *fv = mfs_fv(fs, key);
	char s[40], want[40];
	uint64_t start;
	ssize_t i;

	if (!fv || mfs_key_part(key, 1, s, sizeof(s)) < 0 || sscanf(s, "%16" SCNx64, &start) != 1)
		return NULL;
	i = vmm_flatview_lookup(fv, start);
	if (i < 0)
		return NULL;
	mfs_range_name(vmm_flatview_range(fv, i), want, sizeof(want));
	if (strcmp(want, s))
		return NULL;
	if (fvp)
		*fvp = fv;
	return vmm_flatview_range(fv, i);
}

const struct vmm_memslot *mfs_memslot(struct mfs *fs, const char *key)
{
	const struct vmm_memslot *s;
	uint32_t it = 0;
	uint64_t slot;

	if (!part_u64(key, 0, &slot))
		return NULL;
	while ((s = vmm_accel_memslot_next(fs->mc->accel, &it)))
		if (s->slot == slot && s->as_id == 0)
			return s;
	return NULL;
}

struct vmm_ramblock *mfs_ramblock(struct mfs *fs, const char *key)
{
	char idstr[VMM_NAME_MAX + 1];

	if (!part_name(key, 0, idstr, sizeof(idstr)))
		return NULL;
	return vmm_ramlist_find(vmm_memory_ramlist(fs->mem), idstr);
}
