/* SPDX-License-Identifier: MIT */
/*
 * A tiny TAP producer for the C unit tests, in the style of the kernel's KVM
 * selftests: ok()/is() print one TAP line each and never abort, so a test
 * file reports every failure; done_testing() prints the plan and returns the
 * exit status. Run by prove through tests/run.sh.
 */
#ifndef MTREEFS_TAP_H
#define MTREEFS_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %u - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 1, 2), unused))
static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Integer equality with both values shown on failure. */
#define is(got, want, ...) do { \
	long long _g = (long long)(got), _w = (long long)(want); \
	if (!ok(_g == _w, __VA_ARGS__)) \
		diag("  got %lld (0x%llx), want %lld (0x%llx)", _g, (unsigned long long)_g, \
		     _w, (unsigned long long)_w); \
} while (0)

/* String equality; on failure shows the first differing line. */
#define is_str(got, want, ...) do { \
	const char *_g = (got), *_w = (want); \
	if (!ok(_g && _w && strcmp(_g, _w) == 0, __VA_ARGS__)) \
		tap_show_diff(_g, _w); \
} while (0)

static inline void tap_show_diff(const char *g, const char *w)
{
	unsigned line = 1;
	const char *gl = g, *wl = w;

	if (!g || !w) {
		diag("  got %s, want %s", g ? g : "(null)", w ? w : "(null)");
		return;
	}
	while (*g && *g == *w) {
		if (*g == '\n') {
			line++;
			gl = g + 1;
			wl = w + 1;
		}
		g++;
		w++;
	}
	diag("  first difference at line %u:", line);
	diag("  got:  %.*s", (int)strcspn(gl, "\n"), gl);
	diag("  want: %.*s", (int)strcspn(wl, "\n"), wl);
}

__attribute__((unused))
static void skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

__attribute__((unused))
static int done_testing(void)
{
	printf("1..%u\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
