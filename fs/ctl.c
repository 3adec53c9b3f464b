// SPDX-License-Identifier: MIT
/*
 * Control writes. A write to an attribute file (which becomes one `set`
 * command) is one vmm_ctl_exec() call, run under the topology lock, so it is
 * one transaction: all of it applies or nothing does (README.md's "The
 * control language"). The ctl files (the global ctl, a region's ctl) are
 * written through the session of their open file (fs/ctl_file.c), which
 * assembles lines across the kernel's pieces; their rows' write functions
 * here run one write whole, for callers without an open file. A rejection
 * goes to error_log (fs/errlog.c) with the failing line and the reason in
 * words, and its errno goes back to the writer. Reading the global ctl gives
 * the script that rebuilds the topology.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <vmm/ctl.h>
#include <vmm/memory.h>

#include "attach.h"
#include "files.h"

/**
 * ctl_exec() - run one write's worth of control language
 * @fs: filesystem (the caller holds the topology lock)
 * @region: implied region of a region's ctl file, or NULL
 * @text, @len: the commands
 * @err: (out) reason
 * @line: (out) 1-based failing line
 *
 * Return: 0 or -errno; on error the model is as before.
 */
static int ctl_exec(struct mfs *fs, const char *region, const char *text, size_t len,
		    struct vmm_err *err, unsigned *line)
{
	struct vmm_ctl_ctx ctx = { .mem = fs->mem, .region = region, .line = 0 };
	int rc;

	vmm_err_clear(err);
	rc = mfs_attach_refuse(err);	/* an attached QEMU is changed in QEMU */
	if (rc == 0)
		rc = vmm_ctl_exec(&ctx, text, len, err);
	*line = ctx.line;
	if (rc < 0 && !err->code)
		err->code = rc;
	return rc;
}

/* Log a rejected write in error_log and pass its errno on. */
int mfs_reject(struct mfs *fs, const struct mfs_row *row, const char *key, const char *cmd,
	       size_t len, struct vmm_err *err)
{
	struct vmm_buf path;

	vmm_buf_init(&path);
	mfs_path_of(row, key, &path);
	mfs_errlog_add(fs, path.data ? path.data : "?", cmd, len, err);
	vmm_buf_free(&path);
	return err->code;
}

/* An attribute write is sugar for "set ID KEY VALUE": exactly one value token. */
MFS_WRITE(mfs_set_write)
{
	const struct vmm_ctl_key *k = vmm_ctl_key_find_file(strrchr(row->pattern, '/') + 1);
	char val[128], id[VMM_ID_MAX + 1];
	struct vmm_buf cmd;
	size_t n = len;
	unsigned line;
	int rc;

	if (!k)
		return -EACCES;
	while (n && isspace((unsigned char)buf[n - 1]))
		n--;
	if (mfs_key_part(key, 0, val, sizeof(val)) < 0 || mfs_unescape(val, id, sizeof(id)) < 0)
		return -ENOENT;
	vmm_buf_init(&cmd);
	vmm_buf_printf(&cmd, "set %s %s ", id, k->key);
	if (n == 0 || n >= sizeof(val) || memchr(buf, '\n', n) || memchr(buf, ' ', n) ||
	    memchr(buf, '#', n) || memchr(buf, 0, n)) {
		vmm_buf_put(&cmd, buf, n < sizeof(val) ? n : sizeof(val));
		vmm_err_set(err, -EINVAL, "expected one value for %s", k->key);
		rc = mfs_reject(fs, row, key, cmd.data, cmd.len, err);
		goto out;
	}
	memcpy(val, buf, n);
	val[n] = 0;
	vmm_buf_puts(&cmd, val);
	vmm_buf_puts(&cmd, "\n");
	rc = cmd.oom ? -ENOMEM : ctl_exec(fs, NULL, cmd.data, cmd.len, err, &line);
	if (rc < 0)
		rc = mfs_reject(fs, row, key, cmd.data, cmd.len, err);
out:
	vmm_buf_free(&cmd);
	return rc;
}

/* The failing line of a multi-line write, for error_log. */
static void failing_line(const char *buf, size_t len, unsigned line, const char **s, size_t *n)
{
	const char *p = buf, *end = buf + len;

	for (unsigned i = 1; i < line && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl ? nl + 1 : end;
	}
	if (line == 0 || p >= end)
		p = buf;
	*s = p;
	*n = (size_t)((const char *)(memchr(p, '\n', (size_t)(end - p)) ?: end) - p);
}

int mfs_ctl_write(struct mfs *fs, const struct mfs_row *row, const char *key, const char *region,
		  const char *buf, size_t len, struct vmm_err *err)
{
	unsigned line;
	int rc = ctl_exec(fs, region, buf, len, err, &line);
	const char *s;
	size_t n;

	if (rc < 0) {
		failing_line(buf, len, line, &s, &n);
		rc = mfs_reject(fs, row, key, s, n, err);
	}
	return rc;
}

static MFS_RENDER(r_ctl_script) { vmm_ctl_dump_script(fs->mem, out); return 0; }
static MFS_WRITE(w_ctl) { return mfs_ctl_write(fs, row, key, NULL, buf, len, err); }

const struct mfs_row mfs_ctl_rows[] = {
	{ .pattern = "ctl", .mode = PRIV, .flags = MFS_BIG, .render = r_ctl_script, .write = w_ctl },
	{ .pattern = NULL }
};
