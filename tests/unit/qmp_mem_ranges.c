/* SPDX-License-Identifier: MIT */
/*
 * The live guest memory reader without a QEMU: a scripted QMP server (a
 * thread of this test, so SO_PEERCRED names this very process) answers
 * `info mtree -f` with a flat view and `gpa2hva` with the addresses of
 * buffers of this test, so /proc/PID/mem is our own. Checked: only ram and
 * rom ranges of the "memory" address space are taken (i/o, romd and other
 * address spaces are not), a read crossing two adjacent ranges joins them, a
 * hole is -EFAULT naming the address, writes go to RAM only (-EROFS on ROM,
 * -EPERM when opened read-only), a range gpa2hva calls "not RAM" is left out,
 * and a QEMU without gpa2hva is -EOPNOTSUPP saying so.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <vmm/qmp.h>

#include "tap.h"

static char sock_path[108];
static uint8_t ram_lo[0x1000], ram_hi[0x2000], rom[0x1000];
static bool have_gpa2hva;

static const char flat_view[] =
	"FlatView #0\n"
	" AS \"I/O\", root: io\n"
	" Root memory region: io\n"
	"  0000000000000000-0000000000000fff (prio 0, ram): decoy\n"
	"\n"
	"FlatView #1\n"
	" AS \"memory\", root: system\n"
	" AS \"cpu-memory-0\", root: system\n"
	" Root memory region: system\n"
	"  0000000000000000-0000000000000fff (prio 0, ram): lo\n"
	"  0000000000001000-0000000000002fff (prio 0, ram): hi @0000000000000000\n"
	"  0000000000003000-0000000000003fff (prio 0, i/o): dev\n"
	"  0000000000004000-0000000000004fff (prio 0, romd): flash\n"
	"  0000000000005000-0000000000005fff (prio 0, ram): vanished\n"
	"  00000000fffff000-00000000ffffffff (prio 0, rom): bios\n"
	"\n";

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

static long get_line(int fd, char *line, size_t size)
{
	size_t n = 0;
	char *p;

	while (n < size - 1) {
		if (read(fd, &line[n], 1) != 1)
			return -1;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	p = strstr(line, "\"id\":");
	return p ? strtol(p + 5, NULL, 10) : 0;
}

static void reply_text(int fd, long id, const char *text)
{
	struct vmm_buf b;

	vmm_buf_init(&b);
	vmm_buf_puts(&b, "{\"return\": ");
	vmm_json_quote(&b, text, strlen(text));
	vmm_buf_printf(&b, ", \"id\": %ld}\r\n", id);
	put(fd, b.data);
	vmm_buf_free(&b);
}

static void answer(int fd, long id, const char *line)
{
	const char *g = strstr(line, "gpa2hva 0x");
	uint64_t gpa = g ? strtoull(g + 10, NULL, 16) : 0;
	uint8_t *host = NULL;
	char text[128];

	if (strstr(line, "info mtree -f")) {
		reply_text(fd, id, flat_view);
		return;
	}
	if (!g) {
		reply_text(fd, id, "");		/* qmp_capabilities and the like */
		return;
	}
	if (!have_gpa2hva) {
		reply_text(fd, id, "unknown command: 'gpa2hva'\r\n");
		return;
	}
	host = gpa == 0 ? ram_lo : gpa == 0x1000 ? ram_hi : gpa == 0xfffff000 ? rom : NULL;
	if (host)
		snprintf(text, sizeof(text), "Host virtual address for 0x%" PRIx64 " (x) is %p\r\n",
			 gpa, (void *)host);
	else
		snprintf(text, sizeof(text), "Memory at address 0x%" PRIx64 " is not RAM\r\n", gpa);
	reply_text(fd, id, text);
}

static void *serve(void *arg)
{
	int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);
	char line[512];
	long id;

	put(fd, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "
		"\"package\": \"\"}, \"capabilities\": []}}\r\n");
	while ((id = get_line(fd, line, sizeof(line))) >= 0)
		answer(fd, id, line);
	close(fd);
	return NULL;
}

static int attach(struct vmm_qmp **q, pthread_t *t, int *lfd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vmm_err err = { 0 };

	unlink(sock_path);
	strcpy(sa.sun_path, sock_path);
	*lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (*lfd < 0 || bind(*lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(*lfd, 1))
		abort();
	pthread_create(t, NULL, serve, lfd);
	return vmm_qmp_connect(q, sock_path, 2000, &err);
}

static void detach(struct vmm_qmp *q, pthread_t t, int lfd)
{
	vmm_qmp_close(q);
	pthread_join(t, NULL);
	close(lfd);
	unlink(sock_path);
}

static void ranges(void)
{
	const struct vmm_qemu_mem_range *r;
	struct vmm_err err = { 0 };
	struct vmm_qemu_mem *m, *ro;
	uint8_t buf[0x20];
	struct vmm_qmp *q;
	pthread_t t;
	int lfd;

	have_gpa2hva = true;
	for (size_t i = 0; i < sizeof(ram_lo); i++)
		ram_lo[i] = (uint8_t)i;
	memset(ram_hi, 0xab, sizeof(ram_hi));
	memset(rom, 0xcd, sizeof(rom));
	is(attach(&q, &t, &lfd), 0, "attach to the scripted server");
	is(vmm_qemu_mem_open(&m, q, VMM_QEMU_MEM_WRITE, &err), 0, "open (pid %d: ourselves)",
	   (int)vmm_qmp_pid(q));
	if (err.code)
		diag("%s", err.msg);
	is(vmm_qemu_mem_count(m), 3, "ram lo, ram hi and rom bios; not io, romd or the vanished");
	r = vmm_qemu_mem_range(m, 1);
	ok(r && r->gpa == 0x1000 && r->size == 0x2000 && r->hva == (uintptr_t)ram_hi &&
	   r->writable && !strcmp(r->name, "hi"), "range 1 is 'hi' at its buffer");
	r = vmm_qemu_mem_range(m, 2);
	ok(r && r->gpa == 0xfffff000 && !r->writable && !strcmp(r->name, "bios"),
	   "range 2 is the read-only 'bios'");
	ok(vmm_qemu_mem_range(m, 3) == NULL, "no range 3");

	is(vmm_qemu_mem_read(m, 0xff0, buf, 0x20, &err), 0, "a read across lo and hi");
	ok(buf[0] == 0xf0 && buf[15] == 0xff && buf[16] == 0xab && buf[31] == 0xab,
	   "  joins both buffers");
	is(vmm_qemu_mem_read(m, 0x2ff0, buf, 0x20, &err), -EFAULT, "a read running into io");
	ok(strstr(err.msg, "0x3000") != NULL, "  names the first bad address: %s", err.msg);
	is(vmm_qemu_mem_read(m, 0x4000, buf, 1, &err), -EFAULT, "romd is not read");
	is(vmm_qemu_mem_read(m, 0xffffffff, buf, 2, &err), -EFAULT, "a read past the last range");
	is(vmm_qemu_mem_read(m, UINT64_MAX, buf, 2, &err), -EFAULT, "a read wrapping 2^64");
	is(vmm_qemu_mem_read(m, 0xfffffffe, buf, 2, &err), 0, "the end of the rom");
	ok(buf[0] == 0xcd && buf[1] == 0xcd, "  reads the rom buffer");

	memset(buf, 0x5a, sizeof(buf));
	is(vmm_qemu_mem_write(m, 0xffe, buf, 4, &err), 0, "a write across lo and hi");
	ok(ram_lo[0xffe] == 0x5a && ram_lo[0xfff] == 0x5a && ram_hi[0] == 0x5a &&
	   ram_hi[1] == 0x5a && ram_hi[2] == 0xab, "  lands in both buffers, nowhere else");
	is(vmm_qemu_mem_write(m, 0xfffff000, buf, 1, &err), -EROFS, "a write to rom is -EROFS");
	ok(rom[0] == 0xcd, "  and leaves it alone");
	is(vmm_qemu_mem_write(m, 0x2ffe, buf, 4, &err), -EFAULT, "a write running into io");
	ok(ram_hi[0x1ffe] == 0xab && ram_hi[0x1fff] == 0xab, "  writes nothing at all");

	is(vmm_qemu_mem_open(&ro, q, 0, &err), 0, "a second, read-only view");
	is(vmm_qemu_mem_write(ro, 0, buf, 1, &err), -EPERM, "  refuses writes: %s", err.msg);
	vmm_qemu_mem_close(ro);
	is(vmm_qemu_mem_refresh(m, q, &err), 0, "refresh");
	is(vmm_qemu_mem_count(m), 3, "  finds the same ranges");
	vmm_qemu_mem_close(m);
	detach(q, t, lfd);
}

static void no_gpa2hva(void)
{
	struct vmm_err err = { 0 };
	struct vmm_qemu_mem *m = NULL;
	struct vmm_qmp *q;
	pthread_t t;
	int lfd;

	have_gpa2hva = false;
	is(attach(&q, &t, &lfd), 0, "attach to a server without gpa2hva");
	is(vmm_qemu_mem_open(&m, q, 0, &err), -EOPNOTSUPP, "open is -EOPNOTSUPP");
	ok(m == NULL && strstr(err.msg, "gpa2hva"), "  said: %s", err.msg);
	detach(q, t, lfd);
}

int main(void)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/qmp-mem-%d.sock", (int)getpid());
	ranges();
	no_gpa2hva();
	return done_testing();
}
