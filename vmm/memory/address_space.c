// SPDX-License-Identifier: MIT
/*
 * Address spaces (QEMU's address_space_init and address_space_destroy):
 * creating and deleting one is a transaction step like any edit; its flat
 * view is rendered, and listeners hear about its ranges, at the outermost
 * commit. Either makes the transaction structural (every view is rendered
 * from scratch). Names repeat as in QEMU (one "e1000e" per device), so a
 * space is found by its key: the name for the first of a name in creation
 * order, "NAME#K" for the K-th; '#' is in no name, so no key is ambiguous.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit_priv.h"
#include "dirty_window_priv.h"
#include "flatview_priv.h"
#include "registry_priv.h"
#include "undo_priv.h"

/*
 * The name a new space given @key gets: "NAME" while none has that name,
 * "NAME#K" when exactly K-1 do (what vmm_as_find() then finds by @key).
 */
static int as_new_name(struct vmm_memory *m, const char *key, char *name,
		       struct vmm_err *err)
{
	unsigned nth, have = 0;
	size_t len;

	if (!key || !*key || strlen(key) >= VMM_NAME_MAX || strchr(key, '\n'))
		return vmm_err_set(err, -EINVAL, "bad address-space name");
	if (mem_as_key_split(key, &len, &nth))
		return vmm_err_set(err, -EINVAL,
				   "'#' in an address-space name only as NAME#K (K >= 2), "
				   "the K-th space named NAME");
	for (struct vmm_as *as = vmm_memory_first_as(m); as; as = as->next)
		have += mem_as_named(as, key, len);
	if (have >= nth)
		return vmm_err_set(err, -EEXIST, "address space \"%s\" already exists", key);
	if (have + 1 < nth)
		return vmm_err_set(err, -EINVAL, "address space \"%s\": only %u named \"%.*s\"",
				   key, have, (int)len, key);
	memcpy(name, key, len);
	name[len] = '\0';
	return 0;
}

static struct vmm_as *as_alloc(struct vmm_memory *m, const char *name, struct vmm_mr *root)
{
	struct vmm_as *as = calloc(1, sizeof(*as));

	if (!as)
		return NULL;
	as->name = strdup(name);
	as->current = mem_flatview_empty();
	if (!as->name || !as->current) {
		mem_as_free(as);
		return NULL;
	}
	as->mem = m;
	as->root = root;
	as->current->id = ++m->next_fv_id;
	as->seq = m->next_seq++;
	return as;
}

/**
 * vmm_as_new() - create an address space (address_space_init)
 * @m: model
 * @name: its name as QEMU prints it, or the key "NAME#K" (K >= 2) to make
 *        the K-th space named NAME when K-1 exist
 * @root: root region
 * @out: the new address space (may be NULL)
 * @err: reason on failure
 *
 * Its flat view is rendered by the (outermost) commit. A bare name that is
 * taken is refused (-EEXIST): repeating a name takes the key, so that a
 * script that repeats one by mistake still fails.
 *
 * Return: 0, -EEXIST, -EINVAL, -ENOENT or -ENOMEM.
 */
int vmm_as_new(struct vmm_memory *m, const char *name, struct vmm_mr *root,
	       struct vmm_as **out, struct vmm_err *err)
{
	struct undo_rec u = { .op = U_AS_NEW };
	struct vmm_as *as = NULL, **pp;
	char base[VMM_NAME_MAX];
	int r;

	mem_txn_enter(m);
	r = mem_region_check_live(root, err);
	if (!r)
		r = as_new_name(m, name, base, err);
	if (!r) {
		as = as_alloc(m, base, root);
		if (!as)
			r = vmm_err_set(err, -ENOMEM, "out of memory");
	}
	if (!r) {
		u.as = as;
		if (mem_log_push(m, &u)) {
			mem_as_free(as);
			r = vmm_err_set(err, -ENOMEM, "out of memory");
		}
	}
	if (!r) {
		mem_dirty_structural(m);
		for (pp = &m->as_head; *pp; pp = &(*pp)->next)
			;
		*pp = as;
		if (out)
			*out = as;
	}
	return mem_txn_leave(m, r, err);
}

/**
 * vmm_as_delete() - destroy an address space (address_space_destroy)
 * @as: address space
 * @err: reason on failure
 *
 * Listeners see its ranges removed at the outermost commit.
 *
 * Return: 0 or -ENOMEM.
 */
int vmm_as_delete(struct vmm_as *as, struct vmm_err *err)
{
	struct vmm_memory *m = as->mem;
	struct undo_rec u = { .op = U_AS_DEL, .as = as };
	struct vmm_as **pp;
	int r = 0;

	mem_txn_enter(m);
	for (pp = &m->as_head; *pp && *pp != as; pp = &(*pp)->next)
		u.as_prev = *pp;
	if (!*pp)
		r = vmm_err_set(err, -ENOENT, "address space \"%s\" is not registered",
				as->name);
	if (!r && mem_log_push(m, &u))
		r = vmm_err_set(err, -ENOMEM, "out of memory");
	if (!r) {
		mem_dirty_structural(m);
		*pp = as->next;
	}
	return mem_txn_leave(m, r, err);
}
