// SPDX-License-Identifier: MIT
/*
 * Row functions of the host side of the mount: the global ctl and error_log,
 * info/ (QEMU's monitor views through vmm/print.h), memslots/, ramblocks/
 * (with residency from mincore(2) and the backing VMAs from
 * /proc/self/maps) and machine/ (accelerator capabilities, vCPUs, console,
 * pause/resume/reset). Rows marked MFS_NOLOCK call into the machine without
 * the topology lock, because a vCPU may need that lock to finish an exit.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vmm/ctl.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/plot.h>
#include <vmm/print.h>
#include <vmm/ramblock.h>

#include "files.h"

/* ---- ctl, error_log, info/ ---- */

MFS_RENDER(r_ctl_script) { vmm_ctl_dump_script(fs->mem, out); return 0; }
MFS_WRITE(w_ctl) { return mfs_ctl_write(fs, row, key, NULL, buf, len, err); }
MFS_RENDER(r_error_log) { mfs_errlog_render(fs, out); return 0; }
MFS_RENDER(r_info_mtree) { vmm_print_mtree(fs->mem, 0, out); return 0; }
MFS_RENDER(r_info_mtree_d) { vmm_print_mtree(fs->mem, VMM_PRINT_DISABLED, out); return 0; }
MFS_RENDER(r_info_flatview) { vmm_print_flatview(fs->mem, fs->mc->accel, out); return 0; }
MFS_RENDER(r_info_ramblock) { vmm_print_ramblock(fs->mem, out); return 0; }
MFS_RENDER(r_info_memslots) { vmm_print_memslots(fs->mc->accel, out); return 0; }
MFS_RENDER(r_info_json) { vmm_print_json(fs->mem, fs->mc->accel, out); return 0; }

MFS_RENDER(r_info_svg)
{
	struct vmm_err err;

	return vmm_plot_svg(fs->mem, NULL, out, &err);
}

/* ---- memslots/ ---- */

MFS_LIST(l_slot)
{
	const struct vmm_memslot *s;
	uint32_t it = 0;
	char name[16];

	while ((s = vmm_accel_memslot_next(fs->mc->accel, &it))) {
		if (s->as_id)
			continue;
		snprintf(name, sizeof(name), "%u", s->slot);
		cb(arg, name);
	}
	return 0;
}

MFS_FIND(f_slot) { return mfs_memslot(fs, key) ? 0 : -ENOENT; }

#define SLOT_NUM(fn, fmt, expr) MFS_RENDER(fn) { \
	const struct vmm_memslot *s = mfs_memslot(fs, key); \
	if (!s) \
		return -ENOENT; \
	vmm_buf_printf(out, fmt "\n", expr); \
	return 0; \
}

SLOT_NUM(r_slot_slot, "%u", s->slot)
SLOT_NUM(r_slot_as_id, "%u", (unsigned)s->as_id)
SLOT_NUM(r_slot_gpa, "0x%" PRIx64, s->gpa)
SLOT_NUM(r_slot_size, "0x%" PRIx64, s->size)
SLOT_NUM(r_slot_hva, "0x%" PRIx64, s->hva)
SLOT_NUM(r_slot_flags, "0x%x", s->flags)

MFS_PRESENT(p_slot_logging)
{
	const struct vmm_memslot *s = mfs_memslot(fs, key);

	return s && (s->flags & VMM_MEM_LOG_DIRTY_PAGES);
}

/* The raw dirty bitmap (one bit per 4 KiB page, little-endian 64-bit words); reading clears it. */
MFS_RENDER(r_slot_dirty)
{
	const struct vmm_memslot *s = mfs_memslot(fs, key);
	size_t words;
	uint64_t *bm;
	int rc;

	if (!s)
		return -ENOENT;
	words = (size_t)((s->size / 4096 + 63) / 64);
	bm = calloc(words ? words : 1, sizeof(*bm));
	if (!bm)
		return -ENOMEM;
	rc = vmm_accel_get_dirty_log(fs->mc->accel, s->slot, bm);
	if (rc == 0)
		vmm_buf_put(out, bm, words * sizeof(*bm));
	free(bm);
	return rc;
}

/* ---- ramblocks/ ---- */

MFS_LIST(l_rb)
{
	for (struct vmm_ramblock *rb = vmm_ramlist_first(vmm_memory_ramlist(fs->mem)); rb;
	     rb = rb->next)
		mfs_list_escaped(cb, arg, rb->idstr);
	return 0;
}

MFS_FIND(f_rb) { return mfs_ramblock(fs, key) ? 0 : -ENOENT; }

#define RB_NUM(fn, fmt, expr) MFS_RENDER(fn) { \
	struct vmm_ramblock *rb = mfs_ramblock(fs, key); \
	if (!rb) \
		return -ENOENT; \
	vmm_buf_printf(out, fmt "\n", expr); \
	return 0; \
}

RB_NUM(r_rb_offset, "0x%" PRIx64, rb->offset)
RB_NUM(r_rb_used, "0x%" PRIx64, rb->used_length)
RB_NUM(r_rb_max, "0x%" PRIx64, rb->max_length)
RB_NUM(r_rb_page_size, "0x%" PRIx64, rb->page_size)
RB_NUM(r_rb_host, "0x%" PRIxPTR, (uintptr_t)rb->host)
RB_NUM(r_rb_fd, "%d", rb->fd)
RB_NUM(r_rb_flags, "0x%x", rb->flags)

MFS_PRESENT(p_rb_region)
{
	struct vmm_ramblock *rb = mfs_ramblock(fs, key);

	return rb && rb->mr;
}

MFS_RENDER(r_rb_region)
{
	struct vmm_ramblock *rb = mfs_ramblock(fs, key);

	if (!rb || !rb->mr)
		return -ENOENT;
	vmm_buf_puts(out, "../../regions/");
	mfs_escape(rb->mr->id, out);
	return 0;
}

/* Bytes of the used length that are resident in host memory right now. */
MFS_RENDER(r_rb_resident)
{
	struct vmm_ramblock *rb = mfs_ramblock(fs, key);
	size_t page = (size_t)sysconf(_SC_PAGESIZE), pages;
	uint64_t resident = 0;
	unsigned char *vec;

	if (!rb)
		return -ENOENT;
	pages = (rb->used_length + page - 1) / page;
	vec = malloc(pages ? pages : 1);
	if (!vec)
		return -ENOMEM;
	if (pages && mincore(rb->host, rb->used_length, vec) < 0) {
		int rc = -errno;

		free(vec);
		return rc;
	}
	for (size_t i = 0; i < pages; i++)
		resident += vec[i] & 1;
	free(vec);
	vmm_buf_printf(out, "0x%" PRIx64 "\n", resident * page);
	return 0;
}

/* The lines of /proc/self/maps that overlap the block's reservation. */
MFS_RENDER(r_rb_maps)
{
	struct vmm_ramblock *rb = mfs_ramblock(fs, key);
	uintptr_t lo, hi, s, e;
	char line[512];
	FILE *f;

	if (!rb)
		return -ENOENT;
	lo = (uintptr_t)(rb->reserved ? rb->reserved : rb->host);
	hi = lo + (rb->reserved ? rb->reserved_len : rb->max_length);
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &s, &e) == 2 && s < hi && e > lo)
			vmm_buf_puts(out, line);
	fclose(f);
	return 0;
}

/* ---- machine/ ---- */

MFS_RENDER(r_m_accel) { vmm_buf_printf(out, "%s\n", vmm_accel_name(fs->mc->accel)); return 0; }
MFS_RENDER(r_m_ram_size) { vmm_buf_printf(out, "0x%" PRIx64 "\n", fs->mc->ram_size); return 0; }

/* The daemon's own inode table: a long-running mount must not grow it without bound. */
MFS_RENDER(r_daemon_inodes)
{
	struct mfs_ino_stats st;

	mfs_ino_stats(fs, &st);
	vmm_buf_printf(out, "live %zu\nfree %zu\nlookups %" PRIu64 "\nholds %" PRIu64 "\n",
		       st.live, st.free, st.lookups, st.holds);
	return 0;
}

MFS_RENDER(r_m_console)
{
	size_t cap = 64 * 1024, n;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	n = vmm_machine_console(fs->mc, buf, cap);
	vmm_buf_put(out, buf, n);
	free(buf);
	return 0;
}

/* machine/ctl: pause, resume or reset; a rejection lands in error_log. */
MFS_WRITE(w_m_ctl)
{
	char cmd[64];
	size_t n = len;
	int rc;

	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	if (n >= sizeof(cmd)) {
		vmm_err_set(err, -EINVAL, "unknown machine command");
		return mfs_reject(fs, row, key, buf, n, err);
	}
	memcpy(cmd, buf, n);
	cmd[n] = 0;
	vmm_err_clear(err);
	rc = vmm_machine_ctl(fs->mc, cmd, err);
	if (rc < 0) {
		if (!err->code)
			err->code = rc;
		rc = mfs_reject(fs, row, key, cmd, n, err);
	}
	return rc;
}

#define CAP(fn, fmt, expr) MFS_RENDER(fn) { \
	const struct vmm_kvm_caps *c = vmm_accel_caps(fs->mc->accel); \
	vmm_buf_printf(out, fmt "\n", expr); \
	return 0; \
}

CAP(r_cap_nr_memslots, "%u", c->nr_memslots)
CAP(r_cap_nr_as, "%u", c->nr_as)
CAP(r_cap_readonly_mem, "%d", c->readonly_mem)
CAP(r_cap_manual_dirty_log, "%d", c->manual_dirty_log)
CAP(r_cap_max_gpa_bits, "%u", c->max_gpa_bits)
CAP(r_cap_api_version, "%d", c->api_version)
CAP(r_cap_max_vcpus, "%u", c->max_vcpus)

MFS_RENDER(r_cap_memslot_calls)
{
	struct vmm_accel_stats st;

	vmm_accel_stats(fs->mc->accel, &st);
	vmm_buf_printf(out, "%" PRIu64 "\n", st.set_memslot_calls);
	return 0;
}

MFS_LIST(l_vcpu)
{
	char name[16];

	for (unsigned i = 0; i < fs->mc->nr_vcpus; i++) {
		snprintf(name, sizeof(name), "%u", i);
		cb(arg, name);
	}
	return 0;
}

static int vcpu_index(struct mfs *fs, const char *key, unsigned *idx)
{
	char s[16], *end;
	unsigned long v;

	if (mfs_key_part(key, 0, s, sizeof(s)) < 0 || s[0] < '0' || s[0] > '9' ||
	    (s[0] == '0' && s[1]))
		return -ENOENT;
	v = strtoul(s, &end, 10);
	if (*end || v >= fs->mc->nr_vcpus)
		return -ENOENT;
	*idx = (unsigned)v;
	return 0;
}

MFS_FIND(f_vcpu) { unsigned i; return vcpu_index(fs, key, &i); }

#define VCPU(fn, fmt, expr) MFS_RENDER(fn) { \
	struct vmm_vcpu_info vi; \
	unsigned idx; \
	int rc = vcpu_index(fs, key, &idx); \
	if (rc == 0) \
		rc = vmm_machine_vcpu_info(fs->mc, idx, &vi); \
	if (rc < 0) \
		return rc; \
	vmm_buf_printf(out, fmt "\n", expr); \
	return 0; \
}

VCPU(r_vcpu_state, "%s", vmm_vcpu_state_name(vi.state))
VCPU(r_vcpu_exits, "%" PRIu64, vi.exits)
VCPU(r_vcpu_io_exits, "%" PRIu64, vi.io_exits)
VCPU(r_vcpu_mmio_exits, "%" PRIu64, vi.mmio_exits)
VCPU(r_vcpu_hlt_exits, "%" PRIu64, vi.hlt_exits)
VCPU(r_vcpu_rip, "0x%" PRIx64, vi.rip)
VCPU(r_vcpu_last_error, "%s", vi.last_error)
