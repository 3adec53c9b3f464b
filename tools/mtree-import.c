// SPDX-License-Identifier: MIT
/*
 * mtree import-qemu: print a control script that rebuilds the topology of a
 * QEMU `info mtree -D` dump, using its `info mtree -f` dump (when given) to
 * settle what the tree text leaves open. A directory argument stands for the
 * mtree-D and mtree-f files inside it (the layout tools/qemu-golden.py writes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmm/qemu.h>

#include "mtree.h"

static void import_usage(FILE *f)
{
	fprintf(f, "usage: mtree import-qemu TREE_D [FLAT]\n"
		   "       mtree import-qemu DIR\n\n"
		   "TREE_D is QEMU's 'info mtree -D' text, FLAT its 'info mtree -f' text\n"
		   "(optional: it tells io regions from containers and finds readonly\n"
		   "aliases); DIR holds both as mtree-D and mtree-f. The script goes to\n"
		   "stdout; '-' reads TREE_D from stdin.\n");
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

static int import_run(const char *tree_path, const char *flat_path)
{
	struct vmm_err err = { 0 };
	struct vmm_buf out;
	size_t tlen = 0, flen = 0;
	char *tree, *flat = NULL;
	int r = 1;

	tree = mtree_slurp(tree_path, &tlen);
	if (!tree) {
		fprintf(stderr, "mtree import-qemu: %s: %s\n", tree_path, strerror(errno));
		return 1;
	}
	if (flat_path && !(flat = mtree_slurp(flat_path, &flen))) {
		fprintf(stderr, "mtree import-qemu: %s: %s\n", flat_path, strerror(errno));
		goto free_tree;
	}
	vmm_buf_init(&out);
	if (vmm_qemu_import(tree, tlen, flat, flen, &out, &err)) {
		fprintf(stderr, "mtree import-qemu: %s\n", err.msg);
		goto free_out;
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout)) {
		fprintf(stderr, "mtree import-qemu: write: %s\n", strerror(errno));
		goto free_out;
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "mtree import-qemu: %zu bytes of script\n", out.len);
	r = 0;
free_out:
	vmm_buf_free(&out);
	free(flat);
free_tree:
	free(tree);
	return r;
}

int mtree_import_qemu(int argc, char **argv)
{
	char *tree = NULL, *flat = NULL;
	struct stat st;
	int r;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		import_usage(stdout);
		return 0;
	}
	if (argc < 2 || argc > 3) {
		import_usage(stderr);
		return 2;
	}
	if (argc == 2 && !stat(argv[1], &st) && S_ISDIR(st.st_mode)) {
		if (dir_inputs(argv[1], &tree, &flat)) {
			fprintf(stderr, "mtree import-qemu: out of memory\n");
			return 1;
		}
		r = import_run(tree, flat);
		free(tree);
		free(flat);
		return r;
	}
	return import_run(argv[1], argc == 3 ? argv[2] : NULL);
}
