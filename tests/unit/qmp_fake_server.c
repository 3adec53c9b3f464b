/* SPDX-License-Identifier: MIT */
/*
 * The QMP client against a scripted server on a unix socket (a thread of
 * this test), for what a well-behaved QEMU rarely shows: a greeting and
 * replies arriving a byte at a time, several messages in one read, events
 * interleaved before a reply, a stale reply with another id, a 1 MiB HMP
 * answer, QEMU's error replies, malformed JSON (-EPROTO, sticky), the peer
 * closing (-ECONNRESET, sticky), a server that accepts but never greets (the
 * busy-socket case: -EBUSY), a command timing out and its late reply being
 * dropped, the event queue bound and the event callback.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <vmm/qmp.h>

#include "tap.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, " \
		 "\"major\": 7}, \"package\": \"fake\"}, \"capabilities\": [\"oob\"]}}\r\n"

static char sock_path[108];

struct server {
	int lfd;
	void (*script)(int fd);
	pthread_t thread;
};

static void put(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t r = send(fd, s, n, MSG_NOSIGNAL);

		if (r <= 0)
			return;
		s += r;
		n -= (size_t)r;
	}
}

/* One byte per send with a pause, so the client sees every split. */
static void trickle(int fd, const char *s)
{
	for (; *s; s++) {
		if (send(fd, s, 1, MSG_NOSIGNAL) != 1)
			return;
		usleep(50);
	}
}

/* Read one command line; returns its id (0 if none) or -1 at EOF. */
static long get_cmd(int fd, char *name, size_t size)
{
	char line[4096], *p;
	size_t n = 0;

	while (n < sizeof(line) - 1) {
		if (read(fd, &line[n], 1) != 1)
			return -1;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	if (name) {
		p = strstr(line, "\"execute\":\"");
		snprintf(name, size, "%.*s", p ? (int)strcspn(p + 11, "\"") : 0, p ? p + 11 : "");
	}
	p = strstr(line, "\"id\":");
	return p ? strtol(p + 5, NULL, 10) : 0;
}

static void reply_empty(int fd, long id)
{
	char s[64];

	snprintf(s, sizeof(s), "{\"return\": {}, \"id\": %ld}\r\n", id);
	put(fd, s);
}

/* Greeting and qmp_capabilities, the way every script starts. */
static void handshake(int fd, bool slow)
{
	long id;

	(slow ? trickle : put)(fd, GREETING);
	id = get_cmd(fd, NULL, 0);
	if (id > 0)
		reply_empty(fd, id);
}

static void *serve(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd >= 0) {
		s->script(fd);
		close(fd);
	}
	return NULL;
}

static void start(struct server *s, void (*script)(int fd))
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	unlink(sock_path);
	strcpy(sa.sun_path, sock_path);
	s->script = script;
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(s->lfd, 1))
		abort();
	pthread_create(&s->thread, NULL, serve, s);
}

static void stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->lfd);
	unlink(sock_path);
}

static void script_basic(int fd)
{
	char name[64], s[512];
	long id;

	handshake(fd, true);
	id = get_cmd(fd, name, sizeof(name));		/* query-status */
	/* an event and a stale reply first, both in one write, then the reply in pieces */
	snprintf(s, sizeof(s), "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
		 "\"event\": \"STOP\"}\r\n{\"return\": {\"status\": \"wrong\"}, \"id\": 999}\r\n");
	put(fd, s);
	snprintf(s, sizeof(s), "{\"return\": {\"status\": \"paused\", \"singlestep\": false, "
		 "\"running\": false}, \"id\": %ld}", id);
	trickle(fd, s);
	id = get_cmd(fd, name, sizeof(name));		/* nosuch */
	snprintf(s, sizeof(s), "{\"id\": %ld, \"error\": {\"class\": \"CommandNotFound\", "
		 "\"desc\": \"The command nosuch has not been found\"}}\r\n", id);
	put(fd, s);
	id = get_cmd(fd, name, sizeof(name));		/* stop */
	snprintf(s, sizeof(s), "{\"id\": %ld, \"error\": {\"class\": \"GenericError\", "
		 "\"desc\": \"no\"}}\r\n", id);
	put(fd, s);
}

static void basic(void)
{
	struct vmm_qmp_event *ev;
	struct vmm_err err = { 0 };
	struct server srv;
	struct vmm_qmp *q;
	int major = 0, minor = 0, micro = 0;
	char state[32] = "";
	bool running = true;
	int r;

	start(&srv, script_basic);
	is(vmm_qmp_connect(&q, sock_path, 2000, &err), 0, "connect through a byte-by-byte greeting");
	if (!q) {
		diag("%s", err.msg);
		stop(&srv);
		return;
	}
	is_str(vmm_qmp_version(q, &major, &minor, &micro), "7.2.22", "version from the greeting");
	ok(major == 7 && minor == 2 && micro == 22, "  as numbers");
	is_str(vmm_qmp_package(q), "fake", "package from the greeting");
	is(vmm_qmp_pid(q), getpid(), "SO_PEERCRED gives the server's pid");
	is(vmm_qmp_status(q, state, sizeof(state), &running, &err), 0,
	   "query-status past an event and a stale reply, reply in pieces");
	ok(!strcmp(state, "paused") && !running, "  the matching reply: %s", state);
	is(vmm_qmp_event_next(q, &ev), 0, "the event was queued");
	ok(ev && !strcmp(ev->name, "STOP") && ev->seconds == 1 && ev->microseconds == 2,
	   "  STOP with its timestamp");
	vmm_qmp_event_free(ev);
	is(vmm_qmp_event_next(q, &ev), -EAGAIN, "only one event");
	is(vmm_qmp_execute(q, "nosuch", NULL, NULL, &err), -EOPNOTSUPP,
	   "CommandNotFound is -EOPNOTSUPP");
	ok(strstr(err.msg, "has not been found") != NULL, "  with QEMU's words: %s", err.msg);
	is(vmm_qmp_execute(q, "stop", NULL, NULL, &err), -EREMOTEIO, "other errors are -EREMOTEIO");
	r = vmm_qmp_execute(q, "cont", NULL, NULL, &err);
	ok(r == -ECONNRESET || r == -EPIPE, "the server closing is -ECONNRESET or -EPIPE: %d", r);
	ok(strstr(err.msg, "closed") != NULL, "  said: %s", err.msg);
	is(vmm_qmp_execute(q, "cont", NULL, NULL, &err), r, "  and stays so");
	vmm_qmp_close(q);
	stop(&srv);
}

static void script_huge(int fd)
{
	size_t n = 1u << 20;
	char *s = malloc(n + 64), *p;
	long id;

	handshake(fd, false);
	id = get_cmd(fd, NULL, 0);
	p = s + sprintf(s, "{\"return\": \"");
	for (size_t i = 0; i < n / 4; i++, p += 4)
		memcpy(p, "ab\\r", 4);		/* "ab\r" decoded; the \r is dropped */
	sprintf(p, "\", \"id\": %ld}\n", id);
	put(fd, s);
	free(s);
	get_cmd(fd, NULL, 0);
	put(fd, "{\"return\": [1, 2, 3, }\r\n");	/* malformed */
}

static void script_bad_string(int fd)
{
	handshake(fd, false);
	get_cmd(fd, NULL, 0);
	put(fd, "{\"return\": \"\\udc00\", \"id\": 2}\r\n");
	get_cmd(fd, NULL, 0);
}

static void huge_and_malformed(void)
{
	struct vmm_err err = { 0 };
	struct server srv;
	struct vmm_qmp *q;
	char *text = NULL;
	size_t len = 0;
	bool good = true;

	start(&srv, script_huge);
	if (vmm_qmp_connect(&q, sock_path, 2000, &err)) {
		ok(0, "connect: %s", err.msg);
		stop(&srv);
		return;
	}
	is(vmm_qmp_hmp(q, "info mtree", &text, &len, &err), 0, "a 1 MiB HMP reply");
	is(len, (1u << 20) / 2, "  its \\r removed");
	for (size_t i = 0; text && i < len; i++)
		good &= text[i] == (i % 2 ? 'b' : 'a');
	ok(text && good, "  every byte right");
	free(text);
	is(vmm_qmp_execute(q, "x", NULL, NULL, &err), -EPROTO, "malformed JSON is -EPROTO");
	ok(strstr(err.msg, "malformed JSON") != NULL, "  said: %s", err.msg);
	is(vmm_qmp_execute(q, "x", NULL, NULL, &err), -EPROTO, "  and the connection stays dead");
	vmm_qmp_close(q);
	stop(&srv);

	start(&srv, script_bad_string);
	if (vmm_qmp_connect(&q, sock_path, 2000, &err)) {
		ok(0, "connect: %s", err.msg);
		stop(&srv);
		return;
	}
	is(vmm_qmp_execute(q, "x", NULL, NULL, &err), -EPROTO, "a lone surrogate is -EPROTO");
	ok(strstr(err.msg, "surrogate") != NULL, "  said: %s", err.msg);
	is(vmm_qmp_execute(q, "x", NULL, NULL, &err), -EPROTO, "  and the connection stays dead");
	vmm_qmp_close(q);
	stop(&srv);
}

static void script_silent(int fd)
{
	usleep(600 * 1000);	/* a second client of a busy QEMU sees nothing */
}

/* A listener that never accepts, its backlog filled: connect must not hang. */
static void full_backlog(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vmm_err err = { 0 };
	int lfd, held[4], nheld = 0;
	struct vmm_qmp *q;

	strcpy(sa.sun_path, sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 0))
		abort();
	while (nheld < 4) {
		held[nheld] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(held[nheld], (struct sockaddr *)&sa, sizeof(sa))) {
			close(held[nheld]);
			break;
		}
		nheld++;
	}
	ok(nheld > 0 && nheld < 4, "the backlog fills after %d connections", nheld);
	is(vmm_qmp_connect(&q, sock_path, 200, &err), -EBUSY, "connect to a full backlog is -EBUSY");
	ok(strstr(err.msg, "one QMP client") != NULL, "  said: %s", err.msg);
	while (nheld)
		close(held[--nheld]);
	close(lfd);
	unlink(sock_path);
}

static void busy(void)
{
	struct vmm_err err = { 0 };
	struct server srv;
	struct vmm_qmp *q;

	start(&srv, script_silent);
	is(vmm_qmp_connect(&q, sock_path, 200, &err), -EBUSY, "no greeting is -EBUSY");
	ok(strstr(err.msg, "one QMP client") != NULL, "  said: %s", err.msg);
	stop(&srv);
	is(vmm_qmp_connect(&q, sock_path, 200, &err), -ENOENT, "no socket is -ENOENT");
	full_backlog();
}

static void script_late(int fd)
{
	char s[256];
	long id, id2;

	handshake(fd, false);
	id = get_cmd(fd, NULL, 0);	/* times out on the client side */
	id2 = get_cmd(fd, NULL, 0);
	snprintf(s, sizeof(s), "{\"return\": {\"late\": true}, \"id\": %ld}\r\n", id);
	put(fd, s);
	for (int i = 0; i < VMM_QMP_MAX_EVENTS + 5; i++)
		put(fd, "{\"event\": \"RESET\", \"data\": {\"guest\": true}, "
		    "\"timestamp\": {\"seconds\": 3, \"microseconds\": 4}}\r\n");
	snprintf(s, sizeof(s), "{\"return\": {\"late\": false}, \"id\": %ld}\r\n", id2);
	put(fd, s);
	put(fd, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false}, "
	    "\"timestamp\": {\"seconds\": 5, \"microseconds\": 6}}\r\n");
	usleep(200 * 1000);
}

static unsigned callbacks;

static void on_event(void *opaque, const struct vmm_qmp_event *ev)
{
	bool guest = true;

	callbacks += !strcmp(ev->name, opaque) && !vmm_json_bool(vmm_json_get(ev->data, "guest"),
								  &guest) && !guest;
}

static void late_reply_and_events(void)
{
	struct vmm_err err = { 0 };
	struct vmm_json *ret = NULL;
	struct vmm_qmp_event *ev;
	struct server srv;
	struct vmm_qmp *q;
	bool late = true;
	unsigned n = 0;

	start(&srv, script_late);
	if (vmm_qmp_connect(&q, sock_path, 2000, &err)) {
		ok(0, "connect: %s", err.msg);
		stop(&srv);
		return;
	}
	vmm_qmp_set_timeout(q, 100);
	is(vmm_qmp_execute(q, "slow", NULL, NULL, &err), -ETIMEDOUT, "no reply is -ETIMEDOUT");
	vmm_qmp_set_timeout(q, 2000);
	is(vmm_qmp_execute(q, "next", NULL, &ret, &err), 0, "the next command still works");
	ok(!vmm_json_bool(vmm_json_get(ret, "late"), &late) && !late,
	   "  with its own reply, not the late one");
	vmm_json_free(ret);
	is(vmm_qmp_events_dropped(q), 5, "the queue keeps %u events, 5 dropped",
	   VMM_QMP_MAX_EVENTS);
	while (!vmm_qmp_event_next(q, &ev)) {
		n += !strcmp(ev->name, "RESET") && vmm_json_get(ev->data, "guest");
		vmm_qmp_event_free(ev);
	}
	is(n, VMM_QMP_MAX_EVENTS, "  RESET events with their data");
	vmm_qmp_set_event_fn(q, on_event, "SHUTDOWN");
	is(vmm_qmp_pump(q, 2000, &err), 1, "pump reads the event that follows");
	is(callbacks, 1, "  and hands it to the callback");
	is(vmm_qmp_pump(q, 1000, &err), -ECONNRESET, "pump sees the close");
	vmm_qmp_close(q);
	stop(&srv);
}

int main(void)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/qmp-fake-%d.sock", (int)getpid());
	basic();
	huge_and_malformed();
	busy();
	late_reply_and_events();
	unlink(sock_path);
	return done_testing();
}
