// SPDX-License-Identifier: MIT
/*
 * The progress line of long mtree operations (see progress.h): a single line
 * on stderr rewritten in place, so a multi-gigabyte pmemsave or a large QEMU
 * dump shows that it moves and how long it has left, while output redirected
 * to a file or a pipe stays clean unless asked for.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

#define REDRAW_NS 200000000ull
#define MIB (1024.0 * 1024.0)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void mtree_progress_start(struct mtree_progress *p, const char *label, const char *unit,
			  uint64_t total, enum mtree_progress_mode mode)
{
	p->label = label;
	p->unit = unit;
	p->total = total;
	p->on = mode == MTREE_PROGRESS_ON ||
		(mode == MTREE_PROGRESS_AUTO && isatty(STDERR_FILENO));
	p->start_ns = p->last_ns = now_ns();
	p->width = 0;
}

/* "12.5 MiB" for bytes, "1234 lines" otherwise. */
static int amount(char *buf, size_t cap, const struct mtree_progress *p, uint64_t n)
{
	if (!p->unit)
		return snprintf(buf, cap, "%.1f MiB", (double)n / MIB);
	return snprintf(buf, cap, "%llu %s", (unsigned long long)n, p->unit);
}

static void draw(struct mtree_progress *p, uint64_t done, uint64_t t)
{
	double secs = (double)(t - p->start_ns) / 1e9, rate = secs > 0 ? (double)done / secs : 0;
	char line[256], tot[64];
	int n;

	n = snprintf(line, sizeof(line), "%s: ", p->label);
	n += amount(line + n, sizeof(line) - (size_t)n, p, done);
	if (p->total) {
		amount(tot, sizeof(tot), p, p->total);
		n += snprintf(line + n, sizeof(line) - (size_t)n, " / %s %3u%%", tot,
			      (unsigned)(done >= p->total ? 100 : done * 100 / p->total));
	}
	if (!p->unit)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "  %.1f MiB/s", rate / MIB);
	else
		n += snprintf(line + n, sizeof(line) - (size_t)n, "  %.0f %s/s", rate, p->unit);
	if (p->total && rate > 0 && done < p->total) {
		unsigned long eta = (unsigned long)((double)(p->total - done) / rate + 0.5);

		n += snprintf(line + n, sizeof(line) - (size_t)n, "  ETA %lu:%02lu", eta / 60, eta % 60);
	} else if (p->total && done >= p->total) {
		n += snprintf(line + n, sizeof(line) - (size_t)n, "  %.1f s", secs);
	}
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	fprintf(stderr, "\r%s%*s", line, p->width > n ? p->width - n : 0, "");
	p->width = n;
	p->last_ns = t;
}

void mtree_progress_update(struct mtree_progress *p, uint64_t done)
{
	uint64_t t;

	if (!p->on)
		return;
	t = now_ns();
	if (t - p->last_ns < REDRAW_NS)
		return;
	draw(p, done, t);
	fflush(stderr);
}

void mtree_progress_draw(struct mtree_progress *p, uint64_t done)
{
	if (!p->on)
		return;
	draw(p, done, now_ns());
	fflush(stderr);
}

void mtree_progress_finish(struct mtree_progress *p, uint64_t done)
{
	if (!p->on)
		return;
	draw(p, done, now_ns());
	fputc('\n', stderr);
	fflush(stderr);
}

void mtree_progress_break(struct mtree_progress *p)
{
	if (!p->on || !p->width)
		return;
	fputc('\n', stderr);
	p->width = 0;
}
