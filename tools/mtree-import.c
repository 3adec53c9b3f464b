// SPDX-License-Identifier: MIT
/*
 * mtree import-qemu: print a control script that rebuilds the topology of a
 * QEMU `info mtree -D` dump, using its `info mtree -f` dump (when given) to
 * settle what the tree text leaves open, and its `info ramblock` text (when
 * given) to reproduce the RAM blocks. A directory argument stands for the
 * mtree-D, mtree-f and ramblock files inside it (the layout
 * tools/qemu-golden.py writes); --qmp SOCKET fetches all three from a
 * running QEMU instead.
 * Big dumps show a progress line on a terminal: lines read, then the total
 * and the rate once the script is built.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmm/qemu.h>
#include <vmm/qmp.h>

#include "mtree.h"
#include "progress.h"

#define READ_CHUNK (1u << 20)

static void import_usage(FILE *f)
{
	fprintf(f, "usage: mtree import-qemu [OPTIONS] TREE_D [FLAT]\n"
		   "       mtree import-qemu [OPTIONS] DIR\n"
		   "       mtree import-qemu --qmp SOCKET\n\n"
		   "TREE_D is QEMU's 'info mtree -D' text, FLAT its 'info mtree -f' text\n"
		   "(optional: it tells io regions from containers and finds readonly\n"
		   "aliases); DIR holds them as mtree-D and mtree-f, and 'info ramblock'\n"
		   "as ramblock when present. The script goes to stdout; '-' reads TREE_D\n"
		   "from stdin.\n\n"
		   "  --ramblock FILE QEMU's 'info ramblock' text: reproduce its blocks (names\n"
		   "                  with device paths, offsets, lengths, unmapped blocks)\n"
		   "  --qmp SOCKET    fetch all three texts from the QEMU whose QMP socket that is\n"
		   "  --progress      show lines read and the rate on stderr (default: when a\n"
		   "                  terminal)\n"
		   "  --no-progress   never show it\n"
		   "  -h, --help      show this help\n");
}

/* @path if it exists, else NULL (freed). */
static char *if_exists(char *path)
{
	struct stat st;

	if (path && stat(path, &st)) {
		free(path);
		return NULL;
	}
	return path;
}

/*
 * Resolve DIR into its mtree-D / mtree-f / ramblock files; @flat and @rb
 * stay NULL when there is none (@rb keeps a --ramblock FILE given).
 */
static int dir_inputs(const char *dir, char **tree, char **flat, char **rb)
{
	if (asprintf(tree, "%s/mtree-D", dir) < 0)
		return -ENOMEM;
	if (asprintf(flat, "%s/mtree-f", dir) < 0)
		return -ENOMEM;
	*flat = if_exists(*flat);
	if (*rb)
		return (*rb = strdup(*rb)) ? 0 : -ENOMEM;
	if (asprintf(rb, "%s/ramblock", dir) < 0)
		return -ENOMEM;
	*rb = if_exists(*rb);
	return 0;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t lines = 0;
	const char *end = p + n;

	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		lines++;
		p++;
	}
	return lines;
}

/* Read a whole input ("-": stdin) in 1 MiB steps, counting lines into @pg. */
static char *read_counted(const char *path, size_t *len, struct mtree_progress *pg, uint64_t *lines)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	size_t cap = READ_CHUNK + 1, n = 0;
	char *buf = fd < 0 ? NULL : malloc(cap), *p;
	ssize_t r = 0;

	if (!buf)
		goto fail;
	for (;;) {
		if (cap - n < READ_CHUNK + 1) {
			p = realloc(buf, cap * 2);
			if (!p)
				goto fail;
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, READ_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		*lines += count_lines(buf + n, (size_t)r);
		n += (size_t)r;
		mtree_progress_update(pg, *lines);
	}
	if (r < 0)
		goto fail;
	buf[n] = '\0';
	*len = n;
	if (fd != STDIN_FILENO)
		close(fd);
	return buf;
fail:
	r = errno;
	free(buf);
	if (fd > STDIN_FILENO)
		close(fd);
	errno = (int)r;
	return NULL;
}

/* Read @path (when not NULL) into @buf, stripping HMP's "\r"; 0 or -1 with the reason shown. */
static int read_input(const char *path, char **buf, size_t *len, struct mtree_progress *pg,
		      uint64_t *lines)
{
	if (!path)
		return 0;
	*buf = read_counted(path, len, pg, lines);
	if (!*buf) {
		mtree_progress_break(pg);
		fprintf(stderr, "mtree import-qemu: %s: %s\n", path, strerror(errno));
		return -1;
	}
	*len = mtree_strip_hmp(*buf, *len);
	return 0;
}

static int import_run(const char *tree_path, const char *flat_path, const char *rb_path,
		      enum mtree_progress_mode mode)
{
	struct vmm_err err = { 0 };
	struct mtree_progress pg;
	struct vmm_qemu_dump d = { 0 };
	struct vmm_buf out;
	uint64_t lines = 0;
	char *tree = NULL, *flat = NULL, *rb = NULL;
	int r = 1;

	vmm_buf_init(&out);
	mtree_progress_start(&pg, "import-qemu", "lines", 0, mode);
	if (read_input(tree_path, &tree, &d.tree_len, &pg, &lines) ||
	    read_input(flat_path, &flat, &d.flat_len, &pg, &lines) ||
	    read_input(rb_path, &rb, &d.ramblock_len, &pg, &lines))
		goto free_out;
	d.tree = tree;
	d.flat = flat;
	d.ramblock = rb;
	mtree_progress_draw(&pg, lines);	/* the import itself reports nothing until done */
	if (vmm_qemu_import_dump(&d, &out, &err)) {
		mtree_progress_break(&pg);
		fprintf(stderr, "mtree import-qemu: %s\n", err.msg);
		goto free_out;
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout)) {
		mtree_progress_break(&pg);
		fprintf(stderr, "mtree import-qemu: write: %s\n", strerror(errno));
		goto free_out;
	}
	mtree_progress_finish(&pg, lines);
	r = 0;
free_out:
	vmm_buf_free(&out);
	free(rb);
	free(flat);
	free(tree);
	return r;
}

/* The three texts live from QEMU's QMP socket, then the same import. */
static int import_qmp(const char *sock)
{
	struct vmm_err err = { 0 };
	struct vmm_qemu_dump d = { 0 };
	struct vmm_buf tree, flat, out;
	struct vmm_qmp *q = NULL;
	char *rb = NULL;
	size_t rb_len = 0;
	int r = 1;

	vmm_buf_init(&tree);
	vmm_buf_init(&flat);
	vmm_buf_init(&out);
	if (vmm_qmp_connect(&q, sock, 0, &err) || vmm_qmp_mtree(q, &tree, &flat, &err) ||
	    vmm_qmp_hmp(q, "info ramblock", &rb, &rb_len, &err)) {
		fprintf(stderr, "mtree import-qemu: %s\n", err.msg);
		goto out;
	}
	d.tree = tree.data ? tree.data : "";
	d.tree_len = tree.len;
	d.flat = flat.data ? flat.data : "";
	d.flat_len = flat.len;
	d.ramblock = rb;
	d.ramblock_len = rb_len;
	if (vmm_qemu_import_dump(&d, &out, &err)) {
		fprintf(stderr, "mtree import-qemu: %s\n", err.msg);
		goto out;
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout)) {
		fprintf(stderr, "mtree import-qemu: write: %s\n", strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (q)
		vmm_qmp_close(q);
	free(rb);
	vmm_buf_free(&tree);
	vmm_buf_free(&flat);
	vmm_buf_free(&out);
	return r;
}

int mtree_import_qemu(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "qmp", required_argument, NULL, 'q' },
		{ "ramblock", required_argument, NULL, 'r' },
		{ "progress", no_argument, NULL, 'p' },
		{ "no-progress", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum mtree_progress_mode mode = MTREE_PROGRESS_AUTO;
	char *tree = NULL, *flat = NULL, *rb = NULL;
	const char *qmp = NULL;
	struct stat st;
	int c, r, nargs;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'q': qmp = optarg; break;
		case 'r': rb = optarg; break;
		case 'p': mode = MTREE_PROGRESS_ON; break;
		case 'n': mode = MTREE_PROGRESS_OFF; break;
		case 'h': import_usage(stdout); return 0;
		default: import_usage(stderr); return 2;
		}
	}
	argv += optind;
	nargs = argc - optind;
	if (qmp && !nargs)
		return import_qmp(qmp);
	if (qmp || nargs < 1 || nargs > 2) {
		import_usage(stderr);
		return 2;
	}
	if (nargs == 1 && !stat(argv[0], &st) && S_ISDIR(st.st_mode)) {
		if (dir_inputs(argv[0], &tree, &flat, &rb)) {
			fprintf(stderr, "mtree import-qemu: out of memory\n");
			return 1;
		}
		r = import_run(tree, flat, rb, mode);
		free(tree);
		free(flat);
		free(rb);
		return r;
	}
	return import_run(argv[0], nargs == 2 ? argv[1] : NULL, rb, mode);
}
