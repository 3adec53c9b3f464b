// SPDX-License-Identifier: MIT
/*
 * Helpers shared by the mtree subcommands: reading a whole input file (or
 * stdin for "-") into memory, NUL-terminated, so every subcommand parses a
 * plain string; and building a model offline from a script, with a soft
 * accelerator wired by vmm_machine_wire() exactly as the daemon's machine is,
 * so memslots, " KVM" marks and device kinds are those a real VM would get.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmm/ctl.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>

#include "mtree.h"

char *mtree_slurp(const char *path, size_t *len)
{
	struct vmm_buf b;
	int r;

	vmm_buf_init(&b);
	r = strcmp(path, "-") ? vmm_buf_read_file(&b, path) : vmm_buf_read_fd(&b, STDIN_FILENO);
	if (r) {
		vmm_buf_free(&b);
		errno = -r;
		return NULL;
	}
	/* a QEMU monitor transcript reads as the text QEMU printed */
	if (b.data) {
		b.len = mtree_strip_hmp(b.data, b.len);
		b.data[b.len] = '\0';
	}
	return vmm_buf_steal(&b, len);
}

static bool is_hmp(const char *text, size_t len)
{
	static const char banner[] = "QEMU ", prompt[] = "(qemu)";

	return (len >= sizeof(banner) - 1 && !memcmp(text, banner, sizeof(banner) - 1) &&
		memmem(text, len, " monitor - type 'help'", 22)) ||
	       (len >= sizeof(prompt) - 1 && !memcmp(text, prompt, sizeof(prompt) - 1)) ||
	       memmem(text, len, "\n(qemu)", 7);
}

/* Length of the terminal escape (ESC [ params final) at @p, 0 if none. */
static size_t csi_len(const char *p, const char *end)
{
	const char *q = p + 2;

	if (end - p < 2 || p[0] != '\033' || p[1] != '[')
		return 0;
	while (q < end && !(*q >= 0x40 && *q <= 0x7e))
		q++;
	return q < end ? (size_t)(q - p + 1) : (size_t)(end - p);
}

size_t mtree_strip_hmp(char *text, size_t len)
{
	const char *in = text, *end = text + len;
	char *out = text, *line = text;
	size_t n;

	if (!is_hmp(text, len))
		return len;
	while (in < end) {
		if ((n = csi_len(in, end))) {
			in += n;
		} else if (*in == '\r') {
			in++;
		} else {
			*out++ = *in++;
			if (out[-1] != '\n' && in < end)
				continue;
			/* a whole line: drop the banner and prompt lines (the echoed command) */
			if ((size_t)(out - line) >= 6 && (!memcmp(line, "(qemu)", 6) ||
			    (!memcmp(line, "QEMU ", 5) && memmem(line, (size_t)(out - line),
								   " monitor - type 'help'", 22))))
				out = line;
			line = out;
		}
	}
	*out = '\0';
	return (size_t)(out - text);
}

void mtree_model_free(struct mtree_model *mm)
{
	if (mm->registered)
		vmm_memory_listener_unregister(mm->mem, mm->kvm);
	if (mm->mem)
		vmm_memory_free(mm->mem);
	if (mm->kvm)
		vmm_kvm_listener_free(mm->kvm);
	if (mm->accel)
		vmm_accel_free(mm->accel);
	memset(mm, 0, sizeof(*mm));
}

int mtree_model_build(struct mtree_model *mm, const char *text, size_t len, unsigned *line,
		      struct vmm_err *err)
{
	struct vmm_ctl_ctx ctx = { 0 };
	int r;

	memset(mm, 0, sizeof(*mm));
	*line = 0;
	mm->mem = vmm_memory_new();
	mm->accel = mm->mem ? vmm_accel_new_soft(0) : NULL;
	if (!mm->accel) {
		r = vmm_err_set(err, -ENOMEM, "cannot set up the model: %s", strerror(errno));
		goto fail;
	}
	/* wired as the daemon's machine is, minus the machine the devices would talk to */
	r = vmm_machine_wire(mm->mem, mm->accel, NULL, &mm->kvm, err);
	if (r)
		goto fail;
	mm->registered = true;
	ctx.mem = mm->mem;
	r = vmm_ctl_exec(&ctx, text, len, err);
	*line = ctx.line;
	if (r)
		goto fail;
	if (vmm_memory_depth(mm->mem)) {
		r = vmm_err_set(err, -EINVAL, "'begin' without 'commit' at the end of the script");
		goto fail;
	}
	return 0;
fail:
	mtree_model_free(mm);
	return r;
}
