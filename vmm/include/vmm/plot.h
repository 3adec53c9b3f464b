/* SPDX-License-Identifier: MIT */
/*
 * Pictures of the model: an address space's flat view drawn as a vertical
 * memory map in standalone SVG (highest address at the top, one band per flat
 * range and per hole, band heights log-scaled so a 4 KiB page and 4 GiB of
 * RAM are both readable). Used by `mtree plot` and meant for the filesystem's
 * info/memory-map.svg.
 */
#ifndef VMM_PLOT_H
#define VMM_PLOT_H

#include <vmm/base.h>

struct vmm_memory;

/**
 * vmm_plot_svg() - draw the flat view of an address space as an SVG memory map
 * @m:       the model
 * @as_name: address space to draw; NULL picks "memory", or the first address
 *           space when there is none of that name
 * @out:     the SVG document is appended here
 * @err:     reason on failure
 *
 * Each band is coloured by kind (ram, ram reached through an alias, rom,
 * romd, io, hole) and labelled with the leaf region's name (and the alias it
 * was mapped through), its guest range and its size; a legend follows. Names
 * are XML-escaped. Return: 0, -ENOENT when the address space does not exist
 * (or the model has none), -ENOMEM when @out ran out of memory.
 */
int vmm_plot_svg(struct vmm_memory *m, const char *as_name, struct vmm_buf *out,
		 struct vmm_err *err);

#endif
