// SPDX-License-Identifier: MIT
/*
 * flatviews/: the flat views in use, one directory per view id (a view
 * shared by several address spaces is listed once), with the spaces that use
 * it, its root region, and ranges/ — one directory per flat range, named
 * "START-END" as `info mtree -f` prints it, with the range's attributes, a
 * link to its region, a link to the KVM memslot registered for exactly this
 * range, and a ram file. Attribute files print one value and a newline.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <vmm/flatview.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>

#include "files.h"

static MFS_LIST(l_fv)
{
	for (struct vmm_as *as = vmm_memory_first_as(fs->mem); as; as = as->next) {
		struct vmm_as *o = vmm_memory_first_as(fs->mem);
		char name[24];

		while (o != as && o->current != as->current)
			o = o->next;
		if (o != as)
			continue;	/* shared with an earlier address space */
		snprintf(name, sizeof(name), "%" PRIu64, as->current->id);
		cb(arg, name);
	}
	return 0;
}

static MFS_FIND(f_fv) { return mfs_fv(fs, key) ? 0 : -ENOENT; }

#define WITH_FV(fv) struct vmm_flatview *fv = mfs_fv(fs, key); if (!fv) return -ENOENT

static MFS_RENDER(r_fv_as)
{
	char as_key[VMM_AS_KEY_MAX];

	WITH_FV(fv);
	for (struct vmm_as *as = vmm_memory_first_as(fs->mem); as; as = as->next)
		if (as->current == fv)
			vmm_buf_printf(out, "%s\n", vmm_as_key(as, as_key));
	return 0;
}

static MFS_PRESENT(p_fv_root)
{
	struct vmm_flatview *fv = mfs_fv(fs, key);

	return fv && fv->root;
}

static MFS_RENDER(r_fv_root)
{
	WITH_FV(fv);
	if (!fv->root)
		return -ENOENT;
	mfs_put_link(out, "../../", "regions/", fv->root->id);
	return 0;
}

static MFS_LIST(l_range)
{
	struct vmm_flatview *fv = mfs_fv(fs, pkey);
	char name[40];

	if (!fv)
		return -ENOENT;
	for (size_t i = 0; i < fv->nr; i++) {
		mfs_range_name(vmm_flatview_range(fv, i), name, sizeof(name));
		cb(arg, name);
	}
	return 0;
}

static MFS_FIND(f_range) { return mfs_range(fs, key, NULL) ? 0 : -ENOENT; }

#define WITH_FR(fr) const struct vmm_flat_range *fr = mfs_range(fs, key, NULL); \
	if (!fr) return -ENOENT

static MFS_RENDER(r_fr_region)
{
	WITH_FR(fr);
	mfs_put_link(out, "../../../../", "regions/", fr->mr->id);
	return 0;
}

static MFS_RENDER(r_fr_offset) { WITH_FR(fr); mfs_put_hex(out, fr->offset_in_region); return 0; }
static MFS_RENDER(r_fr_size) { WITH_FR(fr); mfs_put_hex(out, fr->size); return 0; }
static MFS_RENDER(r_fr_readonly) { WITH_FR(fr); vmm_buf_printf(out, "%d\n", fr->readonly); return 0; }
static MFS_RENDER(r_fr_nonvolatile)
{
	WITH_FR(fr);
	vmm_buf_printf(out, "%d\n", fr->nonvolatile);
	return 0;
}

static MFS_RENDER(r_fr_type)
{
	WITH_FR(fr);
	vmm_buf_printf(out, "%s\n", vmm_mr_type_name(fr->mr->type));
	return 0;
}

/* The memslot registered for exactly this range (only the "memory" space has slots). */
static const struct vmm_memslot *range_slot(struct mfs *fs, const char *key)
{
	struct vmm_flatview *fv;
	const struct vmm_flat_range *fr = mfs_range(fs, key, &fv);
	struct vmm_as *mem = fs->mc->memory_as;

	if (!fr || !mem || mem->current != fv || fr->start + fr->size > VMM_U64_LIMIT)
		return NULL;
	return vmm_accel_memslot_exact(fs->mc->accel, (uint64_t)fr->start, (uint64_t)fr->size);
}

static MFS_PRESENT(p_fr_memslot) { return range_slot(fs, key) != NULL; }

static MFS_RENDER(r_fr_memslot)
{
	const struct vmm_memslot *s = range_slot(fs, key);

	if (!s)
		return -ENOENT;
	vmm_buf_printf(out, "../../../../memslots/%u", s->slot);
	return 0;
}

const struct mfs_row mfs_fv_rows[] = {
	{ .pattern = "flatviews", .mode = DIR_ },
	{ .pattern = "flatviews/*", .mode = DIR_, .list = l_fv, .find = f_fv },
	{ .pattern = "flatviews/*/address-spaces", .mode = RO, .render = r_fv_as },
	{ .pattern = "flatviews/*/root", .mode = LNK, .present = p_fv_root, .render = r_fv_root },
	{ .pattern = "flatviews/*/ranges", .mode = DIR_ },
	{ .pattern = "flatviews/*/ranges/*", .mode = DIR_, .list = l_range, .find = f_range },
	{ .pattern = "flatviews/*/ranges/*/region", .mode = LNK, .render = r_fr_region },
	{ .pattern = "flatviews/*/ranges/*/offset", .mode = RO, .render = r_fr_offset },
	{ .pattern = "flatviews/*/ranges/*/size", .mode = RO, .render = r_fr_size },
	{ .pattern = "flatviews/*/ranges/*/type", .mode = RO, .render = r_fr_type },
	{ .pattern = "flatviews/*/ranges/*/readonly", .mode = RO, .render = r_fr_readonly },
	{ .pattern = "flatviews/*/ranges/*/nonvolatile", .mode = RO, .render = r_fr_nonvolatile },
	{ .pattern = "flatviews/*/ranges/*/memslot", .mode = LNK, .present = p_fr_memslot, .render = r_fr_memslot },
	{ .pattern = "flatviews/*/ranges/*/ram", .mode = PRIV, .ram = mfs_ram_range },
	{ .pattern = NULL }
};
