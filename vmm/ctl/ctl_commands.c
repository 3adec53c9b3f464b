// SPDX-License-Identifier: MIT
/*
 * The commands of the control language (README, "The control language"), one
 * handler each, found through one table: they check the words of a tokenized
 * line (IDs, numbers, options and the PLACE clause) and turn them into calls
 * of the memory model's API, which enforces the topology rules and says why it
 * refuses. A region's own ctl file supplies the implied region for PLACE,
 * set, delete and unmap. The values are read by ctl_value.c, which also owns
 * the keys of `set`; begin/commit/abort go to the call's transactions
 * (ctl_txn.c). The line runner (ctl.c) sits above and calls in; nothing here
 * calls back up.
 */
#include <errno.h>
#include <string.h>

#include "ctl_commands_priv.h"
#include "ctl_value_priv.h"

/**
 * struct place - the PLACE clause and the KEY=VALUE options of a line
 * @parent: "in PARENT" (or the ctl file's region), NULL when absent
 * @have_at, @addr, @have_prio, @prio: "at ADDR", "prio P"
 * @name, @backend, @idstr, @device, @max: creation options (NULL/0 when absent)
 */
struct place {
	const char *parent;
	bool have_at;
	uint64_t addr;
	bool have_prio;
	int prio;
	const char *name, *backend, *idstr, *device;
	bool have_max;
	vmm_u128 max;
};

#define OPT_NAME	(1u << 0)
#define OPT_RAM		(1u << 1)	/* backend=, max=, idstr= */
#define OPT_DEVICE	(1u << 2)
#define OPT_PLACE	(1u << 3)

/* The region of the ctl file this call came from. */
static int implied(struct ctl_state *st, struct vmm_mr **out)
{
	*out = vmm_mr_find(st->m, st->ctx->region);
	if (!*out)
		return vmm_err_set(st->err, -ENOENT, "region '%s' no longer exists",
				   st->ctx->region);
	return 0;
}

static int set_once(struct ctl_state *st, const char **slot, const char *key, const char *v)
{
	if (*slot)
		return vmm_err_set(st->err, -EINVAL, "%s given twice", key);
	*slot = v;
	return 0;
}

static int parse_kv(struct ctl_state *st, const char *t, unsigned allow, struct place *pl)
{
	const char *eq = strchr(t, '=');
	size_t kl = eq ? (size_t)(eq - t) : 0;
	const char *v = eq ? eq + 1 : NULL;

#define KEY(k) (kl == sizeof(k) - 1 && !strncmp(t, k, kl))
	if (eq && (allow & OPT_NAME) && KEY("name")) {
		if (ctl_check_name("name", v, st->err))
			return st->err->code;
		return set_once(st, &pl->name, "name=", v);
	}
	if (eq && (allow & OPT_RAM) && KEY("backend"))
		return set_once(st, &pl->backend, "backend=", v);
	if (eq && (allow & OPT_RAM) && KEY("idstr")) {
		if (ctl_check_name("idstr", v, st->err))
			return st->err->code;
		return set_once(st, &pl->idstr, "idstr=", v);
	}
	if (eq && (allow & OPT_DEVICE) && KEY("device"))
		return set_once(st, &pl->device, "device=", v);
	if (eq && (allow & OPT_RAM) && KEY("max")) {
		if (pl->have_max)
			return vmm_err_set(st->err, -EINVAL, "max= given twice");
		pl->have_max = true;
		return ctl_parse_size("max", v, &pl->max, st->err);
	}
#undef KEY
	return vmm_err_set(st->err, -EINVAL, "unexpected '%s'", t);
}

/* Parse [in PARENT] [at ADDR] [prio P] and the options allowed by @allow, in any order. */
static int parse_rest(struct ctl_state *st, char **tok, int n, unsigned allow,
		      struct place *pl)
{
	int r;

	memset(pl, 0, sizeof(*pl));
	for (int i = 0; i < n; i++) {
		const char *t = tok[i];
		bool kw = (allow & OPT_PLACE) &&
			  (!strcmp(t, "in") || !strcmp(t, "at") || !strcmp(t, "prio"));

		if (!kw) {
			r = parse_kv(st, t, allow, pl);
			if (r)
				return r;
			continue;
		}
		if (i + 1 >= n)
			return vmm_err_set(st->err, -EINVAL, "'%s' needs a value", t);
		if (t[0] == 'i') {
			r = set_once(st, &pl->parent, "in", tok[++i]);
		} else if (t[0] == 'a') {
			r = pl->have_at ? vmm_err_set(st->err, -EINVAL, "at given twice") :
			    ctl_parse_u64("address", tok[++i], &pl->addr, st->err);
			pl->have_at = true;
		} else {
			r = pl->have_prio ? vmm_err_set(st->err, -EINVAL, "prio given twice") :
			    ctl_parse_int("priority", tok[++i], &pl->prio, st->err);
			pl->have_prio = true;
		}
		if (r)
			return r;
	}
	if (!pl->have_at && (pl->parent || pl->have_prio))
		return vmm_err_set(st->err, -EINVAL, "PLACE needs 'at ADDR'");
	if (pl->have_at && !pl->parent && !st->ctx->region)
		return vmm_err_set(st->err, -EINVAL, "'at ADDR' needs 'in PARENT'");
	if (pl->have_at && !pl->parent)
		pl->parent = st->ctx->region;
	return 0;
}

static int do_map(struct ctl_state *st, struct vmm_mr *mr, const struct place *pl)
{
	struct vmm_mr *parent;
	int r;

	if (!pl->have_at)
		return 0;
	r = ctl_find(st->m, pl->parent, &parent, st->err);
	if (r)
		return r;
	return vmm_mr_map(mr, parent, pl->addr, pl->prio, st->err);
}

static int usage(struct ctl_state *st, const char *syntax)
{
	return vmm_err_set(st->err, -EINVAL, "usage: %s", syntax);
}

/* ---- creations ---- */

static int cmd_create(struct ctl_state *st, char **tok, int n)
{
	const char *verb = tok[0];
	enum vmm_mr_type type = !strcmp(verb, "container") ? VMM_MR_CONTAINER :
				!strcmp(verb, "ram") ? VMM_MR_RAM :
				!strcmp(verb, "rom") ? VMM_MR_ROM :
				!strcmp(verb, "romd") ? VMM_MR_ROMD : VMM_MR_IO;
	unsigned allow = OPT_NAME | OPT_PLACE;
	struct vmm_ram_opts ro = { 0 };
	struct place pl;
	struct vmm_mr *mr;
	vmm_u128 size;
	int r;

	if (n < 3)
		return usage(st, "TYPE ID SIZE [name=NAME] [options] [in PARENT] [at ADDR] [prio P]");
	if (type == VMM_MR_RAM || type == VMM_MR_ROM || type == VMM_MR_ROMD)
		allow |= OPT_RAM;
	if (type == VMM_MR_IO)
		allow |= OPT_DEVICE;
	r = ctl_check_id(tok[1], st->err);
	if (!r)
		r = ctl_parse_size("size", tok[2], &size, st->err);
	if (!r)
		r = parse_rest(st, tok + 3, n - 3, allow, &pl);
	if (r)
		return r;
	switch (type) {
	case VMM_MR_CONTAINER:
		r = vmm_mr_new_container(st->m, tok[1], pl.name, size, &mr, st->err);
		break;
	case VMM_MR_IO:
		r = vmm_mr_new_io(st->m, tok[1], pl.name, size, pl.device, &mr, st->err);
		break;
	default:
		ro.backend = pl.backend;
		ro.max_size = pl.have_max ? pl.max : 0;
		ro.idstr = pl.idstr;
		r = vmm_mr_new_ram(st->m, type, tok[1], pl.name, size, &ro, &mr, st->err);
		break;
	}
	return r ? r : do_map(st, mr, &pl);
}

static int cmd_alias(struct ctl_state *st, char **tok, int n)
{
	struct vmm_mr *target, *mr;
	struct place pl;
	uint64_t off;
	vmm_u128 size;
	int r;

	if (n < 5)
		return usage(st, "alias ID TARGET OFFSET SIZE [name=NAME] [PLACE]");
	r = ctl_check_id(tok[1], st->err);
	if (!r)
		r = ctl_find(st->m, tok[2], &target, st->err);
	if (!r)
		r = ctl_parse_u64("offset", tok[3], &off, st->err);
	if (!r)
		r = ctl_parse_size("size", tok[4], &size, st->err);
	if (!r)
		r = parse_rest(st, tok + 5, n - 5, OPT_NAME | OPT_PLACE, &pl);
	if (!r)
		r = vmm_mr_new_alias(st->m, tok[1], pl.name, target, off, size, &mr, st->err);
	return r ? r : do_map(st, mr, &pl);
}

/* ---- edits ---- */

/* The region a command acts on: tok[1] if given, else the ctl file's region. */
static int subject(struct ctl_state *st, char **tok, int n, int need, struct vmm_mr **mr,
		   int *skip)
{
	if (n == need + 1 && st->ctx->region) {
		*skip = 0;
		return implied(st, mr);
	}
	*skip = 1;
	return n == need + 2 ? ctl_find(st->m, tok[1], mr, st->err) : -EINVAL;
}

static int cmd_map(struct ctl_state *st, char **tok, int n)
{
	struct vmm_mr *mr;
	struct place pl;
	int r;

	if (n < 2)
		return usage(st, "map ID [in PARENT] at ADDR [prio P]");
	r = ctl_find(st->m, tok[1], &mr, st->err);
	if (!r)
		r = parse_rest(st, tok + 2, n - 2, OPT_PLACE, &pl);
	if (!r && !pl.have_at)
		r = usage(st, "map ID [in PARENT] at ADDR [prio P]");
	return r ? r : do_map(st, mr, &pl);
}

static int cmd_unmap(struct ctl_state *st, char **tok, int n)
{
	struct vmm_mr *mr;
	int skip, r;

	r = subject(st, tok, n, 0, &mr, &skip);
	if (r == -EINVAL && !st->err->msg[0])
		return usage(st, "unmap ID");
	return r ? r : vmm_mr_unmap(mr, st->err);
}

static int cmd_delete(struct ctl_state *st, char **tok, int n)
{
	struct vmm_mr *mr;
	int skip, r;

	r = subject(st, tok, n, 0, &mr, &skip);
	if (r == -EINVAL && !st->err->msg[0])
		return usage(st, "delete ID");
	return r ? r : vmm_mr_delete(mr, st->err);
}

static int cmd_set(struct ctl_state *st, char **tok, int n)
{
	struct vmm_mr *mr;
	int skip, r;

	r = subject(st, tok, n, 2, &mr, &skip);
	if (r == -EINVAL && !st->err->msg[0])
		return usage(st, st->ctx->region ? "set [ID] KEY VALUE" : "set ID KEY VALUE");
	if (r)
		return r;
	return ctl_set_apply(st->m, mr, tok[1 + skip], tok[2 + skip], st->err);
}

static int cmd_address_space(struct ctl_state *st, char **tok, int n)
{
	struct vmm_mr *root;
	struct vmm_as *as;
	int r;

	/* "address-space NAME [ROOT]": the root is implied in a region's ctl */
	if (n == 2 && st->ctx->region)
		r = implied(st, &root);
	else if (n == 3)
		r = ctl_find(st->m, tok[2], &root, st->err);
	else
		return usage(st, "address-space NAME ROOT");
	if (!r && !tok[1][0])
		r = vmm_err_set(st->err, -EINVAL, "empty address-space name");
	if (!r)
		r = ctl_check_name("address-space name", tok[1], st->err);
	return r ? r : vmm_as_new(st->m, tok[1], root, &as, st->err);
}

/*
 * "delete-address-space NAME": QEMU's address_space_destroy. The regions stay
 * (a root can then be unmapped or deleted); the spaces the context pins, whose
 * owner keeps pointers to them, are refused.
 */
static int cmd_delete_as(struct ctl_state *st, char **tok, int n)
{
	struct vmm_as *as;

	if (n != 2)
		return usage(st, "delete-address-space NAME");
	as = vmm_as_find(st->m, tok[1]);
	if (!as)
		return vmm_err_set(st->err, -ENOENT, "unknown address space '%s'", tok[1]);
	for (size_t i = 0; i < st->ctx->nr_pinned; i++)
		if (st->ctx->pinned[i] == as)
			return vmm_err_set(st->err, -EBUSY,
					   "address space '%s' is the machine's own (vCPUs use it)",
					   tok[1]);
	return vmm_as_delete(as, st->err);
}

/* begin, commit, abort: the call's transactions decide what each one settles */
static int no_args(struct ctl_state *st, char **tok, int n)
{
	if (n != 1)
		return vmm_err_set(st->err, -EINVAL, "%s takes no arguments", tok[0]);
	return 0;
}

static int cmd_begin(struct ctl_state *st, char **tok, int n)
{
	return no_args(st, tok, n) ?: ctl_txn_begin(&st->txn, st->line, st->err);
}

static int cmd_commit(struct ctl_state *st, char **tok, int n)
{
	return no_args(st, tok, n) ?: ctl_txn_commit(&st->txn, st->err);
}

static int cmd_abort(struct ctl_state *st, char **tok, int n)
{
	return no_args(st, tok, n) ?: ctl_txn_abort(&st->txn, st->err);
}

/*
 * @depth: how the verb moves the transaction depth (0: the command is work
 * of the call's own transaction, and marks it changed when it succeeds).
 */
static const struct {
	const char *verb;
	int (*fn)(struct ctl_state *st, char **tok, int n);
	int depth;
} cmds[] = {
	{ "container", cmd_create, 0 },
	{ "ram", cmd_create, 0 },
	{ "rom", cmd_create, 0 },
	{ "romd", cmd_create, 0 },
	{ "io", cmd_create, 0 },
	{ "alias", cmd_alias, 0 },
	{ "map", cmd_map, 0 },
	{ "unmap", cmd_unmap, 0 },
	{ "set", cmd_set, 0 },
	{ "delete", cmd_delete, 0 },
	{ "address-space", cmd_address_space, 0 },
	{ "delete-address-space", cmd_delete_as, 0 },
	{ "begin", cmd_begin, 1 },
	{ "commit", cmd_commit, -1 },
	{ "abort", cmd_abort, -1 },
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

int ctl_verb_depth(const char *verb)
{
	for (size_t i = 0; i < NR_CMDS; i++)
		if (!strcmp(verb, cmds[i].verb))
			return cmds[i].depth;
	return 0;
}

bool ctl_verb_known(const char *verb)
{
	for (size_t i = 0; i < NR_CMDS; i++)
		if (!strcmp(verb, cmds[i].verb))
			return true;
	return false;
}

int ctl_run(struct ctl_state *st, char **tok, int n)
{
	int r;

	for (size_t i = 0; i < NR_CMDS; i++) {
		if (strcmp(tok[0], cmds[i].verb))
			continue;
		r = cmds[i].fn(st, tok, n);
		if (!r && !cmds[i].depth)
			ctl_txn_touch(&st->txn);
		return r;
	}
	return vmm_err_set(st->err, -EINVAL, "unknown command '%s'", tok[0]);
}
