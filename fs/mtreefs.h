/* SPDX-License-Identifier: MIT */
/*
 * Private header of the mtreefs daemon. The filesystem is described once, in
 * the table of file kinds of fs/table.c: each row is a path pattern ("*"
 * stands for one object name), a mode and the functions that render, write or
 * map it. Objects are named by a key: the "*" components of a path joined
 * with '/' (names are escaped, so they never contain '/'). Inode numbers come
 * from a table keyed by (row, key), so a path keeps its number while the
 * kernel or an open listing refers to it; then the entry is freed and the
 * number retired, never reused (fs/ino.c). Every
 * row function runs with the topology lock held unless the row says
 * MFS_NOLOCK.
 */
#ifndef MTREEFS_FS_H
#define MTREEFS_FS_H

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <vmm/base.h>

struct vmm_machine;
struct vmm_memory;
struct vmm_flatview;
struct vmm_ramblock;
struct mfs_row;
struct mfs_fh;
struct mfs_ino;

#define MFS_ERRLOG_MAX	64		/* error_log keeps the last N rejections */
#define MFS_IO_MAX	(1u << 20)	/* largest read/write request asked of the kernel */
#define MFS_SEGS_MAX	16		/* guest-memory pieces gathered for one request */

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
	struct mfs_fh *fhs;		/* open files and directories (fs/ops.c) */

	pthread_mutex_t log_lock;
	char *log[MFS_ERRLOG_MAX];
	unsigned log_next;
};

/**
 * struct mfs_view - a ram file resolved under the topology lock
 * @fv:   flat view the file reads through (a reference), or NULL
 * @base: offset of file offset 0 inside @fv's address space, or inside @rb
 * @rb:   RAM block the file reads directly (no reference: valid under the lock)
 * @size: file size
 * @io:   the whole object is an io region (every read is EIO)
 */
struct mfs_view {
	struct vmm_flatview *fv;
	struct vmm_ramblock *rb;
	uint64_t base;
	uint64_t size;
	bool io;
};

enum mfs_seg_type { MFS_SEG_DATA, MFS_SEG_IO, MFS_SEG_HOLE, MFS_SEG_END };

/**
 * struct mfs_seg - one piece of a ram file at some offset
 * @host: host address (DATA only)
 * @len:  bytes to the end of the piece
 * @rb:   RAM block holding @host (a reference once taken by mfs_view_segs)
 * @ro_fd: backed by a read-only file (host writes impossible)
 */
struct mfs_seg {
	enum mfs_seg_type type;
	void *host;
	uint64_t len;
	struct vmm_ramblock *rb;
	bool ro_fd;
};

typedef void (*mfs_list_cb)(void *arg, const char *name);

/* Row flags */
#define MFS_NOLOCK	(1u << 0)	/* render/write run without the topology lock */
#define MFS_BIG		(1u << 1)	/* size not rendered by getattr (reported as 0) */
#define MFS_GROWS	(1u << 2)	/* a log: a read at the end renders again (tail -f) */

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
 * @set:     attribute files: the `set` key a write becomes
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
	const char *set;
	int (*ram)(struct mfs *fs, const char *key, struct mfs_view *v);
	int parent;
};

/* table.c */
extern struct mfs_row mfs_rows[];
extern const size_t mfs_nr_rows;
void mfs_table_init(void);
bool mfs_row_is_wild(const struct mfs_row *row);
const char *mfs_row_name(const struct mfs_row *row);
void mfs_path_of(const struct mfs_row *row, const char *key, struct vmm_buf *out);
int mfs_key_part(const char *key, unsigned idx, char *out, size_t cap);
void mfs_escape(const char *name, struct vmm_buf *out);
size_t mfs_utf8_len(const unsigned char *p);
int mfs_unescape(const char *name, char *out, size_t cap);

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
	size_t free;
	uint64_t lookups;
	uint64_t holds;
};
void mfs_ino_stats(struct mfs *fs, struct mfs_ino_stats *st);

/* ram.c */
void mfs_view_release(struct mfs_view *v);
int mfs_view_probe(const struct mfs_view *v, uint64_t off, struct mfs_seg *s);
int mfs_view_segs(const struct mfs_view *v, uint64_t off, uint64_t len, struct mfs_seg *segs,
		  unsigned max);
void mfs_segs_release(struct mfs_seg *segs, unsigned n);
int mfs_ram_as(struct mfs *fs, const char *key, struct mfs_view *v);
int mfs_ram_region(struct mfs *fs, const char *key, struct mfs_view *v);
int mfs_ram_range(struct mfs *fs, const char *key, struct mfs_view *v);
int mfs_ram_memslot(struct mfs *fs, const char *key, struct mfs_view *v);
int mfs_ram_ramblock(struct mfs *fs, const char *key, struct mfs_view *v);

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
void mfs_errlog_render(struct mfs *fs, struct vmm_buf *out);
int mfs_ctl_exec(struct mfs *fs, const char *region, const char *text, size_t len,
		 struct vmm_err *err, unsigned *line);

/* ops.c */
extern const struct fuse_lowlevel_ops mfs_ops;
void mfs_fh_init(struct mfs *fs);
void mfs_fh_fini(struct mfs *fs);

#endif
