/* SPDX-License-Identifier: MIT */
/*
 * The machine: a memory model, an accelerator (KVM or the in-process memslot
 * table), the KVM listener that joins them, the vCPU threads and the guest
 * firmware. The built-in machines are QEMU 7.2's `pc` (the default) and `q35`
 * memory maps for a RAM size, as `-S -nodefaults` builds them.
 *
 * Guest interface of the built-in firmware (see vmm/firmware/README):
 *   port 0x402   debug console (isa-debugcon): bytes written are the console
 *   heartbeat    a 64-bit counter the guest increments, at VMM_HEARTBEAT_GPA
 *   port 0x700.. probe protocol, see VMM_PROBE_*
 *
 * The firmware runs in 64-bit long mode with the first 4 GiB identity mapped
 * by 2 MiB pages; guest addresses at or above 4 GiB go through a 2 MiB
 * window it remaps per request. It keeps its stack, page tables and
 * heartbeat in guest RAM [VMM_FW_RAM_START, VMM_FW_RAM_END): tests that edit
 * the topology must leave that range backed by writable RAM.
 */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H

#ifndef __ASSEMBLER__
#include <pthread.h>
#include <vmm/base.h>
#endif

#define VMM_DEBUGCON_PORT	0x402
#define VMM_HEARTBEAT_GPA	0x7000
#define VMM_FW_RAM_START	0x1000
#define VMM_FW_RAM_END		0x10000

/*
 * Probe protocol. The "probe" io device (I/O space, VMM_PROBE_PORT, 0x40
 * ports) is a mailbox; every register is 32 bits wide.
 *   CMD    in   0 idle, VMM_PROBE_OP_READ or VMM_PROBE_OP_WRITE: a posted request
 *   SIZE   in   1, 2, 4 or 8
 *   GPA    in   guest physical address, low then high half
 *   VAL    in   value to store (write requests), low then high half
 *   RES    out  value loaded (read requests), low then high half
 *   DONE   out  completes the request; the value written is the guest's status
 *                (0 done, 1 bad size)
 *   READY  out  the firmware writes VMM_PROBE_MAGIC once its loop is running
 * The guest polls CMD between heartbeats, performs the access with one real
 * load or store of SIZE bytes (so KVM sees exactly the access a driver would
 * make: RAM/ROM through memslots, anything else as an MMIO exit), writes RES
 * and then DONE. The host side is vmm_machine_probe_*().
 */
#define VMM_PROBE_PORT		0x700
#define VMM_PROBE_PORT_SIZE	0x40
#define VMM_PROBE_CMD		0x00
#define VMM_PROBE_SIZE		0x04
#define VMM_PROBE_GPA_LO	0x08
#define VMM_PROBE_GPA_HI	0x0c
#define VMM_PROBE_VAL_LO	0x10
#define VMM_PROBE_VAL_HI	0x14
#define VMM_PROBE_RES_LO	0x18
#define VMM_PROBE_RES_HI	0x1c
#define VMM_PROBE_DONE		0x20
#define VMM_PROBE_READY		0x24
#define VMM_PROBE_OP_READ	1
#define VMM_PROBE_OP_WRITE	2
#define VMM_PROBE_MAGIC		0x4d545246	/* "FRTM" */

#ifndef __ASSEMBLER__	/* the firmware (vmm/firmware/fw.S) shares the constants above */

struct vmm_memory;
struct vmm_accel;
struct vmm_as;
struct vmm_listener;
struct vmm_mr;
struct vmm_vcpu;
struct vmm_machine_model;

enum vmm_vcpu_state { VMM_VCPU_STOPPED, VMM_VCPU_RUNNING, VMM_VCPU_PAUSED,
		      VMM_VCPU_HALTED, VMM_VCPU_SHUTDOWN, VMM_VCPU_ERROR };

/**
 * struct vmm_machine_opts
 * @machine: "pc" (default, i440fx) or "q35": the built-in map with firmware
 * @ram_size: guest RAM (default 512M)
 * @ram_backend: "anon" (default, as QEMU), "memfd" or "file:PATH" for pc.ram
 * @accel: "kvm", "none" or "auto" (default: kvm when /dev/kvm works)
 * @script: build from this control script instead of the built-in map (no firmware)
 * @qemu_dump: import a QEMU dump directory (mtree-D and optional mtree-f)
 * @vcpus: number of vCPUs (default 1), each with its cpu-memory-N address
 *         space; the firmware runs on vCPU 0, the others park in HLT
 * @run: start the vCPUs after building (default true); only a machine with
 *       the firmware (a built-in map) and KVM starts: a script or dump machine has
 *       no code to run, vmm_machine_start() is refused for it
 */
struct vmm_machine_opts {
	const char *machine;
	uint64_t ram_size;
	const char *ram_backend;
	const char *accel;
	const char *script;
	const char *qemu_dump;
	unsigned vcpus;
	bool run;
};

struct vmm_machine {
	struct vmm_memory *mem;
	struct vmm_accel *accel;
	struct vmm_listener *kvm_listener;
	struct vmm_as *memory_as;	/* "memory" */
	struct vmm_as *io_as;		/* "I/O" */
	uint64_t ram_size;
	unsigned nr_vcpus;
	struct vmm_vcpu **vcpus;
	pthread_mutex_t lock;		/* the topology lock: writers exclusive */
	void *priv;
	struct vmm_machine_model *retired;	/* attached QEMU: replaced models (attach.c) */
};

void vmm_machine_opts_default(struct vmm_machine_opts *o);
/**
 * vmm_machine_create() - build a machine
 * @o: options (NULL: defaults)
 * @out: the machine
 * @err: reason on failure
 *
 * Memory model, accelerator (KVM for "kvm"/"auto" when /dev/kvm works, the
 * soft memslot table otherwise), KVM listener, the topology (pc or q35 map
 * with firmware, script or QEMU dump), the device factory, and with KVM the vCPUs
 * (started when @o->run and the firmware is present).
 * Return: 0 or -errno.
 */
int vmm_machine_create(const struct vmm_machine_opts *o, struct vmm_machine **out,
		       struct vmm_err *err);
void vmm_machine_destroy(struct vmm_machine *mc);
/*
 * The wiring every model gets (the machine's own and the offline tools'):
 * @mem's device factory with @dev_ctx, and a KVM listener for @accel
 * registered on @mem, returned in @out. Return: 0 or -errno.
 */
int vmm_machine_wire(struct vmm_memory *mem, struct vmm_accel *accel, void *dev_ctx,
		     struct vmm_listener **out, struct vmm_err *err);

/*
 * Start, pause, resume, reset the vCPUs. Do not hold mc->lock while calling
 * them: a vCPU dispatching an exit takes it, and pause waits for the vCPUs.
 */
int vmm_machine_start(struct vmm_machine *mc, struct vmm_err *err);
int vmm_machine_pause(struct vmm_machine *mc);
int vmm_machine_resume(struct vmm_machine *mc);
int vmm_machine_reset(struct vmm_machine *mc);
/*
 * A host-side write of @len bytes at @host (inside a RAM block): marks the
 * pages dirty in every logging memslot that maps them. Takes mc->lock; call
 * it after the write.
 */
void vmm_machine_mark_dirty(struct vmm_machine *mc, const void *host, uint64_t len);
/* True when the machine has the firmware and a vCPU able to run it. */
bool vmm_machine_can_run(const struct vmm_machine *mc);

/* Console (guest debug output), a ring of the last 64 KiB: copies up to @cap bytes. */
size_t vmm_machine_console(struct vmm_machine *mc, char *buf, size_t cap);

struct vmm_vcpu_info {
	unsigned index;
	enum vmm_vcpu_state state;
	uint64_t exits, io_exits, mmio_exits, hlt_exits;
	uint64_t rip;
	char last_error[128];
};
int vmm_machine_vcpu_info(struct vmm_machine *mc, unsigned idx, struct vmm_vcpu_info *out);
const char *vmm_vcpu_state_name(enum vmm_vcpu_state s);

/**
 * struct vmm_probe - one probe request and its outcome
 * @op: VMM_PROBE_OP_READ or VMM_PROBE_OP_WRITE
 * @size: 1, 2, 4 or 8
 * @gpa: guest physical address
 * @val: value to write (in) / value read (out)
 * @mmio: out: the access left the guest as an MMIO exit
 * @mmio_gpa, @mmio_write: out: address and direction of the first such exit
 */
struct vmm_probe {
	unsigned op;
	unsigned size;
	uint64_t gpa;
	uint64_t val;
	bool mmio;
	uint64_t mmio_gpa;
	bool mmio_write;
};

/*
 * Probe: ask the guest to read or write @size bytes (1, 2, 4, 8) at @gpa and
 * wait for its answer (-ETIMEDOUT after @timeout_ms, -ENODEV when the
 * machine cannot run, -EINVAL bad size). A guest access that faults (io
 * range, hole, ROM write) comes back as an MMIO exit, is dispatched through
 * the "memory" address space and reported in struct vmm_probe.
 */
int vmm_machine_probe(struct vmm_machine *mc, struct vmm_probe *p, int timeout_ms);
int vmm_machine_probe_read(struct vmm_machine *mc, uint64_t gpa, unsigned size,
			   uint64_t *val, int timeout_ms);
int vmm_machine_probe_write(struct vmm_machine *mc, uint64_t gpa, unsigned size,
			    uint64_t val, int timeout_ms);

/* The guest's heartbeat counter (read from RAM), or 0 when not mapped. */
uint64_t vmm_machine_heartbeat(struct vmm_machine *mc);

/* Machine-level control (machine/ctl): "start", "pause", "resume", "reset". */
int vmm_machine_ctl(struct vmm_machine *mc, const char *cmd, struct vmm_err *err);

/*
 * Build QEMU's pc or q35 memory map into @mem (used by vmm_machine_create):
 * the "memory" and "cpu-memory-0" address spaces on "system", "I/O" on "io"
 * with QEMU's ports plus "debugcon" (0x402) and "probe" (VMM_PROBE_PORT),
 * the PCI functions' bus-master address spaces and fw_cfg's ACPI blobs:
 * QEMU's `-S -nodefaults` text for the same -m, except for those two ports.
 */
int vmm_machine_build_pc(struct vmm_memory *mem, uint64_t ram_size, const char *ram_backend,
			 struct vmm_err *err);
int vmm_machine_build_q35(struct vmm_memory *mem, uint64_t ram_size, const char *ram_backend,
			  struct vmm_err *err);

/**
 * struct vmm_device_kind - one device kind of `io ... device=KIND`
 * @name: what KIND names it ("none" also answers to "unassigned" and "")
 * @description: what the device does, one line, for listings and docs
 */
struct vmm_device_kind {
	const char *name;
	const char *description;
};

/* The @i-th device kind (0, 1, ...), or NULL past the last. */
const struct vmm_device_kind *vmm_device_kind_at(unsigned i);

/*
 * The factory of the kinds vmm_device_kind_at() lists, for
 * vmm_memory_set_device_factory() with @ctx a struct vmm_machine (or NULL
 * outside a machine: debugcon output is then dropped and probe always reads
 * idle).
 */
int vmm_devices_create(void *ctx, struct vmm_mr *mr, const char *kind, struct vmm_err *err);

/*
 * A machine mirroring a running QEMU (vmm/machine/attach.c): built from
 * QEMU's `info mtree -D` and `-f` texts by the importer, no vCPU, the soft
 * memslot table. When QEMU's topology changes, import a new model (no lock
 * needed) and swap it in with mc->lock held; the old one is kept until
 * vmm_machine_destroy(), since readers may still hold references into it.
 */
/**
 * struct vmm_machine_model - one imported topology and its memslot table
 * @mem, @accel, @listener: as the machine's fields of the same names
 * @next: the retired models of a machine (vmm_machine_destroy frees them)
 */
struct vmm_machine_model {
	struct vmm_memory *mem;
	struct vmm_accel *accel;
	struct vmm_listener *listener;
	struct vmm_machine_model *next;
};

int vmm_machine_create_qemu(const char *tree, size_t tree_len, const char *flat,
			    size_t flat_len, struct vmm_machine **out, struct vmm_err *err);
int vmm_machine_model_import(const char *tree, size_t tree_len, const char *flat,
			     size_t flat_len, struct vmm_machine_model **out, struct vmm_err *err);
void vmm_machine_model_free(struct vmm_machine_model *m);
void vmm_machine_model_swap(struct vmm_machine *mc, struct vmm_machine_model *m);

/* The firmware image (built from vmm/firmware/ at build time). */
extern const unsigned char vmm_firmware_start[], vmm_firmware_end[];

#endif /* !__ASSEMBLER__ */
#endif
