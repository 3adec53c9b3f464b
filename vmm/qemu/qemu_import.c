// SPDX-License-Identifier: MIT
/*
 * QEMU dump importer: turns `info mtree -D` text (and, when given, the
 * `info mtree -f` text of the same machine) into a control script that
 * rebuilds the same topology. This file only runs the phases in order —
 * read the -f text (qemu_flat.c), read the -D text (qemu_parse.c), settle
 * what it leaves open (qemu_infer.c), plan the RAM blocks of an `info
 * ramblock` text (qemu_ramblock.c), write the script (qemu_emit.c) — and
 * frees what they built; doc/mtree.1 describes `mtree import-qemu`.
 */
#include <stdlib.h>

#include <vmm/qemu.h>

#include "qemu_dump_priv.h"

static void imp_free(struct qimp *im)
{
	for (size_t i = 0; i < im->nn; i++) {
		free(im->n[i]->name);
		free(im->n[i]->tname);
		free(im->n[i]->kids);
		free(im->n[i]->list);
		free(im->n[i]->id);
		free(im->n[i]->idstr);
		free(im->n[i]);
	}
	for (size_t i = 0; i < im->ng; i++) {
		for (size_t j = 0; j < im->g[i].nas; j++)
			free(im->g[i].as[j]);
		free(im->g[i].as);
	}
	free(im->n);
	free(im->g);
	free(im->sec);
	free(im->rplan);
	if (im->have_flat)
		qflat_free(&im->flat);
}

int vmm_qemu_import_dump(const struct vmm_qemu_dump *d, struct vmm_buf *out,
			 struct vmm_err *err)
{
	struct qimp im = { .err = err };
	int r;

	vmm_err_clear(err);
	if (d->flat) {
		r = qflat_parse(d->flat, d->flat_len, &im.flat, err);
		if (r)
			return r;
		im.have_flat = true;
	}
	r = qimp_parse(&im, d->tree, d->tree_len);
	if (!r)
		r = qimp_infer(&im);
	if (!r && d->ramblock) {
		im.have_ramblock = true;
		r = qimp_ramblock(&im, d->ramblock, d->ramblock_len);
	}
	if (!r)
		r = qimp_emit(&im, out);
	imp_free(&im);
	return r;
}

int vmm_qemu_import(const char *tree, size_t tree_len, const char *flat, size_t flat_len,
		    struct vmm_buf *out, struct vmm_err *err)
{
	struct vmm_qemu_dump d = {
		.tree = tree, .tree_len = tree_len, .flat = flat, .flat_len = flat_len,
	};

	return vmm_qemu_import_dump(&d, out, err);
}
