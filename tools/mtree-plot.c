// SPDX-License-Identifier: MIT
/*
 * `mtree plot [--as NAME] [-o FILE] SCRIPT`: build the model from a control
 * script offline (no mount, no KVM), as `mtree render` does, and write one
 * address space's flat view as an SVG memory map (vmm_plot_svg) to FILE or
 * standard output. SCRIPT "-" reads the script from standard input.
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

#include "mtree.h"

static void plot_usage(FILE *f)
{
	fprintf(f, "usage: mtree plot [--as NAME] [-o FILE] SCRIPT\n"
		"\n"
		"Build the topology described by the control script SCRIPT ('-': standard\n"
		"input) and draw the flat view of one address space as an SVG memory map.\n"
		"\n"
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *as_name = NULL, *output = NULL;
	struct vmm_err err = { 0 };
	struct mtree_model mm;
	struct vmm_buf svg;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "a:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': as_name = optarg; break;
		case 'o': output = optarg; break;
		case 'h': plot_usage(stdout); return 0;
		default: plot_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		plot_usage(stderr);
		return 2;
	}
	if (build_model(argv[optind], &mm))
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
