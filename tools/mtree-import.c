// SPDX-License-Identifier: MIT
/*
 * mtree import-qemu: print a control script that rebuilds the topology of a
 * QEMU `info mtree -D` dump, using its `info mtree -f` dump (when given) to
 * settle what the tree text leaves open. A directory argument stands for the
 * mtree-D and mtree-f files inside it (the layout tools/qemu-golden.py writes);
 * --qmp SOCKET fetches both from a running QEMU instead.
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
	fprintf(f, "usage: mtree import-qemu [--progress|--no-progress] TREE_D [FLAT]\n"
		   "       mtree import-qemu [--progress|--no-progress] DIR\n"
		   "       mtree import-qemu --qmp SOCKET\n\n"
		   "TREE_D is QEMU's 'info mtree -D' text, FLAT its 'info mtree -f' text\n"
		   "(optional: it tells io regions from containers and finds readonly\n"
		   "aliases); DIR holds both as mtree-D and mtree-f. The script goes to\n"
		   "stdout; '-' reads TREE_D from stdin.\n\n"
		   "  --qmp SOCKET    fetch both texts from the QEMU whose QMP socket that is\n"
		   "  --progress      show lines read and the rate on stderr (default: when a\n"
		   "                  terminal)\n"
		   "  --no-progress   never show it\n"
		   "  -h, --help      show this help\n");
}

/* Resolve DIR into its mtree-D / mtree-f files; @flat stays NULL if there is none. */
static int dir_inputs(const char *dir, char **tree, char **flat)
{
	struct stat st;

	if (asprintf(tree, "%s/mtree-D", dir) < 0)
		return -ENOMEM;
	if (asprintf(flat, "%s/mtree-f", dir) < 0)
		return -ENOMEM;
	if (stat(*flat, &st)) {
		free(*flat);
		*flat = NULL;
	}
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

static int import_run(const char *tree_path, const char *flat_path, enum mtree_progress_mode mode)
{
	struct vmm_err err = { 0 };
	struct mtree_progress pg;
	struct vmm_buf out;
	size_t tlen = 0, flen = 0;
	uint64_t lines = 0;
	char *tree, *flat = NULL;
	int r = 1;

	mtree_progress_start(&pg, "import-qemu", "lines", 0, mode);
	tree = read_counted(tree_path, &tlen, &pg, &lines);
	if (!tree) {
		mtree_progress_break(&pg);
		fprintf(stderr, "mtree import-qemu: %s: %s\n", tree_path, strerror(errno));
		return 1;
	}
	if (flat_path && !(flat = read_counted(flat_path, &flen, &pg, &lines))) {
		mtree_progress_break(&pg);
		fprintf(stderr, "mtree import-qemu: %s: %s\n", flat_path, strerror(errno));
		goto free_tree;
	}
	tlen = mtree_strip_hmp(tree, tlen);
	if (flat)
		flen = mtree_strip_hmp(flat, flen);
	vmm_buf_init(&out);
	mtree_progress_draw(&pg, lines);	/* the import itself reports nothing until done */
	if (vmm_qemu_import(tree, tlen, flat, flen, &out, &err)) {
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
	free(flat);
free_tree:
	free(tree);
	return r;
}

/* Both texts live from QEMU's QMP socket, then the same import. */
static int import_qmp(const char *sock)
{
	struct vmm_err err = { 0 };
	struct vmm_buf tree, flat, out;
	int r = 1;

	vmm_buf_init(&tree);
	vmm_buf_init(&flat);
	vmm_buf_init(&out);
	if (vmm_qmp_fetch_mtree(sock, &tree, &flat, &err) ||
	    vmm_qemu_import(tree.data ? tree.data : "", tree.len, flat.data ? flat.data : "",
			    flat.len, &out, &err)) {
		fprintf(stderr, "mtree import-qemu: %s\n", err.msg);
		goto out;
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout)) {
		fprintf(stderr, "mtree import-qemu: write: %s\n", strerror(errno));
		goto out;
	}
	r = 0;
out:
	vmm_buf_free(&tree);
	vmm_buf_free(&flat);
	vmm_buf_free(&out);
	return r;
}

int mtree_import_qemu(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "qmp", required_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, 'p' },
		{ "no-progress", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum mtree_progress_mode mode = MTREE_PROGRESS_AUTO;
	char *tree = NULL, *flat = NULL;
	const char *qmp = NULL;
	struct stat st;
	int c, r, nargs;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'q': qmp = optarg; break;
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
		if (dir_inputs(argv[0], &tree, &flat)) {
			fprintf(stderr, "mtree import-qemu: out of memory\n");
			return 1;
		}
		r = import_run(tree, flat, mode);
		free(tree);
		free(flat);
		return r;
	}
	return import_run(argv[0], nargs == 2 ? argv[1] : NULL, mode);
}
