// SPDX-License-Identifier: MIT
/*
 * Address spaces (QEMU's address_space_init and address_space_destroy):
 * creating and deleting one is a transaction step like any edit; its flat
 * view is rendered, and listeners hear about its ranges, at the outermost
 * commit. Either makes the transaction structural (every view is rendered
 * from scratch).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commit_priv.h"
#include "dirty_window_priv.h"
#include "flatview_priv.h"
#include "registry_priv.h"
#include "undo_priv.h"

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
 * @name: unique name as QEMU prints it
 * @root: root region
 * @out: the new address space (may be NULL)
 * @err: reason on failure
 *
 * Its flat view is rendered by the (outermost) commit.
 *
 * Return: 0, -EEXIST, -EINVAL, -ENOENT or -ENOMEM.
 */
int vmm_as_new(struct vmm_memory *m, const char *name, struct vmm_mr *root,
	       struct vmm_as **out, struct vmm_err *err)
{
	struct undo_rec u = { .op = U_AS_NEW };
	struct vmm_as *as = NULL, **pp;
	int r;

	mem_txn_enter(m);
	r = mem_region_check_live(root, err);
	if (!r && (!name || !*name || strlen(name) >= VMM_NAME_MAX || strchr(name, '\n')))
		r = vmm_err_set(err, -EINVAL, "bad address-space name");
	if (!r && vmm_as_find(m, name))
		r = vmm_err_set(err, -EEXIST, "address space \"%s\" already exists", name);
	if (!r) {
		as = as_alloc(m, name, root);
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
