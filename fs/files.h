/* SPDX-License-Identifier: MIT */
/*
 * The row functions of the file table (fs/table.c): renderers of attribute
 * files and link targets, writers, and the listers/finders of the "*"
 * directories. fs/model_files.c has those of the memory model (regions,
 * address spaces, flat views), fs/host_files.c those of the host side
 * (memslots, RAM blocks, the machine, info/ and the control files).
 */
#ifndef MTREEFS_FILES_H
#define MTREEFS_FILES_H

#include "mtreefs.h"

#define MFS_RENDER(fn)	int fn(struct mfs *fs, const char *key, struct vmm_buf *out)
#define MFS_WRITE(fn)	int fn(struct mfs *fs, const struct mfs_row *row, const char *key, \
			       const char *buf, size_t len, struct vmm_err *err)
#define MFS_LIST(fn)	int fn(struct mfs *fs, const char *pkey, mfs_list_cb cb, void *arg)
#define MFS_FIND(fn)	int fn(struct mfs *fs, const char *key)
#define MFS_PRESENT(fn)	bool fn(struct mfs *fs, const char *key)

/* model_files.c */
MFS_LIST(l_as); MFS_FIND(f_as);
MFS_RENDER(r_as_name); MFS_RENDER(r_as_root); MFS_RENDER(r_as_flatview);
MFS_LIST(l_fv); MFS_FIND(f_fv);
MFS_RENDER(r_fv_as); MFS_PRESENT(p_fv_root); MFS_RENDER(r_fv_root);
MFS_LIST(l_range); MFS_FIND(f_range);
MFS_RENDER(r_fr_region); MFS_RENDER(r_fr_offset); MFS_RENDER(r_fr_size); MFS_RENDER(r_fr_type);
MFS_RENDER(r_fr_readonly); MFS_RENDER(r_fr_nonvolatile);
MFS_PRESENT(p_fr_memslot); MFS_RENDER(r_fr_memslot);
MFS_LIST(l_mr); MFS_FIND(f_mr);
MFS_RENDER(r_mr_name); MFS_RENDER(r_mr_type); MFS_RENDER(r_mr_size); MFS_RENDER(r_mr_addr);
MFS_RENDER(r_mr_prio); MFS_RENDER(r_mr_enabled); MFS_RENDER(r_mr_readonly);
MFS_RENDER(r_mr_nonvolatile); MFS_RENDER(r_mr_log_dirty);
MFS_PRESENT(p_mr_romd); MFS_RENDER(r_mr_romd);
MFS_PRESENT(p_mr_io); MFS_RENDER(r_mr_device);
MFS_PRESENT(p_mr_mapped); MFS_RENDER(r_mr_container);
MFS_LIST(l_sub); MFS_FIND(f_sub); MFS_RENDER(r_sub);
MFS_PRESENT(p_mr_alias); MFS_RENDER(r_mr_alias); MFS_RENDER(r_mr_alias_offset);
MFS_PRESENT(p_mr_rb); MFS_RENDER(r_mr_ramblock);
MFS_WRITE(w_set); MFS_WRITE(w_region_ctl);

/* host_files.c */
MFS_RENDER(r_ctl_script); MFS_WRITE(w_ctl); MFS_RENDER(r_error_log);
MFS_RENDER(r_info_mtree); MFS_RENDER(r_info_mtree_d); MFS_RENDER(r_info_flatview);
MFS_RENDER(r_info_ramblock); MFS_RENDER(r_info_memslots); MFS_RENDER(r_info_json);
MFS_RENDER(r_info_svg);
MFS_LIST(l_slot); MFS_FIND(f_slot);
MFS_RENDER(r_slot_slot); MFS_RENDER(r_slot_as_id); MFS_RENDER(r_slot_gpa);
MFS_RENDER(r_slot_size); MFS_RENDER(r_slot_hva); MFS_RENDER(r_slot_flags);
MFS_PRESENT(p_slot_logging); MFS_RENDER(r_slot_dirty);
MFS_LIST(l_rb); MFS_FIND(f_rb);
MFS_RENDER(r_rb_offset); MFS_RENDER(r_rb_used); MFS_RENDER(r_rb_max); MFS_RENDER(r_rb_page_size);
MFS_RENDER(r_rb_host); MFS_RENDER(r_rb_fd); MFS_RENDER(r_rb_flags);
MFS_PRESENT(p_rb_region); MFS_RENDER(r_rb_region);
MFS_RENDER(r_rb_resident); MFS_RENDER(r_rb_maps);
MFS_RENDER(r_m_accel); MFS_RENDER(r_m_ram_size); MFS_RENDER(r_m_console); MFS_WRITE(w_m_ctl);
MFS_RENDER(r_cap_nr_memslots); MFS_RENDER(r_cap_nr_as); MFS_RENDER(r_cap_readonly_mem);
MFS_RENDER(r_cap_manual_dirty_log); MFS_RENDER(r_cap_max_gpa_bits);
MFS_RENDER(r_cap_api_version); MFS_RENDER(r_cap_max_vcpus); MFS_RENDER(r_cap_memslot_calls);
MFS_RENDER(r_daemon_inodes);
MFS_LIST(l_vcpu); MFS_FIND(f_vcpu);
MFS_RENDER(r_vcpu_state); MFS_RENDER(r_vcpu_exits); MFS_RENDER(r_vcpu_io_exits);
MFS_RENDER(r_vcpu_mmio_exits); MFS_RENDER(r_vcpu_hlt_exits); MFS_RENDER(r_vcpu_rip);
MFS_RENDER(r_vcpu_last_error);

/* shared helpers (model_files.c) */
void mfs_put_hex(struct vmm_buf *out, vmm_u128 v);
void mfs_list_escaped(mfs_list_cb cb, void *arg, const char *name);
int mfs_reject(struct mfs *fs, const struct mfs_row *row, const char *key, const char *cmd,
	       size_t len, struct vmm_err *err);
/* A ctl write: one transaction; a rejection is logged with its failing line. */
int mfs_ctl_write(struct mfs *fs, const struct mfs_row *row, const char *key, const char *region,
		  const char *buf, size_t len, struct vmm_err *err);

#endif
