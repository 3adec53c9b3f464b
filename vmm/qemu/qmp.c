// SPDX-License-Identifier: MIT
/*
 * A QMP client for attaching to a running QEMU (issue #11; the daemon's
 * --qemu and `mtree --qmp`, see doc/mtree.1). QEMU's QMP server speaks JSON
 * objects over a unix stream socket: a greeting, then replies to our commands
 * and, interleaved with them at any moment, asynchronous events. Messages are
 * cut out of the byte stream by tracking brace depth outside strings rather
 * than by line ends, so a reply split over many reads (`info mtree` of a big
 * machine is hundreds of KB) or several messages in one read both work and
 * nothing depends on QEMU's "\r\n". Each command carries an id so that the
 * late reply to a command that timed out is recognised and dropped. Once QEMU
 * closes the socket or sends something that is not JSON the connection is
 * marked dead and every later call fails with the same reason. Writes use
 * MSG_NOSIGNAL: a closed peer is -EPIPE, never SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <vmm/qmp.h>

#define READ_CHUNK (64u << 10)

struct vmm_qmp {
	int fd;
	pid_t pid;
	unsigned timeout_ms;
	uint64_t next_id;
	/* sticky failure: the connection is unusable once set */
	int dead;
	char dead_msg[VMM_ERR_MAX];
	/* input: bytes [off, len) not yet consumed; the scanner is at pos */
	char *in;
	size_t off, len, cap, pos;
	int depth;
	char open[VMM_JSON_MAX_DEPTH + 1];	/* the bracket each level closes with */
	bool started, in_str, esc;
	/* greeting */
	int major, minor, micro;
	char version[48];
	char *package;
	/* events: a ring of VMM_QMP_MAX_EVENTS, or the callback */
	struct vmm_qmp_event *evq[VMM_QMP_MAX_EVENTS];
	size_t ev_head, ev_n;
	unsigned long ev_dropped;
	vmm_qmp_event_fn fn;
	void *opaque;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Mark the connection unusable; later calls return the same code and words. */
static int qmp_die(struct vmm_qmp *q, int code, struct vmm_err *err, const char *msg)
{
	size_t n = strnlen(msg, sizeof(q->dead_msg) - 1);

	if (!q->dead) {
		q->dead = code;
		memcpy(q->dead_msg, msg, n);	/* a long parser message is cut */
		q->dead_msg[n] = '\0';
	}
	return vmm_err_set(err, q->dead, "%s", q->dead_msg);
}

static int qmp_dead(struct vmm_qmp *q, struct vmm_err *err)
{
	return vmm_err_set(err, q->dead, "%s", q->dead_msg);
}

/*
 * Find the end of the next message in the buffer. Returns 1 with the message
 * at [*start, *start + *n), 0 when more bytes are needed, or -EPROTO /
 * -EMSGSIZE (the stream is then not QMP).
 */
static int scan_message(struct vmm_qmp *q, size_t *start, size_t *n, struct vmm_err *err)
{
	for (; q->pos < q->len; q->pos++) {
		char c = q->in[q->pos];

		if (!q->started) {
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
				q->off = q->pos + 1;
				continue;
			}
			if (c != '{')
				return qmp_die(q, -EPROTO, err, "QMP: QEMU sent something that is "
					       "not a JSON object");
			q->started = true;
			q->depth = 1;
			q->open[1] = '}';
			continue;
		}
		if (q->in_str) {
			if (q->esc)
				q->esc = false;
			else if (c == '\\')
				q->esc = true;
			else if (c == '"')
				q->in_str = false;
			continue;
		}
		if (c == '"') {
			q->in_str = true;
		} else if (c == '{' || c == '[') {
			if (++q->depth > VMM_JSON_MAX_DEPTH)
				return qmp_die(q, -EPROTO, err, "QMP: message nested too deep");
			q->open[q->depth] = c == '{' ? '}' : ']';
		} else if ((c == '}' || c == ']') && c != q->open[q->depth]) {
			return qmp_die(q, -EPROTO, err, "QMP: malformed JSON from QEMU (a bracket "
				       "closes what it did not open)");
		} else if ((c == '}' || c == ']') && --q->depth == 0) {
			*start = q->off;
			*n = q->pos + 1 - q->off;
			q->pos++;
			q->off = q->pos;
			q->started = false;
			return 1;
		}
	}
	if (q->started && q->len - q->off > VMM_QMP_MAX_MESSAGE)
		return qmp_die(q, -EMSGSIZE, err, "QMP: message from QEMU over the size limit");
	return 0;
}

/* Read what is there, waiting until @deadline (ms, CLOCK_MONOTONIC) for the first byte. */
static int fill(struct vmm_qmp *q, int64_t deadline, struct vmm_err *err)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	ssize_t r;
	int64_t left;

	if (q->off && q->off == q->len) {
		q->off = q->len = q->pos = 0;
	} else if (q->off > q->cap / 2) {
		memmove(q->in, q->in + q->off, q->len - q->off);
		q->len -= q->off;
		q->pos -= q->off;
		q->off = 0;
	}
	if (q->cap - q->len < READ_CHUNK) {
		size_t cap = q->cap ? q->cap * 2 : 2 * READ_CHUNK;
		char *p = realloc(q->in, cap);

		if (!p)
			return vmm_err_set(err, -ENOMEM, "QMP: out of memory for a reply");
		q->in = p;
		q->cap = cap;
	}
	for (;;) {
		r = recv(q->fd, q->in + q->len, q->cap - q->len, MSG_DONTWAIT);
		if (r > 0) {
			q->len += (size_t)r;
			return 0;
		}
		if (r == 0)
			return qmp_die(q, -ECONNRESET, err, "QMP: QEMU closed the connection");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			break;
		left = deadline - now_ms();
		if (left <= 0)
			return vmm_err_set(err, -ETIMEDOUT, "QMP: no answer from QEMU in time");
		r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (r < 0 && errno != EINTR)
			break;
	}
	r = errno;
	if (r == ECONNRESET)
		return qmp_die(q, -ECONNRESET, err, "QMP: QEMU closed the connection");
	return vmm_err_set(err, (int)-r, "QMP: read: %s", strerror((int)r));
}

void vmm_qmp_event_free(struct vmm_qmp_event *ev)
{
	if (!ev)
		return;
	free(ev->name);
	vmm_json_free(ev->data);
	free(ev);
}

static void queue_event(struct vmm_qmp *q, struct vmm_json *msg)
{
	const struct vmm_json *ts = vmm_json_get(msg, "timestamp");
	struct vmm_qmp_event *ev = calloc(1, sizeof(*ev));

	if (!ev || !(ev->name = strdup(vmm_json_str(vmm_json_get(msg, "event"), NULL)))) {
		free(ev);
		q->ev_dropped++;
		return;
	}
	vmm_json_int(vmm_json_get(ts, "seconds"), &ev->seconds);
	vmm_json_int(vmm_json_get(ts, "microseconds"), &ev->microseconds);
	ev->data = vmm_json_take(msg, "data");
	if (q->fn) {
		q->fn(q->opaque, ev);
		vmm_qmp_event_free(ev);
		return;
	}
	if (q->ev_n == VMM_QMP_MAX_EVENTS) {
		vmm_qmp_event_free(q->evq[q->ev_head]);
		q->ev_head = (q->ev_head + 1) % VMM_QMP_MAX_EVENTS;
		q->ev_n--;
		q->ev_dropped++;
	}
	q->evq[(q->ev_head + q->ev_n++) % VMM_QMP_MAX_EVENTS] = ev;
}

/*
 * The next complete message, parsed; events are dispatched here and not
 * returned. Returns 1 with *@msg, 0 when nothing complete is buffered.
 */
static int next_message(struct vmm_qmp *q, struct vmm_json **msg, int *events,
			struct vmm_err *err)
{
	struct vmm_err perr = { 0 };
	char why[VMM_ERR_MAX + 8];
	struct vmm_json *j;
	size_t start = 0, n = 0;
	int r;

	for (;;) {
		r = scan_message(q, &start, &n, err);
		if (r <= 0)
			return r;
		r = vmm_json_parse(q->in + start, n, &j, &perr);
		if (r == -ENOMEM)
			return vmm_err_set(err, r, "QMP: out of memory for a reply");
		if (r) {
			snprintf(why, sizeof(why), "QMP: %s", perr.msg);
			return qmp_die(q, -EPROTO, err, why);
		}
		if (vmm_json_type(j) != VMM_JSON_OBJECT) {
			vmm_json_free(j);
			return qmp_die(q, -EPROTO, err, "QMP: message is not an object");
		}
		if (!vmm_json_str(vmm_json_get(j, "event"), NULL)) {
			*msg = j;
			return 1;
		}
		queue_event(q, j);
		vmm_json_free(j);
		if (events)
			(*events)++;
	}
}

/* Wait for the reply to command @id (or the greeting when @id is 0). */
static int wait_reply(struct vmm_qmp *q, uint64_t id, int64_t deadline, struct vmm_json **out,
		      struct vmm_err *err)
{
	struct vmm_json *msg;
	uint64_t got;
	int r;

	for (;;) {
		r = next_message(q, &msg, NULL, err);
		if (r < 0)
			return r;
		if (r == 0) {
			r = fill(q, deadline, err);
			if (r)
				return r;
			continue;
		}
		if (id == 0 ? vmm_json_get(msg, "QMP") != NULL :
		    !vmm_json_uint(vmm_json_get(msg, "id"), &got) && got == id) {
			*out = msg;
			return 0;
		}
		vmm_json_free(msg);	/* a stale reply, or a greeting out of place */
	}
}

static int send_all(struct vmm_qmp *q, const char *p, size_t n, int64_t deadline,
		    struct vmm_err *err)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLOUT };
	size_t total = n;
	int64_t left;
	ssize_t r;

	while (n) {
		r = send(q->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EPIPE || errno == ECONNRESET))
			return qmp_die(q, -errno, err, "QMP: QEMU closed the connection");
		if (r < 0 && errno != EAGAIN)
			return vmm_err_set(err, -errno, "QMP: write: %s", strerror(errno));
		left = deadline - now_ms();
		if (left <= 0 && n < total)	/* QEMU holds half a command: no way back */
			return qmp_die(q, -ETIMEDOUT, err, "QMP: QEMU stopped reading its socket "
				       "in the middle of a command");
		if (left <= 0)
			return vmm_err_set(err, -ETIMEDOUT, "QMP: QEMU does not read its socket");
		poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
	}
	return 0;
}

/* QEMU's error reply as -errno and words. */
static int reply_error(const char *cmd, const struct vmm_json *e, struct vmm_err *err)
{
	const char *cls = vmm_json_str(vmm_json_get(e, "class"), NULL);
	const char *desc = vmm_json_str(vmm_json_get(e, "desc"), NULL);

	return vmm_err_set(err, cls && !strcmp(cls, "CommandNotFound") ? -EOPNOTSUPP : -EREMOTEIO,
			   "QMP %s: %s (%s)", cmd, desc ? desc : "error without a description",
			   cls ? cls : "no class");
}

int vmm_qmp_execute(struct vmm_qmp *q, const char *cmd, const char *args,
		    struct vmm_json **ret, struct vmm_err *err)
{
	int64_t deadline = now_ms() + q->timeout_ms;
	struct vmm_json *msg, *val;
	uint64_t id = ++q->next_id;
	struct vmm_buf b;
	int r;

	if (ret)
		*ret = NULL;
	if (q->dead)
		return qmp_dead(q, err);
	vmm_buf_init(&b);
	vmm_buf_puts(&b, "{\"execute\":");
	vmm_json_quote(&b, cmd, strlen(cmd));
	if (args)
		vmm_buf_printf(&b, ",\"arguments\":%s", args);
	vmm_buf_printf(&b, ",\"id\":%llu}\n", (unsigned long long)id);
	r = b.oom ? vmm_err_set(err, -ENOMEM, "QMP: out of memory") :
		    send_all(q, b.data, b.len, deadline, err);
	vmm_buf_free(&b);
	if (!r)
		r = wait_reply(q, id, deadline, &msg, err);
	if (r) {
		if (r == -ETIMEDOUT)
			vmm_err_set(err, r, "QMP %s: no reply from QEMU within %u ms", cmd,
				    q->timeout_ms);
		return r;
	}
	if (vmm_json_get(msg, "error")) {
		r = reply_error(cmd, vmm_json_get(msg, "error"), err);
	} else if (!(val = vmm_json_take(msg, "return"))) {
		r = vmm_err_set(err, -EPROTO, "QMP %s: reply without \"return\"", cmd);
	} else if (ret) {
		*ret = val;
	} else {
		vmm_json_free(val);
	}
	vmm_json_free(msg);
	return r;
}

/* Read the greeting: QEMU's version, then enter command mode. */
static int handshake(struct vmm_qmp *q, const char *path, struct vmm_err *err)
{
	const struct vmm_json *ver;
	struct vmm_json *g;
	int64_t n[3] = { 0, 0, 0 };
	int r = wait_reply(q, 0, now_ms() + q->timeout_ms, &g, err);

	if (r == -ETIMEDOUT)
		return vmm_err_set(err, -EBUSY, "%s: no QMP greeting within %u ms: QEMU serves "
				   "one QMP client at a time, is another one connected?", path,
				   q->timeout_ms);
	if (r)
		return r;
	ver = vmm_json_get(vmm_json_get(g, "QMP"), "version");
	vmm_json_int(vmm_json_get(vmm_json_get(ver, "qemu"), "major"), &n[0]);
	vmm_json_int(vmm_json_get(vmm_json_get(ver, "qemu"), "minor"), &n[1]);
	vmm_json_int(vmm_json_get(vmm_json_get(ver, "qemu"), "micro"), &n[2]);
	q->major = (int)n[0];
	q->minor = (int)n[1];
	q->micro = (int)n[2];
	snprintf(q->version, sizeof(q->version), "%d.%d.%d", q->major, q->minor, q->micro);
	q->package = strdup(vmm_json_str(vmm_json_get(ver, "package"), NULL) ?: "");
	vmm_json_free(g);
	if (!q->package)
		return vmm_err_set(err, -ENOMEM, "out of memory");
	return vmm_qmp_execute(q, "qmp_capabilities", NULL, NULL, err);
}

/*
 * A blocking connect to a unix socket whose backlog is full waits for ever
 * (more clients queued behind the one QEMU serves): connect without blocking
 * and retry until the timeout instead.
 */
static int connect_unix(struct vmm_qmp *q, const struct sockaddr_un *sa, const char *path,
			struct vmm_err *err)
{
	int64_t deadline = now_ms() + q->timeout_ms;
	int r;

	while (connect(q->fd, (const struct sockaddr *)sa, sizeof(*sa))) {
		r = -errno;
		if (r == -EINTR)
			continue;
		if (r == -EAGAIN && now_ms() < deadline) {
			poll(NULL, 0, 10);
			continue;
		}
		if (r == -EAGAIN)
			return vmm_err_set(err, -EBUSY, "%s: QEMU accepts no more connections within "
					   "%u ms: it serves one QMP client at a time, is another "
					   "one connected?", path, q->timeout_ms);
		return vmm_err_set(err, r, "%s: %s%s", path, strerror(-r),
				   r == -ECONNREFUSED ? " (no QEMU listens there)" : "");
	}
	return 0;
}

int vmm_qmp_connect(struct vmm_qmp **out, const char *path, unsigned timeout_ms,
		    struct vmm_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct vmm_qmp *q;
	int r;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return vmm_err_set(err, -ENAMETOOLONG, "%s: socket path too long", path);
	strcpy(sa.sun_path, path);
	q = calloc(1, sizeof(*q));
	if (!q)
		return vmm_err_set(err, -ENOMEM, "out of memory");
	q->timeout_ms = timeout_ms ? timeout_ms : VMM_QMP_TIMEOUT_MS;
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (q->fd < 0) {
		r = vmm_err_set(err, -errno, "socket: %s", strerror(errno));
		goto free_q;
	}
	r = connect_unix(q, &sa, path, err);
	if (r)
		goto close_fd;
	if (!getsockopt(q->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen))
		q->pid = cred.pid;
	r = handshake(q, path, err);
	if (r)
		goto close_fd;
	*out = q;
	return 0;
close_fd:
	vmm_qmp_close(q);
	return r;
free_q:
	free(q);
	return r;
}

void vmm_qmp_close(struct vmm_qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	while (q->ev_n) {
		vmm_qmp_event_free(q->evq[q->ev_head]);
		q->ev_head = (q->ev_head + 1) % VMM_QMP_MAX_EVENTS;
		q->ev_n--;
	}
	free(q->in);
	free(q->package);
	free(q);
}

int vmm_qmp_fd(const struct vmm_qmp *q)
{
	return q->fd;
}

pid_t vmm_qmp_pid(const struct vmm_qmp *q)
{
	return q->pid;
}

const char *vmm_qmp_version(const struct vmm_qmp *q, int *major, int *minor, int *micro)
{
	if (major)
		*major = q->major;
	if (minor)
		*minor = q->minor;
	if (micro)
		*micro = q->micro;
	return q->version;
}

const char *vmm_qmp_package(const struct vmm_qmp *q)
{
	return q->package ? q->package : "";
}

void vmm_qmp_set_timeout(struct vmm_qmp *q, unsigned timeout_ms)
{
	q->timeout_ms = timeout_ms ? timeout_ms : VMM_QMP_TIMEOUT_MS;
}

void vmm_qmp_set_event_fn(struct vmm_qmp *q, vmm_qmp_event_fn fn, void *opaque)
{
	q->fn = fn;
	q->opaque = opaque;
}

int vmm_qmp_event_next(struct vmm_qmp *q, struct vmm_qmp_event **ev)
{
	if (!q->ev_n)
		return -EAGAIN;
	*ev = q->evq[q->ev_head];
	q->ev_head = (q->ev_head + 1) % VMM_QMP_MAX_EVENTS;
	q->ev_n--;
	return 0;
}

unsigned long vmm_qmp_events_dropped(const struct vmm_qmp *q)
{
	return q->ev_dropped;
}

int vmm_qmp_pump(struct vmm_qmp *q, unsigned timeout_ms, struct vmm_err *err)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct vmm_json *msg;
	int events = 0, r;

	if (q->dead)
		return qmp_dead(q, err);
	for (;;) {
		while ((r = next_message(q, &msg, &events, err)) == 1)
			vmm_json_free(msg);	/* a reply nobody waits for any more */
		if (r < 0)
			return r;
		/* after the first wait, only take what is already there */
		r = fill(q, events ? 0 : deadline, err);
		if (r == -ETIMEDOUT)
			return events;
		if (r)
			return r;
		deadline = 0;
	}
}
