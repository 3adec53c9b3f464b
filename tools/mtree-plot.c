// SPDX-License-Identifier: MIT
/*
 * `mtree plot [--as NAME] [-o FILE] SCRIPT`: build the model from a control
 * script offline (no mount, no KVM), as `mtree render` does, and write one
 * address space's flat view as an SVG memory map (vmm_plot_svg) to FILE or
 * standard output. SCRIPT "-" reads the script from standard input; with
 * --qmp SOCKET the topology is that of a running QEMU, imported live.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ctl.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/plot.h>
#include <vmm/qemu.h>
#include <vmm/qmp.h>

#include "mtree.h"

static void plot_usage(FILE *f)
{
	fprintf(f, "usage: mtree plot [--as NAME] [-o FILE] SCRIPT\n"
		"       mtree plot [--as NAME] [-o FILE] --qmp SOCKET\n"
		"\n"
		"Build the topology described by the control script SCRIPT ('-': standard\n"
		"input) and draw the flat view of one address space as an SVG memory map.\n"
		"\n"
		"  --qmp SOCKET  draw the running QEMU whose QMP socket that is\n"
		"  --as NAME     address space to draw (default: memory, else the first one)\n"
		"  -o FILE       write the SVG to FILE instead of standard output\n"
		"  -h, --help    show this help\n");
}

static int build_model(const char *path, struct mtree_model *mm)
{
	struct vmm_err err = { 0 };
	unsigned line;
	size_t len;
	char *text = mtree_slurp(path, &len);
	int r;

	if (!text) {
		fprintf(stderr, "mtree plot: %s: %s\n", path, strerror(errno));
		return -1;
	}
	r = mtree_model_build(mm, text, len, &line, &err);
	free(text);
	if (r) {
		fprintf(stderr, "mtree plot: %s: %s\n", path, err.msg[0] ? err.msg : strerror(-r));
		return -1;
	}
	return 0;
}

/* The topology of a running QEMU: its `info mtree -D`/`-f` imported live. */
static int build_live(const char *sock, struct mtree_model *mm)
{
	struct vmm_buf tree, flat, script;
	struct vmm_err err = { 0 };
	unsigned line;
	int r;

	vmm_buf_init(&tree);
	vmm_buf_init(&flat);
	vmm_buf_init(&script);
	r = vmm_qmp_fetch_mtree(sock, &tree, &flat, &err);
	if (!r)
		r = vmm_qemu_import(tree.data ? tree.data : "", tree.len,
				    flat.data ? flat.data : "", flat.len, &script, &err);
	if (!r)
		r = mtree_model_build(mm, script.data ? script.data : "", script.len, &line, &err);
	if (r)
		fprintf(stderr, "mtree plot: %s: %s\n", sock, err.msg[0] ? err.msg : strerror(-r));
	vmm_buf_free(&tree);
	vmm_buf_free(&flat);
	vmm_buf_free(&script);
	return r ? -1 : 0;
}

static int write_svg(const char *path, const struct vmm_buf *svg)
{
	FILE *f = path ? fopen(path, "we") : stdout;
	int bad;

	if (!f) {
		fprintf(stderr, "mtree plot: %s: %s\n", path, strerror(errno));
		return -1;
	}
	bad = fwrite(svg->data, 1, svg->len, f) != svg->len;
	bad |= path ? fclose(f) != 0 : fflush(f) != 0;
	if (bad) {
		fprintf(stderr, "mtree plot: %s: %s\n", path ? path : "stdout", strerror(errno));
		return -1;
	}
	return 0;
}

int mtree_plot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "as", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "qmp", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *as_name = NULL, *output = NULL, *qmp = NULL;
	struct vmm_err err = { 0 };
	struct mtree_model mm;
	struct vmm_buf svg;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "a:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': as_name = optarg; break;
		case 'o': output = optarg; break;
		case 'q': qmp = optarg; break;
		case 'h': plot_usage(stdout); return 0;
		default: plot_usage(stderr); return 2;
		}
	}
	if (optind != argc - (qmp ? 0 : 1)) {
		plot_usage(stderr);
		return 2;
	}
	if (qmp ? build_live(qmp, &mm) : build_model(argv[optind], &mm))
		return 1;
	vmm_buf_init(&svg);
	r = vmm_plot_svg(mm.mem, as_name, &svg, &err);
	if (r)
		fprintf(stderr, "mtree plot: %s\n", err.msg[0] ? err.msg : strerror(-r));
	else
		r = write_svg(output, &svg);
	vmm_buf_free(&svg);
	mtree_model_free(&mm);
	return r ? 1 : 0;
}
