/* SPDX-License-Identifier: MIT */
/*
 * A one-line progress display on standard error for long mtree operations
 * (pmemsave, import-qemu): done/total, percent, rate and ETA, redrawn in place
 * with '\r' at most a few times a second. By default it is shown only when
 * stderr is a terminal, so scripts and pipes see nothing; --progress and
 * --no-progress force it on or off.
 */
#ifndef MTREE_PROGRESS_H
#define MTREE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

enum mtree_progress_mode { MTREE_PROGRESS_AUTO, MTREE_PROGRESS_ON, MTREE_PROGRESS_OFF };

/**
 * struct mtree_progress - state of one progress line
 * @label: printed first ("pmemsave")
 * @unit: NULL for bytes (shown in MiB, rate in MiB/s), else a word ("lines")
 * @total: the amount expected; 0 when unknown (no percent, no ETA)
 * @on: whether anything is printed
 * @start_ns, @last_ns: monotonic start time and time of the last redraw
 * @width: length of the last line drawn, to blank leftovers
 */
struct mtree_progress {
	const char *label;
	const char *unit;
	uint64_t total;
	bool on;
	uint64_t start_ns, last_ns;
	int width;
};

/**
 * mtree_progress_start() - begin a progress line
 * @p: state to initialise
 * @label: prefix of the line
 * @unit: NULL for bytes, else the name of the counted things
 * @total: expected amount (0: unknown)
 * @mode: auto (stderr is a tty), on or off
 */
void mtree_progress_start(struct mtree_progress *p, const char *label, const char *unit,
			  uint64_t total, enum mtree_progress_mode mode);
/* Report @done; redraws when at least 200 ms passed since the last redraw. */
void mtree_progress_update(struct mtree_progress *p, uint64_t done);
/* Redraw now, whatever the time since the last redraw (before a long step). */
void mtree_progress_draw(struct mtree_progress *p, uint64_t done);
/* End a partly drawn line so that an error message starts on its own line. */
void mtree_progress_break(struct mtree_progress *p);
/* Draw the final state (always, when on) and end the line. */
void mtree_progress_finish(struct mtree_progress *p, uint64_t done);

#endif
