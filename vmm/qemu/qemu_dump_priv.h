/* SPDX-License-Identifier: MIT */
/*
 * Private to the `info mtree -D` importer, whose three phases share one
 * record of the dump: qemu_parse.c reads the text into nodes (one per printed
 * region, duplicates marked dead) and links each alias to its target;
 * qemu_infer.c settles what the text leaves open (container or io, readonly
 * aliases, QEMU's subregion list order), using the -f ranges when given;
 * qemu_ramblock.c, given `info ramblock`, plans the RAM blocks; and
 * qemu_emit.c names every region and writes the control script. qemu_import.c
 * runs them in that order; none of them calls back into an earlier one.
 */
#ifndef VMM_QEMU_DUMP_PRIV_H
#define VMM_QEMU_DUMP_PRIV_H

#include <vmm/base.h>

#include "qemu_priv.h"

/* Deepest tree level accepted; walks over aliases allow four times as many steps. */
#define QMAX_DEPTH 64

enum qkind { QK_CONTAINER, QK_IO, QK_RAM, QK_ROM, QK_ROMD, QK_ALIAS };

struct qnode {
	char *name;
	char type[16];		/* as printed: ram rom romd ramd i/o */
	bool alias;
	char *tname;		/* alias target's name */
	uint64_t aoff;
	struct qnode *target;
	vmm_u128 size;
	uint64_t addr;		/* relative to the parent; printed start for roots */
	int prio;
	bool enabled, nv, readonly;
	bool visited, evidence;	/* reached by rendering / seen as ranges in -f */
	unsigned rom_hits, ram_hits;	/* -f ranges below it printed rom / ram */
	bool dead;		/* a duplicate printing of another node */
	bool group_root, section_root, emitted;
	unsigned char color;	/* check_cycles(): 0 unseen, 1 on the path, 2 done */
	struct qnode *parent;
	struct qnode **kids;	/* printed order */
	struct qnode **list;	/* QEMU's subregion list order (see sort_list) */
	size_t nkids;
	unsigned line;
	enum qkind kind;
	char *id;
	char *idstr;		/* its RAM block's name, from `info ramblock` */
	uint64_t rb_max;	/* its RAM block's max length (resizeable when > size) */
	bool filler;		/* holds a ram_addr slot while the plan needs it */
};

/* One step of the RAM block plan: create @q, or delete it (a filler). */
struct qstep {
	struct qnode *q;
	bool del;
};

struct qgroup {
	char **as;
	size_t nas;
	struct qnode *root;
};

struct qimp {
	struct qnode **n;	/* every node, in printed order */
	size_t nn;
	struct qgroup *g;
	size_t ng;
	struct qnode **sec;	/* section roots, in printed order */
	size_t nsec;
	struct qflat flat;
	bool have_flat;
	struct qstep *rplan;	/* RAM-backed regions and fillers, in creation order */
	size_t nrplan;
	bool have_ramblock;
	size_t rb_misordered;	/* pairs of equal blocks whose list order is lost */
	struct vmm_err *err;
};

/* Read the -D text into @im (nodes, groups, sections, alias targets); -EINVAL/-ENOMEM. */
int qimp_parse(struct qimp *im, const char *text, size_t len);
/* Refuse alias cycles, then decide every live node's kind, list order and readonly. */
int qimp_infer(struct qimp *im);
/*
 * Read `info ramblock` text: match its blocks to regions, add the unmapped
 * ones as regions, and plan the creation order that gives every block
 * QEMU's offset and list place (@im->rplan); -EINVAL/-ENOMEM.
 */
int qimp_ramblock(struct qimp *im, const char *text, size_t len);
/* Give every live node an ID and append the control script to @out. */
int qimp_emit(struct qimp *im, struct vmm_buf *out);

#endif
