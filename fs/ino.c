// SPDX-License-Identifier: MIT
/*
 * Inode numbers of mtreefs: a table keyed by (row of the file table, object
 * key), so that a path keeps its number while anything refers to it. An
 * entry counts two kinds of references: the kernel's lookups (one for every
 * entry reply it accepted, given back by FORGET) and the holds of open
 * directory listings (the numbers their readdir entries report). When both
 * reach 0 the entry is freed. Numbers are handed out in increasing order and
 * never reused while the daemon runs: userspace cannot see FUSE generations,
 * and a tool such as `ls -R` or `find` that remembers (st_dev, st_ino) of the
 * directories it walked would take a number reused for another directory
 * for a cycle. With 64-bit numbers the counter cannot run out. The root
 * (FUSE_ROOT_ID) holds itself for the life of the mount. The table thus
 * stays as large as what the kernel and the open listings still use, however
 * many flat views come and go: entries are found by (row, key) and by number
 * through two open-addressing hashes (linear probing, removal by backward
 * shift, no tombstones), never through an array indexed by number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mtreefs.h"

#define HASH_MIN 1024

/* One inode: a row of the table and the object key. */
struct mfs_ino {
	const struct mfs_row *row;
	uint64_t hash;			/* hash of (row, key) */
	uint64_t ino;
	uint64_t nlookup;		/* lookups the kernel has not forgotten */
	uint32_t holds;			/* open directory listings reporting this number */
	char key[];
};

static uint64_t hash_of(const struct mfs_row *row, const char *key)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(row - mfs_rows);

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h ^ (h >> 29);
}

/* Numbers are sequential; a multiplicative mix spreads them over the slots. */
static uint64_t hash_ino(uint64_t ino)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ull;

	return h ^ (h >> 32);
}

static uint64_t home_key(const struct mfs_ino *e) { return e->hash; }
static uint64_t home_ino(const struct mfs_ino *e) { return hash_ino(e->ino); }

static void hash_put(struct mfs_ino **tab, size_t cap, struct mfs_ino *e, uint64_t home)
{
	size_t j = home & (cap - 1);

	while (tab[j])
		j = (j + 1) & (cap - 1);
	tab[j] = e;
}

/* Rehash both tables at @cap slots (a power of two, more than twice the live entries). */
static int hash_resize(struct mfs *fs, size_t cap)
{
	struct mfs_ino **by_key = calloc(cap, sizeof(*by_key));
	struct mfs_ino **by_ino = calloc(cap, sizeof(*by_ino));

	if (!by_key || !by_ino) {
		free(by_key);
		free(by_ino);
		return -ENOMEM;
	}
	for (size_t i = 0; i < fs->hash_cap; i++) {
		struct mfs_ino *e = fs->by_key[i];

		if (e) {
			hash_put(by_key, cap, e, home_key(e));
			hash_put(by_ino, cap, e, home_ino(e));
		}
	}
	free(fs->by_key);
	free(fs->by_ino);
	fs->by_key = by_key;
	fs->by_ino = by_ino;
	fs->hash_cap = cap;
	return 0;
}

/*
 * Take slot @i of @tab out of the probe sequences: every later entry of the
 * same run whose home slot is not in (i, j] moves back into the hole, so a
 * search never stops early at it.
 */
static void hash_remove(struct mfs_ino **tab, size_t cap, size_t i,
			uint64_t (*home_of)(const struct mfs_ino *))
{
	size_t mask = cap - 1, j = i;

	tab[i] = NULL;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!tab[j])
			return;
		home = home_of(tab[j]) & mask;
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		tab[i] = tab[j];
		tab[j] = NULL;
		i = j;
	}
}

static void hash_take(struct mfs_ino **tab, size_t cap, const struct mfs_ino *e,
		      uint64_t (*home_of)(const struct mfs_ino *))
{
	size_t j = home_of(e) & (cap - 1);

	while (tab[j] != e)
		j = (j + 1) & (cap - 1);
	hash_remove(tab, cap, j, home_of);
}

/* Free @e (no lookups, no holds left); its number is never handed out again. */
static void ino_drop(struct mfs *fs, struct mfs_ino *e)
{
	hash_take(fs->by_key, fs->hash_cap, e, home_key);
	hash_take(fs->by_ino, fs->hash_cap, e, home_ino);
	free(e);
	fs->nr_live--;
	fs->nr_freed++;
	/* Give memory back after a burst: shrinking keeps the load under 1/2. */
	if (fs->hash_cap > HASH_MIN && fs->nr_live * 8 < fs->hash_cap)
		hash_resize(fs, fs->hash_cap / 2);
}

/* Find or make the entry of (@row, @key). ino_lock held. Return: it, NULL on ENOMEM. */
static struct mfs_ino *ino_find(struct mfs *fs, const struct mfs_row *row, const char *key)
{
	uint64_t h = hash_of(row, key);
	size_t len = strlen(key), j;
	struct mfs_ino *e;

	if ((fs->nr_live + 1) * 2 > fs->hash_cap &&
	    hash_resize(fs, fs->hash_cap ? fs->hash_cap * 2 : HASH_MIN) < 0)
		return NULL;
	j = h & (fs->hash_cap - 1);
	while ((e = fs->by_key[j])) {
		if (e->hash == h && e->row == row && !strcmp(e->key, key))
			return e;
		j = (j + 1) & (fs->hash_cap - 1);
	}
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	e->row = row;
	e->hash = h;
	e->ino = fs->next_ino++;
	e->nlookup = 0;
	e->holds = 0;
	memcpy(e->key, key, len + 1);
	fs->by_key[j] = e;
	hash_put(fs->by_ino, fs->hash_cap, e, home_ino(e));
	fs->nr_live++;
	return e;
}

/* ino_lock held. A number that is not live is ignored by its callers. */
static struct mfs_ino *live_entry(struct mfs *fs, uint64_t ino)
{
	size_t j;
	struct mfs_ino *e;

	if (!fs->hash_cap)
		return NULL;
	j = hash_ino(ino) & (fs->hash_cap - 1);
	while ((e = fs->by_ino[j])) {
		if (e->ino == ino)
			return e;
		j = (j + 1) & (fs->hash_cap - 1);
	}
	return NULL;
}

int mfs_ino_init(struct mfs *fs)
{
	pthread_mutex_init(&fs->ino_lock, NULL);
	fs->by_key = fs->by_ino = NULL;
	fs->hash_cap = 0;
	fs->next_ino = 1;
	fs->nr_live = 0;
	fs->nr_freed = 0;
	fs->nr_lookups = fs->nr_holds = 0;
	/* The root row must be inode 1 (FUSE_ROOT_ID), held for good: never forgotten. */
	return mfs_ino_hold(fs, &mfs_rows[0], "") == 1 ? 0 : -ENOMEM;
}

void mfs_ino_fini(struct mfs *fs)
{
	for (size_t i = 0; i < fs->hash_cap; i++)
		free(fs->by_key[i]);
	free(fs->by_key);
	free(fs->by_ino);
	pthread_mutex_destroy(&fs->ino_lock);
}

/**
 * mfs_ino_ref() - the inode number of (@row, @key) for an entry reply
 * @fs: filesystem
 * @row: file kind
 * @key: object key
 *
 * Counts one kernel lookup: the number stays (row, key)'s until the kernel
 * forgets it (mfs_ino_forget). A reply the kernel did not take must give the
 * lookup back the same way.
 *
 * Return: the number (>= 1), or 0 when memory ran out.
 */
uint64_t mfs_ino_ref(struct mfs *fs, const struct mfs_row *row, const char *key)
{
	struct mfs_ino *e;
	uint64_t ino = 0;

	pthread_mutex_lock(&fs->ino_lock);
	e = ino_find(fs, row, key);
	if (e) {
		e->nlookup++;
		fs->nr_lookups++;
		ino = e->ino;
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
 * Return: the number (>= 1), or 0 when memory ran out.
 */
uint64_t mfs_ino_hold(struct mfs *fs, const struct mfs_row *row, const char *key)
{
	struct mfs_ino *e;
	uint64_t ino = 0;

	pthread_mutex_lock(&fs->ino_lock);
	e = ino_find(fs, row, key);
	if (e) {
		e->holds++;
		fs->nr_holds++;
		ino = e->ino;
	}
	pthread_mutex_unlock(&fs->ino_lock);
	return ino;
}

static void maybe_drop(struct mfs *fs, struct mfs_ino *e)
{
	if (!e->nlookup && !e->holds)
		ino_drop(fs, e);
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
		maybe_drop(fs, e);
	}
	pthread_mutex_unlock(&fs->ino_lock);
}

/**
 * mfs_ino_forget() - the kernel dropped @nlookup lookups of @ino (FORGET)
 * @fs: filesystem
 * @ino: number
 * @nlookup: how many of its lookups it gives back
 *
 * At no lookups and no holds the entry is freed; its number is retired. A
 * count above the one held (which a correct kernel never sends) drops only
 * what is held.
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
		maybe_drop(fs, e);
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
	st->free = fs->nr_freed;
	st->lookups = fs->nr_lookups;
	st->holds = fs->nr_holds;
	pthread_mutex_unlock(&fs->ino_lock);
}
