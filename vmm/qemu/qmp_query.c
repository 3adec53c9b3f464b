// SPDX-License-Identifier: MIT
/*
 * The QMP queries mtree and the daemon need, on top of the client in qmp.c:
 * HMP commands through human-monitor-command (QEMU prints `info mtree` only
 * there) with the monitor's "\r" dropped, the run state, the machine type,
 * and the two `info mtree` dumps the importer and a refresh read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/qmp.h>

int vmm_qmp_hmp(struct vmm_qmp *q, const char *cmdline, char **out, size_t *len,
		struct vmm_err *err)
{
	struct vmm_json *ret;
	struct vmm_buf args;
	const char *s;
	size_t n, k = 0;
	char *text;
	int r;

	*out = NULL;
	vmm_buf_init(&args);
	vmm_buf_puts(&args, "{\"command-line\":");
	vmm_json_quote(&args, cmdline, strlen(cmdline));
	vmm_buf_puts(&args, "}");
	r = args.oom ? vmm_err_set(err, -ENOMEM, "out of memory") :
		       vmm_qmp_execute(q, "human-monitor-command", args.data, &ret, err);
	vmm_buf_free(&args);
	if (r)
		return r;
	s = vmm_json_str(ret, &n);
	text = s ? malloc(n + 1) : NULL;
	if (!text) {
		vmm_json_free(ret);
		return s ? vmm_err_set(err, -ENOMEM, "out of memory") :
			   vmm_err_set(err, -EPROTO, "QMP: HMP '%s' did not return text", cmdline);
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r')
			text[k++] = s[i];
	text[k] = '\0';
	vmm_json_free(ret);
	*out = text;
	if (len)
		*len = k;
	return 0;
}

int vmm_qmp_status(struct vmm_qmp *q, char *state, size_t size, bool *running,
		   struct vmm_err *err)
{
	struct vmm_json *ret;
	const char *s;
	int r = vmm_qmp_execute(q, "query-status", NULL, &ret, err);

	if (r)
		return r;
	s = vmm_json_str(vmm_json_get(ret, "status"), NULL);
	if (!s || vmm_json_bool(vmm_json_get(ret, "running"), running))
		r = vmm_err_set(err, -EPROTO, "QMP query-status: unexpected reply");
	else if (state)
		snprintf(state, size, "%s", s);
	vmm_json_free(ret);
	return r;
}

int vmm_qmp_machine(struct vmm_qmp *q, char *type, size_t size, struct vmm_err *err)
{
	static const char suffix[] = "-machine";
	struct vmm_json *ret;
	const char *s;
	size_t n;
	int r = vmm_qmp_execute(q, "qom-get", "{\"path\":\"/machine\",\"property\":\"type\"}",
				&ret, err);

	if (r)
		return r;
	s = vmm_json_str(ret, &n);
	if (!s) {
		vmm_json_free(ret);
		return vmm_err_set(err, -EPROTO, "QMP qom-get /machine type: not a string");
	}
	if (n >= sizeof(suffix) - 1 && !strcmp(s + n - (sizeof(suffix) - 1), suffix))
		n -= sizeof(suffix) - 1;
	snprintf(type, size, "%.*s", (int)n, s);
	vmm_json_free(ret);
	return 0;
}

static int hmp_into(struct vmm_qmp *q, const char *cmdline, struct vmm_buf *b,
		    struct vmm_err *err)
{
	size_t len;
	char *text;
	int r;

	if (!b)
		return 0;
	r = vmm_qmp_hmp(q, cmdline, &text, &len, err);
	if (r)
		return r;
	vmm_buf_put(b, text, len);
	free(text);
	return b->oom ? vmm_err_set(err, -ENOMEM, "out of memory") : 0;
}

int vmm_qmp_mtree(struct vmm_qmp *q, struct vmm_buf *tree, struct vmm_buf *flat,
		  struct vmm_err *err)
{
	int r = hmp_into(q, "info mtree -D", tree, err);

	return r ? r : hmp_into(q, "info mtree -f", flat, err);
}

int vmm_qmp_fetch_mtree(const char *path, struct vmm_buf *tree, struct vmm_buf *flat,
			struct vmm_err *err)
{
	struct vmm_qmp *q;
	int r = vmm_qmp_connect(&q, path, 0, err);

	if (r)
		return r;
	r = vmm_qmp_mtree(q, tree, flat, err);
	vmm_qmp_close(q);
	return r;
}
