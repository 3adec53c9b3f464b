/* SPDX-License-Identifier: MIT */
/* The mtree subcommands: each takes (argc, argv) with argv[0] the subcommand name. */
#ifndef MTREE_H
#define MTREE_H

struct mtree_cmd {
	const char *name;
	const char *help;
	int (*fn)(int argc, char **argv);
};

int mtree_render(int argc, char **argv);
int mtree_import_qemu(int argc, char **argv);
int mtree_diff(int argc, char **argv);
int mtree_plot(int argc, char **argv);

/* Read a whole file ("-" is stdin); NULL with errno set. */
char *mtree_slurp(const char *path, size_t *len);

#endif
