// SPDX-License-Identifier: MIT
/*
 * Inode numbers of mtreefs: a table keyed by (row of the file table, object
 * key), so that a path keeps its number while the mount lives — a region that
 * is deleted and re-created under the same ID gets its old number back, and
 * nothing a reader holds ever points at freed memory. Entries are never
 * removed (their count is bounded by the distinct names ever looked up); an
 * open-addressing hash on the pair finds them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mtreefs.h"

static uint64_t hash_of(const struct mfs_row *row, const char *key)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(row - mfs_rows);

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h ^ (h >> 29);
}

static int hash_grow(struct mfs *fs)
{
	size_t cap = fs->hash_cap ? fs->hash_cap * 2 : 1024;
	uint32_t *h = calloc(cap, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < fs->nr_inos; i++) {
		size_t j = hash_of(fs->inos[i].row, fs->inos[i].key) & (cap - 1);

		while (h[j])
			j = (j + 1) & (cap - 1);
		h[j] = (uint32_t)(i + 1);
	}
	free(fs->hash);
	fs->hash = h;
	fs->hash_cap = cap;
	return 0;
}

int mfs_ino_init(struct mfs *fs)
{
	pthread_mutex_init(&fs->ino_lock, NULL);
	fs->inos = NULL;
	fs->nr_inos = fs->cap_inos = 0;
	fs->hash = NULL;
	fs->hash_cap = 0;
	/* The root row must be inode 1 (FUSE_ROOT_ID). */
	return mfs_ino_get(fs, &mfs_rows[0], "") == 1 ? 0 : -ENOMEM;
}

void mfs_ino_fini(struct mfs *fs)
{
	for (size_t i = 0; i < fs->nr_inos; i++)
		free(fs->inos[i].key);
	free(fs->inos);
	free(fs->hash);
	pthread_mutex_destroy(&fs->ino_lock);
}

static uint64_t ino_insert(struct mfs *fs, const struct mfs_row *row, const char *key, size_t slot)
{
	char *k;

	if (fs->nr_inos == fs->cap_inos) {
		size_t cap = fs->cap_inos ? fs->cap_inos * 2 : 1024;
		struct mfs_ino *n = realloc(fs->inos, cap * sizeof(*n));

		if (!n)
			return 0;
		fs->inos = n;
		fs->cap_inos = cap;
	}
	k = strdup(key);
	if (!k)
		return 0;
	fs->inos[fs->nr_inos].row = row;
	fs->inos[fs->nr_inos].key = k;
	fs->nr_inos++;
	fs->hash[slot] = (uint32_t)fs->nr_inos;
	return fs->nr_inos;
}

/**
 * mfs_ino_get() - the inode number of (@row, @key), allocating it the first time
 * @fs: filesystem
 * @row: file kind
 * @key: object key
 *
 * Return: the number (>= 1), or 0 when memory ran out.
 */
uint64_t mfs_ino_get(struct mfs *fs, const struct mfs_row *row, const char *key)
{
	uint64_t ino = 0;
	size_t j;

	pthread_mutex_lock(&fs->ino_lock);
	if ((fs->nr_inos + 1) * 2 > fs->hash_cap && hash_grow(fs) < 0)
		goto out;
	j = hash_of(row, key) & (fs->hash_cap - 1);
	while (fs->hash[j]) {
		const struct mfs_ino *e = &fs->inos[fs->hash[j] - 1];

		if (e->row == row && !strcmp(e->key, key)) {
			ino = fs->hash[j];
			goto out;
		}
		j = (j + 1) & (fs->hash_cap - 1);
	}
	ino = ino_insert(fs, row, key, j);
out:
	pthread_mutex_unlock(&fs->ino_lock);
	return ino;
}

/**
 * mfs_ino_lookup() - what an inode number stands for
 * @fs: filesystem
 * @ino: number from the kernel
 * @row: (out) file kind
 * @key: (out) a copy of the object key, to free()
 *
 * Return: 0, -ESTALE for a number never handed out, -ENOMEM.
 */
int mfs_ino_lookup(struct mfs *fs, uint64_t ino, const struct mfs_row **row, char **key)
{
	int rc = 0;

	pthread_mutex_lock(&fs->ino_lock);
	if (ino == 0 || ino > fs->nr_inos) {
		rc = -ESTALE;
	} else {
		*row = fs->inos[ino - 1].row;
		*key = strdup(fs->inos[ino - 1].key);
		if (!*key)
			rc = -ENOMEM;
	}
	pthread_mutex_unlock(&fs->ino_lock);
	return rc;
}

/**
 * mfs_ino_stats() - the size of the table, for machine/daemon/inodes
 * @fs: filesystem
 * @st: (out) counts
 */
void mfs_ino_stats(struct mfs *fs, struct mfs_ino_stats *st)
{
	pthread_mutex_lock(&fs->ino_lock);
	st->live = fs->nr_inos;
	pthread_mutex_unlock(&fs->ino_lock);
}
