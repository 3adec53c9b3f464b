// SPDX-License-Identifier: MIT
/*
 * Open ram files bound to their object. A path names a region by its ID and
 * a RAM block by its name, and a new object may take the ID of a deleted
 * one; an open file must not follow the ID there (it would read and write
 * memory its opener never opened). A binding holds a reference on the
 * object the file was opened on, so its memory cannot be reused for a new
 * object and comparing pointers is exact; once the key names another
 * object, or none, every request on the file fails with ESTALE.
 */
#include <errno.h>
#include <stdlib.h>

#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "mtreefs.h"
#include "ram_priv.h"

/**
 * struct mfs_ram_bind - the object an open ram file was opened on
 * @mr: the region (regions/ID/ram), a reference; or NULL
 * @rb: the RAM block (ramblocks/NAME/ram), a reference; or NULL
 */
struct mfs_ram_bind {
	struct vmm_mr *mr;
	struct vmm_ramblock *rb;
};

static int bind_new(struct mfs *fs, const char *key, bool block, struct mfs_ram_bind **out)
{
	struct mfs_ram_bind *b = calloc(1, sizeof(*b));
	int rc = 0;

	if (!b)
		return -ENOMEM;
	pthread_mutex_lock(&fs->mc->lock);
	if (!block && (b->mr = mfs_mr(fs, key)))
		vmm_mr_ref(b->mr);
	else if (block && (b->rb = mfs_ramblock(fs, key)))
		vmm_ramblock_ref(b->rb);
	else
		rc = -ENOENT;
	pthread_mutex_unlock(&fs->mc->lock);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

/* Bind to the region @key names now. */
int mfs_ram_bind_mr(struct mfs *fs, const char *key, struct mfs_ram_bind **out)
{
	return bind_new(fs, key, false, out);
}

/* Bind to the RAM block @key names now. */
int mfs_ram_bind_rb(struct mfs *fs, const char *key, struct mfs_ram_bind **out)
{
	return bind_new(fs, key, true, out);
}

/* Drop a binding (NULL is fine); the reference may be the object's last one. */
void mfs_ram_unbind(struct mfs_ram_bind *b)
{
	if (!b)
		return;
	vmm_mr_unref(b->mr);
	if (b->rb)
		vmm_ramblock_unref(b->rb);
	free(b);
}

/* Does @key name the object @b was opened on? True without a binding. Topology lock held. */
bool mfs_ram_bound_to(struct mfs *fs, const struct mfs_ram_bind *b, const char *key)
{
	if (!b)
		return true;
	if (b->mr)
		return mfs_mr(fs, key) == b->mr;
	return mfs_ramblock(fs, key) == b->rb;
}
