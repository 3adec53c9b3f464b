/* SPDX-License-Identifier: MIT */
/*
 * The QMP client and the live guest memory against a real QEMU (pc with 128M,
 * q35 with 3G so that RAM exists above 4G), started stopped (-S) with a
 * random blob loaded at a known guest address: the greeting, query-status and
 * the machine type; `info mtree -D`, `-f` and `info ramblock` equal what
 * Python's json module reads over the same socket (QEMU serves one client at
 * a time, so one after the other); a second client meanwhile gets -EBUSY;
 * the blob reads back from guest RAM through /proc/PID/mem; writes at random
 * places and then 1000 random 1-64 byte reads (RAM and ROM, below and above
 * 4G) equal QMP pmemsave of the same bytes; holes are -EFAULT, ROM refuses
 * writes; cont/stop queue RESUME and STOP; killing QEMU shows as a closed
 * connection and an -EIO read. Timings are printed as diagnostics. Skips when
 * qemu-system-x86_64 ($QEMU) is missing; uses TCG when /dev/kvm is not usable.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vmm/qmp.h>

#include "tap.h"

#define BLOB_SIZE 8192

struct vm {
	const char *name, *machine, *mem;
	uint64_t blob_gpa;
	pid_t pid;
	char dir[64], sock[96], blob[96];
	uint8_t data[BLOB_SIZE];
};

static const char *qemu_bin(void)
{
	return getenv("QEMU") ? getenv("QEMU") : "qemu-system-x86_64";
}

static bool have_qemu(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", qemu_bin());
	return system(cmd) == 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int start_vm(struct vm *vm)
{
	char machine[64], loader[160], qmp[128];
	const char *accel = access("/dev/kvm", R_OK | W_OK) ? "tcg" : "kvm";
	int fd;

	snprintf(vm->dir, sizeof(vm->dir), "/tmp/qmp-live-XXXXXX");
	if (!mkdtemp(vm->dir))
		return -errno;
	snprintf(vm->sock, sizeof(vm->sock), "%s/qmp.sock", vm->dir);
	snprintf(vm->blob, sizeof(vm->blob), "%s/blob", vm->dir);
	for (size_t i = 0; i < sizeof(vm->data); i++)
		vm->data[i] = (uint8_t)rnd();
	fd = open(vm->blob, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, vm->data, sizeof(vm->data)) != (ssize_t)sizeof(vm->data))
		return -EIO;
	close(fd);
	snprintf(machine, sizeof(machine), "%s", vm->machine);
	snprintf(loader, sizeof(loader), "loader,file=%s,addr=0x%llx,force-raw=on", vm->blob,
		 (unsigned long long)vm->blob_gpa);
	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", vm->sock);
	diag("%s: %s -machine %s -accel %s -m %s -S -nodefaults -display none -device %s",
	     vm->name, qemu_bin(), machine, accel, vm->mem, loader);
	vm->pid = fork();
	if (vm->pid < 0)
		return -errno;
	if (vm->pid == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp(qemu_bin(), qemu_bin(), "-machine", machine, "-accel", accel, "-m", vm->mem,
		       "-S", "-nodefaults", "-display", "none", "-qmp", qmp, "-device", loader,
		       (char *)NULL);
		_exit(127);
	}
	return 0;
}

/* Connect, retrying while QEMU has not created its socket yet. */
static int connect_vm(struct vm *vm, struct vmm_qmp **q, unsigned timeout_ms,
		      struct vmm_err *err)
{
	double end = now() + 20;
	int r;

	do {
		r = vmm_qmp_connect(q, vm->sock, timeout_ms, err);
		if (r != -ENOENT && r != -ECONNREFUSED)
			return r;
		usleep(20000);
	} while (now() < end && waitpid(vm->pid, NULL, WNOHANG) == 0);
	return r;
}

static void stop_vm(struct vm *vm)
{
	char cmd[128];

	if (vm->pid > 0) {
		kill(vm->pid, SIGKILL);
		waitpid(vm->pid, NULL, 0);
		vm->pid = 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", vm->dir);
	if (system(cmd))
		diag("cannot remove %s", vm->dir);
}

static const char *const hmp_cmds[] = { "info mtree -D", "info mtree -f", "info ramblock" };

/* Python's json over the same socket writes the three texts, \r removed. */
static int python_texts(struct vm *vm)
{
	static const char script[] =
		"import json, socket, sys\n"
		"s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile('rwb')\n"
		"def recv():\n"
		"    while True:\n"
		"        m = json.loads(f.readline())\n"
		"        if 'event' not in m: return m\n"
		"recv()\n"
		"def cmd(c, **a):\n"
		"    f.write(json.dumps({'execute': c, 'arguments': a}).encode() + b'\\n'); f.flush()\n"
		"    return recv()['return']\n"
		"cmd('qmp_capabilities')\n"
		"for i, c in enumerate(sys.argv[3:]):\n"
		"    t = cmd('human-monitor-command', **{'command-line': c}).replace('\\r', '')\n"
		"    open('%s/py%d' % (sys.argv[2], i), 'w').write(t)\n";
	char cmd[1024];

	setenv("QMP_PY", script, 1);
	snprintf(cmd, sizeof(cmd), "python3 -c \"$QMP_PY\" '%s' '%s' '%s' '%s' '%s'", vm->sock,
		 vm->dir, hmp_cmds[0], hmp_cmds[1], hmp_cmds[2]);
	return system(cmd);
}

static void compare_with_python(struct vm *vm, char *text[3])
{
	struct vmm_buf b;
	char path[128];

	if (system("command -v python3 >/dev/null 2>&1")) {
		ok(1, "# SKIP python3 missing: client texts not compared");
		return;
	}
	is(python_texts(vm), 0, "%s: python3 reads the same texts over the socket", vm->name);
	for (int i = 0; i < 3; i++) {
		vmm_buf_init(&b);
		snprintf(path, sizeof(path), "%s/py%d", vm->dir, i);
		if (vmm_buf_read_file(&b, path))
			ok(0, "%s: %s", vm->name, path);
		else
			is_str(b.data ? b.data : "", text[i], "%s: '%s' equals Python's (%zu bytes)",
			       vm->name, hmp_cmds[i], b.len);
		vmm_buf_free(&b);
	}
}

/* QEMU's own view of @len bytes at @gpa: pmemsave into a file. */
static int pmemsave(struct vmm_qmp *q, struct vm *vm, uint64_t gpa, size_t len, uint8_t *out)
{
	struct vmm_err err = { 0 };
	char args[256], path[128];
	int fd, r;

	snprintf(path, sizeof(path), "%s/pmem", vm->dir);
	snprintf(args, sizeof(args), "{\"val\":%llu,\"size\":%zu,\"filename\":\"%s\"}",
		 (unsigned long long)gpa, len, path);
	r = vmm_qmp_execute(q, "pmemsave", args, NULL, &err);
	if (r) {
		diag("pmemsave: %s", err.msg);
		return r;
	}
	fd = open(path, O_RDONLY);
	r = fd >= 0 && read(fd, out, len) == (ssize_t)len ? 0 : -EIO;
	if (fd >= 0)
		close(fd);
	return r;
}

/* A random span of 1-64 bytes inside one range (RAM only with @ram). */
static void pick(struct vmm_qemu_mem *m, bool ram, uint64_t *gpa, size_t *len)
{
	const struct vmm_qemu_mem_range *r;

	do
		r = vmm_qemu_mem_range(m, rnd() % vmm_qemu_mem_count(m));
	while (ram && !r->writable);
	*len = 1 + rnd() % 64;
	if (*len > r->size)
		*len = (size_t)r->size;
	*gpa = r->gpa + rnd() % (r->size - *len + 1);
}

static void memory(struct vm *vm, struct vmm_qmp *q)
{
	struct vmm_err err = { 0 };
	struct vmm_qemu_mem *m;
	uint8_t buf[BLOB_SIZE], ref[64];
	unsigned bad = 0, above = 0, nonzero = 0;
	bool high = false;
	double t;
	int r;

	t = now();
	r = vmm_qemu_mem_open(&m, q, VMM_QEMU_MEM_WRITE, &err);
	is(r, 0, "%s: guest memory opens (%.1f ms)%s%s", vm->name, (now() - t) * 1e3,
	   r ? ": " : "", r ? err.msg : "");
	if (r)
		return;
	for (size_t i = 0; i < vmm_qemu_mem_count(m); i++) {
		const struct vmm_qemu_mem_range *g = vmm_qemu_mem_range(m, i);

		diag("  %016llx-%016llx %s %s hva %#llx", (unsigned long long)g->gpa,
		     (unsigned long long)(g->gpa + g->size - 1), g->writable ? "ram" : "rom",
		     g->name, (unsigned long long)g->hva);
		high |= g->gpa >= (1ull << 32);
	}
	ok(vmm_qemu_mem_count(m) >= 2 && (high || vm->blob_gpa < (1ull << 32)),
	   "%s: %zu RAM/ROM ranges%s", vm->name, vmm_qemu_mem_count(m),
	   high ? ", some above 4G" : "");
	is(vmm_qemu_mem_read(m, vm->blob_gpa, buf, sizeof(buf), &err), 0,
	   "%s: read the loader blob at %#llx", vm->name, (unsigned long long)vm->blob_gpa);
	ok(!memcmp(buf, vm->data, sizeof(buf)), "%s: it is the file QEMU loaded", vm->name);

	/* scatter data so that the comparisons below are not of zeros */
	for (int i = 0; i < 64 && !r; i++) {
		uint64_t gpa;
		size_t len;

		pick(m, true, &gpa, &len);
		for (size_t k = 0; k < len; k++)
			ref[k] = (uint8_t)rnd();
		r = vmm_qemu_mem_write(m, gpa, ref, len, &err);
	}
	is(r, 0, "%s: 64 random writes into RAM%s%s", vm->name, r ? ": " : "", r ? err.msg : "");
	t = now();
	for (int i = 0; i < 1000; i++) {
		uint64_t gpa;
		size_t len;

		pick(m, false, &gpa, &len);
		if (i % 4 == 0) {	/* a quarter inside the blob or right around it */
			gpa = vm->blob_gpa - 32 + rnd() % (BLOB_SIZE + 32);
			len = 1 + rnd() % 64;
		}
		r = vmm_qemu_mem_read(m, gpa, buf, len, &err);
		if (!r)
			r = pmemsave(q, vm, gpa, len, ref);
		if (r || memcmp(buf, ref, len)) {
			if (bad++ < 5)
				diag("  read %zu at %#llx: %s", len, (unsigned long long)gpa,
				     r ? err.msg : "differs from pmemsave");
		}
		above += gpa >= (1ull << 32);
		for (size_t k = 0; k < len; k++)
			if (buf[k]) {
				nonzero++;
				break;
			}
	}
	is(bad, 0, "%s: 1000 random reads equal pmemsave (%u above 4G, %u non-zero, %.2f s)",
	   vm->name, above, nonzero, now() - t);
	ok(nonzero > 200, "%s: the comparisons were of data, not just zeros", vm->name);

	t = now();
	for (int i = 0; i < 10000; i++)
		vmm_qemu_mem_read(m, vm->blob_gpa + (uint64_t)(i % 1000) * 8, buf, 8, &err);
	diag("%s: 8-byte read through /proc/PID/mem: %.2f us", vm->name, (now() - t) * 1e2);
	t = now();
	for (int i = 0; i < 200; i++) {
		char *out, cmd[64];

		snprintf(cmd, sizeof(cmd), "xp /8xb 0x%llx", (unsigned long long)vm->blob_gpa);
		if (!vmm_qmp_hmp(q, cmd, &out, NULL, &err))
			free(out);
	}
	diag("%s: the same through HMP xp: %.2f us", vm->name, (now() - t) * 1e6 / 200);

	is(vmm_qemu_mem_read(m, 0xfee00000, buf, 8, &err), -EFAULT, "%s: the APIC page is no RAM",
	   vm->name);
	ok(strstr(err.msg, "0xfee00000") != NULL, "  said: %s", err.msg);
	is(vmm_qemu_mem_write(m, 0xfffffff0, buf, 4, &err), -EROFS,
	   "%s: a write to the BIOS ROM is refused", vm->name);
	t = now();
	r = vmm_qemu_mem_refresh(m, q, &err);
	is(r, 0, "%s: refresh (%.1f ms)", vm->name, (now() - t) * 1e3);

	kill(vm->pid, SIGKILL);
	waitpid(vm->pid, NULL, 0);
	vm->pid = 0;
	r = vmm_qemu_mem_read(m, vm->blob_gpa, buf, 8, &err);
	is(r, -EIO, "%s: reading a killed QEMU's memory is -EIO", vm->name);
	ok(strstr(err.msg, "gone") != NULL, "  said: %s", err.msg);
	vmm_qemu_mem_close(m);
}

/*
 * As an unprivileged user (uid 65534, when we are root) the socket is
 * reachable but QEMU's memory is not: the open must say what to change.
 */
static void permission(struct vm *vm)
{
	char msg[VMM_ERR_MAX] = "";
	int fds[2], status = 0;
	pid_t pid;

	if (getuid() != 0) {
		ok(1, "# SKIP not root: cannot try an unprivileged user");
		return;
	}
	if (chmod(vm->dir, 0755) || chmod(vm->sock, 0666) || pipe(fds)) {
		ok(0, "%s: prepare the socket for another user", vm->name);
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct vmm_err err = { 0 };
		struct vmm_qemu_mem *m;
		struct vmm_qmp *q;
		int r = -1;

		if (!setgid(65534) && !setuid(65534) && !connect_vm(vm, &q, 5000, &err)) {
			r = vmm_qemu_mem_open(&m, q, 0, &err);
			vmm_qmp_close(q);
		}
		if (write(fds[1], err.msg, strlen(err.msg)) < 0)
			_exit(99);
		_exit(-r);
	}
	close(fds[1]);
	if (read(fds[0], msg, sizeof(msg) - 1) < 0)
		msg[0] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && (WEXITSTATUS(status) == EACCES || WEXITSTATUS(status) == EPERM),
	   "%s: as uid 65534, open is -EACCES/-EPERM (exit %d)", vm->name, WEXITSTATUS(status));
	ok(strstr(msg, "ptrace") && strstr(msg, "CAP_SYS_PTRACE") && strstr(msg, "ptrace_scope"),
	   "  said: %s", msg);
}

static void events(struct vm *vm, struct vmm_qmp *q)
{
	struct vmm_err err = { 0 };
	struct vmm_qmp_event *ev;
	char names[64] = "";
	bool running = false;
	char state[32];

	ok(!vmm_qmp_execute(q, "cont", NULL, NULL, &err) &&
	   !vmm_qmp_execute(q, "stop", NULL, NULL, &err), "%s: cont and stop", vm->name);
	while (!vmm_qmp_event_next(q, &ev)) {
		if (strlen(names) + strlen(ev->name) + 2 < sizeof(names))
			strcat(strcat(names, ev->name), " ");
		vmm_qmp_event_free(ev);
	}
	is_str(names, "RESUME STOP ", "%s: their events are queued in order", vm->name);
	ok(!vmm_qmp_status(q, state, sizeof(state), &running, &err) && !running &&
	   !strcmp(state, "paused"), "%s: query-status says paused", vm->name);
}

static void run_vm(struct vm *vm)
{
	struct vmm_err err = { 0 };
	struct vmm_qmp *q, *q2;
	char *text[3] = { NULL }, state[32] = "", type[64] = "";
	const char *want = strcmp(vm->machine, "pc") ? "pc-q35-" : "pc-i440fx-";
	bool running = true;
	int major = 0, r;
	size_t total = 0;
	double t;

	if (start_vm(vm)) {
		ok(0, "%s: start QEMU", vm->name);
		return;
	}
	r = connect_vm(vm, &q, 5000, &err);
	is(r, 0, "%s: connect%s%s", vm->name, r ? ": " : "", r ? err.msg : "");
	if (r)
		goto out;
	vmm_qmp_version(q, &major, NULL, NULL);
	ok(major >= 2, "%s: QEMU %s (%s), pid %d", vm->name, vmm_qmp_version(q, NULL, NULL, NULL),
	   vmm_qmp_package(q), (int)vmm_qmp_pid(q));
	is(vmm_qmp_pid(q), vm->pid, "%s: SO_PEERCRED names the QEMU we started", vm->name);
	ok(!vmm_qmp_status(q, state, sizeof(state), &running, &err) && !running &&
	   !strcmp(state, "prelaunch"), "%s: query-status: %s", vm->name, state);
	ok(!vmm_qmp_machine(q, type, sizeof(type), &err) && !strncmp(type, want, strlen(want)),
	   "%s: machine type %s", vm->name, type);
	r = connect_vm(vm, &q2, 300, &err);
	is(r, -EBUSY, "%s: a second client is told the socket is busy", vm->name);
	if (!r)
		vmm_qmp_close(q2);
	t = now();
	for (int i = 0; i < 3; i++) {
		r = vmm_qmp_hmp(q, hmp_cmds[i], &text[i], NULL, &err);
		if (r)
			break;
		total += strlen(text[i]);
	}
	is(r, 0, "%s: the three HMP dumps (%zu bytes, %.1f ms)", vm->name, total, (now() - t) * 1e3);
	if (r)
		goto close;
	ok(!strncmp(text[0], "address-space: ", 15) && !strncmp(text[1], "FlatView #", 10),
	   "%s: they look like QEMU's", vm->name);
	vmm_qmp_close(q);
	q = NULL;
	compare_with_python(vm, text);
	permission(vm);
	r = connect_vm(vm, &q, 5000, &err);
	is(r, 0, "%s: connect again after Python", vm->name);
	if (r)
		goto close;
	events(vm, q);
	memory(vm, q);
	r = vmm_qmp_execute(q, "query-status", NULL, NULL, &err);
	ok(r == -ECONNRESET || r == -EPIPE, "%s: the client sees QEMU's end: %s", vm->name, err.msg);
close:
	vmm_qmp_close(q);
	for (int i = 0; i < 3; i++)
		free(text[i]);
out:
	stop_vm(vm);
}

int main(void)
{
	struct vm pc = { .name = "pc", .machine = "pc", .mem = "128M", .blob_gpa = 0x200000 };
	struct vm q35 = { .name = "q35", .machine = "q35", .mem = "3G",
			  .blob_gpa = 0x100000000ull + 0x3000 };

	if (!have_qemu()) {
		printf("1..0 # SKIP %s not installed\n", qemu_bin());
		return 0;
	}
	run_vm(&pc);
	run_vm(&q35);
	return done_testing();
}
