// SPDX-License-Identifier: MIT
/*
 * Inode numbers of mtreefs: a table keyed by (row of the file table, object
 * key), so that a path keeps its number while anything refers to it. An
 * entry counts two kinds of references: the kernel's lookups (one for every
 * entry reply it accepted, given back by FORGET) and the holds of open
 * directory listings (the numbers their readdir entries report). When both
 * reach 0 the entry is freed — from the array and from its hash slot — and
 * its number goes on a free list; a reused number gets the next generation,
 * so the kernel can tell the new file from the one it forgot. The root
 * (FUSE_ROOT_ID) holds itself for the life of the mount. The table thus
 * stays as large as what the kernel and the open listings still use, however
 * many flat views come and go. An open-addressing hash on the pair (linear
 * probing, removal by backward shift, no tombstones) finds the entries.
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
		size_t j;

		if (!fs->inos[i].row)
			continue;
		j = fs->inos[i].hash & (cap - 1);
		while (h[j])
			j = (j + 1) & (cap - 1);
		h[j] = (uint32_t)(i + 1);
	}
	free(fs->hash);
	fs->hash = h;
	fs->hash_cap = cap;
	return 0;
}

/*
 * Take slot @i out of the probe sequences: every later entry of the same run
 * whose home slot is not in (i, j] moves back into the hole, so a search
 * never stops early at it.
 */
static void hash_remove(struct mfs *fs, size_t i)
{
	size_t mask = fs->hash_cap - 1, j = i;

	fs->hash[i] = 0;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!fs->hash[j])
			return;
		home = fs->inos[fs->hash[j] - 1].hash & mask;
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		fs->hash[i] = fs->hash[j];
		fs->hash[j] = 0;
		i = j;
	}
}

/* Free entry @idx (no lookups, no holds left): its number may be handed out again. */
static void ino_drop(struct mfs *fs, size_t idx)
{
	struct mfs_ino *e = &fs->inos[idx];
	size_t j = e->hash & (fs->hash_cap - 1);

	while (fs->hash[j] != idx + 1)
		j = (j + 1) & (fs->hash_cap - 1);
	hash_remove(fs, j);
	free(e->key);
	e->key = NULL;
	e->row = NULL;
	e->next_free = fs->free_head;
	fs->free_head = (uint32_t)(idx + 1);
	fs->nr_live--;
	fs->nr_free++;
}

/* A number for a new entry: a freed one (next generation) or one past the end. */
static int ino_alloc(struct mfs *fs, size_t *idx)
{
	if (fs->free_head) {
		*idx = fs->free_head - 1;
		fs->free_head = fs->inos[*idx].next_free;
		fs->inos[*idx].gen++;
		fs->nr_free--;
		return 0;
	}
	if (fs->nr_inos >= UINT32_MAX - 1)
		return -ENOSPC;
	if (fs->nr_inos == fs->cap_inos) {
		size_t cap = fs->cap_inos ? fs->cap_inos * 2 : 1024;
		struct mfs_ino *n = realloc(fs->inos, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		fs->inos = n;
		fs->cap_inos = cap;
	}
	*idx = fs->nr_inos++;
	memset(&fs->inos[*idx], 0, sizeof(fs->inos[0]));
	return 0;
}

static uint64_t ino_insert(struct mfs *fs, const struct mfs_row *row, const char *key,
			   uint64_t h, size_t slot)
{
	char *k = strdup(key);
	size_t idx;

	if (!k)
		return 0;
	if (ino_alloc(fs, &idx) < 0) {
		free(k);
		return 0;
	}
	fs->inos[idx].row = row;
	fs->inos[idx].key = k;
	fs->inos[idx].hash = h;
	fs->inos[idx].nlookup = 0;
	fs->inos[idx].holds = 0;
	fs->hash[slot] = (uint32_t)(idx + 1);
	fs->nr_live++;
	return idx + 1;
}

/* Find or make the entry of (@row, @key). ino_lock held. Return: its number, 0 on ENOMEM. */
static uint64_t ino_find(struct mfs *fs, const struct mfs_row *row, const char *key)
{
	uint64_t h = hash_of(row, key);
	size_t j;

	if ((fs->nr_live + 1) * 2 > fs->hash_cap && hash_grow(fs) < 0)
		return 0;
	j = h & (fs->hash_cap - 1);
	while (fs->hash[j]) {
		const struct mfs_ino *e = &fs->inos[fs->hash[j] - 1];

		if (e->hash == h && e->row == row && !strcmp(e->key, key))
			return fs->hash[j];
		j = (j + 1) & (fs->hash_cap - 1);
	}
	return ino_insert(fs, row, key, h, j);
}

int mfs_ino_init(struct mfs *fs)
{
	pthread_mutex_init(&fs->ino_lock, NULL);
	fs->inos = NULL;
	fs->nr_inos = fs->cap_inos = 0;
	fs->nr_live = fs->nr_free = 0;
	fs->free_head = 0;
	fs->nr_lookups = fs->nr_holds = 0;
	fs->hash = NULL;
	fs->hash_cap = 0;
	/* The root row must be inode 1 (FUSE_ROOT_ID), held for good: never forgotten. */
	return mfs_ino_hold(fs, &mfs_rows[0], "") == 1 ? 0 : -ENOMEM;
}

void mfs_ino_fini(struct mfs *fs)
{
	for (size_t i = 0; i < fs->nr_inos; i++)
		free(fs->inos[i].key);
	free(fs->inos);
	free(fs->hash);
	pthread_mutex_destroy(&fs->ino_lock);
}

/**
 * mfs_ino_ref() - the inode number of (@row, @key) for an entry reply
 * @fs: filesystem
 * @row: file kind
 * @key: object key
 * @gen: (out) the generation of the number (changes when a number is reused)
 *
 * Counts one kernel lookup: the number stays (row, key)'s until the kernel
 * forgets it (mfs_ino_forget). A reply the kernel did not take must give the
 * lookup back the same way.
 *
 * Return: the number (>= 1), or 0 when memory or numbers ran out.
 */
uint64_t mfs_ino_ref(struct mfs *fs, const struct mfs_row *row, const char *key, uint64_t *gen)
{
	uint64_t ino;

	pthread_mutex_lock(&fs->ino_lock);
	ino = ino_find(fs, row, key);
	if (ino) {
		fs->inos[ino - 1].nlookup++;
		fs->nr_lookups++;
		*gen = fs->inos[ino - 1].gen;
	}
	pthread_mutex_unlock(&fs->ino_lock);
	return ino;
}

/**
 * mfs_ino_hold() - the inode number of (@row, @key), kept until mfs_ino_unhold()
 * @fs: filesystem
 * @row: file kind
 * @key: object key
 *
 * For numbers the daemon reports without the kernel counting them (readdir
 * entries): while held, the number is the one a lookup of the same name gets.
 *
 * Return: the number (>= 1), or 0 when memory or numbers ran out.
 */
uint64_t mfs_ino_hold(struct mfs *fs, const struct mfs_row *row, const char *key)
{
	uint64_t ino;

	pthread_mutex_lock(&fs->ino_lock);
	ino = ino_find(fs, row, key);
	if (ino) {
		fs->inos[ino - 1].holds++;
		fs->nr_holds++;
	}
	pthread_mutex_unlock(&fs->ino_lock);
	return ino;
}

/* ino_lock held. A number that is not live, or a count larger than the one held, is ignored. */
static struct mfs_ino *live_entry(struct mfs *fs, uint64_t ino)
{
	if (ino == 0 || ino > fs->nr_inos || !fs->inos[ino - 1].row)
		return NULL;
	return &fs->inos[ino - 1];
}

static void maybe_drop(struct mfs *fs, uint64_t ino)
{
	const struct mfs_ino *e = &fs->inos[ino - 1];

	if (!e->nlookup && !e->holds)
		ino_drop(fs, ino - 1);
}

/**
 * mfs_ino_unhold() - give back one mfs_ino_hold()
 * @fs: filesystem
 * @ino: the number it returned
 */
void mfs_ino_unhold(struct mfs *fs, uint64_t ino)
{
	struct mfs_ino *e;

	pthread_mutex_lock(&fs->ino_lock);
	e = live_entry(fs, ino);
	if (e && e->holds) {
		e->holds--;
		fs->nr_holds--;
		maybe_drop(fs, ino);
	}
	pthread_mutex_unlock(&fs->ino_lock);
}

/**
 * mfs_ino_forget() - the kernel dropped @nlookup lookups of @ino (FORGET)
 * @fs: filesystem
 * @ino: number
 * @nlookup: how many of its lookups it gives back
 *
 * At no lookups and no holds the entry is freed and its number may be
 * reused. A count above the one held (which a correct kernel never sends)
 * drops only what is held.
 */
void mfs_ino_forget(struct mfs *fs, uint64_t ino, uint64_t nlookup)
{
	struct mfs_ino *e;

	pthread_mutex_lock(&fs->ino_lock);
	e = live_entry(fs, ino);
	if (e) {
		uint64_t n = nlookup < e->nlookup ? nlookup : e->nlookup;

		e->nlookup -= n;
		fs->nr_lookups -= n;
		maybe_drop(fs, ino);
	}
	pthread_mutex_unlock(&fs->ino_lock);
}

/**
 * mfs_ino_lookup() - what an inode number stands for
 * @fs: filesystem
 * @ino: number from the kernel
 * @row: (out) file kind
 * @key: (out) a copy of the object key, to free()
 *
 * Return: 0, -ESTALE for a number not handed out or already freed, -ENOMEM.
 */
int mfs_ino_lookup(struct mfs *fs, uint64_t ino, const struct mfs_row **row, char **key)
{
	const struct mfs_ino *e;
	int rc = 0;

	pthread_mutex_lock(&fs->ino_lock);
	e = live_entry(fs, ino);
	if (!e) {
		rc = -ESTALE;
	} else {
		*row = e->row;
		*key = strdup(e->key);
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
	st->live = fs->nr_live;
	st->free = fs->nr_free;
	st->lookups = fs->nr_lookups;
	st->holds = fs->nr_holds;
	pthread_mutex_unlock(&fs->ino_lock);
}
