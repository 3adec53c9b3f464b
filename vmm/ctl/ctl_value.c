// SPDX-License-Identifier: MIT
/*
 * The values of the control language (README, "The control language"):
 * numbers, IDs and names checked with the reasons the language gives, the
 * on/off words, and the table of keys that `set ID KEY VALUE` accepts. The
 * table is the one place that says which keys exist, what value each takes,
 * which model call applies it and which attribute file under regions/ID/ is
 * sugar for it, so the command table and the filesystem cannot disagree.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctl_value_priv.h"

static int bad_number(int r, const char *what, const char *s, struct vmm_err *err)
{
	if (r == -ERANGE)
		return vmm_err_set(err, r, "%s '%s' is out of range", what, s);
	return vmm_err_set(err, -EINVAL, "%s '%s' is not a number", what, s);
}

int ctl_parse_size(const char *what, const char *s, vmm_u128 *v, struct vmm_err *err)
{
	int r = vmm_parse_size(s, v);

	return r ? bad_number(r, what, s, err) : 0;
}

int ctl_parse_u64(const char *what, const char *s, uint64_t *v, struct vmm_err *err)
{
	int r = vmm_parse_u64(s, v);

	return r ? bad_number(r, what, s, err) : 0;
}

int ctl_parse_int(const char *what, const char *s, int *v, struct vmm_err *err)
{
	int r = vmm_parse_int(s, v);

	return r ? bad_number(r, what, s, err) : 0;
}

int ctl_check_id(const char *id, struct vmm_err *err)
{
	if (strlen(id) >= VMM_ID_MAX)
		return vmm_err_set(err, -EINVAL, "ID longer than %d bytes", VMM_ID_MAX - 1);
	if (!vmm_ctl_valid_id(id))
		return vmm_err_set(err, -EINVAL, "bad ID '%s' (letters, digits and ._-:@ only)", id);
	return 0;
}

int ctl_check_name(const char *what, const char *s, struct vmm_err *err)
{
	if (strlen(s) >= VMM_NAME_MAX)
		return vmm_err_set(err, -EINVAL, "%s longer than %d bytes", what, VMM_NAME_MAX - 1);
	return 0;
}

int ctl_find(struct vmm_memory *m, const char *id, struct vmm_mr **out, struct vmm_err *err)
{
	*out = vmm_mr_find(m, id);
	if (*out)
		return 0;
	if (!vmm_ctl_valid_id(id))
		return ctl_check_id(id, err);
	return vmm_err_set(err, -ENOENT, "unknown region '%s'", id);
}

/*
 * The words for on and off. The attribute files took "y"/"n" and any case
 * before the language did, and a word that worked there keeps working, so
 * both accept this one list.
 */
int vmm_ctl_parse_bool(const char *s, bool *on)
{
	static const char *const yes[] = { "on", "1", "true", "yes", "y" };
	static const char *const no[] = { "off", "0", "false", "no", "n" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i]))
			return *on = true, 0;
		if (!strcasecmp(s, no[i]))
			return *on = false, 0;
	}
	return -EINVAL;
}

/**
 * struct setter - one row of the key table
 * @pub:  what the public API shows of it (key, attribute file, value kind)
 * @what: the value's name in a refusal ("priority '1Q' is not a number")
 * @set_*: the model call that applies it, by @pub.kind
 */
struct setter {
	struct vmm_ctl_key pub;
	const char *what;
	union {
		int (*set_bool)(struct vmm_mr *, bool, struct vmm_err *);
		int (*set_int)(struct vmm_mr *, int, struct vmm_err *);
		int (*set_u64)(struct vmm_mr *, uint64_t, struct vmm_err *);
		int (*set_size)(struct vmm_mr *, vmm_u128, struct vmm_err *);
		int (*set_region)(struct vmm_mr *, struct vmm_mr *, struct vmm_err *);
	};
};

/* In the order a refusal lists them. "alias" is a link in the filesystem, so no file. */
static const struct setter setters[] = {
	{ { "enabled", "enabled", VMM_CTL_BOOL }, "enabled", .set_bool = vmm_mr_set_enabled },
	{ { "readonly", "readonly", VMM_CTL_BOOL }, "readonly", .set_bool = vmm_mr_set_readonly },
	{ { "nonvolatile", "nonvolatile", VMM_CTL_BOOL }, "nonvolatile",
	  .set_bool = vmm_mr_set_nonvolatile },
	{ { "romd", "romd", VMM_CTL_BOOL }, "romd", .set_bool = vmm_mr_set_romd },
	{ { "log-dirty", "log_dirty", VMM_CTL_BOOL }, "log-dirty", .set_bool = vmm_mr_set_log_dirty },
	{ { "prio", "prio", VMM_CTL_INT }, "priority", .set_int = vmm_mr_set_priority },
	{ { "addr", "addr", VMM_CTL_U64 }, "address", .set_u64 = vmm_mr_set_addr },
	{ { "alias-offset", "alias_offset", VMM_CTL_U64 }, "offset",
	  .set_u64 = vmm_mr_set_alias_offset },
	{ { "size", "size", VMM_CTL_SIZE }, "size", .set_size = vmm_mr_set_size },
	{ { "alias", NULL, VMM_CTL_REGION }, "alias", .set_region = vmm_mr_set_alias_target },
};

#define NR_SETTERS (sizeof(setters) / sizeof(setters[0]))

const struct vmm_ctl_key *vmm_ctl_key_at(size_t i)
{
	return i < NR_SETTERS ? &setters[i].pub : NULL;
}

const struct vmm_ctl_key *vmm_ctl_key_find(const char *key)
{
	for (size_t i = 0; i < NR_SETTERS; i++)
		if (!strcmp(key, setters[i].pub.key))
			return &setters[i].pub;
	return NULL;
}

const struct vmm_ctl_key *vmm_ctl_key_find_file(const char *file)
{
	for (size_t i = 0; i < NR_SETTERS; i++)
		if (setters[i].pub.file && !strcmp(file, setters[i].pub.file))
			return &setters[i].pub;
	return NULL;
}

static int unknown_key(const char *key, struct vmm_err *err)
{
	char keys[VMM_ERR_MAX / 2];
	size_t n = 0;

	keys[0] = '\0';
	for (size_t i = 0; i < NR_SETTERS && n < sizeof(keys); i++)
		n += (size_t)snprintf(keys + n, sizeof(keys) - n, "%s%s", i ? " " : "",
				      setters[i].pub.key);
	return vmm_err_set(err, -EINVAL, "unknown attribute '%s' (%s)", key, keys);
}

int ctl_set_apply(struct vmm_memory *m, struct vmm_mr *mr, const char *key, const char *v,
		  struct vmm_err *err)
{
	const struct setter *s = (const struct setter *)vmm_ctl_key_find(key);
	struct vmm_mr *target;
	vmm_u128 size;
	uint64_t u;
	bool on;
	int i, r;

	if (!s)
		return unknown_key(key, err);
	switch (s->pub.kind) {
	case VMM_CTL_BOOL:
		if (vmm_ctl_parse_bool(v, &on))
			return vmm_err_set(err, -EINVAL, "%s takes on or off, not '%s'", key, v);
		return s->set_bool(mr, on, err);
	case VMM_CTL_INT:
		r = ctl_parse_int(s->what, v, &i, err);
		return r ? r : s->set_int(mr, i, err);
	case VMM_CTL_U64:
		r = ctl_parse_u64(s->what, v, &u, err);
		return r ? r : s->set_u64(mr, u, err);
	case VMM_CTL_SIZE:
		r = ctl_parse_size(s->what, v, &size, err);
		return r ? r : s->set_size(mr, size, err);
	case VMM_CTL_REGION:
		r = ctl_find(m, v, &target, err);
		return r ? r : s->set_region(mr, target, err);
	}
	return vmm_err_set(err, -EINVAL, "unknown attribute '%s'", key);
}

int vmm_ctl_set(struct vmm_memory *m, const char *id, const char *key, const char *value,
		struct vmm_err *err)
{
	struct vmm_mr *mr;
	int r = ctl_find(m, id, &mr, err);

	return r ? r : ctl_set_apply(m, mr, key, value, err);
}
