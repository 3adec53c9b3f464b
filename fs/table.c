// SPDX-License-Identifier: MIT
/*
 * The table of file kinds: every directory, file and link of the mount (the
 * tree README.md's "The filesystem" and mtreefs(1) describe) is one row —
 * path pattern, mode, and the functions that list, find, render, write or
 * map it. Each top-level directory keeps its rows beside their functions
 * (see fs/files.h); this file joins those parts, in the order readdir shows
 * them, into the one array that lookup, getattr, readdir, open, read and
 * write consult, so adding a file is adding a row. It also walks the tree the
 * rows make: the parent of a row, whether a path exists, the child of a
 * directory by name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"

static const struct mfs_row root_rows[] = {
	{ .pattern = "", .mode = DIR_ },
	{ .pattern = NULL }
};

static const struct mfs_row *const parts[] = {
	root_rows, mfs_ctl_rows, mfs_errlog_rows, mfs_info_rows, mfs_as_rows, mfs_fv_rows,
	mfs_region_rows, mfs_memslot_rows, mfs_ramblock_rows, mfs_machine_rows,
};

struct mfs_row *mfs_rows;
size_t mfs_nr_rows;

/* Link each row to its parent: the row whose pattern is this one's directory. */
static void link_parents(void)
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

/**
 * mfs_table_init() - join the parts into mfs_rows and link every row to its parent
 *
 * Return: 0 or -ENOMEM.
 */
int mfs_table_init(void)
{
	size_t n = 0;

	for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++)
		for (const struct mfs_row *r = parts[p]; r->pattern; r++)
			n++;
	mfs_rows = calloc(n, sizeof(*mfs_rows));
	if (!mfs_rows)
		return -ENOMEM;
	mfs_nr_rows = 0;
	for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++)
		for (const struct mfs_row *r = parts[p]; r->pattern; r++)
			mfs_rows[mfs_nr_rows++] = *r;
	link_parents();
	return 0;
}

void mfs_table_fini(void)
{
	free(mfs_rows);
	mfs_rows = NULL;
	mfs_nr_rows = 0;
}

/* Parent key: a "*" row names one more object than its directory. */
void mfs_parent_key(const struct mfs_row *row, const char *key, char *out, size_t cap)
{
	const char *slash = strrchr(key, '/');
	size_t n = strlen(key);

	if (mfs_row_is_wild(row))
		n = slash ? (size_t)(slash - key) : 0;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, key, n);
	out[n] = 0;
}

/* Does (@row, @key) exist right now? Topology lock held. */
bool mfs_exists(struct mfs *fs, const struct mfs_row *row, const char *key)
{
	char pkey[1024];

	while (row->parent >= 0) {
		if (mfs_row_is_wild(row) ? row->find(fs, key) < 0 :
		    (row->present && !row->present(fs, key)))
			return false;
		mfs_parent_key(row, key, pkey, sizeof(pkey));
		key = pkey;
		row = &mfs_rows[row->parent];
	}
	return true;
}

/* The child row of @prow called @name, and its key. Topology lock held. */
const struct mfs_row *mfs_child(struct mfs *fs, const struct mfs_row *prow, const char *pkey,
				const char *name, struct vmm_buf *ckey)
{
	int pidx = (int)(prow - mfs_rows);

	for (size_t i = 0; i < mfs_nr_rows; i++) {
		const struct mfs_row *r = &mfs_rows[i];

		if (r->parent != pidx)
			continue;
		vmm_buf_reset(ckey);
		vmm_buf_puts(ckey, pkey);
		if (mfs_row_is_wild(r)) {
			if (*pkey)
				vmm_buf_puts(ckey, "/");
			vmm_buf_puts(ckey, name);
			if (!ckey->oom && r->find(fs, ckey->data) == 0)
				return r;
		} else if (!strcmp(mfs_row_name(r), name) && (!r->present || r->present(fs, pkey))) {
			return r;
		}
	}
	return NULL;
}
