// SPDX-License-Identifier: MIT
/*
 * Renderings shared between opens, and the bytes each user's open files pin.
 * A file whose content is the topology's alone (rows with MFS_TOPO: the
 * info/ files) is rendered at most once per topology generation
 * (vmm_memory_generation(), bumped by every commit that changed something,
 * whether it came from a ctl write or from a vCPU programming a device):
 * every open and every stat at that generation takes a reference on the
 * same immutable buffer, so 20,000 opens of info/topology.json cost one
 * rendering, and a stat reports the size of exactly the bytes a following
 * open serves (tar and rsync copy what stat promised). While a transaction
 * is open (ctl's begin) the model holds changes a later abort may take back
 * at the same generation, so renderings made then are private to their
 * open. A rendering nobody holds stays in a small least-recently-used
 * reserve while its generation is current (IDLE_MAX bytes, and always the
 * one released last, so stat-then-open renders once), and is freed with
 * the first generation change seen after. Freeing calls malloc_trim(),
 * because glibc keeps freed heap for itself and a daemon that served a
 * burst of opens would otherwise stay at its peak size for good. Every open
 * also charges its opener (the uid of the request) with what it pins: the
 * open file, its own snapshot or listing, and each shared rendering once
 * per user; past -o max_pinned the open fails with EMFILE and error_log
 * says why. The mounting user is not bounded (the daemon is already
 * theirs), and a user with nothing pinned may always open one file.
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fuse_opt.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/machine.h>
#include <vmm/memory.h>

#include "mtreefs.h"

/*
 * Renderings nobody holds, kept for a later open or stat. There is at most
 * one per file and generation, so this bounds what the topology's size can
 * make the daemon keep, not what users can: at 30k regions the seven info/
 * files are 50 MB and the SVG takes seconds to draw, so `ls -l info` at
 * that size should draw it once per generation, not once per call.
 */
#define IDLE_MAX	(64u << 20)
#define TRIM_AFTER	(1u << 20)	/* bytes given back between two malloc_trim() calls */

struct render_user {
	uid_t uid;
	unsigned opens;
};

/* One rendering; @buf never changes once made. Fields below @buf: cache lock. */
struct mfs_render {
	const struct mfs_row *row;
	char *key;
	uint64_t gen;
	struct vmm_buf buf;
	size_t bytes;			/* all it takes: buffer, key, this */
	unsigned refs;			/* opens and stats using it */
	bool cached;			/* in the table: what opens at @gen are given */
	struct mfs_render *hnext;	/* table chain */
	struct mfs_render *idle_prev, *idle_next; /* no reference: in the reserve */
	struct render_user *users;	/* users charged for it, with their opens */
	unsigned nr_users;
};

struct pin_user {
	uid_t uid;
	size_t bytes;
	bool refused;			/* the refusal is in error_log: say it once */
};

struct mfs_cache {
	pthread_mutex_t lock;
	struct mfs_render **table;	/* chains by (row, key); current generation only */
	size_t cap, nr;
	uint64_t gen;			/* generation the table holds */
	struct mfs_render *idle_head, *idle_tail; /* head: most recently released */
	size_t idle_bytes;
	struct pin_user *users;
	size_t nr_users, cap_users;
	size_t released;		/* bytes freed since the last malloc_trim() */
};

const struct vmm_buf *mfs_render_buf(const struct mfs_render *r)
{
	return &r->buf;
}

static size_t hash_of(const struct mfs_row *row, const char *key, size_t cap)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)row;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static void render_free(struct mfs_cache *c, struct mfs_render *r)
{
	c->released += r->bytes;
	vmm_buf_free(&r->buf);
	free(r->users);
	free(r->key);
	free(r);
}

static void idle_unlink(struct mfs_cache *c, struct mfs_render *r)
{
	if (r->idle_prev)
		r->idle_prev->idle_next = r->idle_next;
	else
		c->idle_head = r->idle_next;
	if (r->idle_next)
		r->idle_next->idle_prev = r->idle_prev;
	else
		c->idle_tail = r->idle_prev;
	r->idle_prev = r->idle_next = NULL;
	c->idle_bytes -= r->bytes;
}

static void table_unlink(struct mfs_cache *c, struct mfs_render *r)
{
	struct mfs_render **pp = &c->table[hash_of(r->row, r->key, c->cap)];

	while (*pp && *pp != r)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = r->hnext;
		c->nr--;
	}
	r->hnext = NULL;
	r->cached = false;
}

/*
 * A rendering nobody holds any more: kept in the reserve, or freed. The one
 * released last stays whatever its size, so the stat-then-open of tar or
 * rsync renders a big file once; older ones go past IDLE_MAX.
 */
static void render_idle(struct mfs_cache *c, struct mfs_render *r)
{
	if (!r->cached || r->gen != c->gen) {
		if (r->cached)
			table_unlink(c, r);
		render_free(c, r);
		return;
	}
	r->idle_next = c->idle_head;
	if (c->idle_head)
		c->idle_head->idle_prev = r;
	else
		c->idle_tail = r;
	c->idle_head = r;
	c->idle_bytes += r->bytes;
	while (c->idle_bytes > IDLE_MAX && c->idle_tail != r) {
		struct mfs_render *old = c->idle_tail;

		idle_unlink(c, old);
		table_unlink(c, old);
		render_free(c, old);
	}
}

/* The topology moved on: no open gets the old renderings any more. */
static void drop_generation(struct mfs_cache *c, uint64_t gen)
{
	for (size_t i = 0; i < c->cap; i++) {
		while (c->table[i]) {
			struct mfs_render *r = c->table[i];

			table_unlink(c, r);
			if (!r->refs) {
				idle_unlink(c, r);
				render_free(c, r);
			}
		}
	}
	c->gen = gen;
}

static struct mfs_render *table_find(struct mfs_cache *c, const struct mfs_row *row,
				     const char *key)
{
	struct mfs_render *r = c->table[hash_of(row, key, c->cap)];

	while (r && (r->row != row || strcmp(r->key, key)))
		r = r->hnext;
	return r;
}

/* Insert @r; a table that cannot grow stays as it is (chains get longer). */
static void table_insert(struct mfs_cache *c, struct mfs_render *r)
{
	size_t h;

	if (c->nr >= c->cap) {
		size_t cap = c->cap * 2;
		struct mfs_render **t = calloc(cap, sizeof(*t));

		if (t) {
			for (size_t i = 0; i < c->cap; i++) {
				while (c->table[i]) {
					struct mfs_render *e = c->table[i];

					c->table[i] = e->hnext;
					h = hash_of(e->row, e->key, cap);
					e->hnext = t[h];
					t[h] = e;
				}
			}
			free(c->table);
			c->table = t;
			c->cap = cap;
		}
	}
	h = hash_of(r->row, r->key, c->cap);
	r->hnext = c->table[h];
	c->table[h] = r;
	r->cached = true;
	c->nr++;
}

/*
 * Whether enough was freed since the last malloc_trim() to ask for another
 * (cache lock held; the trim itself runs after the lock is dropped).
 */
static bool trim_due(struct mfs_cache *c)
{
	if (c->released < TRIM_AFTER)
		return false;
	c->released = 0;
	return true;
}

static void unlock_and_trim(struct mfs_cache *c)
{
	bool trim = trim_due(c);

	pthread_mutex_unlock(&c->lock);
	if (trim)
		malloc_trim(0);
}

/* Render @row at @key into a new rendering (topology lock held). */
static int render_new(struct mfs *fs, const struct mfs_row *row, const char *key, uint64_t gen,
		      struct mfs_render **out)
{
	struct mfs_render *r = calloc(1, sizeof(*r));
	int rc;

	if (!r || !(r->key = strdup(key))) {
		free(r);
		return -ENOMEM;
	}
	r->row = row;
	r->gen = gen;
	r->refs = 1;
	vmm_buf_init(&r->buf);
	rc = row->render(fs, key, &r->buf);
	if (rc == 0 && r->buf.oom)
		rc = -ENOMEM;
	if (rc < 0) {
		vmm_buf_free(&r->buf);
		free(r->key);
		free(r);
		return rc;
	}
	/* It lives as long as its readers: give back what doubling the buffer left over. */
	if (r->buf.data && r->buf.cap > r->buf.len + 1) {
		char *p = realloc(r->buf.data, r->buf.len + 1);

		if (p) {
			r->buf.data = p;
			r->buf.cap = r->buf.len + 1;
		}
	}
	r->bytes = sizeof(*r) + strlen(r->key) + 1 + r->buf.cap;
	*out = r;
	return 0;
}

/**
 * mfs_render_get() - the rendering of an MFS_TOPO file at the current generation
 * @fs: filesystem
 * @row: an MFS_TOPO row (rendered with the topology lock held)
 * @key: object key
 * @out: a reference, for mfs_render_put()
 *
 * Renders only when no rendering of (@row, @key) at the current generation
 * exists; outside a transaction the new one is shared from then on.
 *
 * Return: 0, or the row's -errno (-ENOMEM).
 */
int mfs_render_get(struct mfs *fs, const struct mfs_row *row, const char *key,
		   struct mfs_render **out)
{
	struct mfs_cache *c = fs->cache;
	struct mfs_render *r;
	uint64_t gen;
	bool txn;
	int rc;

	pthread_mutex_lock(&fs->mc->lock);
	gen = vmm_memory_generation(fs->mem);
	txn = vmm_memory_depth(fs->mem) > 0;
	pthread_mutex_lock(&c->lock);
	if (gen != c->gen)
		drop_generation(c, gen);
	r = txn ? NULL : table_find(c, row, key);
	if (r && !r->refs++)
		idle_unlink(c, r);
	pthread_mutex_unlock(&c->lock);
	/* Only a renderer inserts, and renderers hold the topology lock: no twin can appear. */
	rc = r ? 0 : render_new(fs, row, key, gen, &r);
	if (rc == 0 && !txn && !r->cached) {
		pthread_mutex_lock(&c->lock);
		table_insert(c, r);
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&fs->mc->lock);
	*out = rc == 0 ? r : NULL;
	return rc;
}

static void render_put_locked(struct mfs_cache *c, struct mfs_render *r)
{
	if (--r->refs == 0)
		render_idle(c, r);
}

void mfs_render_put(struct mfs *fs, struct mfs_render *r)
{
	struct mfs_cache *c = fs->cache;

	pthread_mutex_lock(&c->lock);
	render_put_locked(c, r);
	unlock_and_trim(c);
}

/* ---- bytes pinned per user ---- */

static struct pin_user *pin_user(struct mfs_cache *c, uid_t uid, bool add)
{
	for (size_t i = 0; i < c->nr_users; i++)
		if (c->users[i].uid == uid)
			return &c->users[i];
	if (!add)
		return NULL;
	if (c->nr_users == c->cap_users) {
		size_t cap = c->cap_users ? c->cap_users * 2 : 8;
		struct pin_user *u = realloc(c->users, cap * sizeof(*u));

		if (!u)
			return NULL;
		c->users = u;
		c->cap_users = cap;
	}
	c->users[c->nr_users] = (struct pin_user){ .uid = uid };
	return &c->users[c->nr_users++];
}

static void pin_user_sub(struct mfs_cache *c, struct pin_user *u, size_t bytes)
{
	u->bytes -= bytes < u->bytes ? bytes : u->bytes;
	if (!u->bytes)
		*u = c->users[--c->nr_users];
}

static struct render_user *render_user(struct mfs_render *r, uid_t uid)
{
	for (unsigned i = 0; i < r->nr_users; i++)
		if (r->users[i].uid == uid)
			return &r->users[i];
	return NULL;
}

static void refuse_log(struct mfs *fs, const struct mfs_fh *fh, uid_t uid, size_t have,
		       size_t want, size_t max)
{
	struct vmm_buf path;
	struct vmm_err err;

	vmm_buf_init(&path);
	mfs_path_of(fh->row, fh->key ? fh->key : "", &path);
	vmm_err_set(&err, -EMFILE, "user %u pins %zu bytes in open files and listings; "
		    "%zu more would pass -o max_pinned=%zu", (unsigned)uid, have, want, max);
	mfs_errlog_add(fs, path.data && !path.oom ? path.data : "?", "open", 4, &err);
	vmm_buf_free(&path);
}

/**
 * mfs_pin_open() - charge @uid for what the open @fh pins
 * @fs: filesystem
 * @fh: a new open file or directory: key, snapshot or shared rendering, listing set
 * @uid: the opener
 *
 * A shared rendering is charged once per user, however many of their opens
 * hold it. On success mfs_pin_drop() (called when @fh is freed) gives the
 * charge back.
 *
 * Return: 0, or -EMFILE past -o max_pinned (said in error_log, once until
 * an open of that user succeeds again), or -ENOMEM.
 */
int mfs_pin_open(struct mfs *fs, struct mfs_fh *fh, uid_t uid)
{
	struct mfs_cache *c = fs->cache;
	size_t own = sizeof(*fh) + (fh->key ? strlen(fh->key) + 1 : 0) + fh->buf.cap +
		     fh->nr_held * sizeof(*fh->held);
	size_t max = fs->max_pinned ? fs->max_pinned : MFS_PINNED_DEFAULT, want = own;
	struct render_user *ru = NULL, *more;
	struct pin_user *u;

	pthread_mutex_lock(&c->lock);
	u = pin_user(c, uid, true);
	if (!u)
		goto nomem;
	if (fh->shared && !(ru = render_user(fh->shared, uid)))
		want += fh->shared->bytes;
	if (uid != fs->uid && u->bytes && (want > max || u->bytes > max - want)) {
		bool logged = u->refused;
		size_t have = u->bytes;

		u->refused = true;
		pthread_mutex_unlock(&c->lock);
		if (!logged)
			refuse_log(fs, fh, uid, have, want, max);
		return -EMFILE;
	}
	if (fh->shared && !ru) {
		more = realloc(fh->shared->users, (fh->shared->nr_users + 1) * sizeof(*more));
		if (!more)
			goto nomem;
		fh->shared->users = more;
		ru = &more[fh->shared->nr_users++];
		*ru = (struct render_user){ .uid = uid };
	}
	if (ru)
		ru->opens++;
	u->bytes += want;
	u->refused = false;
	fh->pin_uid = uid;
	fh->pinned = own;
	pthread_mutex_unlock(&c->lock);
	return 0;
nomem:
	if (u && !u->bytes)
		*u = c->users[--c->nr_users];
	pthread_mutex_unlock(&c->lock);
	return -ENOMEM;
}

/**
 * mfs_pin_drop() - give back what @fh pinned and its shared rendering
 * @fs: filesystem
 * @fh: an open file or directory being freed
 */
void mfs_pin_drop(struct mfs *fs, struct mfs_fh *fh)
{
	struct mfs_cache *c = fs->cache;
	struct mfs_render *r = fh->shared;
	size_t back = fh->pinned;
	struct render_user *ru;
	struct pin_user *u;

	pthread_mutex_lock(&c->lock);
	ru = r && fh->pinned ? render_user(r, fh->pin_uid) : NULL;
	if (ru && !--ru->opens) {
		back += r->bytes;
		*ru = r->users[--r->nr_users];
	}
	if (fh->pinned && (u = pin_user(c, fh->pin_uid, false)))
		pin_user_sub(c, u, back);
	c->released += fh->pinned;
	fh->pinned = 0;
	fh->shared = NULL;
	if (r)
		render_put_locked(c, r);
	unlock_and_trim(c);
}

/* ---- lifetime and the option ---- */

int mfs_cache_init(struct mfs *fs)
{
	struct mfs_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cap = 64;
	c->table = calloc(c->cap, sizeof(*c->table));
	if (!c->table) {
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->gen = UINT64_MAX;
	fs->cache = c;
	return 0;
}

/* After every open file was freed: what is left is the reserve. */
void mfs_cache_fini(struct mfs *fs)
{
	struct mfs_cache *c = fs->cache;

	if (!c)
		return;
	drop_generation(c, UINT64_MAX);
	pthread_mutex_destroy(&c->lock);
	free(c->table);
	free(c->users);
	free(c);
	fs->cache = NULL;
}

struct pinned_opt {
	char *size;
};

static const struct fuse_opt pinned_opts[] = {
	{ "max_pinned=%s", offsetof(struct pinned_opt, size), 0 },
	FUSE_OPT_END
};

/**
 * mfs_opt_max_pinned() - take -o max_pinned=SIZE out of the FUSE options
 * @args: the -o arguments gathered for fuse_session_new()
 * @max_pinned: MFS_PINNED_DEFAULT, or SIZE (K M G suffixes), SIZE_MAX for 0
 *
 * Return: 0, or -EINVAL with the reason printed (a usage error).
 */
int mfs_opt_max_pinned(struct fuse_args *args, size_t *max_pinned)
{
	struct pinned_opt o = { NULL };
	vmm_u128 v;
	int rc = 0;

	*max_pinned = MFS_PINNED_DEFAULT;
	if (fuse_opt_parse(args, &o, pinned_opts, NULL) < 0)
		return -EINVAL;
	if (!o.size)
		return 0;
	if (vmm_parse_size(o.size, &v) < 0 || v > SIZE_MAX) {
		fprintf(stderr, "mtreefs: bad -o max_pinned=%s: a size (K M G suffixes), "
			"0 for no bound\n", o.size);
		rc = -EINVAL;
	} else {
		*max_pinned = v ? (size_t)v : SIZE_MAX;
	}
	free(o.size);
	return rc;
}
