// SPDX-License-Identifier: MIT
/*
 * Row functions of the memory model's files: address-spaces/, flatviews/ and
 * regions/. Attribute files print one value and a newline (addresses and
 * sizes as 0x%x); links point at the object they name, relative to
 * themselves. Writable attributes become one `set` command of the control
 * language. All run under the topology lock (see fs/table.c).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ctl.h>
#include <vmm/flatview.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

#include "files.h"

void mfs_put_hex(struct vmm_buf *out, vmm_u128 v)
{
	if (v >> 64)
		vmm_buf_printf(out, "0x%" PRIx64 "%016" PRIx64 "\n", (uint64_t)(v >> 64),
			       (uint64_t)v);
	else
		vmm_buf_printf(out, "0x%" PRIx64 "\n", (uint64_t)v);
}

void mfs_list_escaped(mfs_list_cb cb, void *arg, const char *name)
{
	struct vmm_buf b;

	vmm_buf_init(&b);
	mfs_escape(name, &b);
	if (!b.oom && b.len)
		cb(arg, b.data);
	vmm_buf_free(&b);
}

/* Log a rejected write in error_log and pass its errno on. */
int mfs_reject(struct mfs *fs, const struct mfs_row *row, const char *key, const char *cmd,
	       size_t len, struct vmm_err *err)
{
	struct vmm_buf path;

	vmm_buf_init(&path);
	mfs_path_of(row, key, &path);
	mfs_errlog_add(fs, path.data ? path.data : "?", cmd, len, err);
	vmm_buf_free(&path);
	return err->code;
}

static void put_link(struct vmm_buf *out, const char *up, const char *dir, const char *name)
{
	vmm_buf_puts(out, up);
	vmm_buf_puts(out, dir);
	mfs_escape(name, out);
}

/* ---- address-spaces/ ---- */

MFS_LIST(l_as)
{
	for (struct vmm_as *as = vmm_memory_first_as(fs->mem); as; as = as->next)
		mfs_list_escaped(cb, arg, as->name);
	return 0;
}

MFS_FIND(f_as) { return mfs_as(fs, key) ? 0 : -ENOENT; }

#define WITH_AS(as) struct vmm_as *as = mfs_as(fs, key); if (!as) return -ENOENT

MFS_RENDER(r_as_name) { WITH_AS(as); vmm_buf_printf(out, "%s\n", as->name); return 0; }

MFS_RENDER(r_as_root)
{
	WITH_AS(as);
	if (!as->root)
		return -ENOENT;
	put_link(out, "../../", "regions/", as->root->id);
	return 0;
}

MFS_RENDER(r_as_flatview)
{
	WITH_AS(as);
	vmm_buf_printf(out, "../../flatviews/%" PRIu64, as->current->id);
	return 0;
}

/* ---- flatviews/ ---- */

MFS_LIST(l_fv)
{
	for (struct vmm_as *as = vmm_memory_first_as(fs->mem); as; as = as->next) {
		struct vmm_as *o = vmm_memory_first_as(fs->mem);
		char name[24];

		while (o != as && o->current != as->current)
			o = o->next;
		if (o != as)
			continue;	/* shared with an earlier address space */
		snprintf(name, sizeof(name), "%" PRIu64, as->current->id);
		cb(arg, name);
	}
	return 0;
}

MFS_FIND(f_fv) { return mfs_fv(fs, key) ? 0 : -ENOENT; }

#define WITH_FV(fv) struct vmm_flatview *fv = mfs_fv(fs, key); if (!fv) return -ENOENT

MFS_RENDER(r_fv_as)
{
	WITH_FV(fv);
	for (struct vmm_as *as = vmm_memory_first_as(fs->mem); as; as = as->next)
		if (as->current == fv)
			vmm_buf_printf(out, "%s\n", as->name);
	return 0;
}

MFS_PRESENT(p_fv_root)
{
	struct vmm_flatview *fv = mfs_fv(fs, key);

	return fv && fv->root;
}

MFS_RENDER(r_fv_root)
{
	WITH_FV(fv);
	if (!fv->root)
		return -ENOENT;
	put_link(out, "../../", "regions/", fv->root->id);
	return 0;
}

MFS_LIST(l_range)
{
	struct vmm_flatview *fv = mfs_fv(fs, pkey);
	char name[40];

	if (!fv)
		return -ENOENT;
	for (size_t i = 0; i < fv->nr; i++) {
		mfs_range_name(vmm_flatview_range(fv, i), name, sizeof(name));
		cb(arg, name);
	}
	return 0;
}

MFS_FIND(f_range) { return mfs_range(fs, key, NULL) ? 0 : -ENOENT; }

#define WITH_FR(fr) const struct vmm_flat_range *fr = mfs_range(fs, key, NULL); \
	if (!fr) return -ENOENT

MFS_RENDER(r_fr_region)
{
	WITH_FR(fr);
	put_link(out, "../../../../", "regions/", fr->mr->id);
	return 0;
}

MFS_RENDER(r_fr_offset) { WITH_FR(fr); mfs_put_hex(out, fr->offset_in_region); return 0; }
MFS_RENDER(r_fr_size) { WITH_FR(fr); mfs_put_hex(out, fr->size); return 0; }
MFS_RENDER(r_fr_readonly) { WITH_FR(fr); vmm_buf_printf(out, "%d\n", fr->readonly); return 0; }
MFS_RENDER(r_fr_nonvolatile)
{
	WITH_FR(fr);
	vmm_buf_printf(out, "%d\n", fr->nonvolatile);
	return 0;
}

MFS_RENDER(r_fr_type)
{
	WITH_FR(fr);
	vmm_buf_printf(out, "%s\n", vmm_mr_type_name(fr->mr->type));
	return 0;
}

/* The memslot registered for exactly this range (only the "memory" space has slots). */
static const struct vmm_memslot *range_slot(struct mfs *fs, const char *key)
{
	struct vmm_flatview *fv;
	const struct vmm_flat_range *fr = mfs_range(fs, key, &fv);
	struct vmm_as *mem = fs->mc->memory_as;

	if (!fr || !mem || mem->current != fv || fr->start + fr->size > VMM_U64_LIMIT)
		return NULL;
	return vmm_accel_memslot_exact(fs->mc->accel, (uint64_t)fr->start, (uint64_t)fr->size);
}

MFS_PRESENT(p_fr_memslot) { return range_slot(fs, key) != NULL; }

MFS_RENDER(r_fr_memslot)
{
	const struct vmm_memslot *s = range_slot(fs, key);

	if (!s)
		return -ENOENT;
	vmm_buf_printf(out, "../../../../memslots/%u", s->slot);
	return 0;
}

/* ---- regions/ ---- */

MFS_LIST(l_mr)
{
	for (struct vmm_mr *mr = vmm_memory_first_region(fs->mem); mr; mr = mr->all_next)
		mfs_list_escaped(cb, arg, mr->id);
	return 0;
}

MFS_FIND(f_mr) { return mfs_mr(fs, key) ? 0 : -ENOENT; }

#define WITH_MR(mr) struct vmm_mr *mr = mfs_mr(fs, key); if (!mr) return -ENOENT
#define MR_NUM(fn, fmt, expr) \
	MFS_RENDER(fn) { WITH_MR(mr); vmm_buf_printf(out, fmt "\n", expr); return 0; }

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

MFS_RENDER(r_mr_size) { WITH_MR(mr); mfs_put_hex(out, mr->size); return 0; }

#define MR_PRESENT(fn, cond) \
	MFS_PRESENT(fn) { struct vmm_mr *mr = mfs_mr(fs, key); return mr && (cond); }

MR_PRESENT(p_mr_romd, mr->type == VMM_MR_ROMD)
MR_PRESENT(p_mr_io, mr->type == VMM_MR_IO)
MR_PRESENT(p_mr_mapped, mr->container != NULL)
MR_PRESENT(p_mr_alias, mr->type == VMM_MR_ALIAS && mr->alias)
MR_PRESENT(p_mr_rb, mr->rb != NULL)

MFS_RENDER(r_mr_container)
{
	WITH_MR(mr);
	if (!mr->container)
		return -ENOENT;
	put_link(out, "../", "", mr->container->id);
	return 0;
}

MFS_RENDER(r_mr_alias)
{
	WITH_MR(mr);
	if (!mr->alias)
		return -ENOENT;
	put_link(out, "../", "", mr->alias->id);
	return 0;
}

MFS_RENDER(r_mr_ramblock)
{
	WITH_MR(mr);
	if (!mr->rb)
		return -ENOENT;
	put_link(out, "../../", "ramblocks/", mr->rb->idstr);
	return 0;
}

MFS_LIST(l_sub)
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

MFS_FIND(f_sub) { return subregion(fs, key) ? 0 : -ENOENT; }

MFS_RENDER(r_sub)
{
	struct vmm_mr *c = subregion(fs, key);

	if (!c)
		return -ENOENT;
	put_link(out, "../../", "", c->id);
	return 0;
}

/* ---- writes ---- */

static const char *bool_word(const char *v)
{
	static const char *const on[] = { "1", "on", "true", "yes", "y" };
	static const char *const off[] = { "0", "off", "false", "no", "n" };

	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		if (!strcasecmp(v, on[i]))
			return "on";
		if (!strcasecmp(v, off[i]))
			return "off";
	}
	return v;
}

static bool is_bool_key(const char *k)
{
	return !strcmp(k, "enabled") || !strcmp(k, "readonly") || !strcmp(k, "nonvolatile") ||
	       !strcmp(k, "romd") || !strcmp(k, "log-dirty");
}

/* An attribute write is sugar for "set ID KEY VALUE": exactly one value token. */
MFS_WRITE(w_set)
{
	char val[128], id[VMM_ID_MAX + 1];
	struct vmm_buf cmd;
	size_t n = len;
	unsigned line;
	int rc;

	while (n && isspace((unsigned char)buf[n - 1]))
		n--;
	if (mfs_key_part(key, 0, val, sizeof(val)) < 0 || mfs_unescape(val, id, sizeof(id)) < 0)
		return -ENOENT;
	vmm_buf_init(&cmd);
	vmm_buf_printf(&cmd, "set %s %s ", id, row->set);
	if (n == 0 || n >= sizeof(val) || memchr(buf, '\n', n) || memchr(buf, ' ', n) ||
	    memchr(buf, '#', n) || memchr(buf, 0, n)) {
		vmm_buf_put(&cmd, buf, n < sizeof(val) ? n : sizeof(val));
		vmm_err_set(err, -EINVAL, "expected one value for %s", row->set);
		rc = mfs_reject(fs, row, key, cmd.data, cmd.len, err);
		goto out;
	}
	memcpy(val, buf, n);
	val[n] = 0;
	vmm_buf_puts(&cmd, is_bool_key(row->set) ? bool_word(val) : val);
	vmm_buf_puts(&cmd, "\n");
	rc = cmd.oom ? -ENOMEM : mfs_ctl_exec(fs, NULL, cmd.data, cmd.len, err, &line);
	if (rc < 0)
		rc = mfs_reject(fs, row, key, cmd.data, cmd.len, err);
out:
	vmm_buf_free(&cmd);
	return rc;
}

/* The failing line of a multi-line write, for error_log. */
static void failing_line(const char *buf, size_t len, unsigned line, const char **s, size_t *n)
{
	const char *p = buf, *end = buf + len;

	for (unsigned i = 1; i < line && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl ? nl + 1 : end;
	}
	if (line == 0 || p >= end)
		p = buf;
	*s = p;
	*n = (size_t)((const char *)(memchr(p, '\n', (size_t)(end - p)) ?: end) - p);
}

int mfs_ctl_write(struct mfs *fs, const struct mfs_row *row, const char *key, const char *region,
		  const char *buf, size_t len, struct vmm_err *err)
{
	unsigned line;
	int rc = mfs_ctl_exec(fs, region, buf, len, err, &line);
	const char *s;
	size_t n;

	if (rc < 0) {
		failing_line(buf, len, line, &s, &n);
		rc = mfs_reject(fs, row, key, s, n, err);
	}
	return rc;
}

MFS_WRITE(w_region_ctl)
{
	char raw[VMM_ID_MAX * 3 + 1], id[VMM_ID_MAX + 1];

	if (mfs_key_part(key, 0, raw, sizeof(raw)) < 0 || mfs_unescape(raw, id, sizeof(id)) < 0 ||
	    !vmm_mr_find(fs->mem, id))
		return -ENOENT;
	return mfs_ctl_write(fs, row, key, id, buf, len, err);
}
