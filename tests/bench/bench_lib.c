// SPDX-License-Identifier: MIT
/*
 * Library side of the topology benchmarks, with no FUSE in the way:
 * "gen N FILE" writes the benchmark topology as a control script (a 64 MiB
 * RAM region, N 4 KiB io regions at every other page of a device container
 * at 4 GiB, and a 4 KiB RAM region "edit" that the edit benchmarks map,
 * unmap and move between the io regions); "run FILE ACCEL" builds a machine
 * from it (KVM when ACCEL is kvm) and times one-region edits through
 * vmm_ctl_exec (the same path as a write to the global ctl file) with the
 * memslot ioctls each caused, the raw KVM_SET_USER_MEMORY_REGION cost
 * (add and delete of one slot, on KVM only), a full vmm_flatview_render of the "memory"
 * root and vmm_print_flatview ("edits" after ACCEL skips those two, to
 * profile the edits alone). Figures go to stdout as key=value pairs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmm/ctl.h>
#include <vmm/flatview.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/print.h>

#define DEV_BASE	0x100000000ull	/* the io regions' container */
#define EDIT_A		(DEV_BASE + 0x1000)	/* gaps between io regions */
#define EDIT_B		(DEV_BASE + 0x3000)
#define MAX_REPS	200
#define BUDGET_S	1.0	/* per measured operation */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int gen(unsigned long n, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "# mtreefs benchmark topology: %lu io regions\n", n);
	fprintf(f, "container sys 16E\nram bigram 64M at 0 in sys\n");
	fprintf(f, "container devs 0x%lx in sys at 0x%llx\n", 2 * n * 0x1000 + 0x4000, DEV_BASE);
	for (unsigned long i = 0; i < n; i++)
		fprintf(f, "io r%lu 4K in devs at 0x%lx\n", i, i * 0x2000 + 0x4000);
	fprintf(f, "ram edit 4K\naddress-space memory sys\n");
	return fclose(f) ? -errno : 0;
}

static uint64_t memslot_calls(struct vmm_machine *mc)
{
	struct vmm_accel_stats st;

	vmm_accel_stats(mc->accel, &st);
	return st.set_memslot_calls;
}

static int exec(struct vmm_machine *mc, const char *cmd)
{
	struct vmm_ctl_ctx ctx = { .mem = mc->mem };
	struct vmm_err err;
	int rc;

	vmm_err_clear(&err);
	pthread_mutex_lock(&mc->lock);
	rc = vmm_ctl_exec(&ctx, cmd, strlen(cmd), &err);
	pthread_mutex_unlock(&mc->lock);
	if (rc < 0)
		fprintf(stderr, "bench_lib: %s: %s\n", cmd, err.msg);
	return rc;
}

/*
 * One round of time_edit(): up to MAX_REPS edits in @budget seconds; the
 * median goes to *@median, the memslot ioctls to *@calls and their count to *@n.
 */
static int edit_round(struct vmm_machine *mc, const char *name, const char *cmd,
		      const char *undo, uint64_t gpa, bool slot_after, double budget,
		      double *median, uint64_t *calls, int *count)
{
	double s[MAX_REPS], start = now();
	int n = 0;

	while (n < MAX_REPS && (n < 5 || now() - start < budget)) {
		uint64_t c0 = memslot_calls(mc);
		double t0 = now();

		if (exec(mc, cmd) < 0)
			return -1;
		s[n++] = now() - t0;
		*calls += memslot_calls(mc) - c0;
		if (!vmm_accel_memslot_exact(mc->accel, gpa, 0x1000) != !slot_after) {
			fprintf(stderr, "bench_lib: %s: memslot not updated\n", name);
			return -1;
		}
		if (exec(mc, undo) < 0)
			return -1;
	}
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	*median = s[n / 2];
	*count += n;
	return 0;
}

/*
 * Time @cmd, then check that the slot at @gpa exists (or not), as the edit's
 * commit must have reached the memslots, then put the region back with @undo
 * (untimed). After 5 warm-ups, three rounds share BUDGET_S; the figure is
 * the lowest of their medians (the machine may be shared and KVM's memslot
 * ioctls have their own latency spikes), the ioctl count the mean of all.
 */
static int time_edit(struct vmm_machine *mc, const char *name, const char *cmd,
		     const char *undo, uint64_t gpa, bool slot_after)
{
	double best = 0, median;
	uint64_t calls = 0;
	int n = 0;

	for (int w = 0; w < 5; w++)
		if (exec(mc, cmd) < 0 || exec(mc, undo) < 0)
			return -1;
	for (int r = 0; r < 3; r++) {
		if (edit_round(mc, name, cmd, undo, gpa, slot_after, BUDGET_S / 3, &median,
			       &calls, &n) < 0)
			return -1;
		if (r == 0 || median < best)
			best = median;
	}
	printf("%s_us=%.2f %s_ioctls=%.2f ", name, best * 1e6, name, (double)calls / n);
	return 0;
}

/*
 * The physical reference of an edit: KVM_SET_USER_MEMORY_REGION adding and
 * deleting one 4 KiB slot (a free slot id, above the model's slots), raw,
 * through the same accelerator; medians in microseconds.
 */
static int time_raw_ioctl(struct vmm_machine *mc)
{
	double add[MAX_REPS], del[MAX_REPS];
	uint32_t slot = vmm_accel_caps(mc->accel)->nr_memslots - 1;
	void *page = NULL;
	int n, rc = 0;

	if (vmm_accel_kind(mc->accel) != VMM_ACCEL_KVM)
		return 0;
	if (posix_memalign(&page, 4096, 4096))
		return -1;
	for (n = 0; n < MAX_REPS && !rc; n++) {
		double t0 = now();

		rc = vmm_accel_set_memslot(mc->accel, slot, 0, 0, 0x200000000ull, 4096,
					   (uint64_t)(uintptr_t)page);
		add[n] = now() - t0;
		t0 = now();
		if (!rc)
			rc = vmm_accel_set_memslot(mc->accel, slot, 0, 0, 0x200000000ull, 0,
						   (uint64_t)(uintptr_t)page);
		del[n] = now() - t0;
	}
	free(page);
	if (rc) {
		fprintf(stderr, "bench_lib: raw memslot ioctl: %s\n", strerror(-rc));
		return -1;
	}
	qsort(add, (size_t)n, sizeof(*add), cmp_double);
	qsort(del, (size_t)n, sizeof(*del), cmp_double);
	printf("raw_add_us=%.2f raw_del_us=%.2f ", add[n / 2] * 1e6, del[n / 2] * 1e6);
	return 0;
}

static int time_render(struct vmm_machine *mc)
{
	struct vmm_mr *root = mc->memory_as->root;
	double s[MAX_REPS], start = now();
	size_t nr = 0, len = 0;
	int n = 0;

	while (n < MAX_REPS && (n < 3 || now() - start < BUDGET_S)) {
		double t0 = now();
		struct vmm_flatview *fv = vmm_flatview_render(root);

		s[n++] = now() - t0;
		if (!fv)
			return -1;
		nr = fv->nr;
		vmm_flatview_unref(fv);
	}
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	printf("ranges=%zu render_ms=%.3f ", nr, s[n / 2] * 1e3);
	start = now();
	for (n = 0; n < MAX_REPS && (n < 3 || now() - start < BUDGET_S);) {
		struct vmm_buf b;
		double t0 = now();

		vmm_buf_init(&b);
		vmm_print_flatview(mc->mem, mc->accel, &b);
		s[n++] = now() - t0;
		len = b.len;
		vmm_buf_free(&b);
	}
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	printf("print_flatview_ms=%.3f print_flatview_bytes=%zu ", s[n / 2] * 1e3, len);
	return 0;
}

static int run(const char *script, const char *accel, bool edits_only)
{
	struct vmm_machine_opts o;
	struct vmm_machine *mc;
	char map[128], move[128], back[128];
	struct vmm_err err;
	double t0 = now();
	int rc;

	vmm_machine_opts_default(&o);
	o.script = script;
	o.accel = accel;
	o.run = false;
	vmm_err_clear(&err);
	rc = vmm_machine_create(&o, &mc, &err);
	if (rc < 0) {
		fprintf(stderr, "bench_lib: %s: %s\n", script, err.msg);
		return 1;
	}
	printf("accel=%s regions=%zu build_s=%.3f ", vmm_accel_name(mc->accel),
	       vmm_memory_region_count(mc->mem), now() - t0);
	snprintf(map, sizeof(map), "map edit in devs at 0x%llx", EDIT_A - DEV_BASE);
	snprintf(move, sizeof(move), "set edit addr 0x%llx", EDIT_B - DEV_BASE);
	snprintf(back, sizeof(back), "set edit addr 0x%llx", EDIT_A - DEV_BASE);
	/* The region starts unmapped; each edit is undone before the next. */
	rc = time_edit(mc, "map", map, "unmap edit", EDIT_A, true);
	if (!rc)
		rc = exec(mc, map);
	if (!rc)
		rc = time_edit(mc, "unmap", "unmap edit", map, EDIT_A, false);
	if (!rc)
		rc = time_edit(mc, "move", move, back, EDIT_B, true);
	if (!rc)
		rc = time_raw_ioctl(mc);
	if (!rc && !edits_only)
		rc = time_render(mc);
	printf("\n");
	vmm_machine_destroy(mc);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen")) {
		int rc = gen(strtoul(argv[2], NULL, 0), argv[3]);

		if (rc < 0)
			fprintf(stderr, "bench_lib: %s: %s\n", argv[3], strerror(-rc));
		return rc < 0;
	}
	if ((argc == 4 || (argc == 5 && !strcmp(argv[4], "edits"))) && !strcmp(argv[1], "run"))
		return run(argv[2], argv[3], argc == 5);
	fprintf(stderr, "usage: bench_lib gen N FILE | bench_lib run FILE kvm|none [edits]\n");
	return 2;
}
