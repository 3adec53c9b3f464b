// SPDX-License-Identifier: MIT
/*
 * The host side of the probe protocol (machine.h, VMM_PROBE_*): post one
 * request in the mailbox, wake the boot vCPU, wait for the firmware to
 * perform the load or store and answer. MMIO exits the vCPU thread sees while
 * a request is being served are recorded, so a caller learns whether KVM
 * resolved the access itself (RAM/ROM memslot) or handed it to us.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "machine_priv.h"

void vmm_probe_note_mmio(struct vmm_machine *mc, uint64_t gpa, bool write)
{
	struct vmm_probe_box *b = &machine_priv(mc)->probe;

	pthread_mutex_lock(&b->lock);
	if (b->state == PROBE_TAKEN && !b->req.mmio) {
		b->req.mmio = true;
		b->req.mmio_gpa = gpa;
		b->req.mmio_write = write;
	}
	pthread_mutex_unlock(&b->lock);
}

static void deadline(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Called with b->lock; waits until @cond holds or the deadline passes. */
static int box_wait(struct vmm_probe_box *b, const struct timespec *ts, bool done)
{
	while (done ? b->state != PROBE_DONE : !b->ready)
		if (pthread_cond_timedwait(&b->cond, &b->lock, ts) == ETIMEDOUT)
			return done ? b->state == PROBE_DONE ? 0 : -ETIMEDOUT
				    : b->ready ? 0 : -ETIMEDOUT;
	return 0;
}

static int probe_locked(struct vmm_machine *mc, struct vmm_probe *p, int timeout_ms)
{
	struct vmm_probe_box *b = &machine_priv(mc)->probe;
	struct timespec ts;
	int r;

	deadline(&ts, timeout_ms);
	pthread_mutex_lock(&b->lock);
	r = box_wait(b, &ts, false);
	if (r)
		goto unlock;
	b->req = *p;
	b->req.mmio = false;
	b->req.mmio_gpa = 0;
	b->req.mmio_write = false;
	b->result = 0;
	b->status = 0;
	b->state = PROBE_POSTED;
	pthread_mutex_unlock(&b->lock);
	vmm_vcpu_wake(mc->vcpus[0]);
	pthread_mutex_lock(&b->lock);
	r = box_wait(b, &ts, true);
	if (!r) {
		p->mmio = b->req.mmio;
		p->mmio_gpa = b->req.mmio_gpa;
		p->mmio_write = b->req.mmio_write;
		if (p->op == VMM_PROBE_OP_READ)
			p->val = b->result;
		r = b->status ? -EINVAL : 0;
	}
	b->state = PROBE_IDLE;
unlock:
	pthread_mutex_unlock(&b->lock);
	return r;
}

/**
 * vmm_machine_probe() - have the guest perform one access and report it
 * @mc: a running machine with the firmware
 * @p: the request (op, size, gpa, val); val, mmio, mmio_gpa and mmio_write
 *     are filled in
 * @timeout_ms: how long to wait for the firmware
 *
 * Requests are serialised. Do not hold mc->lock: the vCPU needs it to
 * dispatch the exits the request causes.
 * Return: 0, -EINVAL (bad op or size), -ENODEV (cannot run), -ETIMEDOUT.
 */
int vmm_machine_probe(struct vmm_machine *mc, struct vmm_probe *p, int timeout_ms)
{
	struct vmm_probe_box *b = &machine_priv(mc)->probe;
	int r;

	if (p->op != VMM_PROBE_OP_READ && p->op != VMM_PROBE_OP_WRITE)
		return -EINVAL;
	if (p->size != 1 && p->size != 2 && p->size != 4 && p->size != 8)
		return -EINVAL;
	if (!vmm_machine_can_run(mc) || !machine_priv(mc)->started)
		return -ENODEV;
	pthread_mutex_lock(&b->user);
	r = probe_locked(mc, p, timeout_ms);
	pthread_mutex_unlock(&b->user);
	return r;
}

int vmm_machine_probe_read(struct vmm_machine *mc, uint64_t gpa, unsigned size,
			   uint64_t *val, int timeout_ms)
{
	struct vmm_probe p = { .op = VMM_PROBE_OP_READ, .size = size, .gpa = gpa };
	int r = vmm_machine_probe(mc, &p, timeout_ms);

	if (!r)
		*val = p.val;
	return r;
}

int vmm_machine_probe_write(struct vmm_machine *mc, uint64_t gpa, unsigned size,
			    uint64_t val, int timeout_ms)
{
	struct vmm_probe p = { .op = VMM_PROBE_OP_WRITE, .size = size, .gpa = gpa, .val = val };

	return vmm_machine_probe(mc, &p, timeout_ms);
}
