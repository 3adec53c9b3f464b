/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the ctl_* unit tests: run control text against a model,
 * and take a canonical snapshot of the whole model (its dumped script plus
 * `info mtree -D` and every flat view) to prove that a rejected command
 * changed nothing.
 */
#ifndef CTL_HELPERS_H
#define CTL_HELPERS_H

#include <errno.h>

#include <vmm/ctl.h>
#include <vmm/flatview.h>
#include <vmm/memory.h>
#include <vmm/print.h>

#include "tap.h"

static struct vmm_err last_err;
static unsigned last_line;

/* Execute @text (global ctl when @region is NULL); returns 0 or -errno. */
__attribute__((unused))
static int exec_in(struct vmm_memory *m, const char *region, const char *text)
{
	struct vmm_ctl_ctx ctx = { .mem = m, .region = region };
	int r = vmm_ctl_exec(&ctx, text, strlen(text), &last_err);

	last_line = ctx.line;
	return r;
}

__attribute__((unused))
static int exec(struct vmm_memory *m, const char *text)
{
	return exec_in(m, NULL, text);
}

/* Everything observable about the model, as one malloc'd string. */
__attribute__((unused))
static char *snapshot(struct vmm_memory *m)
{
	struct vmm_buf b;

	vmm_buf_init(&b);
	vmm_ctl_dump_script(m, &b);
	vmm_print_mtree(m, VMM_PRINT_DISABLED, &b);
	for (struct vmm_as *as = vmm_memory_first_as(m); as; as = as->next) {
		struct vmm_flatview *fv = vmm_as_get_flatview(as);

		vmm_buf_printf(&b, "AS %s root %s\n", as->name,
			       fv && fv->root ? fv->root->id : "-");
		for (size_t i = 0; fv && i < fv->nr; i++)
			vmm_buf_printf(&b, "  %llx+%llx %s @%llx ro%d nv%d romd%d log%d\n",
				       (unsigned long long)vmm_flatview_range(fv, i)->start,
				       (unsigned long long)vmm_flatview_range(fv, i)->size,
				       vmm_flatview_range(fv, i)->mr->id,
				       (unsigned long long)vmm_flatview_range(fv, i)->offset_in_region,
				       vmm_flatview_range(fv, i)->readonly, vmm_flatview_range(fv, i)->nonvolatile,
				       vmm_flatview_range(fv, i)->romd_mode, vmm_flatview_range(fv, i)->dirty_log_mask);
		if (fv)
			vmm_flatview_unref(fv);
	}
	return vmm_buf_steal(&b, NULL);
}

/* @text must fail with @want and leave the model exactly as it was. */
__attribute__((unused))
static void rejects_in(struct vmm_memory *m, const char *region, const char *text, int want,
		       const char *why)
{
	char *before = snapshot(m), *after;
	int r = exec_in(m, region, text);

	after = snapshot(m);
	is(r, want, "%s: errno (%s)", why, last_err.msg);
	ok(r == 0 || strncmp(last_err.msg, "line ", 5) == 0, "%s: reason names the line", why);
	is_str(after, before, "%s: model unchanged", why);
	free(before);
	free(after);
}

__attribute__((unused))
static void rejects(struct vmm_memory *m, const char *text, int want, const char *why)
{
	rejects_in(m, NULL, text, want, why);
}

#endif
