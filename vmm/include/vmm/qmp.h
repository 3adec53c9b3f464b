/* SPDX-License-Identifier: MIT */
/*
 * Attaching to a running QEMU (issue #11): a QMP client over QEMU's unix
 * socket (greeting, capabilities, commands matched to their replies by id,
 * asynchronous events queued or handed to a callback, HMP commands through
 * human-monitor-command), the small JSON reader it parses QEMU's messages
 * with, and the guest RAM of that QEMU read (and, when asked, written)
 * through /proc/PID/mem at the host addresses QEMU's `gpa2hva` gives for
 * every RAM range of its "memory" flat view. Everything returns 0 or -errno
 * with the reason in a struct vmm_err; nothing exits or raises signals.
 */
#ifndef VMM_QMP_H
#define VMM_QMP_H

#include <sys/types.h>

#include <vmm/base.h>

/* ---- JSON (RFC 8259), as much as QMP needs ---- */

enum vmm_json_type {
	VMM_JSON_NULL,
	VMM_JSON_BOOL,
	VMM_JSON_NUMBER,
	VMM_JSON_STRING,
	VMM_JSON_ARRAY,
	VMM_JSON_OBJECT,
};

struct vmm_json;

#define VMM_JSON_MAX_DEPTH	64		/* nesting of arrays and objects */
#define VMM_JSON_MAX_SIZE	(64u << 20)	/* bytes of one document */

/**
 * vmm_json_parse() - parse one JSON document
 * @text, @len: the document; it need not be NUL-terminated; whitespace may
 *	surround it, nothing else may follow it
 * @out: the tree (free with vmm_json_free)
 * @err: on failure, the byte offset and what was wrong
 *
 * Strings are decoded to UTF-8 (\uXXXX escapes including surrogate pairs;
 * an unpaired surrogate is an error); they may contain NUL bytes, so their
 * length is returned beside them. Returns 0, -EINVAL on malformed input,
 * -E2BIG past VMM_JSON_MAX_DEPTH or VMM_JSON_MAX_SIZE, -ENOMEM.
 */
int vmm_json_parse(const char *text, size_t len, struct vmm_json **out, struct vmm_err *err);
void vmm_json_free(struct vmm_json *j);

/* The type of @j (VMM_JSON_NULL for a NULL pointer, so lookups chain). */
enum vmm_json_type vmm_json_type(const struct vmm_json *j);
/* Member @key of object @obj (the last one if repeated), or NULL. */
const struct vmm_json *vmm_json_get(const struct vmm_json *obj, const char *key);
/* Elements of an array or members of an object; 0 for anything else. */
size_t vmm_json_count(const struct vmm_json *j);
/* Element @i of an array or value of member @i of an object, else NULL. */
const struct vmm_json *vmm_json_at(const struct vmm_json *j, size_t i);
/* Key of member @i of an object, else NULL. */
const char *vmm_json_key_at(const struct vmm_json *j, size_t i);
/* The decoded string (NUL-terminated; @len may be NULL), or NULL if not a string. */
const char *vmm_json_str(const struct vmm_json *j, size_t *len);
/*
 * A number that is an integer: -EINVAL if @j is not a number or has a
 * fraction or exponent, -ERANGE if it does not fit.
 */
int vmm_json_int(const struct vmm_json *j, int64_t *out);
int vmm_json_uint(const struct vmm_json *j, uint64_t *out);
/* Any number as a double, -EINVAL if not a number. */
int vmm_json_double(const struct vmm_json *j, double *out);
/* true/false; -EINVAL if not a boolean. */
int vmm_json_bool(const struct vmm_json *j, bool *out);
/* Detach member @key from @obj and hand it to the caller (NULL if absent). */
struct vmm_json *vmm_json_take(struct vmm_json *obj, const char *key);
/* Append @s (@len bytes, may hold NULs) to @b as a quoted JSON string. */
void vmm_json_quote(struct vmm_buf *b, const char *s, size_t len);

/* ---- QMP client ---- */

/*
 * A connection is not locked: one thread at a time (the daemon serialises
 * its commands). QEMU answers commands in order, so nothing is lost by that.
 */
struct vmm_qmp;

#define VMM_QMP_TIMEOUT_MS	5000		/* default for connect and commands */
#define VMM_QMP_MAX_MESSAGE	(64u << 20)	/* one message from QEMU, at most */
#define VMM_QMP_MAX_EVENTS	1024		/* queued events; older ones are dropped */

/**
 * struct vmm_qmp_event - one asynchronous QMP event
 * @name: "STOP", "RESUME", "RESET", "SHUTDOWN", "DEVICE_ADDED", ...
 * @seconds, @microseconds: QEMU's timestamp
 * @data: the event's "data" member, or NULL
 */
struct vmm_qmp_event {
	char *name;
	int64_t seconds, microseconds;
	struct vmm_json *data;
};

typedef void (*vmm_qmp_event_fn)(void *opaque, const struct vmm_qmp_event *ev);

/**
 * vmm_qmp_connect() - attach to a QEMU QMP unix socket
 * @path: the socket (QEMU's -qmp unix:PATH,server=on,wait=off)
 * @timeout_ms: for the connect, the greeting and capability negotiation, and
 *	the default for later commands (0: VMM_QMP_TIMEOUT_MS)
 *
 * Reads the greeting (QEMU's version), sends qmp_capabilities and learns the
 * peer's pid (SO_PEERCRED). QEMU serves one QMP client at a time and leaves a
 * second one connected but silent: no greeting within the timeout returns
 * -EBUSY saying so. -ECONNREFUSED/-ENOENT when nothing listens at @path.
 */
int vmm_qmp_connect(struct vmm_qmp **out, const char *path, unsigned timeout_ms,
		    struct vmm_err *err);
/* Close the connection, drop queued events, free @q (NULL is fine). */
void vmm_qmp_close(struct vmm_qmp *q);

/* The socket, for poll() in an event loop (readable: call vmm_qmp_pump). */
int vmm_qmp_fd(const struct vmm_qmp *q);
/* QEMU's pid from SO_PEERCRED (0 if unknown). */
pid_t vmm_qmp_pid(const struct vmm_qmp *q);
/* "7.2.22" ("0.0.0" when the greeting had none) and the package string ("" when none). */
const char *vmm_qmp_version(const struct vmm_qmp *q, int *major, int *minor, int *micro);
const char *vmm_qmp_package(const struct vmm_qmp *q);
/* Per-command timeout from now on (0: VMM_QMP_TIMEOUT_MS). */
void vmm_qmp_set_timeout(struct vmm_qmp *q, unsigned timeout_ms);

/**
 * vmm_qmp_execute() - run one QMP command and wait for its reply
 * @cmd: the command name
 * @args: its "arguments" object as JSON text, or NULL
 * @ret: the reply's "return" value (free with vmm_json_free); may be NULL
 *
 * Events read meanwhile are queued or passed to the callback. A reply whose
 * id is not this command's (the late answer to a command that timed out) is
 * dropped. Returns 0; -EREMOTEIO with QEMU's error class and description in
 * @err when QEMU answered with an error (-EOPNOTSUPP for CommandNotFound);
 * -ETIMEDOUT; -ECONNRESET or -EPIPE when QEMU went away; -EPROTO when it sent
 * something that is not QMP (the connection is then unusable, as after a
 * close: every later call fails the same way).
 */
int vmm_qmp_execute(struct vmm_qmp *q, const char *cmd, const char *args,
		    struct vmm_json **ret, struct vmm_err *err);
/*
 * An HMP command line through human-monitor-command: its output with "\r"
 * removed, NUL-terminated, in @out (malloc'd, @len may be NULL).
 */
int vmm_qmp_hmp(struct vmm_qmp *q, const char *cmdline, char **out, size_t *len,
		struct vmm_err *err);
/* query-status: the run state ("running", "paused", "prelaunch", ...) and whether it runs. */
int vmm_qmp_status(struct vmm_qmp *q, char *state, size_t size, bool *running,
		   struct vmm_err *err);
/* The machine type, e.g. "pc-i440fx-7.2" (QOM type of /machine without "-machine"). */
int vmm_qmp_machine(struct vmm_qmp *q, char *type, size_t size, struct vmm_err *err);

/*
 * QEMU's `info mtree -D` into @tree and `info mtree -f` into @flat (either
 * may be NULL), "\r" removed: what the importer, `mtree diff` and a refresh
 * of a mounted QEMU read.
 */
int vmm_qmp_mtree(struct vmm_qmp *q, struct vmm_buf *tree, struct vmm_buf *flat,
		  struct vmm_err *err);
/* The same from the QEMU at socket @path: connect, fetch, close. */
int vmm_qmp_fetch_mtree(const char *path, struct vmm_buf *tree, struct vmm_buf *flat,
			struct vmm_err *err);

/*
 * Events: with a callback set, each event is handed to it as it is read (and
 * not queued; the callback runs inside the vmm_qmp_* call that read the
 * event and must not call back into the same connection); without one, they queue up to VMM_QMP_MAX_EVENTS (the oldest
 * dropped first, counted by vmm_qmp_events_dropped).
 */
void vmm_qmp_set_event_fn(struct vmm_qmp *q, vmm_qmp_event_fn fn, void *opaque);
/* Pop the oldest queued event (free with vmm_qmp_event_free): 0 or -EAGAIN. */
int vmm_qmp_event_next(struct vmm_qmp *q, struct vmm_qmp_event **ev);
void vmm_qmp_event_free(struct vmm_qmp_event *ev);
unsigned long vmm_qmp_events_dropped(const struct vmm_qmp *q);
/*
 * Read whatever QEMU sent, waiting up to @timeout_ms (0: do not wait) for
 * something: events are queued or dispatched. Returns the number of events
 * read, or -errno as vmm_qmp_execute (-ECONNRESET once QEMU is gone).
 */
int vmm_qmp_pump(struct vmm_qmp *q, unsigned timeout_ms, struct vmm_err *err);

/* ---- Guest RAM of a live QEMU ---- */

/*
 * Reads and writes may run in parallel (pread/pwrite on one descriptor), but
 * not with vmm_qemu_mem_refresh, which replaces the range table: the daemon
 * holds a read lock around accesses and a write lock around a refresh.
 */
struct vmm_qemu_mem;

#define VMM_QEMU_MEM_WRITE	(1u << 0)	/* allow vmm_qemu_mem_write (RAM ranges only) */

/**
 * struct vmm_qemu_mem_range - one RAM or ROM range of the "memory" flat view
 * @gpa, @size: guest physical range
 * @hva: QEMU's host virtual address of @gpa (from gpa2hva)
 * @writable: RAM (not ROM, not a readonly alias)
 * @name: the backing region's name ("pc.ram", "pc.bios", ...)
 */
struct vmm_qemu_mem_range {
	uint64_t gpa, size, hva;
	bool writable;
	char name[64];
};

/**
 * vmm_qemu_mem_open() - map the guest RAM of the QEMU behind @q
 * @flags: VMM_QEMU_MEM_*
 *
 * Opens /proc/PID/mem of QEMU (pid from @q) once and reads the ranges (see
 * vmm_qemu_mem_refresh). -EPERM/-EACCES when the kernel does not let us read
 * QEMU's memory, with what to change in @err (run as QEMU's user with
 * kernel.yama.ptrace_scope <= 1 and a non-setgid QEMU, or as root, or with
 * CAP_SYS_PTRACE); -EOPNOTSUPP when QEMU has no gpa2hva command.
 */
int vmm_qemu_mem_open(struct vmm_qemu_mem **out, struct vmm_qmp *q, unsigned flags,
		      struct vmm_err *err);
void vmm_qemu_mem_close(struct vmm_qemu_mem *m);
/*
 * Re-read the "memory" flat view (`info mtree -f`) and one gpa2hva per RAM or
 * ROM range. Call it after events that change the topology (DEVICE_ADDED,
 * DEVICE_DELETED, RESET, a memory hotplug) or before trusting old ranges.
 */
int vmm_qemu_mem_refresh(struct vmm_qemu_mem *m, struct vmm_qmp *q, struct vmm_err *err);
size_t vmm_qemu_mem_count(const struct vmm_qemu_mem *m);
const struct vmm_qemu_mem_range *vmm_qemu_mem_range(const struct vmm_qemu_mem *m, size_t i);
/*
 * Copy @len bytes at guest address @gpa: -EFAULT naming the address when any
 * of them is not RAM or ROM, -EIO when QEMU's mapping went away (refresh).
 */
int vmm_qemu_mem_read(struct vmm_qemu_mem *m, uint64_t gpa, void *buf, size_t len,
		      struct vmm_err *err);
/*
 * Write into RAM ranges only: -EPERM unless opened with VMM_QEMU_MEM_WRITE,
 * -EROFS (ROM) or -EFAULT (hole) for a span not all RAM, and then nothing is
 * written.
 */
int vmm_qemu_mem_write(struct vmm_qemu_mem *m, uint64_t gpa, const void *buf, size_t len,
		       struct vmm_err *err);
/*
 * The same at QEMU's host address @hva (inside one of its RAM blocks, which
 * the caller bounds): for a block read whole, including parts no guest
 * address maps. -EIO when the mapping is gone; writes -EPERM unless opened
 * with VMM_QEMU_MEM_WRITE (the caller checks that the block is RAM).
 */
int vmm_qemu_mem_read_host(struct vmm_qemu_mem *m, uint64_t hva, void *buf, size_t len,
			   struct vmm_err *err);
int vmm_qemu_mem_write_host(struct vmm_qemu_mem *m, uint64_t hva, const void *buf, size_t len,
			    struct vmm_err *err);

#endif
