// SPDX-License-Identifier: MIT
/*
 * error_log: the rejected control writes (fs/ctl.c), remembered like
 * tracefs does: the last MFS_ERRLOG_MAX lines, each with a timestamp, the
 * file, the offending command and the reason in words. The log is read with cat by anyone the
 * mount is shared with, so what a writer sent is shown escaped, never raw.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <vmm/text.h>

#include "files.h"

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

#define MFS_ERRLOG_CMD_MAX 200	/* bytes of the offending command kept in a line */

/*
 * Text from a writer as part of one log line that is safe to cat on a
 * terminal: newlines and tabs become spaces, other control characters, NULs
 * and bytes that are not UTF-8 become \xNN; at most @max bytes of @s are
 * kept, and a cut is marked with "...".
 */
static void put_clean(struct vmm_buf *b, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s, *end;
	bool cut = len > max;

	end = p + (cut ? max : len);
	while (p < end) {
		size_t n = *p ? mfs_utf8_len(p) : 0;

		if (*p == '\n' || *p == '\t') {
			vmm_buf_puts(b, " ");
			p++;
		} else if (*p < 0x20 || *p == 0x7f || n == 0 || p + n > end || vmm_text_unsafe(p)) {
			vmm_buf_printf(b, "\\x%02x", *p++);
		} else {
			vmm_buf_put(b, p, n);
			p += n;
		}
	}
	if (cut)
		vmm_buf_puts(b, "...");
}

/* The command as one line, without its trailing newlines and blanks. */
static void one_line(struct vmm_buf *b, const char *s, size_t len)
{
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
		len--;
	put_clean(b, s, len, MFS_ERRLOG_CMD_MAX);
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
	const char *ename = strerrorname_np(-err->code), *reason;
	struct vmm_buf b;
	char ts[40];

	timestamp(ts, sizeof(ts));
	vmm_buf_init(&b);
	vmm_buf_printf(&b, "[%s] %s: ", ts, path);
	one_line(&b, cmd, cmd_len);
	vmm_buf_puts(&b, ": ");
	reason = err->msg[0] ? err->msg : strerror(-err->code);
	put_clean(&b, reason, strlen(reason), sizeof(err->msg));
	vmm_buf_printf(&b, " (%s)\n", ename ? ename : "?");
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

static MFS_RENDER(r_error_log)
{
	pthread_mutex_lock(&fs->log_lock);
	for (unsigned i = 0; i < MFS_ERRLOG_MAX; i++) {
		const char *l = fs->log[(fs->log_next + i) % MFS_ERRLOG_MAX];

		if (l)
			vmm_buf_puts(out, l);
	}
	pthread_mutex_unlock(&fs->log_lock);
	return 0;
}

const struct mfs_row mfs_errlog_rows[] = {
	{ .pattern = "error_log", .mode = RO, .flags = MFS_GROWS, .render = r_error_log },
	{ .pattern = NULL }
};
