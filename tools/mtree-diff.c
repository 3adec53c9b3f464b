// SPDX-License-Identifier: MIT
/*
 * mtree diff A B: compare two topologies range by range. Each side may be a
 * control script (built offline and rendered, with the soft accelerator and
 * the KVM listener so memslot marks exist), QEMU's `info mtree -f` text, QEMU's
 * `info mtree -D` text (imported first), or a dump directory as written by
 * tools/qemu-golden.py (its mtree-f, else its mtree-D); with --qmp SOCKET, A
 * is the `info mtree -f` of a running QEMU, fetched over QMP. Exit status 0
 * when the flat views are the same, 1 when they differ, 2 on errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <vmm/ctl.h>
#include <vmm/kvm.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include <vmm/qemu.h>
#include <vmm/qmp.h>

#include "mtree.h"

static void diff_usage(FILE *f)
{
	fprintf(f, "usage: mtree diff [--kvm] A B\n"
		   "       mtree diff [--kvm] --qmp SOCKET B\n\n"
		   "A and B are scripts, QEMU 'info mtree -f' or '-D' dumps, or dump\n"
		   "directories (mtree-f / mtree-D inside). Prints every flat range that\n"
		   "differs ('-' only in A, '+' only in B); exit 0 same, 1 different.\n"
		   "--kvm also compares the ' KVM' memslot marks.\n"
		   "--qmp SOCKET takes A live from the QEMU whose QMP socket that is.\n");
}

/* Build @script offline and print its flat views into @out. */
static int render_script(const char *script, size_t len, struct vmm_buf *out,
			 struct vmm_err *err)
{
	struct mtree_model mm;
	unsigned line;
	int r = mtree_model_build(&mm, script, len, &line, err);

	if (r)
		return r;
	vmm_print_flatview(mm.mem, mm.accel, out);
	mtree_model_free(&mm);
	return 0;
}

static const char *first_line(const char *s)
{
	while (*s == '\n' || *s == '\r')
		s++;
	return s;
}

/* Turn one side (any accepted form) into `info mtree -f` text. */
static int side_text(const char *path, struct vmm_buf *out, struct vmm_err *err)
{
	char *text, *file = NULL;
	struct vmm_buf script;
	struct stat st;
	size_t len;
	int r;

	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		if (asprintf(&file, "%s/mtree-f", path) < 0)
			return vmm_err_set(err, -ENOMEM, "out of memory");
		if (stat(file, &st)) {
			free(file);
			if (asprintf(&file, "%s/mtree-D", path) < 0)
				return vmm_err_set(err, -ENOMEM, "out of memory");
		}
	}
	text = mtree_slurp(file ? file : path, &len);
	if (!text) {
		r = vmm_err_set(err, -errno, "%s: %s", file ? file : path, strerror(errno));
		free(file);
		return r;
	}
	free(file);
	if (!strncmp(first_line(text), "FlatView #", 10)) {
		vmm_buf_put(out, text, len);
		free(text);
		return 0;
	}
	vmm_buf_init(&script);
	if (!strncmp(first_line(text), "address-space: ", 15))
		r = vmm_qemu_import(text, len, NULL, 0, &script, err);
	else
		r = (vmm_buf_put(&script, text, len), 0);
	if (!r)
		r = render_script(script.data ? script.data : "", script.len, out, err);
	vmm_buf_free(&script);
	free(text);
	return r;
}

int mtree_diff(int argc, char **argv)
{
	unsigned flags = VMM_QDIFF_IGNORE_KVM;
	struct vmm_buf a, b, rep;
	struct vmm_err err = { 0 };
	const char *qmp = NULL;
	int i = 1, n, rc = 2;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		diff_usage(stdout);
		return 0;
	}
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--kvm"))
			flags &= ~VMM_QDIFF_IGNORE_KVM;
		else if (!strcmp(argv[i], "--qmp") && i + 1 < argc)
			qmp = argv[++i];
		else if (!strncmp(argv[i], "--qmp=", 6))
			qmp = argv[i] + 6;
		else
			break;
	}
	if (argc - i != (qmp ? 1 : 2)) {
		diff_usage(stderr);
		return 2;
	}
	vmm_buf_init(&a);
	vmm_buf_init(&b);
	vmm_buf_init(&rep);
	if ((qmp ? vmm_qmp_fetch_mtree(qmp, NULL, &a, &err) : side_text(argv[i++], &a, &err)) ||
	    side_text(argv[i], &b, &err)) {
		fprintf(stderr, "mtree diff: %s\n", err.msg);
		goto out;
	}
	n = vmm_flat_text_diff_flags(a.data ? a.data : "", a.len, b.data ? b.data : "", b.len,
				     flags, &rep, &err);
	if (n < 0) {
		fprintf(stderr, "mtree diff: %s\n", err.msg);
		goto out;
	}
	fwrite(rep.data ? rep.data : "", 1, rep.len, stdout);
	rc = n ? 1 : 0;
out:
	vmm_buf_free(&a);
	vmm_buf_free(&b);
	vmm_buf_free(&rep);
	return rc;
}
