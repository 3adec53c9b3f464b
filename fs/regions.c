// SPDX-License-Identifier: MIT
/*
 * regions/: one directory per memory region, named by its escaped ID. Its
 * attribute files print one value and a newline (addresses and sizes as
 * 0x%x); the writable ones become one `set` command of the control language
 * (fs/ctl.c), and the region's own ctl takes commands that name it
 * implicitly. Links point at the container, the alias target, the RAM block
 * and, under subregions/, each mapped child, relative to themselves.
 */
#include <errno.h>
#include <inttypes.h>

#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "files.h"

static MFS_LIST(l_mr)
{
	for (struct vmm_mr *mr = vmm_memory_first_region(fs->mem); mr; mr = mr->all_next)
		mfs_list_escaped(cb, arg, mr->id);
	return 0;
}

static MFS_FIND(f_mr) { return mfs_mr(fs, key) ? 0 : -ENOENT; }

#define WITH_MR(mr) struct vmm_mr *mr = mfs_mr(fs, key); if (!mr) return -ENOENT
#define MR_NUM(fn, fmt, expr) \
	static MFS_RENDER(fn) { WITH_MR(mr); vmm_buf_printf(out, fmt "\n", expr); return 0; }

MR_NUM(r_mr_name, "%s", mr->name)
MR_NUM(r_mr_type, "%s", vmm_mr_type_name(mr->type))
MR_NUM(r_mr_addr, "0x%" PRIx64, mr->addr)
MR_NUM(r_mr_prio, "%d", mr->priority)
MR_NUM(r_mr_enabled, "%d", mr->enabled)
MR_NUM(r_mr_readonly, "%d", mr->readonly)
MR_NUM(r_mr_nonvolatile, "%d", mr->nonvolatile)
MR_NUM(r_mr_log_dirty, "%d", mr->dirty_log_mask ? 1 : 0)
MR_NUM(r_mr_romd, "%d", mr->romd_mode)
MR_NUM(r_mr_device, "%s", mr->device ? mr->device : "")
MR_NUM(r_mr_alias_offset, "0x%" PRIx64, mr->alias_offset)

static MFS_RENDER(r_mr_size) { WITH_MR(mr); mfs_put_hex(out, mr->size); return 0; }

#define MR_PRESENT(fn, cond) \
	static MFS_PRESENT(fn) { struct vmm_mr *mr = mfs_mr(fs, key); return mr && (cond); }

MR_PRESENT(p_mr_romd, mr->type == VMM_MR_ROMD)
MR_PRESENT(p_mr_io, mr->type == VMM_MR_IO)
MR_PRESENT(p_mr_mapped, mr->container != NULL)
MR_PRESENT(p_mr_alias, mr->type == VMM_MR_ALIAS && mr->alias)
MR_PRESENT(p_mr_rb, mr->rb != NULL)

static MFS_RENDER(r_mr_container)
{
	WITH_MR(mr);
	if (!mr->container)
		return -ENOENT;
	mfs_put_link(out, "../", "", mr->container->id);
	return 0;
}

static MFS_RENDER(r_mr_alias)
{
	WITH_MR(mr);
	if (!mr->alias)
		return -ENOENT;
	mfs_put_link(out, "../", "", mr->alias->id);
	return 0;
}

static MFS_RENDER(r_mr_ramblock)
{
	WITH_MR(mr);
	if (!mr->rb)
		return -ENOENT;
	mfs_put_link(out, "../../", "ramblocks/", mr->rb->idstr);
	return 0;
}

static MFS_LIST(l_sub)
{
	struct vmm_mr *mr = mfs_mr(fs, pkey);

	if (!mr)
		return -ENOENT;
	for (struct vmm_mr *c = mr->subregions; c; c = c->sib_next)
		mfs_list_escaped(cb, arg, c->id);
	return 0;
}

/* regions/ID/subregions/CHILD exists while CHILD is mapped in ID. */
static struct vmm_mr *subregion(struct mfs *fs, const char *key)
{
	struct vmm_mr *mr = mfs_mr(fs, key);
	char raw[VMM_ID_MAX * 3 + 1], id[VMM_ID_MAX + 1];
	struct vmm_mr *c;

	if (!mr || mfs_key_part(key, 1, raw, sizeof(raw)) < 0 ||
	    mfs_unescape(raw, id, sizeof(id)) < 0)
		return NULL;
	c = vmm_mr_find(fs->mem, id);
	return c && c->container == mr ? c : NULL;
}

static MFS_FIND(f_sub) { return subregion(fs, key) ? 0 : -ENOENT; }

static MFS_RENDER(r_sub)
{
	struct vmm_mr *c = subregion(fs, key);

	if (!c)
		return -ENOENT;
	mfs_put_link(out, "../../", "", c->id);
	return 0;
}


static MFS_WRITE(w_region_ctl)
{
	char raw[VMM_ID_MAX * 3 + 1], id[VMM_ID_MAX + 1];

	if (mfs_key_part(key, 0, raw, sizeof(raw)) < 0 || mfs_unescape(raw, id, sizeof(id)) < 0 ||
	    !vmm_mr_find(fs->mem, id))
		return -ENOENT;
	return mfs_ctl_write(fs, row, key, id, buf, len, err);
}

const struct mfs_row mfs_region_rows[] = {
	{ .pattern = "regions", .mode = DIR_ },
	{ .pattern = "regions/*", .mode = DIR_, .list = l_mr, .find = f_mr },
	{ .pattern = "regions/*/name", .mode = RO, .render = r_mr_name },
	{ .pattern = "regions/*/type", .mode = RO, .render = r_mr_type },
	{ .pattern = "regions/*/size", .mode = RW, .render = r_mr_size, .write = mfs_set_write },
	{ .pattern = "regions/*/addr", .mode = RW, .render = r_mr_addr, .write = mfs_set_write },
	{ .pattern = "regions/*/prio", .mode = RW, .render = r_mr_prio, .write = mfs_set_write },
	{ .pattern = "regions/*/enabled", .mode = RW, .render = r_mr_enabled, .write = mfs_set_write },
	{ .pattern = "regions/*/readonly", .mode = RW, .render = r_mr_readonly, .write = mfs_set_write },
	{ .pattern = "regions/*/nonvolatile", .mode = RW, .render = r_mr_nonvolatile, .write = mfs_set_write },
	{ .pattern = "regions/*/log_dirty", .mode = RW, .render = r_mr_log_dirty, .write = mfs_set_write },
	{ .pattern = "regions/*/romd", .mode = RW, .present = p_mr_romd, .render = r_mr_romd, .write = mfs_set_write },
	{ .pattern = "regions/*/device", .mode = RO, .present = p_mr_io, .render = r_mr_device },
	{ .pattern = "regions/*/container", .mode = LNK, .present = p_mr_mapped, .render = r_mr_container },
	{ .pattern = "regions/*/subregions", .mode = DIR_ },
	{ .pattern = "regions/*/subregions/*", .mode = LNK, .list = l_sub, .find = f_sub, .render = r_sub },
	{ .pattern = "regions/*/alias", .mode = LNK, .present = p_mr_alias, .render = r_mr_alias },
	{ .pattern = "regions/*/alias_offset", .mode = RW, .present = p_mr_alias, .render = r_mr_alias_offset,
	  .write = mfs_set_write },
	{ .pattern = "regions/*/ramblock", .mode = LNK, .present = p_mr_rb, .render = r_mr_ramblock },
	{ .pattern = "regions/*/ctl", .mode = WO, .write = w_region_ctl },
	{ .pattern = "regions/*/ram", .mode = PRIV, .ram = mfs_ram_region },
	{ .pattern = NULL }
};
