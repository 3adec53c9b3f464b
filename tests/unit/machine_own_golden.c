// SPDX-License-Identifier: MIT
/*
 * The machines mtreefs builds itself equal QEMU 7.2 as a whole: for pc and
 * q35, -m 128M, 2816M, 3584M, 4G and 6G and -smp 1 and 4, the machine that
 * vmm_machine_create() builds (not run) prints `info mtree`, `info mtree -D`,
 * `info mtree -f` (KVM marks from the soft memslot table) and
 * `info ramblock` exactly as QEMU's `-machine M,accel=kvm -m SIZE -smp N -S
 * -nodefaults` (tests/golden/own-M-SIZE-sN, written by tools/qemu-golden.py),
 * up to the order of the blank-line separated blocks, which QEMU takes from
 * pointer hashing. The only additions are the two I/O ports of our firmware,
 * debugcon at 0x402 and probe at 0x700: the test checks they are there and
 * unmaps them before printing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include "tap.h"

static char *slurp(const char *path)
{
	struct vmm_buf b;

	vmm_buf_init(&b);
	if (vmm_buf_read_file(&b, path)) {
		vmm_buf_free(&b);
		return NULL;
	}
	return vmm_buf_steal(&b, NULL);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * @text's blank-line separated blocks, without "FlatView #N" lines and
 * trailing newlines, sorted and joined by blank lines.
 */
static char *canon(const char *text)
{
	char *blk[256], *p, *q, *copy, *out;
	size_t n = 0, len = 1;

	if (!text)
		return strdup("(missing)");
	copy = strdup(text);
	for (p = copy; *p && n < 256; p = q) {
		q = strstr(p, "\n\n");
		q = q ? q + 2 : p + strlen(p);
		if (!strncmp(p, "FlatView #", 10))
			p = strchr(p, '\n') + 1;
		blk[n] = strndup(p, (size_t)(q - p));
		for (size_t l = strlen(blk[n]); l && blk[n][l - 1] == '\n'; l--)
			blk[n][l - 1] = 0;
		len += strlen(blk[n]) + 2;
		n++;
	}
	qsort(blk, n, sizeof(blk[0]), cmp_str);
	out = calloc(1, len);
	for (size_t i = 0; i < n; i++) {
		strcat(out, blk[i]);
		strcat(out, "\n\n");
		free(blk[i]);
	}
	free(copy);
	return out;
}

/* Our firmware's two ports are there, then out of the way of the comparison. */
static void unmap_own_ports(struct vmm_machine *mc, const char *tag)
{
	static const char *const ids[] = { "debugcon", "probe" };
	struct vmm_err err = { 0 };
	int r = 0;

	vmm_memory_begin(mc->mem);
	for (unsigned i = 0; i < 2; i++) {
		struct vmm_mr *mr = vmm_mr_find(mc->mem, ids[i]);

		r = mr ? vmm_mr_unmap(mr, &err) : -1;
		if (r)
			break;
	}
	if (r)
		vmm_memory_abort(mc->mem);
	else
		r = vmm_memory_commit(mc->mem, &err);
	is(r, 0, "%s: debugcon and probe ports present and unmapped (%s)", tag, err.msg);
}

static void check(const char *machine, const char *size, uint64_t ram, unsigned cpus)
{
	static const char *const files[] = { "mtree", "mtree-D", "mtree-f", "ramblock" };
	struct vmm_machine_opts o;
	struct vmm_machine *mc;
	struct vmm_err err = { 0 };
	char tag[64], path[256];
	int r;

	snprintf(tag, sizeof(tag), "own-%s-%s-s%u", machine, size, cpus);
	vmm_machine_opts_default(&o);
	o.machine = machine;
	o.ram_size = ram;
	o.vcpus = cpus;
	o.accel = "none";
	o.run = false;
	r = vmm_machine_create(&o, &mc, &err);
	is(r, 0, "%s: machine builds (%s)", tag, err.msg);
	if (r)
		return;
	unmap_own_ports(mc, tag);
	for (unsigned i = 0; i < 4; i++) {
		struct vmm_buf b;
		char *got, *want, *g;

		vmm_buf_init(&b);
		if (i < 2)
			vmm_print_mtree(mc->mem, i ? VMM_PRINT_DISABLED : 0, &b);
		else if (i == 2)
			vmm_print_flatview(mc->mem, mc->accel, &b);
		else
			vmm_print_ramblock(mc->mem, &b);
		snprintf(path, sizeof(path), "tests/golden/%s/%s", tag, files[i]);
		g = slurp(path);
		got = canon(b.data ? b.data : "");
		want = canon(g);
		is_str(got, want, "%s: info %s equals QEMU's", tag, files[i]);
		free(got);
		free(want);
		free(g);
		vmm_buf_free(&b);
	}
	vmm_machine_destroy(mc);
}

int main(void)
{
	static const struct { const char *tag; uint64_t ram; } sizes[] = {
		{ "128M", 128ull << 20 }, { "2816M", 2816ull << 20 }, { "3584M", 3584ull << 20 },
		{ "4G", 4ull << 30 }, { "6G", 6ull << 30 },
	};
	static const char *const machines[] = { "pc", "q35" };
	struct vmm_machine_opts o;
	struct vmm_machine *mc;
	struct vmm_err err = { 0 };

	for (unsigned m = 0; m < 2; m++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			for (unsigned c = 1; c <= 4; c += 3)
				check(machines[m], sizes[s].tag, sizes[s].ram, c);
	vmm_machine_opts_default(&o);
	o.machine = "isapc";
	o.accel = "none";
	is(vmm_machine_create(&o, &mc, &err), -EINVAL, "an unknown machine is refused");
	ok(strstr(err.msg, "isapc") != NULL, "and the reason names it: %s", err.msg);
	return done_testing();
}
