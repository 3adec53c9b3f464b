// SPDX-License-Identifier: MIT
/*
 * machine/: the accelerator and its capabilities (kvm/), the vCPUs and
 * their exit counters (vcpus/), the guest console, the daemon's inode table
 * (daemon/inodes) and a ctl that starts, pauses, resumes or resets the
 * machine. Rows marked MFS_NOLOCK call into the machine without the topology
 * lock, because a vCPU may need that lock to finish an exit.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/kvm.h>
#include <vmm/machine.h>

#include "attach.h"
#include "files.h"
#include "passthrough.h"

static MFS_RENDER(r_m_accel)
{
	vmm_buf_printf(out, "%s\n", mfs_attached() ? "qemu" : vmm_accel_name(fs->mc->accel));
	return 0;
}
static MFS_RENDER(r_m_ram_size) { vmm_buf_printf(out, "0x%" PRIx64 "\n", fs->mc->ram_size); return 0; }

/* The daemon's own inode table: a long-running mount must not grow it without bound. */
static MFS_RENDER(r_daemon_inodes)
{
	struct mfs_ino_stats st;

	mfs_ino_stats(fs, &st);
	vmm_buf_printf(out, "live %zu\nfree %zu\nlookups %" PRIu64 "\nholds %" PRIu64 "\n",
		       st.live, st.free, st.lookups, st.holds);
	return 0;
}

/* Whether ram files are served by FUSE passthrough, and why not (fs/passthrough.c). */
static MFS_RENDER(r_daemon_passthrough) { mfs_pt_status(out); return 0; }

static MFS_RENDER(r_m_console)
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
static MFS_WRITE(w_m_ctl)
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
	rc = mfs_attach_refuse(err);
	if (rc == 0)
		rc = vmm_machine_ctl(fs->mc, cmd, err);
	if (rc < 0) {
		if (!err->code)
			err->code = rc;
		rc = mfs_reject(fs, row, key, cmd, n, err);
	}
	return rc;
}

#define CAP(fn, fmt, expr) static MFS_RENDER(fn) { \
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

static MFS_RENDER(r_cap_memslot_calls)
{
	struct vmm_accel_stats st;

	vmm_accel_stats(fs->mc->accel, &st);
	vmm_buf_printf(out, "%" PRIu64 "\n", st.set_memslot_calls);
	return 0;
}

static MFS_LIST(l_vcpu)
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

static MFS_FIND(f_vcpu) { unsigned i; return vcpu_index(fs, key, &i); }

#define VCPU(fn, fmt, expr) static MFS_RENDER(fn) { \
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

/* machine/qemu/: what the mount is attached to (fs/attach.c), present only then. */
static MFS_PRESENT(p_qemu) { return mfs_attached(); }
#define QEMU_ROW(name) static MFS_RENDER(r_qemu_##name) { return mfs_attach_info(fs, #name, out); }
QEMU_ROW(version)
QEMU_ROW(pid)
QEMU_ROW(machine)
QEMU_ROW(state)
QEMU_ROW(socket)
QEMU_ROW(ranges)
QEMU_ROW(refresh)
#define QEMU_FILE(name) { .pattern = "machine/qemu/" #name, .mode = RO, \
	.flags = MFS_NOLOCK | MFS_BIG, .present = p_qemu, .render = r_qemu_##name }

const struct mfs_row mfs_machine_rows[] = {
	{ .pattern = "machine", .mode = DIR_ },
	{ .pattern = "machine/accel", .mode = RO, .render = r_m_accel },
	{ .pattern = "machine/ram_size", .mode = RO, .render = r_m_ram_size },
	{ .pattern = "machine/console", .mode = RO, .flags = MFS_GROWS | MFS_NOLOCK, .render = r_m_console },
	{ .pattern = "machine/ctl", .mode = (S_IFREG | 0200), .flags = MFS_NOLOCK, .write = w_m_ctl },
	{ .pattern = "machine/kvm", .mode = DIR_ },
	{ .pattern = "machine/kvm/nr_memslots", .mode = RO, .render = r_cap_nr_memslots },
	{ .pattern = "machine/kvm/nr_as", .mode = RO, .render = r_cap_nr_as },
	{ .pattern = "machine/kvm/readonly_mem", .mode = RO, .render = r_cap_readonly_mem },
	{ .pattern = "machine/kvm/manual_dirty_log", .mode = RO, .render = r_cap_manual_dirty_log },
	{ .pattern = "machine/kvm/max_gpa_bits", .mode = RO, .render = r_cap_max_gpa_bits },
	{ .pattern = "machine/kvm/api_version", .mode = RO, .render = r_cap_api_version },
	{ .pattern = "machine/kvm/max_vcpus", .mode = RO, .render = r_cap_max_vcpus },
	{ .pattern = "machine/kvm/memslot_calls", .mode = RO, .render = r_cap_memslot_calls },
	{ .pattern = "machine/daemon", .mode = DIR_ },
	{ .pattern = "machine/daemon/inodes", .mode = RO, .flags = MFS_NOLOCK | MFS_BIG, .render = r_daemon_inodes },
	{ .pattern = "machine/daemon/passthrough", .mode = RO, .flags = MFS_NOLOCK | MFS_BIG, .render = r_daemon_passthrough },
	{ .pattern = "machine/qemu", .mode = DIR_, .present = p_qemu },
	QEMU_FILE(version), QEMU_FILE(pid), QEMU_FILE(machine), QEMU_FILE(state),
	QEMU_FILE(socket), QEMU_FILE(ranges), QEMU_FILE(refresh),
	{ .pattern = "machine/vcpus", .mode = DIR_ },
	{ .pattern = "machine/vcpus/*", .mode = DIR_, .list = l_vcpu, .find = f_vcpu },
	{ .pattern = "machine/vcpus/*/state", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_state },
	{ .pattern = "machine/vcpus/*/exits", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_exits },
	{ .pattern = "machine/vcpus/*/io_exits", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_io_exits },
	{ .pattern = "machine/vcpus/*/mmio_exits", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_mmio_exits },
	{ .pattern = "machine/vcpus/*/hlt_exits", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_hlt_exits },
	{ .pattern = "machine/vcpus/*/rip", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_rip },
	{ .pattern = "machine/vcpus/*/last_error", .mode = RO, .flags = MFS_NOLOCK, .render = r_vcpu_last_error },
	{ .pattern = NULL }
};
