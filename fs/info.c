// SPDX-License-Identifier: MIT
/*
 * info/: QEMU's monitor views of the memory topology rendered by
 * vmm/print.h (`info mtree`, `info mtree -D`, `info mtree -f`,
 * `info ramblock`, the KVM memslots), the topology as JSON and the memory
 * map as SVG. Each is the topology's alone (MFS_TOPO): rendered once per
 * topology generation and shared by the opens and stats at it, so a reader
 * sees one snapshot and stat reports its real size.
 */
#include <errno.h>

#include <vmm/machine.h>
#include <vmm/plot.h>
#include <vmm/print.h>

#include "ctl_file.h"
#include "files.h"

static MFS_RENDER(r_info_mtree) { vmm_print_mtree(fs->mem, 0, out); return 0; }
static MFS_RENDER(r_info_mtree_d) { vmm_print_mtree(fs->mem, VMM_PRINT_DISABLED, out); return 0; }
static MFS_RENDER(r_info_flatview) { vmm_print_flatview(fs->mem, fs->mc->accel, out); return 0; }
static MFS_RENDER(r_info_ramblock) { vmm_print_ramblock(fs->mem, out); return 0; }
static MFS_RENDER(r_info_memslots) { vmm_print_memslots(fs->mc->accel, out); return 0; }
static MFS_RENDER(r_info_json) { vmm_print_json(fs->mem, fs->mc->accel, out); return 0; }

static MFS_RENDER(r_info_svg)
{
	struct vmm_err err;

	return vmm_plot_svg(fs->mem, NULL, out, &err);
}

const struct mfs_row mfs_info_rows[] = {
	{ .pattern = "info", .mode = DIR_ },
	{ .pattern = "info/mtree", .mode = RO, .flags = MFS_TOPO, .render = r_info_mtree },
	{ .pattern = "info/mtree-D", .mode = RO, .flags = MFS_TOPO, .render = r_info_mtree_d },
	{ .pattern = "info/flatview", .mode = RO, .flags = MFS_TOPO, .render = r_info_flatview },
	{ .pattern = "info/ramblock", .mode = RO, .flags = MFS_TOPO, .render = r_info_ramblock },
	{ .pattern = "info/memslots", .mode = RO, .flags = MFS_TOPO, .render = r_info_memslots },
	{ .pattern = "info/topology.json", .mode = RO, .flags = MFS_TOPO, .render = r_info_json },
	{ .pattern = "info/memory-map.svg", .mode = RO, .flags = MFS_TOPO, .render = r_info_svg },
	{ .pattern = "info/transactions", .mode = RO, .flags = MFS_BIG,
	  .render = mfs_ctl_render_transactions },
	{ .pattern = NULL }
};
