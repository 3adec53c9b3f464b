// SPDX-License-Identifier: MIT
/*
 * The model written back as a control script (vmm_ctl_dump_script): the
 * inverse of vmm_ctl_exec, so `dump | exec` on an empty model reproduces the
 * same subregion lists, flat views and `info mtree` text. Mappings are
 * replayed from the tail of each subregion list to its head: a new subregion
 * goes before every sibling of lower or equal priority, so this order rebuilds
 * QEMU's list (highest priority first, newest first among equals) exactly.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/ctl.h>
#include <vmm/memory.h>
#include <vmm/ramblock.h>

static void put_size(struct vmm_buf *out, vmm_u128 v)
{
	char buf[VMM_U128_BUF];

	vmm_buf_printf(out, " %s", vmm_u128_fmt(v, VMM_U128_SIZE, buf));
}

static void put_opt(struct vmm_buf *out, const char *key, const char *v)
{
	vmm_buf_printf(out, " %s=", key);
	vmm_ctl_quote(out, v);
}

static void put_ram_opts(struct vmm_buf *out, const struct vmm_ramblock *rb)
{
	if (!rb)
		return;
	if (rb->backend == VMM_RB_MEMFD) {
		put_opt(out, "backend", "memfd");
	} else if (rb->backend == VMM_RB_FILE && rb->path) {
		vmm_buf_puts(out, " backend=");
		vmm_buf_puts(out, "\"file:");
		for (const char *p = rb->path; *p; p++) {
			if (*p == '"' || *p == '\\')
				vmm_buf_put(out, "\\", 1);
			vmm_buf_put(out, p, 1);
		}
		vmm_buf_puts(out, "\"");
	}
	if (rb->flags & VMM_RB_RESIZEABLE)
		vmm_buf_printf(out, " max=0x%" PRIx64, rb->max_length);
	put_opt(out, "idstr", rb->idstr);
}

static void dump_region(struct vmm_buf *out, const struct vmm_mr *mr)
{
	vmm_buf_printf(out, "%-9s %s", vmm_mr_type_name(mr->type), mr->id);
	if (mr->type == VMM_MR_ALIAS)
		vmm_buf_printf(out, " %s 0x%" PRIx64, mr->alias->id, mr->alias_offset);
	put_size(out, mr->size);
	if (strcmp(mr->name, mr->id))
		put_opt(out, "name", mr->name);
	if (vmm_mr_is_ram(mr))
		put_ram_opts(out, mr->rb);
	if (mr->type == VMM_MR_IO && mr->device && *mr->device)
		put_opt(out, "device", mr->device);
	vmm_buf_puts(out, "\n");
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const void *const *)a, y = (uintptr_t)*(const void *const *)b;

	return x < y ? -1 : x > y;
}

/* Index of @mr in the pointer-sorted array, for the "already written" marks. */
static size_t slot_of(struct vmm_mr **sorted, size_t n, const struct vmm_mr *mr)
{
	struct vmm_mr **p = bsearch(&mr, sorted, n, sizeof(*sorted), cmp_ptr);

	return p ? (size_t)(p - sorted) : n;
}

/*
 * Creation order, except that an alias waits for its target (a retargeted
 * alias may point at a region created after it).
 */
static void dump_regions(struct vmm_memory *m, struct vmm_buf *out)
{
	size_t n = vmm_memory_region_count(m), i = 0;
	struct vmm_mr **sorted = calloc(n ? n : 1, sizeof(*sorted));
	bool *done = calloc(n ? n : 1, sizeof(*done));

	if (!sorted || !done) {
		out->oom = true;
		goto out;
	}
	for (struct vmm_mr *mr = vmm_memory_first_region(m); mr && i < n; mr = mr->all_next)
		sorted[i++] = mr;
	n = i;
	qsort(sorted, n, sizeof(*sorted), cmp_ptr);
	for (struct vmm_mr *mr = vmm_memory_first_region(m); mr; mr = mr->all_next) {
		while (slot_of(sorted, n, mr) < n && !done[slot_of(sorted, n, mr)]) {
			struct vmm_mr *r = mr;

			/* the first not yet written region down the alias chain */
			while (r->alias && slot_of(sorted, n, r->alias) < n &&
			       !done[slot_of(sorted, n, r->alias)])
				r = r->alias;
			dump_region(out, r);
			done[slot_of(sorted, n, r)] = true;
		}
	}
out:
	free(sorted);
	free(done);
}

static void dump_maps_of(struct vmm_buf *out, const struct vmm_mr *parent)
{
	const struct vmm_mr *tail = NULL;

	for (const struct vmm_mr *c = parent->subregions; c; c = c->sib_next)
		tail = c;
	for (const struct vmm_mr *c = tail; c; c = c == parent->subregions ? NULL : c->sib_prev) {
		vmm_buf_printf(out, "map       %s in %s at 0x%" PRIx64, c->id, parent->id, c->addr);
		if (c->priority)
			vmm_buf_printf(out, " prio %d", c->priority);
		vmm_buf_puts(out, "\n");
	}
}

static void dump_attrs(struct vmm_buf *out, const struct vmm_mr *mr)
{
	/* an unmapped region keeps its last addr, and an address-space root renders at it */
	if (!mr->container && mr->addr)
		vmm_buf_printf(out, "set       %s addr 0x%" PRIx64 "\n", mr->id, mr->addr);
	if (!mr->enabled)
		vmm_buf_printf(out, "set       %s enabled off\n", mr->id);
	if (mr->readonly != (mr->type == VMM_MR_ROM))
		vmm_buf_printf(out, "set       %s readonly %s\n", mr->id,
			       mr->readonly ? "on" : "off");
	if (mr->nonvolatile)
		vmm_buf_printf(out, "set       %s nonvolatile on\n", mr->id);
	if (!mr->romd_mode)
		vmm_buf_printf(out, "set       %s romd off\n", mr->id);
	if (mr->dirty_log_mask & VMM_DIRTY_LOG_MIGRATION)
		vmm_buf_printf(out, "set       %s log-dirty on\n", mr->id);
}

void vmm_ctl_dump_script(struct vmm_memory *m, struct vmm_buf *out)
{
	char key[VMM_AS_KEY_MAX];

	vmm_buf_printf(out, "# mtreefs topology: %zu regions\n", vmm_memory_region_count(m));
	dump_regions(m, out);
	for (struct vmm_mr *mr = vmm_memory_first_region(m); mr; mr = mr->all_next)
		dump_maps_of(out, mr);
	for (struct vmm_mr *mr = vmm_memory_first_region(m); mr; mr = mr->all_next)
		dump_attrs(out, mr);
	for (struct vmm_as *as = vmm_memory_first_as(m); as; as = as->next) {
		vmm_buf_puts(out, "address-space ");
		vmm_ctl_quote(out, vmm_as_key(as, key));
		vmm_buf_printf(out, " %s\n", as->root->id);
	}
}
