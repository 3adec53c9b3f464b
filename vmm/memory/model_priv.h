/* SPDX-License-Identifier: MIT */
/*
 * The model object itself: the registry, address spaces, listeners, the
 * open transaction's undo log and dirty windows, and the render settings.
 * Its behaviour lives in the files that own each part: registry.c, undo.c,
 * dirty_window.c, commit.c, memory.c.
 */
#ifndef VMM_MEMORY_MODEL_PRIV_H
#define VMM_MEMORY_MODEL_PRIV_H

#include <pthread.h>
#include <vmm/flatview.h>
#include <vmm/memory.h>

#include "region_priv.h"

struct undo_rec;

/*
 * A dirty window: [lo, hi) in the coordinates of flat-view root @root, where
 * the rendering may have changed in the open transaction (dirty_window.c).
 */
struct mem_win {
	struct vmm_mr *root;
	vmm_u128 lo, hi;
};

struct mem_dirty {
	struct mem_win *w;
	size_t nr, cap;
	bool full;		/* a structural change: render every view from scratch */
	struct vmm_mr **roots;	/* scratch: flat-view roots before a primitive */
	size_t nroots, roots_cap;
};

struct vmm_memory {
	struct mr_int **htab;
	size_t hsize;
	size_t nr_regions;
	struct vmm_mr *all_head, *all_tail;
	struct vmm_as *as_head;
	struct vmm_listener *listeners;	/* registration order */

	unsigned depth;
	struct undo_rec *log;
	size_t log_nr, log_cap;
	size_t *marks;		/* log position at each open begin */
	size_t marks_cap;

	uint64_t generation;
	uint64_t next_seq;
	uint64_t next_fv_id;
	uint64_t epoch;
	pthread_mutex_t view_lock;	/* guards every as->current swap */

	uint64_t next_link_seq;
	struct mem_dirty dirty;		/* windows the open transaction touched */
	enum vmm_render_mode render_mode;
	struct vmm_render_stats stats;

	struct vmm_ramlist *rl;
	bool own_rl;
	vmm_device_factory factory;
	void *factory_ctx;
};

#endif
