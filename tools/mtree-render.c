// SPDX-License-Identifier: MIT
/*
 * `mtree render`: build a fresh model from a control script, offline, and
 * print it as QEMU's monitor would (`info mtree` by default). The model is
 * built by mtree_model_build(), so the memslots and the " KVM" marks of `-f`
 * are exactly those a real VM would get, without /dev/kvm.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ctl.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/print.h>

#include "mtree.h"

enum render_what { R_MTREE, R_DISABLED, R_FLAT, R_RAMBLOCK, R_MEMSLOTS, R_JSON, R_SCRIPT };

static void render_usage(FILE *f)
{
	fprintf(f,
		"usage: mtree render [-f|-D|--ramblock|--memslots|--json|--script] SCRIPT\n"
		"\n"
		"Build the memory model described by SCRIPT (a control-language script,\n"
		"\"-\" for stdin) and print it as QEMU 7.2 prints it:\n"
		"  (default)    info mtree\n"
		"  -D           info mtree -D (disabled regions too)\n"
		"  -f           info mtree -f (flat views, \" KVM\" where a memslot covers a range)\n"
		"  --ramblock   info ramblock\n"
		"  --memslots   the KVM memslots the model gives\n"
		"  --json       everything, as one JSON document\n"
		"  --script     the model written back as a script (normalized: creation\n"
		"               order, mappings, attributes, address spaces)\n"
		"Errors are reported as SCRIPT:LINE: reason, with exit status 1.\n");
}

static void print_model(struct mtree_model *e, enum render_what what, struct vmm_buf *out)
{
	switch (what) {
	case R_MTREE:    vmm_print_mtree(e->mem, 0, out); break;
	case R_DISABLED: vmm_print_mtree(e->mem, VMM_PRINT_DISABLED, out); break;
	case R_FLAT:     vmm_print_flatview(e->mem, e->accel, out); break;
	case R_RAMBLOCK: vmm_print_ramblock(e->mem, out); break;
	case R_MEMSLOTS: vmm_print_memslots(e->accel, out); break;
	case R_JSON:     vmm_print_json(e->mem, e->accel, out); break;
	case R_SCRIPT:   vmm_ctl_dump_script(e->mem, out); break;
	}
}

/* "line N: reason" from the ctl layer becomes "SCRIPT:N: reason". */
static void report(const char *script, unsigned line, const struct vmm_err *err)
{
	const char *msg = err->msg;
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "line %u: ", line);
	if (line && !strncmp(msg, prefix, strlen(prefix))) {
		fprintf(stderr, "mtree: %s:%u: %s\n", script, line, msg + strlen(prefix));
		return;
	}
	fprintf(stderr, "mtree: %s: %s\n", script, msg[0] ? msg : strerror(-err->code));
}

static int render_script(const char *script, enum render_what what)
{
	struct mtree_model env;
	struct vmm_err err = { 0 };
	unsigned line;
	struct vmm_buf out;
	size_t len;
	char *text;
	int r, rc = 1;

	text = mtree_slurp(script, &len);
	if (!text) {
		fprintf(stderr, "mtree: %s: %s\n", script, strerror(errno));
		return 1;
	}
	vmm_buf_init(&out);
	r = mtree_model_build(&env, text, len, &line, &err);
	if (r) {
		report(script, line, &err);
		goto out_text;
	}
	print_model(&env, what, &out);
	if (out.oom) {
		fprintf(stderr, "mtree: out of memory\n");
		goto out;
	}
	if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len)
		fprintf(stderr, "mtree: write: %s\n", strerror(errno));
	else
		rc = fflush(stdout) ? 1 : 0;
out:
	mtree_model_free(&env);
out_text:
	vmm_buf_free(&out);
	free(text);
	return rc;
}

int mtree_render(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ramblock", no_argument, NULL, 'r' },
		{ "memslots", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "script", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum render_what what = R_MTREE;
	int c, n = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+fDh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': what = R_FLAT; n++; break;
		case 'D': what = R_DISABLED; n++; break;
		case 'r': what = R_RAMBLOCK; n++; break;
		case 's': what = R_MEMSLOTS; n++; break;
		case 'j': what = R_JSON; n++; break;
		case 'S': what = R_SCRIPT; n++; break;
		case 'h': render_usage(stdout); return 0;
		default: render_usage(stderr); return 2;
		}
	}
	if (n > 1 || optind != argc - 1) {
		render_usage(stderr);
		return 2;
	}
	return render_script(argv[optind], what);
}
