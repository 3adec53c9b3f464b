// SPDX-License-Identifier: MIT
/*
 * The memory model's objects: the model itself (creation, freeing, how its
 * commits render), and region creation of every kind and deletion into the
 * transaction's graveyard, each a transaction step. The registry lives in
 * registry.c, topology edits in topology.c, address spaces in
 * address_space.c, transactions in undo.c and commit.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ramblock.h>

#include "commit_priv.h"
#include "region_index_priv.h"
#include "registry_priv.h"
#include "undo_priv.h"

/**
 * vmm_memory_set_render_mode() - choose how commits update flat views
 * @m: model
 * @mode: see enum vmm_render_mode
 */
void vmm_memory_set_render_mode(struct vmm_memory *m, enum vmm_render_mode mode)
{
	m->render_mode = mode;
}

/**
 * vmm_memory_render_stats() - counters of full and incremental renders
 * @m: model
 * @out: filled with the counters since the model was created
 */
void vmm_memory_render_stats(const struct vmm_memory *m, struct vmm_render_stats *out)
{
	*out = m->stats;
}

/**
 * vmm_memory_new() - create an empty model with its own RAM block list
 *
 * Return: the model, or NULL with errno set.
 */
struct vmm_memory *vmm_memory_new(void)
{
	struct vmm_memory *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->hsize = 1024;
	m->htab = calloc(m->hsize, sizeof(*m->htab));
	m->rl = vmm_ramlist_new();
	if (!m->htab || !m->rl) {
		free(m->htab);
		if (m->rl)
			vmm_ramlist_free(m->rl);
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	m->own_rl = true;
	pthread_mutex_init(&m->view_lock, NULL);
	return m;
}

/**
 * vmm_memory_free() - free the model, its address spaces, regions and RAM blocks
 * @m: model (may be NULL)
 *
 * An open transaction is aborted first. Flat views still referenced by other
 * threads stay valid until their last reference goes.
 */
void vmm_memory_free(struct vmm_memory *m)
{
	struct vmm_mr *mr, *next;
	struct vmm_as *as, *asn;

	if (!m)
		return;
	while (m->depth)
		vmm_memory_abort(m);
	for (as = m->as_head; as; as = asn) {
		asn = as->next;
		mem_as_free(as);
	}
	for (mr = m->all_head; mr; mr = next) {
		next = mr->all_next;
		mem_region_release_rb(m, mr);
		mr->mem = NULL;
		vmm_mr_unref(mr);
	}
	if (m->own_rl)
		vmm_ramlist_free(m->rl);
	pthread_mutex_destroy(&m->view_lock);
	free(m->log);
	free(m->marks);
	free(m->dirty.w);
	free(m->dirty.roots);
	free(m->htab);
	free(m);
}

void vmm_memory_set_device_factory(struct vmm_memory *m, vmm_device_factory f, void *ctx)
{
	m->factory = f;
	m->factory_ctx = ctx;
}

static bool id_valid(const char *id)
{
	const char *p;

	if (!id || !*id || strlen(id) >= VMM_ID_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (p = id; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("._-:@", c)))
			return false;
	}
	return true;
}

static int check_new(struct vmm_memory *m, const char *id, const char *name, vmm_u128 size,
		     struct vmm_err *err)
{
	if (!id_valid(id))
		return vmm_err_set(err, -EINVAL,
				   "bad region ID '%s': 1-%d letters, digits or ._-:@",
				   id ? id : "", VMM_ID_MAX - 1);
	if (name && (strlen(name) >= VMM_NAME_MAX || strchr(name, '\n')))
		return vmm_err_set(err, -EINVAL, "bad display name for %s: at most %d bytes, one line",
				   id, VMM_NAME_MAX - 1);
	if (size > VMM_U64_LIMIT)
		return vmm_err_set(err, -ERANGE, "region %s: size above 2^64", id);
	if (vmm_mr_find(m, id))
		return vmm_err_set(err, -EEXIST, "region '%s' already exists", id);
	if (m->nr_regions >= VMM_REGIONS_MAX)
		return vmm_err_set(err, -ENOSPC, "too many regions (limit %u)", VMM_REGIONS_MAX);
	return 0;
}

static struct vmm_mr *mr_alloc(struct vmm_memory *m, const char *id, const char *name,
			       enum vmm_mr_type type, vmm_u128 size)
{
	struct mr_int *p = calloc(1, sizeof(*p));
	struct vmm_mr *mr;

	if (!p)
		return NULL;
	mr = &p->pub;
	mr->id = strdup(id);
	mr->name = strdup(name ? name : id);
	mr->device = strdup("");
	if (!mr->id || !mr->name || !mr->device) {
		mem_region_destroy(mr);
		return NULL;
	}
	mr->mem = m;
	mr->type = type;
	mr->size = size;
	mr->enabled = true;
	mr->romd_mode = true;	/* QEMU initialises every region in romd mode */
	mr->readonly = type == VMM_MR_ROM;
	mr->refs = 1;
	mr->seq = m->next_seq++;
	return mr;
}

/* Register a fully built region and log its creation; on failure destroys it. */
static int mr_register(struct vmm_memory *m, struct vmm_mr *mr, struct vmm_mr **out,
		       struct vmm_err *err)
{
	struct undo_rec u = { .op = U_CREATE, .mr = mr };

	mr->all_prev = m->all_tail;
	mr->all_next = NULL;
	if (mem_log_push(m, &u)) {
		if (mr->alias)
			mem_alias_detach(mr);
		mem_region_release_rb(m, mr);
		vmm_mr_unref(mr);
		return vmm_err_set(err, -ENOMEM, "out of memory");
	}
	mem_region_relink_registry(m, mr);
	if (out)
		*out = mr;
	return 0;
}

/* The kind-specific part of a creation, run on the fresh, unregistered region. */
typedef int (*mr_setup_fn)(struct vmm_memory *m, struct vmm_mr *mr, const void *arg,
			   struct vmm_err *err);

/* Check, allocate, let @setup finish the region, register it: one transaction step. */
static int new_region(struct vmm_memory *m, enum vmm_mr_type type, const char *id,
		      const char *name, vmm_u128 size, mr_setup_fn setup, const void *arg,
		      struct vmm_mr **out, struct vmm_err *err)
{
	struct vmm_mr *mr;
	int r;

	mem_txn_enter(m);
	r = check_new(m, id, name, size, err);
	if (r)
		goto out;
	mr = mr_alloc(m, id, name, type, size);
	if (!mr) {
		r = vmm_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = setup ? setup(m, mr, arg, err) : 0;
	if (r) {
		vmm_mr_unref(mr);
		goto out;
	}
	r = mr_register(m, mr, out, err);
out:
	return mem_txn_leave(m, r, err);
}

/**
 * vmm_mr_new_container() - create an unmapped pure container
 * @m: model
 * @id: unique ID
 * @name: display name (NULL: the ID)
 * @size: up to 2^64
 * @out: the new region (may be NULL)
 * @err: reason on failure
 *
 * Return: 0 or -errno (-EEXIST, -EINVAL, -ERANGE, -ENOMEM, -ENOSPC).
 */
int vmm_mr_new_container(struct vmm_memory *m, const char *id, const char *name,
			 vmm_u128 size, struct vmm_mr **out, struct vmm_err *err)
{
	return new_region(m, VMM_MR_CONTAINER, id, name, size, NULL, NULL, out, err);
}

static const char *pick_idstr(struct vmm_memory *m, const struct vmm_mr *mr,
			      const struct vmm_ram_opts *opts)
{
	if (opts && opts->idstr)
		return opts->idstr;
	if (!vmm_ramlist_find(m->rl, mr->name))
		return mr->name;
	return mr->id;
}

static int attach_ramblock(struct vmm_memory *m, struct vmm_mr *mr, const void *arg,
			   struct vmm_err *err)
{
	const struct vmm_ram_opts *opts = arg;
	vmm_u128 max = opts ? opts->max_size : 0;
	struct vmm_ramblock *rb;
	int r;

	if (mr->size == 0 || mr->size >= VMM_U64_LIMIT || max >= VMM_U64_LIMIT)
		return vmm_err_set(err, -EINVAL, "%s: RAM size must be between 1 and 2^64-1",
				   mr->id);
	r = vmm_ramblock_new(m->rl, pick_idstr(m, mr, opts), (uint64_t)mr->size,
			     (uint64_t)max, opts && opts->backend ? opts->backend : "anon",
			     &rb, err);
	if (r)
		return r;
	vmm_ramblock_ref(rb);	/* the region's own reference */
	rb->mr = mr;
	mr->rb = rb;
	return 0;
}

/**
 * vmm_mr_new_ram() - create an unmapped ram, rom or romd region with its RAM block
 * @m: model
 * @type: VMM_MR_RAM, VMM_MR_ROM or VMM_MR_ROMD
 * @id: unique ID
 * @name: display name (NULL: the ID)
 * @size: bytes (the RAM block rounds up to its page size)
 * @opts: backend, resizeable max and RAM block name (may be NULL)
 * @out: the new region (may be NULL)
 * @err: reason on failure
 *
 * Return: 0 or -errno; errors of the RAM block allocation pass through.
 */
int vmm_mr_new_ram(struct vmm_memory *m, enum vmm_mr_type type, const char *id,
		   const char *name, vmm_u128 size, const struct vmm_ram_opts *opts,
		   struct vmm_mr **out, struct vmm_err *err)
{
	if (type != VMM_MR_RAM && type != VMM_MR_ROM && type != VMM_MR_ROMD)
		return vmm_err_set(err, -EINVAL, "%s: not a RAM-backed region type", id ? id : "");
	return new_region(m, type, id, name, size, attach_ramblock, opts, out, err);
}

static int attach_device(struct vmm_memory *m, struct vmm_mr *mr, const void *arg,
			 struct vmm_err *err)
{
	const char *device = arg;

	if (!device)
		return 0;
	return m->factory ? m->factory(m->factory_ctx, mr, device, err)
			  : vmm_err_set(err, -ENODEV, "%s: no device factory for '%s'", mr->id,
					device);
}

/**
 * vmm_mr_new_io() - create an unmapped io region, optionally with a device
 * @m: model
 * @id: unique ID
 * @name: display name (NULL: the ID)
 * @size: up to 2^64
 * @device: device kind for the factory (NULL or "": accesses hit nothing)
 * @out: the new region (may be NULL)
 * @err: reason on failure
 *
 * Return: 0 or -errno; -ENODEV when a device is asked for and no factory is set.
 */
int vmm_mr_new_io(struct vmm_memory *m, const char *id, const char *name, vmm_u128 size,
		  const char *device, struct vmm_mr **out, struct vmm_err *err)
{
	return new_region(m, VMM_MR_IO, id, name, size, attach_device,
			  device && *device ? device : NULL, out, err);
}

struct alias_args {
	struct vmm_mr *target;
	uint64_t offset;
};

static int attach_alias(struct vmm_memory *m, struct vmm_mr *mr, const void *arg,
			struct vmm_err *err)
{
	const struct alias_args *a = arg;

	if (!a->target || mr_int(a->target)->dead)
		return vmm_err_set(err, -ENOENT, "alias %s: no target region", mr->id);
	if ((vmm_u128)a->offset + mr->size > a->target->size)
		return vmm_err_set(err, -EINVAL,
				   "alias %s: window 0x%llx+%s is outside %s (size %s)", mr->id,
				   (unsigned long long)a->offset, mem_hex(mr->size).s,
				   a->target->id, mem_hex(a->target->size).s);
	mr->alias_offset = a->offset;
	mem_alias_attach(mr, a->target);
	return 0;
}

/**
 * vmm_mr_new_alias() - create an unmapped alias of [@offset, @offset+@size) of @target
 * @m: model
 * @id: unique ID
 * @name: display name (NULL: the ID)
 * @target: aliased region
 * @offset: window start inside @target
 * @size: window size
 * @out: the new region (may be NULL)
 * @err: reason on failure
 *
 * Return: 0 or -errno; -EINVAL when the window is not inside @target.
 */
int vmm_mr_new_alias(struct vmm_memory *m, const char *id, const char *name,
		     struct vmm_mr *target, uint64_t offset, vmm_u128 size,
		     struct vmm_mr **out, struct vmm_err *err)
{
	struct alias_args a = { target, offset };

	return new_region(m, VMM_MR_ALIAS, id, name, size, attach_alias, &a, out, err);
}

static int delete_check(struct vmm_mr *mr, struct vmm_err *err)
{
	struct vmm_as *as;

	if (mr_int(mr)->dead)
		return vmm_err_set(err, -ENOENT, "%s: already deleted", mr->id);
	if (mr->container)
		return vmm_err_set(err, -EBUSY, "%s is mapped in %s; unmap it first", mr->id,
				   mr->container->id);
	if (mr->alias_refs)
		return vmm_err_set(err, -EBUSY, "%s is the target of %u alias%s", mr->id,
				   mr->alias_refs, mr->alias_refs == 1 ? "" : "es");
	if (mr->subregions)
		return vmm_err_set(err, -EBUSY, "%s has subregions (%s first)", mr->id,
				   mr->subregions->id);
	for (as = mr->mem->as_head; as; as = as->next)
		if (as->root == mr)
			return vmm_err_set(err, -EBUSY, "%s is the root of address space \"%s\"",
					   mr->id, as->name);
	return 0;
}

/**
 * vmm_mr_delete() - delete an unused region
 * @mr: region
 * @err: reason on failure
 *
 * The region leaves the registry at once (its ID can be reused) but is kept
 * alive until the outermost commit succeeds, so an abort can revive it.
 *
 * Return: 0 or -EBUSY while mapped, aliased, an address-space root or a parent.
 */
int vmm_mr_delete(struct vmm_mr *mr, struct vmm_err *err)
{
	struct vmm_memory *m = mr->mem;
	struct undo_rec u = { .op = U_DELETE, .mr = mr };
	int r;

	mem_txn_enter(m);
	r = delete_check(mr, err);
	if (!r && mem_log_push(m, &u))
		r = vmm_err_set(err, -ENOMEM, "out of memory");
	if (!r) {
		mem_region_unlink_registry(m, mr);
		if (mr->alias)
			mem_alias_detach(mr);
	}
	return mem_txn_leave(m, r, err);
}
