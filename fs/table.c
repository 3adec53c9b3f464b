// SPDX-License-Identifier: MIT
/*
 * The table of file kinds: every directory, file and link of the mount
 * (SPEC section 5) is one row — path pattern, mode, and the functions that
 * list, find, render, write or map it. lookup, getattr, readdir, open, read
 * and write in fs/ops.c consult only this table, so adding a file is adding a
 * row. The row functions live in fs/model_files.c and fs/host_files.c; this
 * file holds the table itself and the name helpers (keys and the escaping
 * that keeps every QEMU name one harmless path component).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mtreefs.h"
#include <vmm/memory.h>

#include "files.h"

#define DIR_	(S_IFDIR | 0555)
#define RO	(S_IFREG | 0444)
#define RW	(S_IFREG | 0644)
#define WO	(S_IFREG | 0200)
#define PRIV	(S_IFREG | 0600)	/* guest memory and the global ctl: the mounting user only */
#define LNK	(S_IFLNK | 0777)

struct mfs_row mfs_rows[] = {
	{ .pattern = "", .mode = DIR_ },
	{ .pattern = "ctl", .mode = PRIV, .flags = MFS_BIG, .render = r_ctl_script, .write = w_ctl },
	{ .pattern = "error_log", .mode = RO, .flags = MFS_GROWS, .render = r_error_log },

	{ .pattern = "info", .mode = DIR_ },
	{ .pattern = "info/mtree", .mode = RO, .flags = MFS_BIG, .render = r_info_mtree },
	{ .pattern = "info/mtree-D", .mode = RO, .flags = MFS_BIG, .render = r_info_mtree_d },
	{ .pattern = "info/flatview", .mode = RO, .flags = MFS_BIG, .render = r_info_flatview },
	{ .pattern = "info/ramblock", .mode = RO, .flags = MFS_BIG, .render = r_info_ramblock },
	{ .pattern = "info/memslots", .mode = RO, .flags = MFS_BIG, .render = r_info_memslots },
	{ .pattern = "info/topology.json", .mode = RO, .flags = MFS_BIG, .render = r_info_json },
	{ .pattern = "info/memory-map.svg", .mode = RO, .flags = MFS_BIG, .render = r_info_svg },

	{ .pattern = "address-spaces", .mode = DIR_ },
	{ .pattern = "address-spaces/*", .mode = DIR_, .list = l_as, .find = f_as },
	{ .pattern = "address-spaces/*/name", .mode = RO, .render = r_as_name },
	{ .pattern = "address-spaces/*/root", .mode = LNK, .render = r_as_root },
	{ .pattern = "address-spaces/*/flatview", .mode = LNK, .render = r_as_flatview },
	{ .pattern = "address-spaces/*/ram", .mode = PRIV, .ram = mfs_ram_as },

	{ .pattern = "flatviews", .mode = DIR_ },
	{ .pattern = "flatviews/*", .mode = DIR_, .list = l_fv, .find = f_fv },
	{ .pattern = "flatviews/*/address-spaces", .mode = RO, .render = r_fv_as },
	{ .pattern = "flatviews/*/root", .mode = LNK, .present = p_fv_root, .render = r_fv_root },
	{ .pattern = "flatviews/*/ranges", .mode = DIR_ },
	{ .pattern = "flatviews/*/ranges/*", .mode = DIR_, .list = l_range, .find = f_range },
	{ .pattern = "flatviews/*/ranges/*/region", .mode = LNK, .render = r_fr_region },
	{ .pattern = "flatviews/*/ranges/*/offset", .mode = RO, .render = r_fr_offset },
	{ .pattern = "flatviews/*/ranges/*/size", .mode = RO, .render = r_fr_size },
	{ .pattern = "flatviews/*/ranges/*/type", .mode = RO, .render = r_fr_type },
	{ .pattern = "flatviews/*/ranges/*/readonly", .mode = RO, .render = r_fr_readonly },
	{ .pattern = "flatviews/*/ranges/*/nonvolatile", .mode = RO, .render = r_fr_nonvolatile },
	{ .pattern = "flatviews/*/ranges/*/memslot", .mode = LNK, .present = p_fr_memslot, .render = r_fr_memslot },
	{ .pattern = "flatviews/*/ranges/*/ram", .mode = PRIV, .ram = mfs_ram_range },

	{ .pattern = "regions", .mode = DIR_ },
	{ .pattern = "regions/*", .mode = DIR_, .list = l_mr, .find = f_mr },
	{ .pattern = "regions/*/name", .mode = RO, .render = r_mr_name },
	{ .pattern = "regions/*/type", .mode = RO, .render = r_mr_type },
	{ .pattern = "regions/*/size", .mode = RW, .render = r_mr_size, .write = w_set, .set = "size" },
	{ .pattern = "regions/*/addr", .mode = RW, .render = r_mr_addr, .write = w_set, .set = "addr" },
	{ .pattern = "regions/*/prio", .mode = RW, .render = r_mr_prio, .write = w_set, .set = "prio" },
	{ .pattern = "regions/*/enabled", .mode = RW, .render = r_mr_enabled, .write = w_set, .set = "enabled" },
	{ .pattern = "regions/*/readonly", .mode = RW, .render = r_mr_readonly, .write = w_set, .set = "readonly" },
	{ .pattern = "regions/*/nonvolatile", .mode = RW, .render = r_mr_nonvolatile, .write = w_set,
	  .set = "nonvolatile" },
	{ .pattern = "regions/*/log_dirty", .mode = RW, .render = r_mr_log_dirty, .write = w_set, .set = "log-dirty" },
	{ .pattern = "regions/*/romd", .mode = RW, .present = p_mr_romd, .render = r_mr_romd, .write = w_set,
	  .set = "romd" },
	{ .pattern = "regions/*/device", .mode = RO, .present = p_mr_io, .render = r_mr_device },
	{ .pattern = "regions/*/container", .mode = LNK, .present = p_mr_mapped, .render = r_mr_container },
	{ .pattern = "regions/*/subregions", .mode = DIR_ },
	{ .pattern = "regions/*/subregions/*", .mode = LNK, .list = l_sub, .find = f_sub, .render = r_sub },
	{ .pattern = "regions/*/alias", .mode = LNK, .present = p_mr_alias, .render = r_mr_alias },
	{ .pattern = "regions/*/alias_offset", .mode = RW, .present = p_mr_alias, .render = r_mr_alias_offset,
	  .write = w_set, .set = "alias-offset" },
	{ .pattern = "regions/*/ramblock", .mode = LNK, .present = p_mr_rb, .render = r_mr_ramblock },
	{ .pattern = "regions/*/ctl", .mode = WO, .write = w_region_ctl },
	{ .pattern = "regions/*/ram", .mode = PRIV, .ram = mfs_ram_region },

	{ .pattern = "memslots", .mode = DIR_ },
	{ .pattern = "memslots/*", .mode = DIR_, .list = l_slot, .find = f_slot },
	{ .pattern = "memslots/*/slot", .mode = RO, .render = r_slot_slot },
	{ .pattern = "memslots/*/as_id", .mode = RO, .render = r_slot_as_id },
	{ .pattern = "memslots/*/guest_phys_addr", .mode = RO, .render = r_slot_gpa },
	{ .pattern = "memslots/*/memory_size", .mode = RO, .render = r_slot_size },
	{ .pattern = "memslots/*/userspace_addr", .mode = RO, .render = r_slot_hva },
	{ .pattern = "memslots/*/flags", .mode = RO, .render = r_slot_flags },
	{ .pattern = "memslots/*/dirty", .mode = (S_IFREG | 0400), .flags = MFS_BIG, .present = p_slot_logging,
	  .render = r_slot_dirty },
	{ .pattern = "memslots/*/ram", .mode = PRIV, .ram = mfs_ram_memslot },

	{ .pattern = "ramblocks", .mode = DIR_ },
	{ .pattern = "ramblocks/*", .mode = DIR_, .list = l_rb, .find = f_rb },
	{ .pattern = "ramblocks/*/offset", .mode = RO, .render = r_rb_offset },
	{ .pattern = "ramblocks/*/used_length", .mode = RO, .render = r_rb_used },
	{ .pattern = "ramblocks/*/max_length", .mode = RO, .render = r_rb_max },
	{ .pattern = "ramblocks/*/page_size", .mode = RO, .render = r_rb_page_size },
	{ .pattern = "ramblocks/*/host", .mode = RO, .render = r_rb_host },
	{ .pattern = "ramblocks/*/fd", .mode = RO, .render = r_rb_fd },
	{ .pattern = "ramblocks/*/flags", .mode = RO, .render = r_rb_flags },
	{ .pattern = "ramblocks/*/region", .mode = LNK, .present = p_rb_region, .render = r_rb_region },
	{ .pattern = "ramblocks/*/resident", .mode = RO, .flags = MFS_BIG, .render = r_rb_resident },
	{ .pattern = "ramblocks/*/maps", .mode = RO, .flags = MFS_BIG, .render = r_rb_maps },
	{ .pattern = "ramblocks/*/ram", .mode = PRIV, .ram = mfs_ram_ramblock },

	{ .pattern = "machine", .mode = DIR_ },
	{ .pattern = "machine/accel", .mode = RO, .render = r_m_accel },
	{ .pattern = "machine/ram_size", .mode = RO, .render = r_m_ram_size },
	{ .pattern = "machine/console", .mode = RO, .flags = MFS_GROWS | MFS_NOLOCK, .render = r_m_console },
	{ .pattern = "machine/ctl", .mode = (S_IFREG | 0200), .flags = MFS_NOLOCK, .write = w_m_ctl },
	{ .pattern = "machine/kvm", .mode = DIR_ },
	{ .pattern = "machine/kvm/nr_memslots", .mode = RO, .render = r_cap_nr_memslots },
	{ .pattern = "machine/kvm/nr_as", .mode = RO, .render = r_cap_nr_as },
	{ .pattern = "machine/kvm/readonly_mem", .mode = RO, .render = r_cap_readonly_mem },
	{ .pattern = "machine/kvm/manual_dirty_log", .mode = RO, .render = r_cap_manual_dirty_log },
	{ .pattern = "machine/kvm/max_gpa_bits", .mode = RO, .render = r_cap_max_gpa_bits },
	{ .pattern = "machine/kvm/api_version", .mode = RO, .render = r_cap_api_version },
	{ .pattern = "machine/kvm/max_vcpus", .mode = RO, .render = r_cap_max_vcpus },
	{ .pattern = "machine/kvm/memslot_calls", .mode = RO, .render = r_cap_memslot_calls },
	{ .pattern = "machine/daemon", .mode = DIR_ },
	{ .pattern = "machine/daemon/inodes", .mode = RO, .flags = MFS_NOLOCK | MFS_BIG, .render = r_daemon_inodes },
	{ .pattern = "machine/vcpus", .mode = DIR_ },
	{ .pattern = "machine/vcpus/*", .mode = DIR_, .list = l_vcpu, .find = f_vcpu },
	{ .pattern = "machine/vcpus/*/state", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_state },
	{ .pattern = "machine/vcpus/*/exits", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_exits },
	{ .pattern = "machine/vcpus/*/io_exits", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_io_exits },
	{ .pattern = "machine/vcpus/*/mmio_exits", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_mmio_exits },
	{ .pattern = "machine/vcpus/*/hlt_exits", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_hlt_exits },
	{ .pattern = "machine/vcpus/*/rip", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_rip },
	{ .pattern = "machine/vcpus/*/last_error", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_last_error },
};

const size_t mfs_nr_rows = sizeof(mfs_rows) / sizeof(mfs_rows[0]);

/* Link each row to its parent: the row whose pattern is this one's directory. */
void mfs_table_init(void)
{
	mfs_rows[0].parent = -1;
	for (size_t i = 1; i < mfs_nr_rows; i++) {
		const char *p = mfs_rows[i].pattern, *slash = strrchr(p, '/');
		size_t dlen = slash ? (size_t)(slash - p) : 0;

		mfs_rows[i].parent = -1;
		for (size_t j = 0; j < mfs_nr_rows; j++)
			if (strlen(mfs_rows[j].pattern) == dlen &&
			    !strncmp(mfs_rows[j].pattern, p, dlen) && S_ISDIR(mfs_rows[j].mode))
				mfs_rows[i].parent = (int)j;
	}
}

const char *mfs_row_name(const struct mfs_row *row)
{
	const char *slash = strrchr(row->pattern, '/');

	return slash ? slash + 1 : row->pattern;
}

bool mfs_row_is_wild(const struct mfs_row *row)
{
	return !strcmp(mfs_row_name(row), "*");
}

/**
 * mfs_key_part() - the @idx-th '/'-separated component of @key
 * Return: 0, -ENOENT when there is no such component, -ENAMETOOLONG.
 */
int mfs_key_part(const char *key, unsigned idx, char *out, size_t cap)
{
	const char *p = key, *end;
	size_t n;

	for (unsigned i = 0; i < idx; i++) {
		p = strchr(p, '/');
		if (!p)
			return -ENOENT;
		p++;
	}
	end = strchrnul(p, '/');
	n = (size_t)(end - p);
	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

/* The path of (@row, @key) relative to the mount root, for error_log. */
void mfs_path_of(const struct mfs_row *row, const char *key, struct vmm_buf *out)
{
	unsigned part = 0;

	for (const char *p = row->pattern; *p; p++) {
		char name[VMM_NAME_MAX * 3 + 1];

		if (*p != '*') {
			vmm_buf_put(out, p, 1);
			continue;
		}
		if (mfs_key_part(key, part++, name, sizeof(name)) == 0)
			vmm_buf_puts(out, name);
	}
}

/*
 * Length of the valid UTF-8 sequence at @p (1 to 4), or 0 when the bytes
 * there are not one: stray continuation bytes, overlong forms, surrogates,
 * code points above U+10FFFF and truncated sequences.
 */
size_t mfs_utf8_len(const unsigned char *p)
{
	unsigned c = p[0], need, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, cp = c & 0x07;
	else
		return 0;
	for (unsigned i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need + 1;
}

static void put_pct(struct vmm_buf *out, unsigned char c)
{
	vmm_buf_printf(out, "%%%02X", c);
}

/*
 * Directory names: a QEMU name must stay one harmless path component that
 * prints as itself where it can. '/' and '%' become %2F and %25, control
 * characters and bytes that are not UTF-8 become %XX, and the names "." and
 * ".." become %2E and %2E%2E; everything else (spaces, UTF-8) is unchanged.
 */
void mfs_escape(const char *name, struct vmm_buf *out)
{
	const unsigned char *p = (const unsigned char *)name;

	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		for (; *p; p++)
			put_pct(out, *p);
		return;
	}
	while (*p) {
		size_t n = mfs_utf8_len(p);

		if (*p == '/' || *p == '%' || *p < 0x20 || *p == 0x7f || n == 0) {
			put_pct(out, *p++);
			continue;
		}
		vmm_buf_put(out, p, n);
		p += n;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Inverse of mfs_escape. Only its canonical spelling names an object (no
 * "%2f", no "%41" for "A"), so one object has exactly one path: -ENOENT for
 * any other spelling, -ENAMETOOLONG when the name does not fit @cap.
 */
int mfs_unescape(const char *name, char *out, size_t cap)
{
	struct vmm_buf again;
	size_t n = 0;
	int rc = 0;

	for (const char *p = name; *p; p++) {
		int c = (unsigned char)*p;

		if (c == '%') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);

			if (lo < 0 || (hi == 0 && lo == 0))
				return -ENOENT;
			c = hi << 4 | lo;
			p += 2;
		}
		if (n + 1 >= cap)
			return -ENAMETOOLONG;
		out[n++] = (char)c;
	}
	out[n] = 0;
	vmm_buf_init(&again);
	mfs_escape(out, &again);
	if (again.oom)
		rc = -ENOMEM;
	else if (strcmp(again.data ? again.data : "", name))
		rc = -ENOENT;
	vmm_buf_free(&again);
	return rc;
}
