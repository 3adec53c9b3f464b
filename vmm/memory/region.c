// SPDX-License-Identifier: MIT
/*
 * Regions on their own, the bottom of the memory model: what each kind is
 * (names, which kinds terminate rendering, which read from RAM), reference
 * counting and destruction, device callbacks, and the host address of an
 * offset inside a RAM-backed region. Nothing here knows the registry,
 * transactions or flat views; every other memory file builds on this one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ramblock.h>

#include "region_priv.h"

static const char *const type_names[] = {
	[VMM_MR_CONTAINER] = "container",
	[VMM_MR_RAM] = "ram",
	[VMM_MR_ROM] = "rom",
	[VMM_MR_ROMD] = "romd",
	[VMM_MR_IO] = "io",
	[VMM_MR_ALIAS] = "alias",
};

const char *vmm_mr_type_name(enum vmm_mr_type t)
{
	if ((unsigned)t >= sizeof(type_names) / sizeof(type_names[0]))
		return "?";
	return type_names[t];
}

bool vmm_mr_is_terminating(const struct vmm_mr *mr)
{
	return mr->type != VMM_MR_CONTAINER && mr->type != VMM_MR_ALIAS;
}

bool vmm_mr_is_ram(const struct vmm_mr *mr)
{
	return mr->type == VMM_MR_RAM || mr->type == VMM_MR_ROM || mr->type == VMM_MR_ROMD;
}

/**
 * vmm_mr_reads_ram() - do reads of @mr come from its RAM block?
 * @mr: a leaf region
 * @romd_mode: the romd mode to judge by (the region's own, or a flat
 *             range's copy of it)
 *
 * True for ram and rom regions and for a ROM device in romd mode, when the
 * region has a RAM block: the one rule that accesses, the filesystem's
 * data/hole map and the KVM memslots all follow.
 */
bool vmm_mr_reads_ram(const struct vmm_mr *mr, bool romd_mode)
{
	if (!mr->rb)
		return false;
	if (mr->type == VMM_MR_ROMD)
		return romd_mode;
	return mr->type == VMM_MR_RAM || mr->type == VMM_MR_ROM;
}

/**
 * vmm_mr_host() - host address of @offset inside a RAM-backed region
 * @mr: ram, rom or romd region, or an alias of one
 * @offset: offset inside @mr
 *
 * Return: the address, or NULL when @mr has no RAM there.
 */
void *vmm_mr_host(const struct vmm_mr *mr, uint64_t offset)
{
	while (mr && mr->alias) {
		if (offset >= mr->size)
			return NULL;
		offset += mr->alias_offset;
		mr = mr->alias;
	}
	if (!mr || !mr->rb || !mr->rb->host || offset >= mr->size ||
	    offset >= mr->rb->used_length)
		return NULL;
	return (char *)mr->rb->host + offset;
}

/* Last reference gone: free everything the region owns. */
void mem_region_destroy(struct vmm_mr *mr)
{
	if (mr->ops && mr->ops->release)
		mr->ops->release(mr->opaque);
	if (mr->rb)
		vmm_ramblock_unref(mr->rb);
	free(mr->id);
	free(mr->name);
	free(mr->device);
	free(mr_int(mr)->pg);
	free(mr_int(mr));
}

void vmm_mr_ref(struct vmm_mr *mr)
{
	atomic_fetch_add(&mr->refs, 1);
}

void vmm_mr_unref(struct vmm_mr *mr)
{
	if (mr && atomic_fetch_sub(&mr->refs, 1) == 1)
		mem_region_destroy(mr);
}

/* -ENOENT with a reason when @mr is NULL or deleted in the open transaction. */
int mem_region_check_live(struct vmm_mr *mr, struct vmm_err *err)
{
	if (!mr)
		return vmm_err_set(err, -ENOENT, "no such region");
	if (mr_int(mr)->dead)
		return vmm_err_set(err, -ENOENT, "%s has been deleted", mr->id);
	return 0;
}

/**
 * vmm_mr_set_ops() - attach device callbacks to an io or romd region
 * @mr: region
 * @ops: callbacks (kept by pointer)
 * @opaque: passed to the callbacks, released with @ops->release
 * @device: device kind shown to users (NULL keeps the current one)
 */
void vmm_mr_set_ops(struct vmm_mr *mr, const struct vmm_mr_ops *ops, void *opaque,
		    const char *device)
{
	char *d = device ? strdup(device) : NULL;

	mr->ops = ops;
	mr->opaque = opaque;
	if (d) {
		free(mr->device);
		mr->device = d;
	}
}
