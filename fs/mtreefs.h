/* SPDX-License-Identifier: MIT */
/*
 * Private header of the mtreefs daemon. The filesystem is described once, in
 * the table of file kinds (fs/table.c gathers it from the file of each
 * top-level directory): each row is a path pattern ("*" stands for one object
 * name), a mode and the functions that render, write or map it. Objects are
 * named by a key: the "*" components of a path joined with '/' (names are
 * escaped, so they never contain '/'). Inode numbers come from a table keyed
 * by (row, key), so a path keeps its number while the kernel or an open
 * listing refers to it; then the entry is freed and the number retired,
 * never reused (fs/ino.c). Every row function runs with the topology lock
 * held unless the row says MFS_NOLOCK.
 */
#ifndef MTREEFS_FS_H
#define MTREEFS_FS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <vmm/base.h>

struct fuse_req;
struct fuse_session;
struct vmm_machine;
struct vmm_memory;
struct vmm_as;
struct vmm_mr;
struct vmm_flatview;
struct vmm_flat_range;
struct vmm_memslot;
struct vmm_ramblock;
struct mfs_row;
struct mfs_fh;
struct mfs_ino;
struct mfs_ctl_file;
struct mfs_view;
struct mfs_cache;
struct mfs_render;
struct fuse_args;

#define MFS_ERRLOG_MAX	64		/* error_log keeps the last N rejections */
#define MFS_IO_MAX	(1u << 20)	/* largest read/write request asked of the kernel */
#define MFS_SEGS_MAX	16		/* guest-memory pieces gathered for one request */
#define MFS_PINNED_DEFAULT (64u << 20)	/* -o max_pinned: bytes one user's open files may pin */

/**
 * struct mfs - the mounted filesystem
 * @mc: the machine (mc->lock is the topology lock)
 * @mem: mc->mem
 * @uid, @gid: owner of every file (the mounting user)
 * @ram_mode: permission bits of the ram files (guest memory); 0600 unless
 *            --ram-mode widens them. Control files stay owner-only always.
 * @mount_time: timestamps of every file
 */
struct mfs {
	struct vmm_machine *mc;
	struct vmm_memory *mem;
	struct fuse_session *se;	/* asked by long ctl runs whether the daemon is stopping */
	uid_t uid;
	gid_t gid;
	mode_t ram_mode;
	struct timespec mount_time;

	pthread_mutex_t ino_lock;
	struct mfs_ino **by_key;		/* open addressing on (row, key): entry or NULL */
	struct mfs_ino **by_ino;		/* open addressing on the number: entry or NULL */
	size_t hash_cap;			/* slots of each (a power of two) */
	uint64_t next_ino;		/* numbers are never reused: the next one to hand out */
	size_t nr_live;			/* entries in use */
	uint64_t nr_freed;		/* entries freed since the mount (their numbers retired) */
	uint64_t nr_lookups, nr_holds;	/* sums over the live entries */

	pthread_mutex_t fh_lock;
	struct mfs_fh *fhs;		/* open files and directories (fs/fh.c) */
	struct mfs_cache *cache;	/* shared renderings, bytes pinned per user (fs/render_cache.c) */
	size_t max_pinned;		/* -o max_pinned (0: MFS_PINNED_DEFAULT, SIZE_MAX: no bound) */

	pthread_mutex_t log_lock;
	char *log[MFS_ERRLOG_MAX];
	unsigned log_next;
};

typedef void (*mfs_list_cb)(void *arg, const char *name);

/* Row flags */
#define MFS_NOLOCK	(1u << 0)	/* render/write run without the topology lock */
#define MFS_BIG		(1u << 1)	/* size not rendered by getattr (reported as 0) */
#define MFS_GROWS	(1u << 2)	/* a log: a read at the end renders again (tail -f) */
#define MFS_TOPO	(1u << 3)	/* content is the topology's alone: one rendering per
					   generation, shared by opens, real size in stat */

/**
 * struct mfs_row - one kind of file
 * @pattern: path from the mount root, "*" for an object name ("" is the root)
 * @mode:    type and permission bits
 * @flags:   MFS_*
 * @list:    "*" rows: enumerate the names under parent key @pkey
 * @find:    "*" rows: 0 when the object of @key exists, else -ENOENT
 * @present: fixed rows: whether the file exists for @key (NULL: always)
 * @render:  regular files: the content; symlinks: the target
 * @write:   one write() (one transaction); fills @err on rejection
 * @ram:     ram files: resolve into a view
 * @parent:  index of the parent row (filled at start-up)
 */
struct mfs_row {
	const char *pattern;
	mode_t mode;
	unsigned flags;
	int (*list)(struct mfs *fs, const char *pkey, mfs_list_cb cb, void *arg);
	int (*find)(struct mfs *fs, const char *key);
	bool (*present)(struct mfs *fs, const char *key);
	int (*render)(struct mfs *fs, const char *key, struct vmm_buf *out);
	int (*write)(struct mfs *fs, const struct mfs_row *row, const char *key,
		     const char *buf, size_t len, struct vmm_err *err);
	int (*ram)(struct mfs *fs, const char *key, struct mfs_view *v);
	int parent;
};

/* table.c: the rows of every directory file, in one array */
extern struct mfs_row *mfs_rows;
extern size_t mfs_nr_rows;
int mfs_table_init(void);
void mfs_table_fini(void);
void mfs_parent_key(const struct mfs_row *row, const char *key, char *out, size_t cap);
bool mfs_exists(struct mfs *fs, const struct mfs_row *row, const char *key);
const struct mfs_row *mfs_child(struct mfs *fs, const struct mfs_row *prow, const char *pkey,
				const char *name, struct vmm_buf *ckey);

/* names.c */
bool mfs_row_is_wild(const struct mfs_row *row);
const char *mfs_row_name(const struct mfs_row *row);
void mfs_path_of(const struct mfs_row *row, const char *key, struct vmm_buf *out);
int mfs_key_part(const char *key, unsigned idx, char *out, size_t cap);
void mfs_escape(const char *name, struct vmm_buf *out);
size_t mfs_utf8_len(const unsigned char *p);
int mfs_unescape(const char *name, char *out, size_t cap);
void mfs_list_escaped(mfs_list_cb cb, void *arg, const char *name);
void mfs_put_link(struct vmm_buf *out, const char *up, const char *dir, const char *name);

/* ino.c */
int mfs_ino_init(struct mfs *fs);
void mfs_ino_fini(struct mfs *fs);
uint64_t mfs_ino_ref(struct mfs *fs, const struct mfs_row *row, const char *key);
uint64_t mfs_ino_hold(struct mfs *fs, const struct mfs_row *row, const char *key);
void mfs_ino_unhold(struct mfs *fs, uint64_t ino);
void mfs_ino_forget(struct mfs *fs, uint64_t ino, uint64_t nlookup);
int mfs_ino_lookup(struct mfs *fs, uint64_t ino, const struct mfs_row **row, char **key);

/**
 * struct mfs_ino_stats - what machine/daemon/inodes shows
 * @live: inode numbers that stand for an object now (the root included)
 * @free: entries freed since the mount; their numbers are never handed out again
 * @lookups: lookups the kernel holds (sum of the live entries' counts)
 * @holds: holds of open directory listings, plus the root's own
 */
struct mfs_ino_stats {
	size_t live;
	uint64_t free;
	uint64_t lookups;
	uint64_t holds;
};
void mfs_ino_stats(struct mfs *fs, struct mfs_ino_stats *st);

/* ram.c: row resolvers, and the requests on an open ram file */
int mfs_ram_as(struct mfs *fs, const char *key, struct mfs_view *v);
int mfs_ram_region(struct mfs *fs, const char *key, struct mfs_view *v);
int mfs_ram_range(struct mfs *fs, const char *key, struct mfs_view *v);
int mfs_ram_memslot(struct mfs *fs, const char *key, struct mfs_view *v);
int mfs_ram_ramblock(struct mfs *fs, const char *key, struct mfs_view *v);
int mfs_ram_size(struct mfs *fs, const struct mfs_row *row, const char *key, uint64_t *size);
/* The RAM block a ram file is, whole from offset 0 (a reference), or NULL (passthrough). */
struct vmm_ramblock *mfs_ram_whole_block(struct mfs *fs, const struct mfs_row *row,
					 const char *key, uint64_t *size);

/* objects.c: keys to model objects (topology lock held) */
struct vmm_mr *mfs_mr(struct mfs *fs, const char *key);
struct vmm_as *mfs_as(struct mfs *fs, const char *key);
struct vmm_flatview *mfs_fv(struct mfs *fs, const char *key);
const struct vmm_flat_range *mfs_range(struct mfs *fs, const char *key,
				       struct vmm_flatview **fvp);
const struct vmm_memslot *mfs_memslot(struct mfs *fs, const char *key);
struct vmm_ramblock *mfs_ramblock(struct mfs *fs, const char *key);
void mfs_range_name(const struct vmm_flat_range *fr, char *out, size_t cap);

/* errlog.c */
void mfs_errlog_init(struct mfs *fs);
void mfs_errlog_fini(struct mfs *fs);
void mfs_errlog_add(struct mfs *fs, const char *path, const char *cmd, size_t cmd_len,
		    const struct vmm_err *err);

/**
 * struct mfs_fh - an open file or directory (fs/fh.c)
 *
 * The snapshot of a generated file or the listing of a directory, or nothing
 * for ram and write-only files. A read holds a reference while its reply is
 * sent: the kernel may complete the read, and a RELEASE may run on another
 * thread, the moment writev() returns — before the reading thread is done
 * with the buffer.
 */
struct mfs_fh {
	atomic_uint refs;
	const struct mfs_row *row;
	char *key;
	pthread_mutex_t lock;		/* MFS_GROWS rows: @buf may be replaced by a read */
	struct vmm_buf buf;
	uint64_t *held;			/* directories: the numbers readdir reports (held) */
	struct mfs_ram_bind *ram;	/* ram files: the object opened (fs/ram_bind.c) */
	size_t nr_held;
	struct mfs_render *shared;	/* MFS_TOPO rows: the rendering served instead of @buf */
	uid_t pin_uid;			/* who opened it, charged @pinned bytes (render_cache.c) */
	size_t pinned;
	struct mfs *fs;
	struct mfs_ctl_file *ctl;	/* ctl files: the writer's lines and transaction (fs/ctl_file.c) */
	struct mfs_fh *prev, *next;	/* fs->fhs: what is open, for the end of the session */
};

/* fh.c */
int mfs_fh_init(struct mfs *fs);
void mfs_fh_fini(struct mfs *fs);
struct mfs_fh *mfs_fh_new(struct mfs *fs, const struct mfs_row *row);
void mfs_fh_get(struct mfs_fh *fh);
void mfs_fh_put(struct mfs_fh *fh);
void mfs_unhold_all(struct mfs *fs, const uint64_t *held, size_t n);

/* render_cache.c: renderings shared per topology generation; bytes pinned per user */
int mfs_cache_init(struct mfs *fs);
void mfs_cache_fini(struct mfs *fs);
int mfs_render_get(struct mfs *fs, const struct mfs_row *row, const char *key,
		   struct mfs_render **out);
void mfs_render_put(struct mfs *fs, struct mfs_render *r);
const struct vmm_buf *mfs_render_buf(const struct mfs_render *r);
int mfs_pin_open(struct mfs *fs, struct mfs_fh *fh, uid_t uid);
void mfs_pin_drop(struct mfs *fs, struct mfs_fh *fh);
int mfs_opt_max_pinned(struct fuse_args *args, size_t *max_pinned);

/* listing.c */
int mfs_list_dir(struct fuse_req *req, struct mfs *fs, const struct mfs_row *dir, const char *key,
		 struct vmm_buf *out, uint64_t **held, size_t *nr_held);

/* ops.c */
extern const struct fuse_lowlevel_ops mfs_ops;

#endif
