/* SPDX-License-Identifier: MIT */
/*
 * The probe mailbox (probe.c): one request at a time between a host thread
 * and the firmware serving the "probe" io device. It knows neither the
 * machine nor the vCPUs: the machine passes the kick that wakes the boot
 * vCPU, and hands the vCPUs probe_box_note_mmio() as their MMIO hook, so the
 * calls run one way, from machine.c, devices.c and (through the hook) vcpu.c
 * down to the box.
 */
#ifndef VMM_MACHINE_PROBE_PRIV_H
#define VMM_MACHINE_PROBE_PRIV_H

#include <pthread.h>
#include <vmm/machine.h>

enum probe_state { PROBE_IDLE, PROBE_POSTED, PROBE_TAKEN, PROBE_DONE };

struct probe_box {
	pthread_mutex_t user;	/* held by the host for a whole request */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum probe_state state;
	struct vmm_probe req;
	uint64_t result;
	uint32_t status;
	bool ready;		/* the firmware reported VMM_PROBE_MAGIC */
};

void probe_box_init(struct probe_box *b);
void probe_box_fini(struct probe_box *b);
/* System reset: the firmware starts over and must report ready again. */
void probe_box_reset(struct probe_box *b);
/*
 * Post @p, call @kick(@kick_arg) so the firmware notices, and wait up to
 * @timeout_ms for the answer: 0, -EINVAL (the firmware refused) or -ETIMEDOUT.
 */
int probe_box_request(struct probe_box *b, struct vmm_probe *p, int timeout_ms,
		      void (*kick)(void *), void *kick_arg);
/* The device side: the registers at VMM_PROBE_* offsets. */
uint32_t probe_box_reg_read(struct probe_box *b, uint64_t off);
void probe_box_reg_write(struct probe_box *b, uint64_t off, uint32_t v);
/* A vCPU's MMIO hook (@box is the struct probe_box): records the exit for a request. */
void probe_box_note_mmio(void *box, uint64_t gpa, bool write);

#endif
