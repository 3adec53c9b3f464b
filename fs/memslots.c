// SPDX-License-Identifier: MIT
/*
 * memslots/: the KVM memslots of address space 0, one directory per slot
 * number, with the fields of KVM_SET_USER_MEMORY_REGION, the raw dirty
 * bitmap while the slot logs dirty pages (reading it clears it), and a ram
 * file that reads what the "memory" address space maps at the slot.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <vmm/kvm.h>
#include <vmm/machine.h>

#include "attach.h"
#include "files.h"

static MFS_LIST(l_slot)
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

static MFS_FIND(f_slot) { return mfs_memslot(fs, key) ? 0 : -ENOENT; }

#define SLOT_NUM(fn, fmt, expr) static MFS_RENDER(fn) { \
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
SLOT_NUM(r_slot_hva, "0x%" PRIx64, mfs_attach_host_addr(s->hva))
SLOT_NUM(r_slot_flags, "0x%x", s->flags)

static MFS_PRESENT(p_slot_logging)
{
	const struct vmm_memslot *s = mfs_memslot(fs, key);

	return s && (s->flags & VMM_MEM_LOG_DIRTY_PAGES);
}

/* The raw dirty bitmap (one bit per 4 KiB page, little-endian 64-bit words); reading clears it. */
static MFS_RENDER(r_slot_dirty)
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

const struct mfs_row mfs_memslot_rows[] = {
	{ .pattern = "memslots", .mode = DIR_ },
	{ .pattern = "memslots/*", .mode = DIR_, .list = l_slot, .find = f_slot },
	{ .pattern = "memslots/*/slot", .mode = RO, .render = r_slot_slot },
	{ .pattern = "memslots/*/as_id", .mode = RO, .render = r_slot_as_id },
	{ .pattern = "memslots/*/guest_phys_addr", .mode = RO, .render = r_slot_gpa },
	{ .pattern = "memslots/*/memory_size", .mode = RO, .render = r_slot_size },
	{ .pattern = "memslots/*/userspace_addr", .mode = RO, .render = r_slot_hva },
	{ .pattern = "memslots/*/flags", .mode = RO, .render = r_slot_flags },
	{ .pattern = "memslots/*/dirty", .mode = (S_IFREG | 0400), .flags = MFS_BIG, .present = p_slot_logging,
	  .render = r_slot_dirty },
	{ .pattern = "memslots/*/ram", .mode = PRIV, .ram = mfs_ram_memslot },
	{ .pattern = NULL }
};
