/* SPDX-License-Identifier: MIT */
/*
 * A recording memory listener for the listener unit tests: every callback
 * appends one line ("L1 add r 0-fff") to a shared log, and a callback can be
 * told to fail for one region so commit rollback can be exercised.
 */
#ifndef MTREEFS_MEM_LISTENER_UTIL_H
#define MTREEFS_MEM_LISTENER_UTIL_H

#include "mem_util.h"

struct rec {
	struct vmm_listener l;
	const char *tag;
	struct vmm_buf *log;
	const char *fail_on;	/* region ID whose add/del fails */
	int fail_errno;
	unsigned rollbacks;
};

static inline void rec_line(struct rec *r, const char *ev, const struct vmm_section *s)
{
	vmm_buf_printf(r->log, "%s %s", r->tag, ev);
	if (s)
		vmm_buf_printf(r->log, " %s %llx-%llx%s", s->mr->id,
			       (unsigned long long)s->offset_within_as,
			       (unsigned long long)(s->offset_within_as + s->size - 1),
			       s->readonly ? " ro" : "");
	vmm_buf_puts(r->log, "\n");
}

static inline void rec_begin(struct vmm_listener *l) { rec_line(l->opaque, "begin", NULL); }
static inline int rec_commit(struct vmm_listener *l)
{
	rec_line(l->opaque, "commit", NULL);
	return 0;
}
static inline void rec_rollback(struct vmm_listener *l)
{
	struct rec *r = l->opaque;

	r->rollbacks++;
	rec_line(r, "rollback", NULL);
}
static inline int rec_fail(struct rec *r, const struct vmm_section *s)
{
	return r->fail_on && strcmp(r->fail_on, s->mr->id) == 0 ? r->fail_errno : 0;
}
static inline int rec_add(struct vmm_listener *l, const struct vmm_section *s)
{
	rec_line(l->opaque, "add", s);
	return rec_fail(l->opaque, s);
}
static inline int rec_del(struct vmm_listener *l, const struct vmm_section *s)
{
	rec_line(l->opaque, "del", s);
	return rec_fail(l->opaque, s);
}
static inline void rec_nop(struct vmm_listener *l, const struct vmm_section *s)
{
	rec_line(l->opaque, "nop", s);
}
static inline int rec_log_start(struct vmm_listener *l, const struct vmm_section *s,
				unsigned o, unsigned n)
{
	rec_line(l->opaque, "log_start", s);
	return 0;
}
static inline int rec_log_stop(struct vmm_listener *l, const struct vmm_section *s,
			       unsigned o, unsigned n)
{
	rec_line(l->opaque, "log_stop", s);
	return 0;
}

static inline void rec_init(struct rec *r, const char *tag, const char *as_name,
			    struct vmm_buf *log)
{
	memset(r, 0, sizeof(*r));
	r->tag = tag;
	r->log = log;
	r->l.as_name = as_name;
	r->l.opaque = r;
	r->l.begin = rec_begin;
	r->l.commit = rec_commit;
	r->l.rollback = rec_rollback;
	r->l.region_add = rec_add;
	r->l.region_del = rec_del;
	r->l.region_nop = rec_nop;
	r->l.log_start = rec_log_start;
	r->l.log_stop = rec_log_stop;
}

#endif
