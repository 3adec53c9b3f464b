// SPDX-License-Identifier: MIT
/*
 * mtree: offline companion of mtreefs. Each subcommand lives in its own file
 * (tools/mtree-*.c) and is listed here once.
 */
#include <stdio.h>
#include <string.h>

#include "mtree.h"

static const struct mtree_cmd cmds[] = {
	{ "render", "build a model from a script and print it as QEMU would", mtree_render },
	{ "import-qemu", "turn QEMU's info mtree -D [-f] [ramblock] text into a script", mtree_import_qemu },
	{ "diff", "compare two topologies or dumps range by range", mtree_diff },
	{ "plot", "draw an address space's flat view as an SVG memory map", mtree_plot },
	{ "pmemsave", "save guest memory from a mount to a file, like QEMU's pmemsave", mtree_pmemsave },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mtree COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-12s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n'mtree COMMAND --help' describes a command; see mtree(1).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "mtree: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
