// SPDX-License-Identifier: MIT
/*
 * RAM-block creation cost as blocks accumulate: "bench_ramblock [LO HI
 * WINDOW]" creates 4 KiB anonymous blocks one after another in one RAM list
 * until HI + WINDOW/2 exist and reports the median time of one
 * vmm_ramblock_new() over the WINDOW creations centred on the LO-th and on
 * the HI-th block (defaults 500, 10000, 100), best of three runs, as
 * lo_us and hi_us. The physical reference, raw_lo_us and raw_hi_us, is the
 * same mmap sequence the library makes for such a block (reserve size + 2
 * MiB PROT_NONE, map the block at the aligned address, unmap the head and
 * all after the guard page, advise huge pages), done by hand at the same
 * counts of existing mappings: what the kernel costs, with no bookkeeping.
 * Figures go to stdout as key=value pairs for tests/bench/run.sh.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <vmm/ramblock.h>

#define BLOCK		4096ull
#define ALIGN		(2ull << 20)	/* the library's host mapping alignment */
#define RUNS		3

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Which window (0: around lo, 1: around hi, -1: neither) creation number @i falls in. */
static int window_of(unsigned i, const unsigned at[2], unsigned w)
{
	for (int k = 0; k < 2; k++)
		if (i + w / 2 >= at[k] && i < at[k] + w - w / 2)
			return k;
	return -1;
}

/* One run through the library: per-window medians into @med. */
static int run_lib(const unsigned at[2], unsigned w, double *times, double med[2])
{
	struct vmm_ramlist *rl = vmm_ramlist_new();
	unsigned total = at[1] + w - w / 2, fill[2] = { 0, 0 };
	struct vmm_err err = { 0 };
	char name[32];

	if (!rl)
		return -ENOMEM;
	for (unsigned i = 0; i < total; i++) {
		int k = window_of(i, at, w), r;
		double t0;

		snprintf(name, sizeof(name), "block%u", i);
		t0 = now_us();
		r = vmm_ramblock_new(rl, name, BLOCK, 0, "anon", NULL, &err);
		if (k >= 0)
			times[k * w + fill[k]++] = now_us() - t0;
		if (r) {
			fprintf(stderr, "bench_ramblock: block %u: %s\n", i, err.msg);
			vmm_ramlist_free(rl);
			return r;
		}
	}
	med[0] = median(times, w);
	med[1] = median(times + w, w);
	vmm_ramlist_free(rl);
	return 0;
}

/* The library's mmap sequence for one 4 KiB anonymous block, by hand. */
static void *raw_block(void)
{
	uint64_t total = BLOCK + ALIGN, head, tail;
	uint8_t *resv, *p;

	resv = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (resv == MAP_FAILED)
		return NULL;
	head = ((uintptr_t)resv + ALIGN - 1) / ALIGN * ALIGN - (uintptr_t)resv;
	p = mmap(resv + head, BLOCK, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (head)
		munmap(resv, head);
	tail = total - head;
	if (tail > BLOCK + BLOCK)
		munmap(p + 2 * BLOCK, tail - 2 * BLOCK);
	(void)madvise(p, BLOCK, MADV_HUGEPAGE);
	return p;
}

static int run_raw(const unsigned at[2], unsigned w, double *times, double med[2])
{
	unsigned total = at[1] + w - w / 2, fill[2] = { 0, 0 }, i;
	void **maps = calloc(total, sizeof(*maps));
	int r = 0;

	if (!maps)
		return -ENOMEM;
	for (i = 0; i < total; i++) {
		int k = window_of(i, at, w);
		double t0 = now_us();

		maps[i] = raw_block();
		if (k >= 0)
			times[k * w + fill[k]++] = now_us() - t0;
		if (!maps[i]) {
			r = -errno;
			break;
		}
	}
	while (i--)
		munmap(maps[i], 2 * BLOCK);
	free(maps);
	if (r)
		return r;
	med[0] = median(times, w);
	med[1] = median(times + w, w);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned at[2] = { 500, 10000 }, w = 100;
	double best[2][2] = { { 1e30, 1e30 }, { 1e30, 1e30 } }, med[2], *times;

	if (argc == 4) {
		at[0] = (unsigned)strtoul(argv[1], NULL, 0);
		at[1] = (unsigned)strtoul(argv[2], NULL, 0);
		w = (unsigned)strtoul(argv[3], NULL, 0);
	} else if (argc != 1) {
		fprintf(stderr, "usage: bench_ramblock [LO HI WINDOW]\n");
		return 2;
	}
	if (!w || at[0] < w || at[1] < at[0] + w) {
		fprintf(stderr, "bench_ramblock: need WINDOW <= LO and LO + WINDOW <= HI\n");
		return 2;
	}
	times = calloc(2 * w, sizeof(*times));
	if (!times)
		return 1;
	/* Alternate the two so that load from elsewhere hits both alike; best run each. */
	for (int run = 0; run < RUNS; run++) {
		for (int kind = 0; kind < 2; kind++) {
			int r = kind ? run_raw(at, w, times, med) : run_lib(at, w, times, med);

			if (r) {
				fprintf(stderr, "bench_ramblock: %s\n", strerror(-r));
				return 1;
			}
			for (int k = 0; k < 2; k++)
				if (med[k] < best[kind][k])
					best[kind][k] = med[k];
		}
	}
	printf("lo=%u hi=%u window=%u lo_us=%.2f hi_us=%.2f raw_lo_us=%.2f raw_hi_us=%.2f\n",
	       at[0], at[1], w, best[0][0], best[0][1], best[1][0], best[1][1]);
	free(times);
	return 0;
}
