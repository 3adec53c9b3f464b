/* SPDX-License-Identifier: MIT */
/*
 * The machine: a memory model, an accelerator (KVM or the in-process memslot
 * table), the KVM listener that joins them, the vCPU threads and the guest
 * firmware. The default machine is QEMU's `pc` memory map for a RAM size.
 *
 * Guest interface of the built-in firmware (see vmm/firmware/README):
 *   port 0x402  debug console (isa-debugcon): bytes written are the console
 *   heartbeat   a 64-bit counter the guest increments, at VMM_HEARTBEAT_GPA
 *   port 0x510.. probe protocol, see VMM_PROBE_*
 */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H

#include <pthread.h>
#include <vmm/base.h>

struct vmm_memory;
struct vmm_accel;
struct vmm_as;
struct vmm_listener;

#define VMM_DEBUGCON_PORT	0x402
#define VMM_HEARTBEAT_GPA	0x7000ull

enum vmm_vcpu_state { VMM_VCPU_STOPPED, VMM_VCPU_RUNNING, VMM_VCPU_PAUSED,
		      VMM_VCPU_HALTED, VMM_VCPU_SHUTDOWN, VMM_VCPU_ERROR };

/**
 * struct vmm_machine_opts
 * @ram_size: guest RAM (default 512M)
 * @ram_backend: "anon", "memfd" or "file:PATH" for pc.ram (default "memfd")
 * @accel: "kvm", "none" or "auto" (default: kvm when /dev/kvm works)
 * @script: build from this control script instead of the pc map (no firmware)
 * @qemu_dump: import a QEMU dump directory (mtree-D and optional mtree-f)
 * @vcpus: number of vCPUs (default 1)
 * @run: start the vCPUs after building (default true when KVM)
 */
struct vmm_machine_opts {
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
};

void vmm_machine_opts_default(struct vmm_machine_opts *o);
int vmm_machine_create(const struct vmm_machine_opts *o, struct vmm_machine **out,
		       struct vmm_err *err);
void vmm_machine_destroy(struct vmm_machine *mc);

int vmm_machine_start(struct vmm_machine *mc, struct vmm_err *err);
int vmm_machine_pause(struct vmm_machine *mc);
int vmm_machine_resume(struct vmm_machine *mc);
int vmm_machine_reset(struct vmm_machine *mc);

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

/*
 * Probe: ask the guest to read or write @size bytes (1, 2, 4, 8) at @gpa and
 * wait for its answer (-ETIMEDOUT after @timeout_ms). A guest access that
 * faults (io range, hole) comes back as an MMIO exit and is reported in
 * *@mmio (true) with the value the device returned.
 */
int vmm_machine_probe_read(struct vmm_machine *mc, uint64_t gpa, unsigned size,
			   uint64_t *val, int timeout_ms);
int vmm_machine_probe_write(struct vmm_machine *mc, uint64_t gpa, unsigned size,
			    uint64_t val, int timeout_ms);

/* Machine-level control (machine/ctl): "pause", "resume", "reset". */
int vmm_machine_ctl(struct vmm_machine *mc, const char *cmd, struct vmm_err *err);

/* Build QEMU's pc memory map into @mem (used by vmm_machine_create). */
int vmm_machine_build_pc(struct vmm_memory *mem, uint64_t ram_size, const char *ram_backend,
			 struct vmm_err *err);

#endif
