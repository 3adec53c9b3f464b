/* SPDX-License-Identifier: MIT */
/* The mtree subcommands: each takes (argc, argv) with argv[0] the subcommand name. */
#ifndef MTREE_H
#define MTREE_H

#include <stdbool.h>
#include <stddef.h>

#include <vmm/base.h>

struct mtree_cmd {
	const char *name;
	const char *help;
	int (*fn)(int argc, char **argv);
};

int mtree_render(int argc, char **argv);
int mtree_import_qemu(int argc, char **argv);
int mtree_diff(int argc, char **argv);
int mtree_plot(int argc, char **argv);
int mtree_pmemsave(int argc, char **argv);

/* Read a whole file ("-" is stdin); NULL with errno set. */
char *mtree_slurp(const char *path, size_t *len);

/*
 * Turn a captured HMP session (what `echo "info mtree -f" | socat -
 * UNIX:qemu.hmp` prints: banner, "(qemu) " prompts, the echoed command in
 * terminal escapes, "\r\n" line ends) into the plain text of the command's
 * output, in place. Text without a QEMU banner or prompt is left alone.
 * Returns the new length.
 */
size_t mtree_strip_hmp(char *text, size_t len);

/**
 * struct mtree_model - a model built offline from a script
 * @mem: the model
 * @accel: the in-process memslot table the KVM listener fills
 * @kvm: the KVM listener (registered while @registered)
 */
struct mtree_model {
	struct vmm_memory *mem;
	struct vmm_accel *accel;
	struct vmm_listener *kvm;
	bool registered;
};

/*
 * Build @mm from the script @text: fresh model, soft accelerator, KVM
 * listener, the daemon's device kinds. Returns 0 or -errno with @err set and
 * *@line the failing script line (0 when not a line's fault).
 */
int mtree_model_build(struct mtree_model *mm, const char *text, size_t len, unsigned *line,
		      struct vmm_err *err);
void mtree_model_free(struct mtree_model *mm);

#endif
