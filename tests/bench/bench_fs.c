// SPDX-License-Identifier: MIT
/*
 * Client side of the filesystem benchmarks (tests/bench/run.sh builds it with
 * $CC alone, it needs no library): sequential reads of a file with a chosen
 * request size (with the time per read and the daemon's CPU per read), a copy of it into another file, random 8-byte preads, timed writes of control commands,
 * repeated open/read/close of one file and a stat walk of a tree. Every mode
 * prints one line of "key=value" figures for run.sh to collect. With
 * "-p PID" the CPU time that process spent during the measurement (summed
 * over its threads from /proc/PID/task/x/schedstat, in nanoseconds) is
 * reported as well: for the mtreefs daemon that is its own time per request,
 * without the kernel's FUSE round trip on the client side.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

static int daemon_pid;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU nanoseconds of every live thread of daemon_pid (0 without -p). */
static uint64_t daemon_cpu_ns(void)
{
	char path[64], line[128];
	struct dirent *de;
	uint64_t sum = 0;
	DIR *d;

	if (!daemon_pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task", daemon_pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char p[400];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/schedstat", path, de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f))
			sum += strtoull(line, NULL, 10);
		fclose(f);
	}
	closedir(d);
	return sum;
}

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "bench_fs: %s %s: %s\n", what, arg ? arg : "", strerror(errno));
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median and 99th percentile of @n samples (sorted in place), in microseconds. */
static void print_lat(const char *prefix, double *s, size_t n)
{
	qsort(s, n, sizeof(*s), cmp_double);
	printf("%smedian_us=%.2f p99_us=%.2f min_us=%.2f", prefix, s[n / 2] * 1e6,
	       s[(size_t)((double)n * 0.99)] * 1e6, s[0] * 1e6);
}

/* seq FILE SIZE BS REPS: best of REPS passes over [0, SIZE) in BS requests. */
static int mode_seq(char **av)
{
	uint64_t size = strtoull(av[0], NULL, 0), bs = strtoull(av[1], NULL, 0);
	const char *file = av[-1];
	int reps = atoi(av[2]), fd;
	double best = 0, nreq;
	uint64_t c0;
	char *buf;

	if (posix_memalign((void **)&buf, 4096, bs))
		die("alloc", NULL);
	memset(buf, 0, bs);
	fd = open(file, O_RDONLY);
	if (fd < 0)
		die("open", file);
	c0 = daemon_cpu_ns();
	for (int r = 0; r < reps; r++) {
		double t0 = now(), t;

		for (uint64_t off = 0; off < size; off += bs) {
			ssize_t n = pread(fd, buf, bs, (off_t)off);

			if (n != (ssize_t)bs)
				die("short pread of", file);
		}
		t = now() - t0;
		if (best == 0 || t < best)
			best = t;
	}
	/* Per read: the client's wall time (best pass) and, with -p, the daemon's CPU (all passes). */
	nreq = (double)((size + bs - 1) / bs);
	printf("gib_s=%.3f best_s=%.4f us_per_read=%.2f daemon_us=%.2f\n",
	       (double)size / best / (1u << 30), best, best / nreq * 1e6,
	       (double)(daemon_cpu_ns() - c0) / 1e3 / (nreq * reps));
	close(fd);
	free(buf);
	return 0;
}

/*
 * vmread PID ADDR SIZE BS REPS: the physical reference for anonymous RAM,
 * which has no fd: best of REPS passes copying [ADDR, ADDR+SIZE) of process
 * PID's memory (the daemon's mapping of a RAM block) in BS pieces with
 * process_vm_readv, i.e. the same pages read without FUSE.
 */
static int mode_vmread(char **av)
{
	pid_t pid = (pid_t)atoi(av[-1]);
	uint64_t addr = strtoull(av[0], NULL, 0), size = strtoull(av[1], NULL, 0);
	uint64_t bs = strtoull(av[2], NULL, 0);
	int reps = atoi(av[3]);
	double best = 0;
	char *buf;

	if (posix_memalign((void **)&buf, 4096, bs))
		die("alloc", NULL);
	memset(buf, 0, bs);
	for (int r = 0; r < reps; r++) {
		double t0 = now(), t;

		for (uint64_t off = 0; off < size; off += bs) {
			struct iovec local = { buf, bs };
			struct iovec remote = { (void *)(uintptr_t)(addr + off), bs };

			if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)bs)
				die("process_vm_readv of", av[-1]);
		}
		t = now() - t0;
		if (best == 0 || t < best)
			best = t;
	}
	printf("gib_s=%.3f best_s=%.4f\n", (double)size / best / (1u << 30), best);
	free(buf);
	return 0;
}

/*
 * copy FILE DST SIZE BS REPS: best of REPS passes copying [0, SIZE) into a
 * new file DST (removed after each pass), as `dd bs=BS` would.
 */
static int mode_copy(char **av)
{
	uint64_t size = strtoull(av[1], NULL, 0), bs = strtoull(av[2], NULL, 0);
	const char *file = av[-1], *dst = av[0];
	int reps = atoi(av[3]), fd = open(file, O_RDONLY);
	double best = 0;
	char *buf;

	if (fd < 0)
		die("open", file);
	if (posix_memalign((void **)&buf, 4096, bs))
		die("alloc", NULL);
	for (int r = 0; r < reps; r++) {
		int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		double t0 = now(), t;

		if (out < 0)
			die("open", dst);
		for (uint64_t off = 0; off < size; off += bs) {
			if (pread(fd, buf, bs, (off_t)off) != (ssize_t)bs)
				die("short pread of", file);
			if (write(out, buf, bs) != (ssize_t)bs)
				die("write", dst);
		}
		close(out);
		t = now() - t0;
		unlink(dst);
		if (best == 0 || t < best)
			best = t;
	}
	printf("gib_s=%.3f best_s=%.4f\n", (double)size / best / (1u << 30), best);
	close(fd);
	free(buf);
	return 0;
}

/* rand FILE LO HI N: 8-byte preads at random 8-aligned offsets in [LO, HI). */
static int mode_rand(char **av)
{
	uint64_t lo = strtoull(av[0], NULL, 0), hi = strtoull(av[1], NULL, 0);
	const char *file = av[-1];
	size_t n = strtoul(av[2], NULL, 0);
	double *s = calloc(n, sizeof(*s));
	uint64_t x = 88172645463325252ull, v, c0;
	int fd = open(file, O_RDONLY);

	if (fd < 0 || !s)
		die("open", file);
	c0 = daemon_cpu_ns();
	for (size_t i = 0; i < n; i++) {
		double t0;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		t0 = now();
		if (pread(fd, &v, 8, (off_t)(lo + (x % ((hi - lo) / 8)) * 8)) != 8)
			die("pread", file);
		s[i] = now() - t0;
	}
	print_lat("", s, n);
	printf(" daemon_us=%.2f\n", (double)(daemon_cpu_ns() - c0) / 1e3 / (double)n);
	close(fd);
	free(s);
	return 0;
}

/*
 * edit CTL N CMD_A CMD_B: N writes alternating CMD_A and CMD_B, each one
 * write() of the whole command line, newline included (a ctl file runs a
 * line when its newline arrives: the commit point); latency per write,
 * after a few untimed warm-up pairs (their number is printed as warmup=).
 */
static int mode_edit(char **av)
{
	const char *ctl = av[-1];
	size_t n = strtoul(av[0], NULL, 0);
	double *s = calloc(n, sizeof(*s));
	size_t i, warm = 2 * (n / 8 < 25 ? n / 8 : 25);
	int fd = open(ctl, O_WRONLY);
	char *cmd[2];
	uint64_t c0;

	if (fd < 0 || !s)
		die("open", ctl);
	for (int k = 0; k < 2; k++)
		if (asprintf(&cmd[k], "%s\n", av[1 + k]) < 0)
			die("alloc", NULL);
	/* Warm up (first allocations, caches), untimed; an even count keeps the state. */
	for (i = 0; i < warm; i++)
		if (write(fd, cmd[i & 1], strlen(cmd[i & 1])) != (ssize_t)strlen(cmd[i & 1]))
			die("write of", cmd[i & 1]);
	c0 = daemon_cpu_ns();
	for (i = 0; i < n; i++) {
		const char *c = cmd[i & 1];
		double t0 = now();

		if (write(fd, c, strlen(c)) != (ssize_t)strlen(c))
			die("write of", c);
		s[i] = now() - t0;
	}
	print_lat("", s, n);
	printf(" daemon_us=%.2f warmup=%zu\n", (double)(daemon_cpu_ns() - c0) / 1e3 / (double)n,
	       warm);
	close(fd);
	free(s);
	free(cmd[0]);
	free(cmd[1]);
	return 0;
}

/* cat FILE N: open, read to EOF, close, N times. */
static int mode_cat(char **av)
{
	const char *file = av[-1];
	size_t n = strtoul(av[0], NULL, 0);
	double *s = calloc(n, sizeof(*s));
	static char buf[1 << 16];
	uint64_t c0 = daemon_cpu_ns();

	if (!s)
		die("alloc", NULL);
	for (size_t i = 0; i < n; i++) {
		double t0 = now();
		int fd = open(file, O_RDONLY);

		if (fd < 0)
			die("open", file);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		s[i] = now() - t0;
	}
	print_lat("", s, n);
	printf(" daemon_us=%.2f\n", (double)(daemon_cpu_ns() - c0) / 1e3 / (double)n);
	free(s);
	return 0;
}

/* Recursive readdir + lstat, as `ls -lR` does; counts entries. */
static uint64_t walk(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t count = 0;

	if (!d)
		die("opendir", dir);
	while ((de = readdir(d))) {
		char p[4096];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &st) < 0)
			die("lstat", p);
		count++;
		if (S_ISDIR(st.st_mode))
			count += walk(p);
	}
	closedir(d);
	return count;
}

/* walk DIR: one cold walk of the tree (the daemon serves every entry). */
static int mode_walk(char **av)
{
	uint64_t c0 = daemon_cpu_ns(), count;
	double t0 = now(), t;

	count = walk(av[-1]);
	t = now() - t0;
	printf("entries=%" PRIu64 " total_s=%.3f per_entry_us=%.2f daemon_us=%.2f\n", count, t,
	       t * 1e6 / (double)count, (double)(daemon_cpu_ns() - c0) / 1e3 / (double)count);
	return 0;
}

static const struct {
	const char *name;
	int nargs;
	int (*fn)(char **av);
} modes[] = {
	{ "seq", 3, mode_seq },   { "copy", 4, mode_copy }, { "rand", 3, mode_rand },
	{ "edit", 3, mode_edit }, { "cat", 1, mode_cat },   { "walk", 0, mode_walk },
	{ "vmread", 4, mode_vmread },
};

int main(int argc, char **argv)
{
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "-p")) {
		daemon_pid = atoi(argv[2]);
		i = 3;
	}
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]) && argc > i + 1; m++)
		if (!strcmp(argv[i], modes[m].name) && argc - i - 2 == modes[m].nargs)
			return modes[m].fn(argv + i + 2);
	fprintf(stderr, "usage: bench_fs [-p PID] seq FILE SIZE BS REPS | copy FILE DST SIZE BS REPS |\n"
			"       rand FILE LO HI N |\n"
			"       edit CTL N CMD_A CMD_B | cat FILE N | walk DIR |\n"
			"       vmread PID ADDR SIZE BS REPS\n");
	return 2;
}
