// SPDX-License-Identifier: MIT
/*
 * address-spaces/: one directory per address space, named by its escaped
 * key (its name; "NAME#K" for the K-th space of a name QEMU repeats, such as
 * one "e1000e" per device: vmm_as_find() takes the key back), with its name,
 * links to its root region and its current flat view, and a ram file that
 * reads guest memory as the space maps it (fs/ram.c).
 */
#include <errno.h>
#include <inttypes.h>

#include <vmm/flatview.h>
#include <vmm/memory.h>

#include "files.h"

static MFS_LIST(l_as)
{
	char key[VMM_AS_KEY_MAX];

	for (struct vmm_as *as = vmm_memory_first_as(fs->mem); as; as = as->next)
		mfs_list_escaped(cb, arg, vmm_as_key(as, key));
	return 0;
}

static MFS_FIND(f_as) { return mfs_as(fs, key) ? 0 : -ENOENT; }

#define WITH_AS(as) struct vmm_as *as = mfs_as(fs, key); if (!as) return -ENOENT

static MFS_RENDER(r_as_name) { WITH_AS(as); vmm_buf_printf(out, "%s\n", as->name); return 0; }

static MFS_RENDER(r_as_root)
{
	WITH_AS(as);
	if (!as->root)
		return -ENOENT;
	mfs_put_link(out, "../../", "regions/", as->root->id);
	return 0;
}

static MFS_RENDER(r_as_flatview)
{
	WITH_AS(as);
	vmm_buf_printf(out, "../../flatviews/%" PRIu64, as->current->id);
	return 0;
}

const struct mfs_row mfs_as_rows[] = {
	{ .pattern = "address-spaces", .mode = DIR_ },
	{ .pattern = "address-spaces/*", .mode = DIR_, .list = l_as, .find = f_as },
	{ .pattern = "address-spaces/*/name", .mode = RO, .render = r_as_name },
	{ .pattern = "address-spaces/*/root", .mode = LNK, .render = r_as_root },
	{ .pattern = "address-spaces/*/flatview", .mode = LNK, .render = r_as_flatview },
	{ .pattern = "address-spaces/*/ram", .mode = PRIV, .ram = mfs_ram_as },
	{ .pattern = NULL }
};
