// SPDX-License-Identifier: MIT
/*
 * mtreefs --qemu SOCKET: mount a running QEMU (mtreefs(1), ATTACHING TO
 * QEMU). The tree is the one the daemon shows for its own machine, built by
 * the importer from QEMU's `info mtree -D` and `-f` read over QMP
 * (vmm_machine_create_qemu); guest RAM is read in place through QEMU's
 * /proc/PID/mem (vmm_qemu_mem_*), or from the daemon's own mapping of
 * QEMU's backing file when QEMU keeps the block in shared memory. Freshness: lookup, opendir and open
 * re-read QEMU's two texts when the cached ones are older than --refresh
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
 * rather than leaving a dead mount. Guest RAM is fs/attach_ram.c's.
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
#include "attach_priv.h"

struct mfs_attach *mfs_att;	/* one QEMU per daemon */

bool mfs_attached(void)
{
	return mfs_att != NULL;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static long long now_ms(void)
{
	return (long long)(now_ns() / 1000000);
}

static void texts_init(struct attach_texts *t)
{
	vmm_buf_init(&t->tree);
	vmm_buf_init(&t->flat);
}

static void texts_free(struct attach_texts *t)
{
	vmm_buf_free(&t->tree);
	vmm_buf_free(&t->flat);
}

static bool buf_eq(const struct vmm_buf *a, const struct vmm_buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

static bool texts_eq(const struct attach_texts *a, const struct attach_texts *b)
{
	return buf_eq(&a->tree, &b->tree) && buf_eq(&a->flat, &b->flat);
}

static const char *text(const struct vmm_buf *b)
{
	return b->data ? b->data : "";
}

/* QEMU is gone: say so once and end the session (main unmounts and exits). */
static void lose(const char *why)
{
	if (atomic_exchange(&mfs_att->lost, true))
		return;
	fprintf(stderr, "mtreefs: QEMU at %s went away (%s): unmounting\n", mfs_att->socket, why);
	syslog(LOG_WARNING, "mtreefs: QEMU at %s went away (%s): unmounting", mfs_att->socket, why);
	if (mfs_att->se) {
		fuse_session_exit(mfs_att->se);
		/* wakes the session loop blocked in read(), as Ctrl-C does */
		kill(getpid(), SIGTERM);
	}
}

static bool gone(int r)
{
	return r == -ECONNRESET || r == -EPIPE || r == -EPROTO;
}

/*
 * QEMU's texts of this instant (qmp_lock held): 2 HMP round trips. Every
 * change of the topology shows in `info mtree -D` (a RAM block resized
 * changes its region's size there too), so `info ramblock` is not needed
 * to notice one; info/ramblock asks for it when opened.
 */
static int fetch(struct attach_texts *t, struct vmm_err *err)
{
	int r = vmm_qmp_mtree(mfs_att->q, &t->tree, &t->flat, err);

	if (!r && (t->tree.oom || t->flat.oom))
		r = vmm_err_set(err, -ENOMEM, "out of memory");
	return r;
}

/*
 * New texts differ from the cached ones: import a model from them (no lock),
 * re-read QEMU's RAM ranges, and swap both in.
 */
static int rebuild(struct mfs *fs, struct attach_texts *t, struct vmm_err *err)
{
	unsigned long long t0 = now_ns();
	struct vmm_machine_model *m;
	int r = vmm_machine_model_import(text(&t->tree), t->tree.len, text(&t->flat), t->flat.len,
					 &m, err);

	if (r)
		return r;
	pthread_mutex_lock(&mfs_att->qmp_lock);
	pthread_rwlock_wrlock(&mfs_att->mem_lock);
	r = vmm_qemu_mem_refresh(mfs_att->mem, mfs_att->q, err);
	pthread_rwlock_unlock(&mfs_att->mem_lock);
	pthread_mutex_unlock(&mfs_att->qmp_lock);
	if (r) {
		vmm_machine_model_free(m);
		return r;
	}
	pthread_mutex_lock(&fs->mc->lock);
	vmm_machine_model_swap(fs->mc, m);
	fs->mem = fs->mc->mem;
	attach_blk_swap(fs->mc);
	pthread_mutex_unlock(&fs->mc->lock);
	mfs_att->rebuilds++;
	mfs_att->rebuild_ns += now_ns() - t0;
	return 0;
}

/* Re-read QEMU's topology now; @force: even when fresh. */
static int refresh(struct mfs *fs, bool force)
{
	unsigned long long ns0 = now_ns();
	struct vmm_err err;
	struct attach_texts t;
	long long t0;
	int r = 0;

	pthread_mutex_lock(&mfs_att->refresh_lock);
	t0 = now_ms();
	if (!force && !mfs_att->stale && t0 - mfs_att->fetched_ms < mfs_att->o.refresh_ms)
		goto out;	/* another thread refreshed while we waited */
	texts_init(&t);
	vmm_err_clear(&err);
	mfs_att->stale = false;	/* an event from now on asks again */
	pthread_mutex_lock(&mfs_att->qmp_lock);
	r = fetch(&t, &err);
	pthread_mutex_unlock(&mfs_att->qmp_lock);
	if (!r && !texts_eq(&t, &mfs_att->cached)) {
		r = rebuild(fs, &t, &err);
		if (!r) {
			texts_free(&mfs_att->cached);
			mfs_att->cached = t;
			texts_init(&t);
		}
	}
	texts_free(&t);
	if (r && gone(r)) {
		lose(err.msg);
	} else if (r) {
		/* keep the old model; try again after the interval, not on every lookup */
		mfs_att->fetched_ms = t0;
		syslog(LOG_WARNING, "mtreefs: refreshing QEMU's topology: %s", err.msg);
	} else {
		mfs_att->fetched_ms = t0;
		mfs_att->refreshes++;
		mfs_att->refresh_ns += now_ns() - ns0;
	}
out:
	pthread_mutex_unlock(&mfs_att->refresh_lock);
	return r;
}

/*
 * Events QEMU already sent but the event thread has not read yet: read them
 * now, so a lookup right after a device_add sees the device (one poll()).
 */
static void pending_events(void)
{
	struct pollfd p = { .fd = vmm_qmp_fd(mfs_att->q), .events = POLLIN };
	struct vmm_err err;

	if (poll(&p, 1, 0) <= 0 || pthread_mutex_trylock(&mfs_att->qmp_lock))
		return;		/* nothing, or a refresh is reading them anyway */
	vmm_qmp_pump(mfs_att->q, 0, &err);
	pthread_mutex_unlock(&mfs_att->qmp_lock);
}

void mfs_attach_refresh(struct mfs *fs)
{
	if (!mfs_att || mfs_att->lost)
		return;
	if (!mfs_att->stale)
		pending_events();
	if (mfs_att->stale || now_ms() - mfs_att->fetched_ms >= mfs_att->o.refresh_ms)
		refresh(fs, false);
}

/* Runs inside whichever vmm_qmp_* call read the event: flags only. */
static void on_event(void *opaque, const struct vmm_qmp_event *ev)
{
	static const char *const changes[] = { "DEVICE_ADDED", "DEVICE_DELETED", "RESET", "STOP",
					       "RESUME", "SHUTDOWN", NULL };

	for (unsigned i = 0; changes[i]; i++)
		if (!strcmp(ev->name, changes[i]))
			mfs_att->stale = true;
	if (!strcmp(ev->name, "SHUTDOWN"))
		mfs_att->shut_down = true;
}

/* Reads QEMU's events between commands and notices at once when QEMU is gone. */
static void *event_thread(void *arg)
{
	struct pollfd p = { .fd = vmm_qmp_fd(mfs_att->q), .events = POLLIN };
	struct vmm_err err;

	while (!mfs_att->stop && !mfs_att->lost) {
		int r = poll(&p, 1, 100);

		if (r <= 0)
			continue;
		vmm_err_clear(&err);
		pthread_mutex_lock(&mfs_att->qmp_lock);
		r = vmm_qmp_pump(mfs_att->q, 0, &err);
		pthread_mutex_unlock(&mfs_att->qmp_lock);
		if (r < 0 && gone(r))
			lose(mfs_att->shut_down ? "it shut down" : err.msg);
		else if (r < 0 && r != -ETIMEDOUT && r != -EAGAIN)
			poll(NULL, 0, 100);	/* do not spin on a persistent error */
	}
	return NULL;
}

static void attach_free(void)
{
	if (!mfs_att)
		return;
	vmm_qemu_mem_close(mfs_att->mem);
	vmm_qmp_close(mfs_att->q);
	texts_free(&mfs_att->cached);
	attach_blk_free();
	free(mfs_att->socket);
	pthread_mutex_destroy(&mfs_att->qmp_lock);
	pthread_mutex_destroy(&mfs_att->refresh_lock);
	pthread_rwlock_destroy(&mfs_att->mem_lock);
	free(mfs_att);
	mfs_att = NULL;
}

int mfs_attach_open(const struct mfs_attach_opts *o, struct vmm_machine **mc,
		    struct vmm_err *err)
{
	const struct attach_texts *c;
	struct vmm_mr *ram;
	int r;

	mfs_att = calloc(1, sizeof(*mfs_att));
	if (!mfs_att || !(mfs_att->socket = strdup(o->socket))) {
		free(mfs_att);
		mfs_att = NULL;
		return vmm_err_set(err, -ENOMEM, "out of memory");
	}
	mfs_att->o = *o;
	mfs_att->o.socket = mfs_att->socket;
	pthread_mutex_init(&mfs_att->qmp_lock, NULL);
	pthread_mutex_init(&mfs_att->refresh_lock, NULL);
	pthread_rwlock_init(&mfs_att->mem_lock, NULL);
	texts_init(&mfs_att->cached);
	c = &mfs_att->cached;
	r = vmm_qmp_connect(&mfs_att->q, o->socket, 0, err);
	if (!r)
		r = vmm_qmp_machine(mfs_att->q, mfs_att->machine, sizeof(mfs_att->machine), err);
	if (!r)
		r = vmm_qemu_mem_open(&mfs_att->mem, mfs_att->q,
				      o->writable ? VMM_QEMU_MEM_WRITE : 0, err);
	mfs_att->fetched_ms = now_ms();
	if (!r)
		r = fetch(&mfs_att->cached, err);
	if (!r)
		r = vmm_machine_create_qemu(text(&c->tree), c->tree.len, text(&c->flat),
					    c->flat.len, mc, err);
	if (r) {
		attach_free();
		return r;
	}
	pthread_mutex_lock(&(*mc)->lock);
	attach_blk_swap(*mc);
	ram = vmm_mr_find((*mc)->mem, "pc.ram");	/* machine/ram_size: QEMU's -m */
	if (ram)
		(*mc)->ram_size = (uint64_t)ram->size;
	pthread_mutex_unlock(&(*mc)->lock);
	vmm_qmp_set_event_fn(mfs_att->q, on_event, NULL);
	return 0;
}

int mfs_attach_start(struct mfs *fs, struct fuse_session *se)
{
	if (!mfs_att)
		return 0;
	mfs_att->se = se;
	if (pthread_create(&mfs_att->thread, NULL, event_thread, NULL))
		return -EAGAIN;
	mfs_att->thread_on = true;
	return 0;
}

int mfs_attach_stop(int rc)
{
	if (!mfs_att)
		return rc;
	mfs_att->stop = true;
	if (mfs_att->thread_on)
		pthread_join(mfs_att->thread, NULL);
	mfs_att->thread_on = false;
	return mfs_att->lost && !mfs_att->shut_down ? 1 : rc;
}

void mfs_attach_close(void)
{
	attach_free();
}

int mfs_attach_refuse(struct vmm_err *err)
{
	if (!mfs_att)
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
	pthread_mutex_lock(&mfs_att->qmp_lock);
	r = vmm_qmp_hmp(mfs_att->q, cmd, &s, &len, &err);
	pthread_mutex_unlock(&mfs_att->qmp_lock);
	if (r)
		return gone(r) ? (lose(err.msg), -EIO) : -EIO;
	vmm_buf_put(out, s, len);
	free(s);
	return 0;
}

/* vmm_print_memslots() with QEMU's host addresses in place of ours, marked derived. */
static int memslots_text(struct mfs *fs, struct vmm_buf *out)
{
	struct vmm_buf b;
	const char *line;

	vmm_buf_init(&b);
	pthread_mutex_lock(&fs->mc->lock);
	vmm_print_memslots(fs->mc->accel, &b);
	vmm_buf_puts(out, "# derived: the slots QEMU registers with KVM for the \" KVM\" ranges "
		     "of its \"memory\" view, computed by mtreefs, not read from QEMU\n");
	for (line = b.data; line && *line; ) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);
		unsigned slot, as;
		uint64_t gpa, size, hva;
		int pos = 0;

		if (sscanf(line, "%u %u %" SCNx64 " %" SCNx64 " %" SCNx64 "%n", &slot, &as, &gpa,
			   &size, &hva, &pos) == 5)
			vmm_buf_printf(out, "%5u %5u  0x%016" PRIx64 " 0x%016" PRIx64
				       " 0x%016" PRIx64 "%.*s", slot, as, gpa, size, mfs_attach_host_addr(hva),
				       (int)(len - (size_t)pos), line + pos);
		else
			vmm_buf_put(out, line, len);
		line += len;
	}
	pthread_mutex_unlock(&fs->mc->lock);
	vmm_buf_free(&b);
	return out->oom ? -ENOMEM : 0;
}

/* The cached text, right after a forced refresh: the model of the mount agrees with it. */
static int cached_text(struct mfs *fs, size_t which, struct vmm_buf *out)
{
	const struct attach_texts *c;
	const struct vmm_buf *b;

	if (refresh(fs, true) < 0)
		return -EIO;
	pthread_mutex_lock(&mfs_att->refresh_lock);
	c = &mfs_att->cached;
	b = which == 0 ? &c->tree : &c->flat;
	vmm_buf_put(out, text(b), b->len);
	pthread_mutex_unlock(&mfs_att->refresh_lock);
	return 0;
}

/* The info/ files an attached QEMU answers itself. */
static const char *const qemu_texts[] = { "mtree", "mtree-D", "flatview", "ramblock", "memslots" };

bool mfs_attach_serves(const struct mfs_row *row)
{
	if (!mfs_att || strncmp(row->pattern, "info/", 5))
		return false;
	for (size_t i = 0; i < sizeof(qemu_texts) / sizeof(qemu_texts[0]); i++)
		if (!strcmp(row->pattern + 5, qemu_texts[i]))
			return true;
	return false;
}

int mfs_attach_text(struct mfs *fs, const struct mfs_row *row, struct vmm_buf *out)
{
	const char *p = row->pattern;

	if (!mfs_attach_serves(row))
		return -ENOENT;
	p += 5;
	if (!strcmp(p, "mtree"))
		return hmp_text("info mtree", out);
	if (!strcmp(p, "mtree-D"))
		return cached_text(fs, 0, out);
	if (!strcmp(p, "flatview"))
		return cached_text(fs, 1, out);
	if (!strcmp(p, "ramblock"))
		return hmp_text("info ramblock", out);
	if (!strcmp(p, "memslots"))
		return memslots_text(fs, out);
	return -ENOENT;
}

static int render_state(struct vmm_buf *out)
{
	struct vmm_err err;
	char state[64];
	bool running;
	int r;

	vmm_err_clear(&err);
	pthread_mutex_lock(&mfs_att->qmp_lock);
	r = vmm_qmp_status(mfs_att->q, state, sizeof(state), &running, &err);
	pthread_mutex_unlock(&mfs_att->qmp_lock);
	if (r)
		return gone(r) ? (lose(err.msg), -EIO) : -EIO;
	vmm_buf_printf(out, "%s\n", state);
	return 0;
}

static void render_ranges(struct vmm_buf *out)
{
	const struct vmm_qemu_mem_range *r;

	pthread_rwlock_rdlock(&mfs_att->mem_lock);
	for (size_t i = 0; (r = vmm_qemu_mem_range(mfs_att->mem, i)); i++)
		vmm_buf_printf(out, "0x%016" PRIx64 "-0x%016" PRIx64 " hva 0x%" PRIx64 " %s %s %s\n",
			       r->gpa, r->gpa + r->size - 1, r->hva,
			       attach_hva_shared(r->hva) ? "shared" : "copied",
			       r->writable ? "ram" : "rom", r->name);
	pthread_rwlock_unlock(&mfs_att->mem_lock);
}

int mfs_attach_info(struct mfs *fs, const char *what, struct vmm_buf *out)
{
	if (!mfs_att)
		return -ENOENT;
	if (!strcmp(what, "version"))
		vmm_buf_printf(out, "%s\n", vmm_qmp_version(mfs_att->q, NULL, NULL, NULL));
	else if (!strcmp(what, "pid"))
		vmm_buf_printf(out, "%d\n", (int)vmm_qmp_pid(mfs_att->q));
	else if (!strcmp(what, "machine"))
		vmm_buf_printf(out, "%s\n", mfs_att->machine);
	else if (!strcmp(what, "socket"))
		vmm_buf_printf(out, "%s\n", mfs_att->socket);
	else if (!strcmp(what, "state"))
		return render_state(out);
	else if (!strcmp(what, "ranges"))
		render_ranges(out);
	else if (!strcmp(what, "refresh"))
		vmm_buf_printf(out, "interval_ms %u\nrefreshes %llu\nrebuilds %llu\n"
			       "refresh_us %llu\nrebuild_us %llu\n", mfs_att->o.refresh_ms,
			       (unsigned long long)mfs_att->refreshes,
			       (unsigned long long)mfs_att->rebuilds,
			       (unsigned long long)mfs_att->refresh_ns / 1000,
			       (unsigned long long)mfs_att->rebuild_ns / 1000);
	else
		return -ENOENT;
	return 0;
}

