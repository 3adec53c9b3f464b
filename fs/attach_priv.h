/* SPDX-License-Identifier: MIT */
/*
 * Private to fs/attach.c (the connection, refreshes, info/ and machine/qemu/
 * texts) and fs/attach_ram.c (guest RAM and the block table it reads
 * through): the state of the one attached QEMU. Locks and their order are
 * described at the top of fs/attach.c.
 */
#ifndef MTREEFS_ATTACH_PRIV_H
#define MTREEFS_ATTACH_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include <vmm/qmp.h>

#include "attach.h"

struct attach_map;

/* A RAM block of our model and where QEMU keeps the same block. */
struct attach_blk {
	const struct vmm_ramblock *rb;
	uint64_t hva;		/* QEMU's address of the block's first byte */
	uint64_t len;		/* the block's max_length, kept for readers without rb */
	bool writable;		/* RAM (not ROM) in QEMU's flat view */
	struct attach_map *map;	/* QEMU's backing file mapped here, or NULL: copied */
};

struct attach_texts {
	struct vmm_buf tree, flat;	/* info mtree -D, -f */
};

struct mfs_attach {
	struct mfs_attach_opts o;
	char *socket;
	struct vmm_qmp *q;
	pthread_mutex_t qmp_lock;
	struct vmm_qemu_mem *mem;
	pthread_rwlock_t mem_lock;
	struct attach_blk *blk;
	size_t nr_blk;
	pthread_mutex_t refresh_lock;
	struct attach_texts cached;
	atomic_llong fetched_ms;	/* when @cached was asked for (CLOCK_MONOTONIC) */
	atomic_bool stale;		/* an event said the topology may have changed */
	atomic_bool lost, shut_down, stop;
	atomic_ullong refreshes, rebuilds;
	atomic_ullong refresh_ns, rebuild_ns;	/* time they took, for machine/qemu/refresh */
	char machine[64];
	struct fuse_session *se;
	pthread_t thread;
	bool thread_on;
};

extern struct mfs_attach *mfs_att;	/* NULL: not attached */

/* attach_ram.c: the block table of @mc's current model (topology lock held) */
void attach_blk_swap(struct vmm_machine *mc);
/* attach_ram.c: whether QEMU's host address @hva is served from a shared mapping (mem_lock held) */
bool attach_hva_shared(uint64_t hva);
/* attach_ram.c: drop the block table and its mappings (closing) */
void attach_blk_free(void);

#endif
