// SPDX-License-Identifier: MIT
/*
 * mtreefs --qemu SOCKET: mount a running QEMU (mtreefs(1), ATTACHING TO
 * QEMU). The tree is the one the daemon shows for its own machine, built by
 * the importer from QEMU's `info mtree -D` and `-f` read over QMP
 * (vmm_machine_create_qemu); guest RAM is read in place through QEMU's
 * /proc/PID/mem (vmm_qemu_mem_*). Freshness: lookup, opendir and open
 * re-read QEMU's three texts when the cached ones are older than --refresh
 * or an event (DEVICE_ADDED, DEVICE_DELETED, RESET, STOP, RESUME, SHUTDOWN)
 * said the topology may have changed; only when a text differs is a new
 * model imported and swapped in under the topology lock (guest BAR and PAM
 * programming raises no event, hence the polling bound). Entry and
 * attribute timeouts are 0 (fs/ops.c), so the kernel caches nothing to
 * invalidate. Locks: @qmp_lock serialises the connection (one thread at a
 * time); @mem_lock is read-held around guest RAM accesses and write-held
 * while QEMU's range table and our block table change; @refresh_lock keeps
 * one refresh at a time and guards the cached texts. Order: refresh_lock,
 * qmp_lock, topology lock, mem_lock. An event thread polls the socket; when
 * QEMU goes away it ends the session, so the daemon unmounts and exits
 * rather than leaving a dead mount.
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fuse_lowlevel.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <vmm/flatview.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include <vmm/qmp.h>
#include <vmm/ramblock.h>

#include "attach.h"

/* A RAM block of our model and where QEMU keeps the same block. */
struct blk {
	const struct vmm_ramblock *rb;
	uint64_t hva;		/* QEMU's address of the block's first byte */
	bool writable;		/* RAM (not ROM) in QEMU's flat view */
};

struct texts {
	struct vmm_buf tree, flat, ramblock;
};

struct attach {
	struct mfs_attach_opts o;
	char *socket;
	struct vmm_qmp *q;
	pthread_mutex_t qmp_lock;
	struct vmm_qemu_mem *mem;
	pthread_rwlock_t mem_lock;
	struct blk *blk;
	size_t nr_blk;
	pthread_mutex_t refresh_lock;
	struct texts cached;
	atomic_llong fetched_ms;	/* when @cached was asked for (CLOCK_MONOTONIC) */
	atomic_bool stale;		/* an event said the topology may have changed */
	atomic_bool lost, shut_down, stop;
	atomic_ullong refreshes, rebuilds;
	char machine[64];
	struct fuse_session *se;
	pthread_t thread;
	bool thread_on;
};

static struct attach *A;	/* one QEMU per daemon */

bool mfs_attached(void)
{
	return A != NULL;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void texts_init(struct texts *t)
{
	vmm_buf_init(&t->tree);
	vmm_buf_init(&t->flat);
	vmm_buf_init(&t->ramblock);
}

static void texts_free(struct texts *t)
{
	vmm_buf_free(&t->tree);
	vmm_buf_free(&t->flat);
	vmm_buf_free(&t->ramblock);
}

static bool buf_eq(const struct vmm_buf *a, const struct vmm_buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

static const char *text(const struct vmm_buf *b)
{
	return b->data ? b->data : "";
}

/* QEMU is gone: say so once and end the session (main unmounts and exits). */
static void lose(const char *why)
{
	if (atomic_exchange(&A->lost, true))
		return;
	fprintf(stderr, "mtreefs: QEMU at %s went away (%s): unmounting\n", A->socket, why);
	syslog(LOG_WARNING, "mtreefs: QEMU at %s went away (%s): unmounting", A->socket, why);
	if (A->se) {
		fuse_session_exit(A->se);
		/* wakes the session loop blocked in read(), as Ctrl-C does */
		kill(getpid(), SIGTERM);
	}
}

static bool gone(int r)
{
	return r == -ECONNRESET || r == -EPIPE || r == -EPROTO;
}

/* QEMU's three texts of this instant (qmp_lock held): 3 HMP round trips. */
static int fetch(struct texts *t, struct vmm_err *err)
{
	char *rb;
	size_t len;
	int r = vmm_qmp_mtree(A->q, &t->tree, &t->flat, err);

	if (!r)
		r = vmm_qmp_hmp(A->q, "info ramblock", &rb, &len, err);
	if (!r) {
		vmm_buf_put(&t->ramblock, rb, len);
		free(rb);
	}
	if (!r && (t->tree.oom || t->flat.oom || t->ramblock.oom))
		r = vmm_err_set(err, -ENOMEM, "out of memory");
	return r;
}

/* The block table of the machine's current model (topology lock held). */
static int blk_table(struct vmm_machine *mc, struct blk **out, size_t *nr)
{
	struct vmm_flatview *fv = mc->memory_as ? vmm_as_get_flatview(mc->memory_as) : NULL;
	struct blk *t = calloc(fv ? fv->nr + 1 : 1, sizeof(*t));
	size_t n = 0;

	if (!t) {
		if (fv)
			vmm_flatview_unref(fv);
		return -ENOMEM;
	}
	for (size_t i = 0; fv && i < fv->nr; i++) {
		const struct vmm_flat_range *fr = vmm_flatview_range(fv, i);
		const struct vmm_ramblock *rb = fr->mr->rb;
		const struct vmm_qemu_mem_range *qr = NULL;
		uint64_t gpa = (uint64_t)fr->start, boff;
		size_t j, k;

		if (!rb || !rb->host || !vmm_mr_reads_ram(fr->mr, fr->romd_mode))
			continue;
		for (k = 0; k < n && t[k].rb != rb; k++)
			;
		for (j = 0; k == n && (qr = vmm_qemu_mem_range(A->mem, j)); j++)
			if (gpa >= qr->gpa && gpa - qr->gpa < qr->size)
				break;
		if (k < n || !qr)
			continue;	/* known, or QEMU maps no RAM there */
		boff = (uint64_t)((char *)vmm_flat_range_host(fr, fr->start) - (char *)rb->host);
		t[n].rb = rb;
		t[n].hva = qr->hva + (gpa - qr->gpa) - boff;
		t[n].writable = qr->writable;
		n++;
	}
	if (fv)
		vmm_flatview_unref(fv);
	*out = t;
	*nr = n;
	return 0;
}

/* Swap in the new block table (topology lock held). */
static void blk_swap(struct vmm_machine *mc)
{
	struct blk *t, *old;
	size_t n;

	if (blk_table(mc, &t, &n) < 0)
		return;		/* keep the old table: reads of new blocks fail with EIO */
	pthread_rwlock_wrlock(&A->mem_lock);
	old = A->blk;
	A->blk = t;
	A->nr_blk = n;
	pthread_rwlock_unlock(&A->mem_lock);
	free(old);
}

/*
 * New texts differ from the cached ones: import a model from them (no lock),
 * re-read QEMU's RAM ranges, and swap both in.
 */
static int rebuild(struct mfs *fs, struct texts *t, struct vmm_err *err)
{
	struct vmm_machine_model *m;
	int r = vmm_machine_model_import(text(&t->tree), t->tree.len, text(&t->flat), t->flat.len,
					 &m, err);

	if (r)
		return r;
	pthread_mutex_lock(&A->qmp_lock);
	pthread_rwlock_wrlock(&A->mem_lock);
	r = vmm_qemu_mem_refresh(A->mem, A->q, err);
	pthread_rwlock_unlock(&A->mem_lock);
	pthread_mutex_unlock(&A->qmp_lock);
	if (r) {
		vmm_machine_model_free(m);
		return r;
	}
	pthread_mutex_lock(&fs->mc->lock);
	vmm_machine_model_swap(fs->mc, m);
	fs->mem = fs->mc->mem;
	blk_swap(fs->mc);
	pthread_mutex_unlock(&fs->mc->lock);
	A->rebuilds++;
	return 0;
}

/* Re-read QEMU's topology now; @force: even when fresh. */
static int refresh(struct mfs *fs, bool force)
{
	struct vmm_err err;
	struct texts t;
	long long t0;
	int r = 0;

	pthread_mutex_lock(&A->refresh_lock);
	t0 = now_ms();
	if (!force && !A->stale && t0 - A->fetched_ms < (long long)A->o.refresh_ms)
		goto out;	/* another thread refreshed while we waited */
	texts_init(&t);
	vmm_err_clear(&err);
	A->stale = false;	/* an event from now on asks again */
	pthread_mutex_lock(&A->qmp_lock);
	r = fetch(&t, &err);
	pthread_mutex_unlock(&A->qmp_lock);
	if (!r && !(buf_eq(&t.tree, &A->cached.tree) && buf_eq(&t.flat, &A->cached.flat) &&
		    buf_eq(&t.ramblock, &A->cached.ramblock))) {
		r = rebuild(fs, &t, &err);
		if (!r) {
			texts_free(&A->cached);
			A->cached = t;
			texts_init(&t);
		}
	}
	texts_free(&t);
	if (r) {
		A->stale = true;
		if (gone(r))
			lose(err.msg);
		else
			syslog(LOG_WARNING, "mtreefs: refreshing QEMU's topology: %s", err.msg);
	} else {
		A->fetched_ms = t0;
		A->refreshes++;
	}
out:
	pthread_mutex_unlock(&A->refresh_lock);
	return r;
}

void mfs_attach_refresh(struct mfs *fs)
{
	if (A && !A->lost && (A->stale || now_ms() - A->fetched_ms >= (long long)A->o.refresh_ms))
		refresh(fs, false);
}

/* Runs inside whichever vmm_qmp_* call read the event: flags only. */
static void on_event(void *opaque, const struct vmm_qmp_event *ev)
{
	static const char *const changes[] = { "DEVICE_ADDED", "DEVICE_DELETED", "RESET", "STOP",
					       "RESUME", "SHUTDOWN", NULL };

	for (unsigned i = 0; changes[i]; i++)
		if (!strcmp(ev->name, changes[i]))
			A->stale = true;
	if (!strcmp(ev->name, "SHUTDOWN"))
		A->shut_down = true;
}

/* Reads QEMU's events between commands and notices at once when QEMU is gone. */
static void *event_thread(void *arg)
{
	struct pollfd p = { .fd = vmm_qmp_fd(A->q), .events = POLLIN };
	struct vmm_err err;

	while (!A->stop && !A->lost) {
		int r = poll(&p, 1, 100);

		if (r <= 0)
			continue;
		vmm_err_clear(&err);
		pthread_mutex_lock(&A->qmp_lock);
		r = vmm_qmp_pump(A->q, 0, &err);
		pthread_mutex_unlock(&A->qmp_lock);
		if (r < 0 && gone(r))
			lose(A->shut_down ? "it shut down" : err.msg);
		else if (r < 0 && r != -ETIMEDOUT && r != -EAGAIN)
			poll(NULL, 0, 100);	/* do not spin on a persistent error */
	}
	return NULL;
}

static void attach_free(void)
{
	if (!A)
		return;
	vmm_qemu_mem_close(A->mem);
	vmm_qmp_close(A->q);
	texts_free(&A->cached);
	free(A->blk);
	free(A->socket);
	pthread_mutex_destroy(&A->qmp_lock);
	pthread_mutex_destroy(&A->refresh_lock);
	pthread_rwlock_destroy(&A->mem_lock);
	free(A);
	A = NULL;
}

int mfs_attach_open(const struct mfs_attach_opts *o, struct vmm_machine **mc,
		    struct vmm_err *err)
{
	int r;

	A = calloc(1, sizeof(*A));
	if (!A || !(A->socket = strdup(o->socket))) {
		free(A);
		A = NULL;
		return vmm_err_set(err, -ENOMEM, "out of memory");
	}
	A->o = *o;
	A->o.socket = A->socket;
	pthread_mutex_init(&A->qmp_lock, NULL);
	pthread_mutex_init(&A->refresh_lock, NULL);
	pthread_rwlock_init(&A->mem_lock, NULL);
	texts_init(&A->cached);
	r = vmm_qmp_connect(&A->q, o->socket, 0, err);
	if (!r)
		r = vmm_qmp_machine(A->q, A->machine, sizeof(A->machine), err);
	if (!r)
		r = vmm_qemu_mem_open(&A->mem, A->q, o->writable ? VMM_QEMU_MEM_WRITE : 0, err);
	A->fetched_ms = now_ms();
	if (!r)
		r = fetch(&A->cached, err);
	if (!r)
		r = vmm_machine_create_qemu(text(&A->cached.tree), A->cached.tree.len,
					    text(&A->cached.flat), A->cached.flat.len, mc, err);
	if (r) {
		attach_free();
		return r;
	}
	pthread_mutex_lock(&(*mc)->lock);
	blk_swap(*mc);
	pthread_mutex_unlock(&(*mc)->lock);
	vmm_qmp_set_event_fn(A->q, on_event, NULL);
	return 0;
}

int mfs_attach_start(struct mfs *fs, struct fuse_session *se)
{
	if (!A)
		return 0;
	A->se = se;
	if (pthread_create(&A->thread, NULL, event_thread, NULL))
		return -EAGAIN;
	A->thread_on = true;
	return 0;
}

int mfs_attach_stop(int rc)
{
	if (!A)
		return rc;
	A->stop = true;
	if (A->thread_on)
		pthread_join(A->thread, NULL);
	A->thread_on = false;
	return A->lost && !A->shut_down ? 1 : rc;
}

void mfs_attach_close(void)
{
	attach_free();
}

int mfs_attach_refuse(struct vmm_err *err)
{
	if (!A)
		return 0;
	return vmm_err_set(err, -EROFS, "the topology of an attached QEMU is read-only here: "
			   "change it in QEMU (device_add, object_add, the guest)");
}

/* ---- info/ and machine/qemu/ ---- */

static int hmp_text(const char *cmd, struct vmm_buf *out)
{
	struct vmm_err err;
	size_t len;
	char *s;
	int r;

	vmm_err_clear(&err);
	pthread_mutex_lock(&A->qmp_lock);
	r = vmm_qmp_hmp(A->q, cmd, &s, &len, &err);
	pthread_mutex_unlock(&A->qmp_lock);
	if (r)
		return gone(r) ? (lose(err.msg), -EIO) : -EIO;
	vmm_buf_put(out, s, len);
	free(s);
	return 0;
}

/* The cached text, right after a forced refresh: the model of the mount agrees with it. */
static int cached_text(struct mfs *fs, size_t which, struct vmm_buf *out)
{
	const struct vmm_buf *b;

	if (refresh(fs, true) < 0)
		return -EIO;
	pthread_mutex_lock(&A->refresh_lock);
	b = which == 0 ? &A->cached.tree : which == 1 ? &A->cached.flat : &A->cached.ramblock;
	vmm_buf_put(out, text(b), b->len);
	pthread_mutex_unlock(&A->refresh_lock);
	return 0;
}

int mfs_attach_text(struct mfs *fs, const struct mfs_row *row, struct vmm_buf *out)
{
	const char *p = row->pattern;

	if (!A || strncmp(p, "info/", 5))
		return -ENOENT;
	p += 5;
	if (!strcmp(p, "mtree"))
		return hmp_text("info mtree", out);
	if (!strcmp(p, "mtree-D"))
		return cached_text(fs, 0, out);
	if (!strcmp(p, "flatview"))
		return cached_text(fs, 1, out);
	if (!strcmp(p, "ramblock"))
		return cached_text(fs, 2, out);
	if (!strcmp(p, "memslots")) {
		vmm_buf_puts(out, "# derived: the slots QEMU registers with KVM for the \" KVM\" "
			     "ranges of its \"memory\" view, computed here, not read from QEMU\n");
		pthread_mutex_lock(&fs->mc->lock);
		vmm_print_memslots(fs->mc->accel, out);
		pthread_mutex_unlock(&fs->mc->lock);
		return 0;
	}
	return -ENOENT;
}

static int render_state(struct vmm_buf *out)
{
	struct vmm_err err;
	char state[64];
	bool running;
	int r;

	vmm_err_clear(&err);
	pthread_mutex_lock(&A->qmp_lock);
	r = vmm_qmp_status(A->q, state, sizeof(state), &running, &err);
	pthread_mutex_unlock(&A->qmp_lock);
	if (r)
		return gone(r) ? (lose(err.msg), -EIO) : -EIO;
	vmm_buf_printf(out, "%s\n", state);
	return 0;
}

static void render_ranges(struct vmm_buf *out)
{
	const struct vmm_qemu_mem_range *r;

	pthread_rwlock_rdlock(&A->mem_lock);
	for (size_t i = 0; (r = vmm_qemu_mem_range(A->mem, i)); i++)
		vmm_buf_printf(out, "0x%016" PRIx64 "-0x%016" PRIx64 " hva 0x%" PRIx64 " %s %s\n",
			       r->gpa, r->gpa + r->size - 1, r->hva, r->writable ? "ram" : "rom",
			       r->name);
	pthread_rwlock_unlock(&A->mem_lock);
}

int mfs_attach_info(struct mfs *fs, const char *what, struct vmm_buf *out)
{
	if (!A)
		return -ENOENT;
	if (!strcmp(what, "version"))
		vmm_buf_printf(out, "%s\n", vmm_qmp_version(A->q, NULL, NULL, NULL));
	else if (!strcmp(what, "pid"))
		vmm_buf_printf(out, "%d\n", (int)vmm_qmp_pid(A->q));
	else if (!strcmp(what, "machine"))
		vmm_buf_printf(out, "%s\n", A->machine);
	else if (!strcmp(what, "socket"))
		vmm_buf_printf(out, "%s\n", A->socket);
	else if (!strcmp(what, "state"))
		return render_state(out);
	else if (!strcmp(what, "ranges"))
		render_ranges(out);
	else if (!strcmp(what, "refresh"))
		vmm_buf_printf(out, "interval_ms %u\nrefreshes %llu\nrebuilds %llu\n",
			       A->o.refresh_ms, (unsigned long long)A->refreshes,
			       (unsigned long long)A->rebuilds);
	else
		return -ENOENT;
	return 0;
}

/* ---- guest RAM ---- */

/* mem_lock read-held */
static const struct blk *blk_find(const struct vmm_ramblock *rb)
{
	for (size_t i = 0; i < A->nr_blk; i++)
		if (A->blk[i].rb == rb)
			return &A->blk[i];
	return NULL;
}

/*
 * Copy the pieces in order, stopping at the first that fails: a block QEMU
 * maps nowhere (we cannot locate it), or a write to ROM. Returns the bytes done.
 */
static size_t copy_pieces(const struct mfs_attach_piece *p, unsigned n, char *buf, bool write,
			  int *first_err)
{
	struct vmm_err err;
	size_t done = 0;

	*first_err = 0;
	pthread_rwlock_rdlock(&A->mem_lock);
	for (unsigned i = 0; i < n; i++) {
		const struct blk *b = blk_find(p[i].rb);
		uint64_t off = (uint64_t)((const char *)p[i].host - (const char *)p[i].rb->host);
		int r;

		if (!b || off + p[i].len > p[i].rb->max_length) {
			*first_err = -EIO;
			break;
		}
		if (write && !b->writable) {
			*first_err = -EROFS;
			break;
		}
		r = write ? vmm_qemu_mem_write_host(A->mem, b->hva + off, buf + done, p[i].len, &err)
			  : vmm_qemu_mem_read_host(A->mem, b->hva + off, buf + done, p[i].len, &err);
		if (r) {
			*first_err = -EIO;
			break;
		}
		done += p[i].len;
	}
	pthread_rwlock_unlock(&A->mem_lock);
	return done;
}

/*
 * Each FUSE thread keeps its read buffer: a fresh 1 MiB malloc is a fresh
 * mmap whose pages fault in on every request, which halves the throughput.
 */
static pthread_key_t buf_key;
static pthread_once_t buf_once = PTHREAD_ONCE_INIT;

static void buf_key_make(void)
{
	pthread_key_create(&buf_key, free);
}

static char *thread_buf(size_t len)
{
	struct tbuf { size_t cap; char data[]; } *b;

	pthread_once(&buf_once, buf_key_make);
	b = pthread_getspecific(buf_key);
	if (b && b->cap >= len)
		return b->data;
	free(b);
	b = malloc(sizeof(*b) + (len > MFS_IO_MAX ? len : MFS_IO_MAX));
	if (b)
		b->cap = len > MFS_IO_MAX ? len : MFS_IO_MAX;
	pthread_setspecific(buf_key, b);
	return b ? b->data : NULL;
}

void mfs_attach_read(fuse_req_t req, struct mfs *fs, const struct mfs_attach_piece *p,
		     unsigned n)
{
	size_t total = 0, done;
	char *buf;
	int e;

	for (unsigned i = 0; i < n; i++)
		total += p[i].len;
	buf = thread_buf(total);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	done = copy_pieces(p, n, buf, false, &e);
	if (done || !e)
		fuse_reply_buf(req, buf, done);
	else
		fuse_reply_err(req, -e);
}

static void log_refusal(struct mfs *fs, const struct mfs_row *row, const char *key,
			struct vmm_err *err)
{
	struct vmm_buf path;

	vmm_buf_init(&path);
	mfs_path_of(row, key, &path);
	mfs_errlog_add(fs, path.data ? path.data : "?", "write", 5, err);
	vmm_buf_free(&path);
}

void mfs_attach_write(fuse_req_t req, struct mfs *fs, const struct mfs_row *row, const char *key,
		      const struct mfs_attach_piece *p, unsigned n, const char *buf, size_t size)
{
	struct vmm_err err;
	size_t done;
	int e;

	vmm_err_clear(&err);
	if (!A->o.writable) {
		vmm_err_set(&err, -EROFS, "guest RAM of an attached QEMU is read-only unless "
			    "mounted with --writable-ram");
		log_refusal(fs, row, key, &err);
		fuse_reply_err(req, EROFS);
		return;
	}
	done = copy_pieces(p, n, (char *)buf, true, &e);
	if (done || size == 0)
		fuse_reply_write(req, done);
	else
		fuse_reply_err(req, e ? -e : EIO);
}
