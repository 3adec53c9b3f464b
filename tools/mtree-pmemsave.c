// SPDX-License-Identifier: MIT
/*
 * `mtree pmemsave [--as NAME] [--skip-holes] MNT ADDR SIZE FILE`: QEMU's
 * pmemsave, through a mounted mtreefs. Guest-physical memory of one address
 * space is read from MNT/address-spaces/NAME/ram in 1 MiB preads (the file
 * offset is the guest address) and written to FILE. The mount never runs
 * device callbacks, so an io range or a hole cannot be saved: by default the
 * command stops there and names the address; --skip-holes finds them with
 * SEEK_DATA/SEEK_HOLE and writes zeros in their place instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmm/base.h>

#include "mtree.h"
#include "progress.h"

#define CHUNK (1u << 20)

struct pmem {
	int in, out;
	bool out_seekable;
	bool skip_holes;
	uint64_t addr, size;		/* the request */
	uint64_t pos;			/* next guest address to save */
	uint64_t zeros;			/* bytes zero-filled (holes, io) */
	char *buf;
	struct mtree_progress prog;
};

static void pmemsave_usage(FILE *f)
{
	fprintf(f, "usage: mtree pmemsave [--as NAME] [--skip-holes] [--progress|--no-progress]\n"
		   "                      MNT ADDR SIZE FILE\n"
		   "\n"
		   "Save SIZE bytes of guest-physical memory starting at ADDR to FILE, read\n"
		   "from the mtreefs mounted at MNT (MNT/address-spaces/NAME/ram), like QEMU's\n"
		   "pmemsave. ADDR and SIZE: decimal, 0x hex, or with a K M G T suffix.\n"
		   "\n"
		   "  --as NAME       address space to read (default: memory)\n"
		   "  --skip-holes    write zeros for io ranges and holes instead of failing\n"
		   "  --progress      show a progress line on stderr (default: when a terminal)\n"
		   "  --no-progress   never show it\n"
		   "  -h, --help      show this help\n");
}

/* MNT/address-spaces/NAME/ram with NAME escaped as the mount does ('/' %2F, '%' %25). */
static char *ram_path(const char *mnt, const char *as)
{
	struct vmm_buf b;

	vmm_buf_init(&b);
	vmm_buf_printf(&b, "%s/address-spaces/", mnt);
	for (const char *p = as; *p; p++) {
		if (*p == '/')
			vmm_buf_puts(&b, "%2F");
		else if (*p == '%')
			vmm_buf_puts(&b, "%25");
		else
			vmm_buf_put(&b, p, 1);
	}
	vmm_buf_puts(&b, "/ram");
	if (b.oom) {
		vmm_buf_free(&b);
		return NULL;
	}
	return b.data;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Zeros for [pos, pos+len): a sparse gap in a regular file, written zeros otherwise. */
static int zero_fill(struct pmem *s, uint64_t len)
{
	int r = 0;

	if (s->out_seekable) {
		if (lseek(s->out, (off_t)len, SEEK_CUR) < 0)
			return -errno;
	} else {
		memset(s->buf, 0, CHUNK);
		for (uint64_t left = len; left && !r; left -= left < CHUNK ? left : CHUNK)
			r = write_all(s->out, s->buf, left < CHUNK ? left : CHUNK);
	}
	s->pos += len;
	s->zeros += len;
	return r;
}

/* Copy up to @len bytes at s->pos; a failure names the guest address. */
static int copy_data(struct pmem *s, uint64_t len)
{
	ssize_t n;
	int r;

	do
		n = pread(s->in, s->buf, len, (off_t)s->pos);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r = -errno;
		mtree_progress_break(&s->prog);
		if (r == -EIO)
			fprintf(stderr, "mtree pmemsave: 0x%llx: nothing to read there (an io range or a "
				"hole; --skip-holes writes zeros for them)\n", (unsigned long long)s->pos);
		else
			fprintf(stderr, "mtree pmemsave: read at 0x%llx: %s\n",
				(unsigned long long)s->pos, strerror(-r));
		return r;
	}
	if (n == 0) {
		mtree_progress_break(&s->prog);
		fprintf(stderr, "mtree pmemsave: 0x%llx: beyond the last range of the address space\n",
			(unsigned long long)s->pos);
		return -ENXIO;
	}
	r = write_all(s->out, s->buf, (size_t)n);
	if (r) {
		mtree_progress_break(&s->prog);
		fprintf(stderr, "mtree pmemsave: write: %s\n", strerror(-r));
		return r;
	}
	s->pos += (uint64_t)n;
	return 0;
}

/* With --skip-holes: how many bytes at s->pos are data (> 0) or hole (< 0). */
static int64_t classify(struct pmem *s, uint64_t end)
{
	off_t d = lseek(s->in, (off_t)s->pos, SEEK_DATA), h;

	if (d < 0)	/* ENXIO: only holes up to the end of the file */
		return -(int64_t)(end - s->pos);
	if ((uint64_t)d > s->pos)
		return -(int64_t)(((uint64_t)d < end ? (uint64_t)d : end) - s->pos);
	h = lseek(s->in, (off_t)s->pos, SEEK_HOLE);
	if (h < 0 || (uint64_t)h > end)
		h = (off_t)end;
	return (int64_t)((uint64_t)h - s->pos);
}

static int save(struct pmem *s)
{
	uint64_t end = s->addr + s->size;
	int r = 0;

	s->pos = s->addr;
	while (s->pos < end && !r) {
		uint64_t len = end - s->pos < CHUNK ? end - s->pos : CHUNK;
		int64_t k = s->skip_holes ? classify(s, end) : (int64_t)len;

		if (k < 0)
			r = zero_fill(s, (uint64_t)-k);
		else
			r = copy_data(s, (uint64_t)k < len ? (uint64_t)k : len);
		mtree_progress_update(&s->prog, s->pos - s->addr);
	}
	/* A trailing sparse gap needs the file extended to its full size. */
	if (!r && s->out_seekable && ftruncate(s->out, (off_t)s->size) < 0) {
		r = -errno;
		mtree_progress_break(&s->prog);
		fprintf(stderr, "mtree pmemsave: truncate: %s\n", strerror(errno));
	}
	return r;
}

static int parse_args(int argc, char **argv, struct pmem *s, const char **as,
		      enum mtree_progress_mode *mode)
{
	static const struct option opts[] = {
		{ "as", required_argument, NULL, 'a' },
		{ "skip-holes", no_argument, NULL, 's' },
		{ "progress", no_argument, NULL, 'p' },
		{ "no-progress", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': *as = optarg; break;
		case 's': s->skip_holes = true; break;
		case 'p': *mode = MTREE_PROGRESS_ON; break;
		case 'n': *mode = MTREE_PROGRESS_OFF; break;
		case 'h': pmemsave_usage(stdout); return 0;
		default: pmemsave_usage(stderr); return 2;
		}
	}
	if (argc - optind != 4) {
		pmemsave_usage(stderr);
		return 2;
	}
	if (vmm_parse_u64(argv[optind + 1], &s->addr) || vmm_parse_u64(argv[optind + 2], &s->size)) {
		fprintf(stderr, "mtree pmemsave: ADDR and SIZE must be numbers below 2^64\n");
		return 2;
	}
	if (s->addr > INT64_MAX || s->size > INT64_MAX - s->addr) {
		fprintf(stderr, "mtree pmemsave: 0x%llx+0x%llx is beyond the largest file offset (2^63)\n",
			(unsigned long long)s->addr, (unsigned long long)s->size);
		return 1;
	}
	return -1;
}

static int open_files(struct pmem *s, const char *mnt, const char *as, const char *file)
{
	char *path = ram_path(mnt, as);
	struct stat st;

	if (!path)
		return -ENOMEM;
	s->in = open(path, O_RDONLY | O_CLOEXEC);
	if (s->in < 0) {
		fprintf(stderr, "mtree pmemsave: %s: %s%s\n", path, strerror(errno),
			errno == ENOENT ? " (no such address space, or MNT is not an mtreefs mount)" : "");
		free(path);
		return -1;
	}
	free(path);
	s->out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (s->out < 0) {
		fprintf(stderr, "mtree pmemsave: %s: %s\n", file, strerror(errno));
		close(s->in);
		return -1;
	}
	s->out_seekable = !fstat(s->out, &st) && S_ISREG(st.st_mode);
	return 0;
}

int mtree_pmemsave(int argc, char **argv)
{
	enum mtree_progress_mode mode = MTREE_PROGRESS_AUTO;
	struct pmem s = { .in = -1, .out = -1 };
	const char *as = "memory";
	int r;

	r = parse_args(argc, argv, &s, &as, &mode);
	if (r >= 0)
		return r;
	if (open_files(&s, argv[optind], as, argv[optind + 3]))
		return 1;
	r = 1;
	s.buf = malloc(CHUNK);
	if (!s.buf) {
		fprintf(stderr, "mtree pmemsave: out of memory\n");
		goto close_files;
	}
	mtree_progress_start(&s.prog, "pmemsave", NULL, s.size, mode);
	r = save(&s) ? 1 : 0;
	if (!r)
		mtree_progress_finish(&s.prog, s.size);
	if (!r && s.zeros)
		fprintf(stderr, "mtree pmemsave: 0x%llx bytes of io ranges and holes written as zeros\n",
			(unsigned long long)s.zeros);
	free(s.buf);
close_files:
	close(s.in);
	if (close(s.out) && !r) {
		fprintf(stderr, "mtree pmemsave: %s: %s\n", argv[optind + 3], strerror(errno));
		r = 1;
	}
	return r;
}
