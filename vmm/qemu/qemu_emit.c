// SPDX-License-Identifier: MIT
/*
 * Import phase three, output: every live node gets an ID made from its name,
 * then the control script that rebuilds the topology is written: regions in
 * printed order (aliases once their target exists), the maps that put each
 * parent's subregions in QEMU's list order, the attributes, and the address
 * spaces in QEMU's creation order as far as the -f blocks show it. The
 * script's syntax is README.md's "The control language".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ctl.h>
#include <vmm/memory.h>
#include <vmm/text.h>

#include "qemu_dump_priv.h"

#define QID_BASE_MAX 100	/* IDs stay well below VMM_ID_MAX */

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._-:@", c);
}

/* Open-addressing set of the IDs handed out so far (big dumps have 100k regions). */
struct idset {
	const char **slot;
	size_t cap, used;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static bool idset_has(const struct idset *set, const char *id)
{
	for (size_t i = str_hash(id) & (set->cap - 1); set->slot[i]; i = (i + 1) & (set->cap - 1))
		if (!strcmp(set->slot[i], id))
			return true;
	return false;
}

/* @cap is a power of two at least twice the number of IDs, so it never fills. */
static void idset_add(struct idset *set, const char *id)
{
	size_t i = str_hash(id) & (set->cap - 1);

	while (set->slot[i])
		i = (i + 1) & (set->cap - 1);
	set->slot[i] = id;
	set->used++;
}

/*
 * IDs from names: characters outside the ID alphabet become '_'; the first
 * region of a name gets it bare, later ones ".2", ".3", ... in printed order.
 */
static int assign_id(struct qnode *q, struct idset *set)
{
	char base[QID_BASE_MAX], id[QID_BASE_MAX + 16];
	size_t n = 0;

	for (const char *s = q->name; *s && n < sizeof(base) - 1; s++)
		base[n++] = id_char(*s) ? *s : '_';
	base[n] = '\0';
	if (!n || !strcmp(base, ".") || !strcmp(base, ".."))
		snprintf(base, sizeof(base), "region");
	snprintf(id, sizeof(id), "%s", base);
	for (unsigned k = 2; idset_has(set, id); k++)
		snprintf(id, sizeof(id), "%s.%u", base, k);
	q->id = strdup(id);
	if (!q->id)
		return -ENOMEM;
	idset_add(set, q->id);
	return 0;
}

/* IDs in printed order, so the first region of a name gets it bare. */
static int assign_ids(struct qimp *im)
{
	struct idset set = { 0 };
	int r = 0;

	for (set.cap = 16; set.cap < 2 * im->nn; set.cap *= 2)
		;
	set.slot = calloc(set.cap, sizeof(*set.slot));
	if (!set.slot)
		return vmm_err_set(im->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < im->nn && !r; i++)
		if (!im->n[i]->dead)
			r = assign_id(im->n[i], &set);
	free(set.slot);
	return r ? vmm_err_set(im->err, r, "out of memory") : 0;
}

static void put_size(struct vmm_buf *out, vmm_u128 v)
{
	char buf[VMM_U128_BUF];

	vmm_buf_printf(out, " %s", vmm_u128_fmt(v, VMM_U128_SIZE, buf));
}

/*
 * A name from the dump, quoted for the control language. The language has
 * no way to spell a control character (a line holding one is refused), so
 * those, and the C1 controls and line separators that would forge lines of
 * a printout, are written with the printing rule of vmm/text.h: \xNN, which
 * the name then keeps as text.
 */
static void put_quoted(struct vmm_buf *out, const char *name)
{
	struct vmm_buf esc;

	vmm_buf_init(&esc);
	vmm_buf_put_name(&esc, name);
	if (esc.oom) {
		out->oom = true;
	} else {
		vmm_buf_put(&esc, "", 1);	/* the NUL vmm_ctl_quote() stops at */
		vmm_ctl_quote(out, esc.data);
	}
	vmm_buf_free(&esc);
}

static void put_name(struct vmm_buf *out, const struct qnode *q)
{
	if (!strcmp(q->name, q->id))
		return;
	vmm_buf_puts(out, " name=");
	put_quoted(out, q->name);
}

static void emit_create(struct vmm_buf *out, struct qnode *q)
{
	static const char *const cmd[] = {
		[QK_CONTAINER] = "container", [QK_IO] = "io", [QK_RAM] = "ram",
		[QK_ROM] = "rom", [QK_ROMD] = "romd", [QK_ALIAS] = "alias",
	};

	vmm_buf_printf(out, "%s %s", cmd[q->kind], q->id);
	if (q->kind == QK_ALIAS)
		vmm_buf_printf(out, " %s 0x%llx", q->target->id, (unsigned long long)q->aoff);
	put_size(out, q->size);
	put_name(out, q);
	if (q->rb_max > q->size)
		vmm_buf_printf(out, " max=0x%llx", (unsigned long long)q->rb_max);
	if (q->idstr && strcmp(q->idstr, q->name)) {
		vmm_buf_puts(out, " idstr=");
		vmm_ctl_quote(out, q->idstr);
	}
	vmm_buf_puts(out, "\n");
	q->emitted = true;
}

/*
 * The RAM-backed regions first, in the order qemu_ramblock.c planned, which
 * gives each block QEMU's offset and list place; fillers come and go.
 */
static void emit_ram_plan(struct qimp *im, struct vmm_buf *out)
{
	if (im->nrplan)
		vmm_buf_puts(out, "# RAM blocks in ram_addr order, fillers holding QEMU's holes\n");
	if (im->rb_misordered)
		vmm_buf_printf(out, "# note: %zu pair(s) of equally sized RAM blocks list in offset order, "
			       "not QEMU's\n", im->rb_misordered);
	for (size_t i = 0; i < im->nrplan; i++) {
		struct qnode *q = im->rplan[i].q;

		if (im->rplan[i].del)
			vmm_buf_printf(out, "delete %s\n", q->id);
		else
			emit_create(out, q);
	}
}

/* Plain regions in printed order, then aliases once their target exists. */
static int emit_regions(struct qimp *im, struct vmm_buf *out)
{
	size_t left = 0, before;

	for (size_t i = 0; i < im->nn; i++) {
		if (im->n[i]->dead || im->n[i]->emitted)
			continue;
		if (im->n[i]->kind != QK_ALIAS)
			emit_create(out, im->n[i]);
		else
			left++;
	}
	while (left) {
		before = left;
		for (size_t i = 0; i < im->nn; i++) {
			struct qnode *q = im->n[i];

			if (!q->dead && q->kind == QK_ALIAS && !q->emitted && q->target->emitted) {
				emit_create(out, q);
				left--;
			}
		}
		if (left == before)
			break;
	}
	for (size_t i = 0; i < im->nn && left; i++) {
		char nb[4 * 256 + 1];	/* a name of any length the dump allows, escaped */

		if (!im->n[i]->dead && !im->n[i]->emitted)
			return vmm_err_set(im->err, -ELOOP, "line %u: alias '%s' is part of a cycle",
					   im->n[i]->line,
					   vmm_name_printable(im->n[i]->name, nb, sizeof(nb)));
	}
	return 0;
}

/* Mapping in reverse of the wanted list puts every region at the front of it. */
static void emit_maps(struct qnode *p, struct vmm_buf *out)
{
	for (size_t n = p->nkids; n--;)
		vmm_buf_printf(out, "map %s in %s at 0x%llx prio %d\n", p->list[n]->id, p->id,
			       (unsigned long long)p->list[n]->addr, p->list[n]->prio);
}

static void emit_attrs(struct vmm_buf *out, const struct qnode *q)
{
	if (!q->parent && q->addr)
		vmm_buf_printf(out, "set %s addr 0x%llx\n", q->id, (unsigned long long)q->addr);
	if (!q->enabled)
		vmm_buf_printf(out, "set %s enabled off\n", q->id);
	if (q->readonly)
		vmm_buf_printf(out, "set %s readonly on\n", q->id);
	if (q->nv)
		vmm_buf_printf(out, "set %s nonvolatile on\n", q->id);
}

struct as_pick {
	const char *name;	/* as QEMU prints it */
	const char *root;	/* its root's ID */
	const char *root_name;	/* its root's name, as -f prints it */
	bool done;
	unsigned nth;		/* how many of its name were emitted before */
};

static int as_index(const struct qview *v, const struct as_pick *a)
{
	for (size_t k = 0; k < v->nas; k++)
		if (!strcmp(v->as[k], a->name) && !strcmp(v->asroot[k], a->root_name))
			return (int)k;
	return -1;
}

/* @a is listed before @b in the -f block that lists both (by name and root). */
static bool as_before(const struct qimp *im, const struct as_pick *a, const struct as_pick *b)
{
	for (size_t i = 0; i < im->flat.nv; i++) {
		int ia = as_index(&im->flat.v[i], a), ib = as_index(&im->flat.v[i], b);

		if (ia >= 0 && ib >= 0)
			return ia < ib;
	}
	return false;
}

/*
 * QEMU repeats address-space names (one "e1000e" per device): the @nth of a
 * name is created by its key, NAME#K, which the model takes as "the K-th".
 */
static void emit_address_space(struct vmm_buf *out, const char *name, const char *root,
			       unsigned nth)
{
	char key[VMM_AS_KEY_MAX];

	vmm_buf_puts(out, "address-space ");
	if (nth > 1 && (size_t)snprintf(key, sizeof(key), "%s#%u", name, nth) < sizeof(key))
		put_quoted(out, key);
	else
		put_quoted(out, name);
	vmm_buf_printf(out, " %s\n", root);
}

/*
 * Address spaces in QEMU's creation order as far as it shows: each -f block
 * lists its address spaces in that order, -D only sorted by name. Pick, each
 * time, the first remaining one (in -D order) that no remaining one precedes.
 */
static int emit_address_spaces(struct qimp *im, struct vmm_buf *out)
{
	size_t total = 0, k = 0;
	struct as_pick *as;

	for (size_t i = 0; i < im->ng; i++)
		total += im->g[i].nas;
	as = calloc(total ? total : 1, sizeof(*as));
	if (!as)
		return vmm_err_set(im->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < im->ng; i++)
		for (size_t j = 0; j < im->g[i].nas; j++, k++) {
			as[k].name = im->g[i].as[j];
			as[k].root = im->g[i].root->id;
			as[k].root_name = im->g[i].root->name;
		}
	for (size_t left = total; left; left--) {
		size_t pick = total;

		for (size_t i = 0; i < total && pick == total; i++) {
			bool blocked = false;

			for (size_t j = 0; j < total && !blocked && !as[i].done; j++)
				blocked = j != i && !as[j].done && im->have_flat &&
					  as_before(im, &as[j], &as[i]);
			if (!as[i].done && !blocked)
				pick = i;
		}
		if (pick == total)	/* contradictory blocks: keep -D order */
			for (pick = 0; as[pick].done; pick++)
				;
		as[pick].done = true;
		emit_address_space(out, as[pick].name, as[pick].root, ++as[pick].nth);
		/* Later ones of this name are the 2nd, 3rd, ... of it (vmm_as_find()). */
		for (size_t i = 0; i < total; i++)
			if (!as[i].done && !strcmp(as[i].name, as[pick].name))
				as[i].nth = as[pick].nth;
	}
	free(as);
	return 0;
}

int qimp_emit(struct qimp *im, struct vmm_buf *out)
{
	size_t live = 0, nas = 0;
	int r = assign_ids(im);

	if (r)
		return r;
	for (size_t i = 0; i < im->nn; i++)
		live += !im->n[i]->dead && !im->n[i]->filler;
	for (size_t i = 0; i < im->ng; i++)
		nas += im->g[i].nas;
	vmm_buf_printf(out, "# Imported from QEMU's info mtree -D%s%s: %zu regions, %zu address spaces\n",
		       im->have_flat ? " and -f" : "", im->have_ramblock ? " and info ramblock" : "",
		       live, nas);
	emit_ram_plan(im, out);
	r = emit_regions(im, out);
	for (size_t i = 0; i < im->nn && !r; i++)
		if (!im->n[i]->dead && im->n[i]->nkids)
			emit_maps(im->n[i], out);
	for (size_t i = 0; i < im->nn && !r; i++)
		if (!im->n[i]->dead)
			emit_attrs(out, im->n[i]);
	if (!r)
		r = emit_address_spaces(im, out);
	if (!r && out->oom)
		r = vmm_err_set(im->err, -ENOMEM, "out of memory");
	return r;
}
