/* SPDX-License-Identifier: MIT */
/*
 * Private to the control language: the value checkers of ctl_value.c, which
 * turn one word into a number, a checked ID or name, or a region, and say
 * why in @err when they refuse. The command table uses them for every
 * command; `set` goes through ctl_set_apply(), the one place that knows the
 * settable keys.
 */
#ifndef VMM_CTL_VALUE_PRIV_H
#define VMM_CTL_VALUE_PRIV_H

#include <vmm/ctl.h>
#include <vmm/memory.h>

/* Numbers of the language; @what names the value in the reason ("size '1Q' is not a number"). */
int ctl_parse_size(const char *what, const char *s, vmm_u128 *v, struct vmm_err *err);
int ctl_parse_u64(const char *what, const char *s, uint64_t *v, struct vmm_err *err);
int ctl_parse_int(const char *what, const char *s, int *v, struct vmm_err *err);

/* A new region's ID, and a display name (@what: "name", "idstr", ...). */
int ctl_check_id(const char *id, struct vmm_err *err);
int ctl_check_name(const char *what, const char *s, struct vmm_err *err);

/* An existing region by ID: -ENOENT (or -EINVAL for a malformed ID) otherwise. */
int ctl_find(struct vmm_memory *m, const char *id, struct vmm_mr **out, struct vmm_err *err);

/* `set KEY VALUE` on @mr: the work of vmm_ctl_set() once the region is known. */
int ctl_set_apply(struct vmm_memory *m, struct vmm_mr *mr, const char *key, const char *value,
		  struct vmm_err *err);

#endif
