// SPDX-License-Identifier: MIT
/*
 * `mtree render`: build a fresh model from a control script, offline, and
 * print it as QEMU's monitor would (`info mtree` by default). A soft
 * accelerator with the KVM listener is attached first, so the memslots and
 * the " KVM" marks of `-f` are exactly those a real VM would get, without
 * /dev/kvm.
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

/**
 * struct render_env - the offline model and its accelerator
 */
struct render_env {
	struct vmm_memory *mem;
	struct vmm_accel *accel;
	struct vmm_listener *kvm;
	bool registered;
};

static void env_free(struct render_env *e)
{
	if (e->registered)
		vmm_memory_listener_unregister(e->mem, e->kvm);
	if (e->mem)
		vmm_memory_free(e->mem);
	if (e->kvm)
		vmm_kvm_listener_free(e->kvm);
	if (e->accel)
		vmm_accel_free(e->accel);
}

static int env_init(struct render_env *e, struct vmm_err *err)
{
	int r;

	memset(e, 0, sizeof(*e));
	e->mem = vmm_memory_new();
	e->accel = e->mem ? vmm_accel_new_soft(0) : NULL;
	e->kvm = e->accel ? vmm_kvm_listener_new(e->accel) : NULL;
	if (!e->kvm)
		return vmm_err_set(err, -ENOMEM, "cannot set up the model: %s", strerror(errno));
	/* the same device kinds as mtreefs, outside a machine */
	vmm_memory_set_device_factory(e->mem, vmm_devices_create, NULL);
	r = vmm_memory_listener_register(e->mem, e->kvm, err);
	if (r)
		return r;
	e->registered = true;
	return 0;
}

static void print_model(struct render_env *e, enum render_what what, struct vmm_buf *out)
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
static void report(const char *script, const struct vmm_ctl_ctx *ctx, const struct vmm_err *err)
{
	const char *msg = err->msg;
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "line %u: ", ctx->line);
	if (ctx->line && !strncmp(msg, prefix, strlen(prefix))) {
		fprintf(stderr, "mtree: %s:%u: %s\n", script, ctx->line, msg + strlen(prefix));
		return;
	}
	fprintf(stderr, "mtree: %s: %s\n", script, msg[0] ? msg : strerror(-err->code));
}

static int render_script(const char *script, enum render_what what)
{
	struct vmm_ctl_ctx ctx = { 0 };
	struct render_env env;
	struct vmm_err err = { 0 };
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
	r = env_init(&env, &err);
	if (r) {
		fprintf(stderr, "mtree: %s\n", err.msg);
		goto out;
	}
	ctx.mem = env.mem;
	r = vmm_ctl_exec(&ctx, text, len, &err);
	if (r) {
		report(script, &ctx, &err);
		goto out;
	}
	if (vmm_memory_depth(env.mem)) {
		fprintf(stderr, "mtree: %s: 'begin' without 'commit' at the end of the script\n",
			script);
		goto out;
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
	vmm_buf_free(&out);
	env_free(&env);
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
