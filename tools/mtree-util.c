// SPDX-License-Identifier: MIT
/*
 * Helpers shared by the mtree subcommands: reading a whole input file (or
 * stdin for "-") into memory, NUL-terminated, so every subcommand parses a
 * plain string; and building a model offline from a script, with a soft
 * accelerator and the KVM listener attached so memslots and " KVM" marks are
 * those a real VM would get, and the daemon's device kinds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmm/ctl.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>

#include "mtree.h"

static char *slurp_fd(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap), *p;
	ssize_t r;

	if (!buf)
		return NULL;
	for (;;) {
		if (cap - n < 2) {
			p = realloc(buf, cap * 2);
			if (!p)
				goto fail;
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:
	r = errno;
	free(buf);
	errno = (int)r;
	return NULL;
}

char *mtree_slurp(const char *path, size_t *len)
{
	char *buf;
	int fd, saved;

	if (!strcmp(path, "-"))
		return slurp_fd(STDIN_FILENO, len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = slurp_fd(fd, len);
	saved = errno;
	close(fd);
	errno = saved;
	return buf;
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
	mm->kvm = mm->accel ? vmm_kvm_listener_new(mm->accel) : NULL;
	if (!mm->kvm) {
		r = vmm_err_set(err, -ENOMEM, "cannot set up the model: %s", strerror(errno));
		goto fail;
	}
	vmm_memory_set_device_factory(mm->mem, vmm_devices_create, NULL);
	r = vmm_memory_listener_register(mm->mem, mm->kvm, err);
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
