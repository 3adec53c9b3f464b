// SPDX-License-Identifier: MIT
/*
 * Guest RAM of a live QEMU, for mounting it (issue #11): QEMU's "memory" flat
 * view (`info mtree -f` over QMP) says which guest ranges are RAM or ROM, and
 * HMP `gpa2hva` says where each one sits in QEMU's address space; bytes are
 * then copied with pread/pwrite on /proc/PID/mem, opened once, the pid coming
 * from the QMP socket's SO_PEERCRED. One gpa2hva per flat range rather than
 * one per region: names are not unique in QEMU's tree, a range's start is.
 * The kernel lets us at that file only with ptrace rights over QEMU, so the
 * open checks them up front and says what to change when they are missing.
 * Writes are refused unless asked for at open, and go to RAM ranges only:
 * /proc/PID/mem writes even through QEMU's read-only ROM mappings.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vmm/qmp.h>

#include "qemu_priv.h"

struct vmm_qemu_mem {
	pid_t pid;
	int fd;
	unsigned flags;
	struct vmm_qemu_mem_range *r;
	size_t n;
};

/* What to change when the kernel refuses us QEMU's memory. */
static int no_access(struct vmm_qemu_mem *m, int code, const char *what, struct vmm_err *err)
{
	char path[32];
	struct stat st;
	long uid = -1;

	snprintf(path, sizeof(path), "/proc/%d", (int)m->pid);
	if (!stat(path, &st))
		uid = (long)st.st_uid;
	return vmm_err_set(err, code, "cannot %s /proc/%d/mem (%s): reading QEMU's memory needs "
			   "ptrace rights over it: run as root or with CAP_SYS_PTRACE, or as "
			   "QEMU's user (uid %ld) with kernel.yama.ptrace_scope=0",
			   what, (int)m->pid, strerror(-code), uid);
}

/* QEMU's host address of guest address @gpa; -ENOENT when it is not RAM. */
static int gpa2hva(struct vmm_qmp *q, uint64_t gpa, uint64_t *hva, struct vmm_err *err)
{
	char cmd[48], *out, *is;
	int r;

	snprintf(cmd, sizeof(cmd), "gpa2hva 0x%" PRIx64, gpa);
	r = vmm_qmp_hmp(q, cmd, &out, NULL, err);
	if (r)
		return r;
	is = strstr(out, ") is 0x");
	if (is) {
		*hva = strtoull(is + 5, NULL, 16);
	} else if (strstr(out, "unknown command")) {
		r = vmm_err_set(err, -EOPNOTSUPP, "this QEMU has no HMP gpa2hva command (QEMU "
				"2.9 or later has it): cannot locate guest RAM");
	} else if (strstr(out, "is not RAM")) {
		r = -ENOENT;
	} else {
		out[strcspn(out, "\n")] = '\0';
		r = vmm_err_set(err, -EPROTO, "gpa2hva 0x%" PRIx64 ": unexpected answer '%.80s'",
				gpa, out);
	}
	free(out);
	return r;
}

static bool mapped_type(const struct qrange *qr)
{
	/* ramd is a device's memory (MMIO behind it), romd may be in i/o mode */
	return !strcmp(qr->type, "ram") || !strcmp(qr->type, "rom");
}

/* The RAM and ROM ranges of flat view @v with their host addresses into @m. */
static int map_view(struct vmm_qemu_mem *m, struct vmm_qmp *q, const struct qview *v,
		    struct vmm_err *err)
{
	struct vmm_qemu_mem_range *r = calloc(v->nr + 1, sizeof(*r));
	size_t n = 0;
	int rc;

	if (!r)
		return vmm_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < v->nr; i++) {
		const struct qrange *qr = &v->r[i];

		if (!mapped_type(qr) || !qr->size || qr->size >= VMM_U64_LIMIT)
			continue;
		rc = gpa2hva(q, qr->start, &r[n].hva, err);
		if (rc == -ENOENT)
			continue;	/* changed under us; the next refresh sees it */
		if (rc) {
			free(r);
			return rc;
		}
		r[n].gpa = qr->start;
		r[n].size = (uint64_t)qr->size;
		r[n].writable = !strcmp(qr->type, "ram");
		snprintf(r[n].name, sizeof(r[n].name), "%s", qr->name ? qr->name : "");
		n++;
	}
	free(m->r);
	m->r = r;
	m->n = n;
	return 0;
}

int vmm_qemu_mem_refresh(struct vmm_qemu_mem *m, struct vmm_qmp *q, struct vmm_err *err)
{
	const struct qview *v;
	struct qflat flat;
	size_t len;
	char *text;
	int r = vmm_qmp_hmp(q, "info mtree -f", &text, &len, err);

	if (r)
		return r;
	r = qflat_parse(text, len, &flat, err);
	free(text);
	if (r)
		return r;
	v = qflat_find(&flat, "memory");
	r = v ? map_view(m, q, v, err) :
		vmm_err_set(err, -ENOENT, "QEMU's info mtree -f shows no \"memory\" address space");
	qflat_free(&flat);
	return r;
}

/* One read of a mapped byte, so that missing ptrace rights show at open. */
static int probe(struct vmm_qemu_mem *m, struct vmm_err *err)
{
	char c;

	if (!m->n || pread(m->fd, &c, 1, (off_t)m->r[0].hva) == 1)
		return 0;
	if (errno == EPERM || errno == EACCES)
		return no_access(m, -errno, "read", err);
	return vmm_err_set(err, -EIO, "cannot read QEMU's memory at %#" PRIx64 " (pid %d): %s",
			   m->r[0].hva, (int)m->pid, strerror(errno));
}

int vmm_qemu_mem_open(struct vmm_qemu_mem **out, struct vmm_qmp *q, unsigned flags,
		      struct vmm_err *err)
{
	struct vmm_qemu_mem *m;
	char path[32];
	int r;

	*out = NULL;
	if (!vmm_qmp_pid(q))
		return vmm_err_set(err, -ESRCH, "QEMU's pid is unknown (no SO_PEERCRED): is QEMU in another PID namespace? In a container, run with --pid=host");
	m = calloc(1, sizeof(*m));
	if (!m)
		return vmm_err_set(err, -ENOMEM, "out of memory");
	m->pid = vmm_qmp_pid(q);
	m->flags = flags;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)m->pid);
	m->fd = open(path, (flags & VMM_QEMU_MEM_WRITE ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (m->fd < 0) {
		r = -errno;
		r = r == -EACCES || r == -EPERM ? no_access(m, r, "open", err) :
			vmm_err_set(err, r, "%s: %s", path, strerror(-r));
		free(m);
		return r;
	}
	r = vmm_qemu_mem_refresh(m, q, err);
	if (!r)
		r = probe(m, err);
	if (r) {
		vmm_qemu_mem_close(m);
		return r;
	}
	*out = m;
	return 0;
}

void vmm_qemu_mem_close(struct vmm_qemu_mem *m)
{
	if (!m)
		return;
	close(m->fd);
	free(m->r);
	free(m);
}

size_t vmm_qemu_mem_count(const struct vmm_qemu_mem *m)
{
	return m->n;
}

const struct vmm_qemu_mem_range *vmm_qemu_mem_range(const struct vmm_qemu_mem *m, size_t i)
{
	return i < m->n ? &m->r[i] : NULL;
}

/* The range holding @gpa (ranges are sorted and disjoint), or NULL. */
static const struct vmm_qemu_mem_range *find(const struct vmm_qemu_mem *m, uint64_t gpa)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (gpa < m->r[mid].gpa)
			hi = mid;
		else if (gpa - m->r[mid].gpa >= m->r[mid].size)
			lo = mid + 1;
		else
			return &m->r[mid];
	}
	return NULL;
}

/* Copy in or out piece by piece, each piece inside one range. */
static int access_span(struct vmm_qemu_mem *m, uint64_t gpa, void *buf, size_t len, bool write,
		       struct vmm_err *err)
{
	char *p = buf;

	if (len && gpa + len - 1 < gpa)
		return vmm_err_set(err, -EFAULT, "guest range at %#" PRIx64 " wraps", gpa);
	while (len) {
		const struct vmm_qemu_mem_range *r = find(m, gpa);
		uint64_t off = r ? gpa - r->gpa : 0;
		size_t n = r && r->size - off < len ? (size_t)(r->size - off) : len;
		ssize_t done;

		if (!r)
			return vmm_err_set(err, -EFAULT, "guest address %#" PRIx64 " is not RAM or "
					   "ROM of QEMU", gpa);
		if (write && !r->writable)
			return vmm_err_set(err, -EROFS, "guest address %#" PRIx64 " is ROM (%s)",
					   gpa, r->name);
		done = write ? pwrite(m->fd, p, n, (off_t)(r->hva + off)) :
			       pread(m->fd, p, n, (off_t)(r->hva + off));
		if (done != (ssize_t)n)
			return vmm_err_set(err, -EIO, "QEMU's memory at guest %#" PRIx64 " (host %#"
					   PRIx64 ") is gone: %s; refresh", gpa, r->hva + off,
					   done < 0 ? strerror(errno) : "short transfer");
		p += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

int vmm_qemu_mem_read(struct vmm_qemu_mem *m, uint64_t gpa, void *buf, size_t len,
		      struct vmm_err *err)
{
	return access_span(m, gpa, buf, len, false, err);
}

/* Every byte of the span is RAM: checked whole, so a refused write writes nothing. */
static int check_writable(const struct vmm_qemu_mem *m, uint64_t gpa, size_t len,
			  struct vmm_err *err)
{
	uint64_t left = len;

	if (len && gpa + len - 1 < gpa)
		return vmm_err_set(err, -EFAULT, "guest range at %#" PRIx64 " wraps", gpa);
	while (left) {
		const struct vmm_qemu_mem_range *r = find(m, gpa);
		uint64_t n;

		if (!r)
			return vmm_err_set(err, -EFAULT, "guest address %#" PRIx64 " is not RAM or "
					   "ROM of QEMU", gpa);
		if (!r->writable)
			return vmm_err_set(err, -EROFS, "guest address %#" PRIx64 " is ROM (%s)",
					   gpa, r->name);
		n = r->size - (gpa - r->gpa);
		if (n >= left)
			break;
		gpa += n;
		left -= n;
	}
	return 0;
}

int vmm_qemu_mem_write(struct vmm_qemu_mem *m, uint64_t gpa, const void *buf, size_t len,
		       struct vmm_err *err)
{
	int r;

	if (!(m->flags & VMM_QEMU_MEM_WRITE))
		return vmm_err_set(err, -EPERM, "guest memory was opened read-only");
	r = check_writable(m, gpa, len, err);
	return r ? r : access_span(m, gpa, (void *)buf, len, true, err);
}

/*
 * By QEMU's host address: a mounted QEMU reads a RAM block as a whole, also
 * the parts no guest address maps (QEMU's block is one mapping, so its base
 * follows from any mapped piece). The caller bounds @hva by the block.
 */
static int access_host(struct vmm_qemu_mem *m, uint64_t hva, void *buf, size_t len, bool write,
		       struct vmm_err *err)
{
	ssize_t done;

	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)hva, len };

	if (write && !(m->flags & VMM_QEMU_MEM_WRITE))
		return vmm_err_set(err, -EPERM, "guest memory was opened read-only");
	/*
	 * process_vm_readv pins QEMU's pages in batches and copies once; a
	 * /proc/PID/mem read bounces every page through a kernel buffer.
	 */
	if (write)
		done = pwrite(m->fd, buf, len, (off_t)hva);
	else
		done = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);
	if (!write && done < 0 && errno != EFAULT)
		done = pread(m->fd, buf, len, (off_t)hva);
	if (done != (ssize_t)len)
		return vmm_err_set(err, -EIO, "QEMU's memory at host %#" PRIx64 " is gone: %s; "
				   "refresh", hva, done < 0 ? strerror(errno) : "short transfer");
	return 0;
}

int vmm_qemu_mem_read_host(struct vmm_qemu_mem *m, uint64_t hva, void *buf, size_t len,
			   struct vmm_err *err)
{
	return access_host(m, hva, buf, len, false, err);
}

int vmm_qemu_mem_write_host(struct vmm_qemu_mem *m, uint64_t hva, const void *buf, size_t len,
			    struct vmm_err *err)
{
	return access_host(m, hva, (void *)buf, len, true, err);
}
