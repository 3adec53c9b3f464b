/* SPDX-License-Identifier: MIT */
/*
 * Private state shared by the machine's files: machine.c (creation, control,
 * probe requests), vcpu.c (the vCPU threads) and devices.c (io device
 * kinds); the maps (pc.c, q35.c) need none of it. The console ring and the
 * probe mailbox (probe_priv.h) live here because the devices fill them from vCPU threads while the host reads them.
 */
#ifndef VMM_MACHINE_PRIV_H
#define VMM_MACHINE_PRIV_H

#include <pthread.h>
#include <vmm/machine.h>

#include "probe_priv.h"

#define CONSOLE_SIZE	65536u

struct machine_console {
	pthread_mutex_t lock;
	char ring[CONSOLE_SIZE];
	uint64_t total;		/* bytes ever written; ring holds the last CONSOLE_SIZE */
};

struct machine_private {
	struct machine_console console;
	struct probe_box probe;
	bool firmware;		/* a built-in map with the firmware loaded */
	bool started;
};

static inline struct machine_private *machine_priv(const struct vmm_machine *mc)
{
	return mc->priv;
}

void console_put(struct machine_console *c, const char *p, size_t n);

/*
 * vCPU threads (vcpu.c). They know the machine only through its public
 * fields: @on_mmio(@opaque, gpa, write) runs in the vCPU thread on every MMIO exit,
 * before the access is dispatched (the machine records it for a probe).
 */
int vcpu_new(struct vmm_machine *mc, unsigned index,
	     void (*on_mmio)(void *opaque, uint64_t gpa, bool write), void *opaque,
	     struct vmm_vcpu **out, struct vmm_err *err);
void vcpu_free(struct vmm_vcpu *v);
int vcpu_start(struct vmm_vcpu *v, struct vmm_err *err);
/* Ask the thread to pause and wait (up to @timeout_ms) until it has. */
int vcpu_pause(struct vmm_vcpu *v, int timeout_ms);
void vcpu_resume(struct vmm_vcpu *v);
/* Architectural reset state (CS:IP = f000:fff0); pauses around it when running. */
int vcpu_reset(struct vmm_vcpu *v);
/* Wake a halted vCPU (a probe was posted). */
void vcpu_wake(struct vmm_vcpu *v);
void vcpu_info(struct vmm_vcpu *v, struct vmm_vcpu_info *out);

#endif
