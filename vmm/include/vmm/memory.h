/* SPDX-License-Identifier: MIT */
/*
 * The memory model: regions, address spaces, transactions and listeners with
 * the semantics of QEMU 7.2's softmmu/memory.c.
 *
 * A struct vmm_memory owns every region (by unique ID), every address space,
 * the RAM block list and the registered listeners. All mutation goes through
 * the vmm_mr_* / vmm_as_* calls below; the structures are public so that
 * printers and the filesystem can walk them, but callers must treat them as
 * read-only. The model is not internally locked: one writer at a time, and
 * readers that run concurrently with a writer must only use flat views they
 * hold a reference on (vmm_as_get_flatview()).
 *
 * Every mutator works inside a transaction. Outside an explicit
 * vmm_memory_begin()/commit() pair a mutator is its own transaction. A failed
 * mutator changes nothing. vmm_memory_abort() undoes everything done since the
 * matching begin. The outermost commit renders the flat views, notifies the
 * listeners (the KVM listener turns that into memslot calls); if a listener
 * fails, every listener is rolled back, the topology is restored to the state
 * at the outermost begin, and commit returns the listener's errno.
 */
#ifndef VMM_MEMORY_H
#define VMM_MEMORY_H

#include <stdatomic.h>
#include <vmm/base.h>

struct vmm_memory;
struct vmm_mr;
struct vmm_as;
struct vmm_flatview;
struct vmm_ramblock;
struct vmm_section;
struct vmm_ramlist;

enum vmm_mr_type {
	VMM_MR_CONTAINER,	/* pure container, never fills gaps */
	VMM_MR_RAM,
	VMM_MR_ROM,		/* ram that is readonly */
	VMM_MR_ROMD,		/* ROM device: reads from RAM in romd mode, writes to the device */
	VMM_MR_IO,		/* MMIO/PIO: every access goes to the device callbacks */
	VMM_MR_ALIAS,
};

const char *vmm_mr_type_name(enum vmm_mr_type t);	/* "container", "ram", ... */

/**
 * struct vmm_mr_ops - device callbacks of an io (or romd) region
 * @read:  read @size (1, 2, 4 or 8) bytes at @offset into *@val; return 0 or -errno
 * @write: write @size bytes of @val at @offset
 * @release: called when the region is freed, to drop @opaque
 */
struct vmm_mr_ops {
	int (*read)(void *opaque, uint64_t offset, uint64_t *val, unsigned size);
	int (*write)(void *opaque, uint64_t offset, uint64_t val, unsigned size);
	void (*release)(void *opaque);
};

#define VMM_DIRTY_LOG_MIGRATION	(1u << 0)	/* the only client: "log-dirty" */

/**
 * struct vmm_mr - a memory region (QEMU's MemoryRegion)
 *
 * @id:          unique, stable identifier ("pc.ram", "ram-below-4g")
 * @name:        display name as QEMU prints it; may repeat, may contain '/' and ' '
 * @type:        kind
 * @size:        up to 2^64
 * @addr:        offset inside @container (meaningful while mapped)
 * @priority:    signed priority among siblings
 * @enabled, @readonly, @nonvolatile, @romd_mode: QEMU's attributes; as in
 *               QEMU every region starts with romd_mode true and only romd
 *               regions can change it, so "ROM device in romd mode" is
 *               type == VMM_MR_ROMD && romd_mode; a rom region starts readonly
 * @dirty_log_mask: VMM_DIRTY_LOG_* bits
 * @container:   parent, or NULL when not mapped
 * @subregions:  first child; siblings linked by @sib_next/@sib_prev in QEMU's
 *               order (highest priority first, newest first among equals)
 * @alias:       target of an alias region (NULL otherwise)
 * @alias_offset: window start inside @alias
 * @alias_refs:  number of alias regions whose @alias is this region
 * @rb:          RAM block of a ram, rom or romd region
 * @ops, @opaque: device callbacks (io and romd)
 * @device:      device kind name the callbacks came from ("" when none)
 * @all_next, @all_prev: creation-order list of every region of the model
 * @refs:        references (the model holds one; each flat range holds one)
 * @seq:         creation sequence number (stable order for printing)
 */
struct vmm_mr {
	struct vmm_memory *mem;
	char *id;
	char *name;
	enum vmm_mr_type type;
	vmm_u128 size;
	uint64_t addr;
	int priority;
	bool enabled;
	bool readonly;
	bool nonvolatile;
	bool romd_mode;
	uint8_t dirty_log_mask;

	struct vmm_mr *container;
	struct vmm_mr *subregions;
	struct vmm_mr *sib_next, *sib_prev;

	struct vmm_mr *alias;
	uint64_t alias_offset;
	unsigned alias_refs;

	struct vmm_ramblock *rb;
	const struct vmm_mr_ops *ops;
	void *opaque;
	char *device;

	struct vmm_mr *all_next, *all_prev;
	atomic_uint refs;
	uint64_t seq;
};

/* A region terminates rendering (fills gaps) when it is ram, rom, romd or io. */
bool vmm_mr_is_terminating(const struct vmm_mr *mr);
/* True for ram/rom/romd regions (they have a RAM block and can become memslots). */
bool vmm_mr_is_ram(const struct vmm_mr *mr);
/*
 * True when reads of @mr come from its RAM block: ram and rom regions with a
 * block, and a ROM device when @romd_mode (pass the region's own mode, or a
 * flat range's or section's copy of it). Accesses, the data/hole map of ram
 * files and KVM memslots all decide with this one rule.
 */
bool vmm_mr_reads_ram(const struct vmm_mr *mr, bool romd_mode);

/**
 * struct vmm_as - an address space (QEMU's AddressSpace)
 * @name: as QEMU prints it ("memory", "I/O", "cpu-memory-0")
 * @root: root region
 * @current: the current flat view (never NULL after creation)
 */
struct vmm_as {
	struct vmm_memory *mem;
	char *name;
	struct vmm_mr *root;
	struct vmm_flatview *current;
	struct vmm_as *next;	/* creation order */
	uint64_t seq;
};

/**
 * struct vmm_listener - QEMU's MemoryListener
 *
 * @as_name: only sections of the address space with this name are reported
 *           (NULL: every address space)
 * @begin/@commit: bracket one commit's notifications
 * @region_del/@region_add/@region_nop: per flat range, dels first, then adds
 * @log_start/@log_stop: dirty-log mask of an unchanged range changed
 * @rollback: a later callback (of this or another listener) failed; undo
 *           everything done since @begin. Called on every listener of the
 *           round, also one whose @commit already returned 0 when a later
 *           listener's @commit fails; the topology then goes back to the
 *           state before the transaction and the old flat views stay.
 * Order (QEMU's): @begin on all listeners; per address space in creation
 * order, @region_del for removed/changed ranges (listeners in reverse
 * order), then @region_add / @region_nop (+ @log_start / @log_stop) in
 * address order (listeners in order); @commit on all listeners.
 * Callbacks may fail with -errno; the whole commit is then rolled back.
 */
struct vmm_listener {
	const char *as_name;
	void *opaque;
	void (*begin)(struct vmm_listener *l);
	int (*commit)(struct vmm_listener *l);
	void (*rollback)(struct vmm_listener *l);
	int (*region_add)(struct vmm_listener *l, const struct vmm_section *s);
	int (*region_del)(struct vmm_listener *l, const struct vmm_section *s);
	void (*region_nop)(struct vmm_listener *l, const struct vmm_section *s);
	int (*log_start)(struct vmm_listener *l, const struct vmm_section *s,
			 unsigned old_mask, unsigned new_mask);
	int (*log_stop)(struct vmm_listener *l, const struct vmm_section *s,
			unsigned old_mask, unsigned new_mask);
	struct vmm_listener *next;
};

/**
 * struct vmm_section - one flat range as seen by a listener (MemoryRegionSection)
 * @mr: the terminating (leaf) region; aliases are already resolved
 * @offset_within_region: offset of the first byte inside @mr
 * @offset_within_as: guest address of the first byte
 */
struct vmm_section {
	struct vmm_as *as;
	struct vmm_mr *mr;
	vmm_u128 offset_within_region;
	vmm_u128 offset_within_as;
	vmm_u128 size;
	bool readonly;
	bool nonvolatile;
	bool romd_mode;
	uint8_t dirty_log_mask;
};

/* Limits (clear errors beyond them). */
#define VMM_ID_MAX	128
#define VMM_NAME_MAX	256
#define VMM_REGIONS_MAX	(1u << 20)

/* ---- the model ---- */

struct vmm_memory *vmm_memory_new(void);
/* Frees everything: address spaces, regions, RAM blocks. Listeners are not notified. */
void vmm_memory_free(struct vmm_memory *m);

/* Transactions; begin nests. commit returns 0 or the -errno of a failed listener. */
void vmm_memory_begin(struct vmm_memory *m);
int vmm_memory_commit(struct vmm_memory *m, struct vmm_err *err);
void vmm_memory_abort(struct vmm_memory *m);
unsigned vmm_memory_depth(const struct vmm_memory *m);

/* Registration replays every current range through region_add (QEMU does the same). */
int vmm_memory_listener_register(struct vmm_memory *m, struct vmm_listener *l,
				 struct vmm_err *err);
void vmm_memory_listener_unregister(struct vmm_memory *m, struct vmm_listener *l);

/* Generation counter: bumped by every successful outermost commit that changed something. */
uint64_t vmm_memory_generation(const struct vmm_memory *m);

/**
 * enum vmm_render_mode - how the outermost commit brings flat views up to date
 * @VMM_RENDER_AUTO: re-render only the address windows the transaction touched
 *        (splicing them into a copy of the old view) and tell listeners only
 *        about ranges there; render from scratch after structural changes
 *        (new or deleted address spaces, a changed flat-view root) or when the
 *        windows cover much of the view
 * @VMM_RENDER_FULL: always render from scratch and diff whole views (the
 *        reference behaviour)
 * @VMM_RENDER_CHECK: as AUTO but incremental whenever possible, and every
 *        incremental view is compared with a full render; a difference counts
 *        in vmm_render_stats.mismatches and the full render is used.
 * A new model renders in VMM_RENDER_AUTO; the library reads no environment,
 * so a program or test that wants check mode calls vmm_memory_set_render_mode().
 */
enum vmm_render_mode {
	VMM_RENDER_AUTO,
	VMM_RENDER_FULL,
	VMM_RENDER_CHECK,
};

/**
 * struct vmm_render_stats - what commits did (counters since the model was made)
 * @full: views rendered from scratch
 * @incremental: views built by re-rendering dirty windows
 * @kept: incremental updates that found nothing changed (old view kept)
 * @mismatches: VMM_RENDER_CHECK: incremental views that differed from a full render
 * @windows: dirty windows rendered
 */
struct vmm_render_stats {
	uint64_t full;
	uint64_t incremental;
	uint64_t kept;
	uint64_t mismatches;
	uint64_t windows;
};

void vmm_memory_set_render_mode(struct vmm_memory *m, enum vmm_render_mode mode);
void vmm_memory_render_stats(const struct vmm_memory *m, struct vmm_render_stats *out);

/* Lookups; NULL when absent. */
struct vmm_mr *vmm_mr_find(struct vmm_memory *m, const char *id);
/**
 * vmm_as_find() - an address space by its key
 * @m: model
 * @key: "NAME" for the first space of that name in creation order, "NAME#K"
 *       (K >= 2, decimal, no leading zero) for the K-th: QEMU repeats names
 *       (one "e1000e" per device, one "vtd-root" per function behind an
 *       IOMMU) and no name contains '#' (vmm_as_new() refuses one).
 *
 * The key is how a directory under address-spaces/ and the control language
 * name one space of a repeated name (README.md, "The filesystem").
 *
 * Return: the address space, or NULL.
 */
struct vmm_as *vmm_as_find(struct vmm_memory *m, const char *key);

/* Longest key: a name, '#' and a 32-bit ordinal. */
#define VMM_AS_KEY_MAX	(VMM_NAME_MAX + 12)

/**
 * vmm_as_key() - the key that vmm_as_find() takes back to @as
 * @as: a registered address space
 * @buf: at least VMM_AS_KEY_MAX bytes
 *
 * Return: @buf, holding the name, with "#K" appended for the K-th space of
 * that name (K >= 2).
 */
char *vmm_as_key(const struct vmm_as *as, char *buf);
struct vmm_mr *vmm_memory_first_region(struct vmm_memory *m);	/* creation order */
struct vmm_as *vmm_memory_first_as(struct vmm_memory *m);
size_t vmm_memory_region_count(const struct vmm_memory *m);
struct vmm_ramlist *vmm_memory_ramlist(struct vmm_memory *m);

/* Device factory for "io ID SIZE device=KIND": fills ops/opaque for @kind. */
typedef int (*vmm_device_factory)(void *ctx, struct vmm_mr *mr, const char *kind,
				  struct vmm_err *err);
void vmm_memory_set_device_factory(struct vmm_memory *m, vmm_device_factory f, void *ctx);

/* ---- creation (the new region is unmapped) ---- */

/**
 * struct vmm_ram_opts - backing of a ram/rom/romd region
 * @backend: "anon" (default), "memfd", or "file:PATH" (hugetlbfs allowed)
 * @max_size: resizeable block: reserve this much (0: not resizeable)
 * @idstr: RAM block name (NULL: the region's display name, or its ID if taken)
 */
struct vmm_ram_opts {
	const char *backend;
	vmm_u128 max_size;
	const char *idstr;
};

/*
 * @name may be NULL (display name = @id). All return 0 or -errno:
 * -EEXIST duplicate ID, -EINVAL bad ID/size, -ENOMEM, -ENOSPC region cap.
 */
int vmm_mr_new_container(struct vmm_memory *m, const char *id, const char *name,
			 vmm_u128 size, struct vmm_mr **out, struct vmm_err *err);
int vmm_mr_new_ram(struct vmm_memory *m, enum vmm_mr_type type /* RAM, ROM or ROMD */,
		   const char *id, const char *name, vmm_u128 size,
		   const struct vmm_ram_opts *opts, struct vmm_mr **out, struct vmm_err *err);
int vmm_mr_new_io(struct vmm_memory *m, const char *id, const char *name, vmm_u128 size,
		  const char *device, struct vmm_mr **out, struct vmm_err *err);
/* Alias of [offset, offset+size) of @target: -EINVAL if the window is outside it. */
int vmm_mr_new_alias(struct vmm_memory *m, const char *id, const char *name,
		     struct vmm_mr *target, uint64_t offset, vmm_u128 size,
		     struct vmm_mr **out, struct vmm_err *err);
/* Attach device callbacks to an io or romd region created from C. */
void vmm_mr_set_ops(struct vmm_mr *mr, const struct vmm_mr_ops *ops, void *opaque,
		    const char *device);

/* ---- topology edits ---- */

/*
 * Map @mr into @parent at @addr with @prio (memory_region_add_subregion_overlap).
 * -EBUSY already mapped, -ELOOP cycle, -ERANGE addr+size beyond 2^64,
 * -EINVAL parent is not a container/terminating region.
 */
int vmm_mr_map(struct vmm_mr *mr, struct vmm_mr *parent, uint64_t addr, int prio,
	       struct vmm_err *err);
int vmm_mr_unmap(struct vmm_mr *mr, struct vmm_err *err);
/* Delete: -EBUSY while mapped, aliased, the root of an address space, or with subregions. */
int vmm_mr_delete(struct vmm_mr *mr, struct vmm_err *err);

int vmm_mr_set_enabled(struct vmm_mr *mr, bool on, struct vmm_err *err);
int vmm_mr_set_readonly(struct vmm_mr *mr, bool on, struct vmm_err *err);
int vmm_mr_set_nonvolatile(struct vmm_mr *mr, bool on, struct vmm_err *err);
int vmm_mr_set_romd(struct vmm_mr *mr, bool on, struct vmm_err *err);	/* romd regions only */
int vmm_mr_set_log_dirty(struct vmm_mr *mr, bool on, struct vmm_err *err);
int vmm_mr_set_priority(struct vmm_mr *mr, int prio, struct vmm_err *err);	/* re-inserts */
int vmm_mr_set_addr(struct vmm_mr *mr, uint64_t addr, struct vmm_err *err);	/* re-inserts */
int vmm_mr_set_alias_offset(struct vmm_mr *mr, uint64_t off, struct vmm_err *err);
/* Size: containers/io/aliases any size; ram only within a resizeable block's max. */
int vmm_mr_set_size(struct vmm_mr *mr, vmm_u128 size, struct vmm_err *err);
/* Change an alias's target (QEMU's memory_region_set_alias... via re-init). */
int vmm_mr_set_alias_target(struct vmm_mr *mr, struct vmm_mr *target, struct vmm_err *err);

/* ---- address spaces ---- */

int vmm_as_new(struct vmm_memory *m, const char *name, struct vmm_mr *root,
	       struct vmm_as **out, struct vmm_err *err);
int vmm_as_delete(struct vmm_as *as, struct vmm_err *err);

/*
 * Accesses through an address space (the current flat view). RAM and ROM are
 * copied from the host mapping (ROM writes are dropped, as for a guest, unless
 * @force); io ranges are dispatched to the device callbacks in naturally sized
 * pieces; holes read as all-ones and ignore writes (QEMU's unassigned). Returns
 * 0, or -errno from a device.
 */
int vmm_as_read(struct vmm_as *as, uint64_t addr, void *buf, size_t len);
int vmm_as_write(struct vmm_as *as, uint64_t addr, const void *buf, size_t len);
/* As vmm_as_write, but ROM, readonly RAM and romd RAM are written too (the host's view). */
int vmm_as_write_force(struct vmm_as *as, uint64_t addr, const void *buf, size_t len);

/**
 * struct vmm_xlate - result of translating one guest address
 * @mr: leaf region (NULL for a hole)
 * @offset: offset inside @mr
 * @len: bytes from the address to the end of the flat range
 * @host: host address for RAM-backed ranges (NULL for io and holes)
 * @readonly: the range is readonly for the guest
 */
struct vmm_xlate {
	struct vmm_mr *mr;
	uint64_t offset;
	vmm_u128 len;
	void *host;
	bool readonly;
};
int vmm_as_translate(struct vmm_as *as, uint64_t addr, struct vmm_xlate *out);

/* Host address of @offset inside a RAM-backed region, or NULL. */
void *vmm_mr_host(const struct vmm_mr *mr, uint64_t offset);

void vmm_mr_ref(struct vmm_mr *mr);
void vmm_mr_unref(struct vmm_mr *mr);

#endif
