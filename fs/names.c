// SPDX-License-Identifier: MIT
/*
 * Names in the mount. A path is a row pattern of the file table with its "*"
 * components filled in by object names; the key of a file is those names
 * joined with '/'. Every QEMU name is escaped into one harmless path
 * component (%2F for '/', %25 for '%', %XX for each byte of a control
 * character, U+2028, U+2029 or a byte that is not UTF-8, %2E for "." and ".."), and only that canonical spelling
 * names the object, so one object has exactly one path. The rules are
 * README.md's "The filesystem" and mtreefs(1).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vmm/memory.h>
#include <vmm/text.h>

#include "mtreefs.h"

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

/* Length of the valid UTF-8 sequence at @p (1 to 4), or 0 (vmm/text.h has the rule). */
size_t mfs_utf8_len(const unsigned char *p)
{
	return vmm_utf8_len(p);
}

static void put_pct(struct vmm_buf *out, unsigned char c)
{
	vmm_buf_printf(out, "%%%02X", c);
}

/*
 * Directory names: a QEMU name must stay one harmless path component that
 * prints as itself where it can. '/' and '%' become %2F and %25; what the
 * printing rule of vmm/text.h escapes (C0 and C1 controls, DEL, U+2028,
 * U+2029, bytes that are not UTF-8) becomes %XX, one per byte; the names "."
 * and ".." become %2E and %2E%2E; everything else (spaces, UTF-8) is
 * unchanged.
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
		size_t bad = vmm_text_unsafe(p), n;

		if (*p == '/' || *p == '%' || mfs_utf8_len(p) == 0)
			bad = 1;
		if (bad) {
			for (; bad; bad--)
				put_pct(out, *p++);
			continue;
		}
		n = mfs_utf8_len(p);
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

void mfs_list_escaped(mfs_list_cb cb, void *arg, const char *name)
{
	struct vmm_buf b;

	vmm_buf_init(&b);
	mfs_escape(name, &b);
	if (!b.oom && b.len)
		cb(arg, b.data);
	vmm_buf_free(&b);
}

/* A link to the object @name: @up to the mount root, then @dir and the escaped name. */
void mfs_put_link(struct vmm_buf *out, const char *up, const char *dir, const char *name)
{
	vmm_buf_puts(out, up);
	vmm_buf_puts(out, dir);
	mfs_escape(name, out);
}
