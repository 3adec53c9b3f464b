// SPDX-License-Identifier: MIT
/*
 * Control writes and their error log. A write to a ctl file (or an attribute
 * file, which becomes a `set` command) is one vmm_ctl_exec() call, run under
 * the topology lock, so it is one transaction: all of it applies or nothing
 * does. A rejection is remembered in error_log like tracefs does: the last
 * MFS_ERRLOG_MAX lines, each with a timestamp, the file, the offending
 * command and the reason in words.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <vmm/ctl.h>
#include <vmm/machine.h>

#include "mtreefs.h"

void mfs_errlog_init(struct mfs *fs)
{
	pthread_mutex_init(&fs->log_lock, NULL);
	memset(fs->log, 0, sizeof(fs->log));
	fs->log_next = 0;
}

void mfs_errlog_fini(struct mfs *fs)
{
	for (unsigned i = 0; i < MFS_ERRLOG_MAX; i++)
		free(fs->log[i]);
	pthread_mutex_destroy(&fs->log_lock);
}

static void timestamp(char *out, size_t cap)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, cap - n, ".%03ldZ", (long)tv.tv_usec / 1000);
}

/* The command as one line: newlines and tabs shown as spaces, bounded length. */
static void one_line(struct vmm_buf *b, const char *s, size_t len)
{
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
		len--;
	if (len > 200)
		len = 200;
	for (size_t i = 0; i < len; i++)
		vmm_buf_put(b, (s[i] == '\n' || s[i] == '\t') ? " " : &s[i], 1);
}

/**
 * mfs_errlog_add() - remember one rejected write
 * @fs: filesystem
 * @path: file written, relative to the mount
 * @cmd, @cmd_len: the offending command (the failing line)
 * @err: errno and reason
 */
void mfs_errlog_add(struct mfs *fs, const char *path, const char *cmd, size_t cmd_len,
		    const struct vmm_err *err)
{
	const char *ename = strerrorname_np(-err->code);
	struct vmm_buf b;
	char ts[40];

	timestamp(ts, sizeof(ts));
	vmm_buf_init(&b);
	vmm_buf_printf(&b, "[%s] %s: ", ts, path);
	one_line(&b, cmd, cmd_len);
	vmm_buf_printf(&b, ": %s (%s)\n", err->msg[0] ? err->msg : strerror(-err->code),
		       ename ? ename : "?");
	if (b.oom) {
		vmm_buf_free(&b);
		return;
	}
	pthread_mutex_lock(&fs->log_lock);
	free(fs->log[fs->log_next]);
	fs->log[fs->log_next] = vmm_buf_steal(&b, NULL);
	fs->log_next = (fs->log_next + 1) % MFS_ERRLOG_MAX;
	pthread_mutex_unlock(&fs->log_lock);
}

void mfs_errlog_render(struct mfs *fs, struct vmm_buf *out)
{
	pthread_mutex_lock(&fs->log_lock);
	for (unsigned i = 0; i < MFS_ERRLOG_MAX; i++) {
		const char *l = fs->log[(fs->log_next + i) % MFS_ERRLOG_MAX];

		if (l)
			vmm_buf_puts(out, l);
	}
	pthread_mutex_unlock(&fs->log_lock);
}

/**
 * mfs_ctl_exec() - run one write's worth of control language
 * @fs: filesystem (the caller holds the topology lock)
 * @region: implied region of a region's ctl file, or NULL
 * @text, @len: the commands
 * @err: (out) reason
 * @line: (out) 1-based failing line
 *
 * Return: 0 or -errno; on error the model is as before.
 */
int mfs_ctl_exec(struct mfs *fs, const char *region, const char *text, size_t len,
		 struct vmm_err *err, unsigned *line)
{
	struct vmm_ctl_ctx ctx = { .mem = fs->mem, .region = region, .line = 0 };
	int rc;

	vmm_err_clear(err);
	rc = vmm_ctl_exec(&ctx, text, len, err);
	*line = ctx.line;
	if (rc < 0 && !err->code)
		err->code = rc;
	return rc;
}
