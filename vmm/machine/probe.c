// SPDX-License-Identifier: MIT
/*
 * The probe mailbox behind the probe protocol (machine.h, VMM_PROBE_*): the
 * host posts one request, kicks the boot vCPU and waits for the firmware to
 * perform the load or store and answer through the device registers. MMIO
 * exits a vCPU reports while a request is being served are recorded, so a
 * caller learns whether KVM resolved the access itself (RAM/ROM memslot) or
 * handed it to us. The box is a leaf: vmm_machine_probe() (machine.c) and
 * the "probe" device (devices.c) call in, nothing here calls out.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "probe_priv.h"

void probe_box_init(struct probe_box *b)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->user, NULL);
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
}

void probe_box_fini(struct probe_box *b)
{
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	pthread_mutex_destroy(&b->user);
}

void probe_box_reset(struct probe_box *b)
{
	pthread_mutex_lock(&b->lock);
	b->ready = false;
	b->state = PROBE_IDLE;
	pthread_mutex_unlock(&b->lock);
}

void probe_box_note_mmio(void *box, uint64_t gpa, bool write)
{
	struct probe_box *b = box;

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
static int box_wait(struct probe_box *b, const struct timespec *ts, bool done)
{
	while (done ? b->state != PROBE_DONE : !b->ready)
		if (pthread_cond_timedwait(&b->cond, &b->lock, ts) == ETIMEDOUT)
			return done ? b->state == PROBE_DONE ? 0 : -ETIMEDOUT
				    : b->ready ? 0 : -ETIMEDOUT;
	return 0;
}

static int request_locked(struct probe_box *b, struct vmm_probe *p, int timeout_ms,
			  void (*kick)(void *), void *kick_arg)
{
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
	kick(kick_arg);
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

int probe_box_request(struct probe_box *b, struct vmm_probe *p, int timeout_ms,
		      void (*kick)(void *), void *kick_arg)
{
	int r;

	pthread_mutex_lock(&b->user);
	r = request_locked(b, p, timeout_ms, kick, kick_arg);
	pthread_mutex_unlock(&b->user);
	return r;
}

static uint32_t reg_get(struct probe_box *b, uint64_t off)
{
	switch (off) {
	case VMM_PROBE_CMD:
		if (b->state == PROBE_POSTED)
			b->state = PROBE_TAKEN;
		return b->state == PROBE_TAKEN ? b->req.op : 0;
	case VMM_PROBE_SIZE:	return b->req.size;
	case VMM_PROBE_GPA_LO:	return (uint32_t)b->req.gpa;
	case VMM_PROBE_GPA_HI:	return (uint32_t)(b->req.gpa >> 32);
	case VMM_PROBE_VAL_LO:	return (uint32_t)b->req.val;
	case VMM_PROBE_VAL_HI:	return (uint32_t)(b->req.val >> 32);
	case VMM_PROBE_READY:	return b->ready ? VMM_PROBE_MAGIC : 0;
	default:		return 0;
	}
}

uint32_t probe_box_reg_read(struct probe_box *b, uint64_t off)
{
	uint32_t v;

	pthread_mutex_lock(&b->lock);
	v = reg_get(b, off);
	pthread_mutex_unlock(&b->lock);
	return v;
}

static void reg_set(struct probe_box *b, uint64_t off, uint32_t v)
{
	switch (off) {
	case VMM_PROBE_RES_LO:
		b->result = (b->result & ~0xffffffffull) | v;
		break;
	case VMM_PROBE_RES_HI:
		b->result = (b->result & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case VMM_PROBE_DONE:
		if (b->state != PROBE_TAKEN)
			break;
		b->status = v;
		b->state = PROBE_DONE;
		pthread_cond_broadcast(&b->cond);
		break;
	case VMM_PROBE_READY:
		b->ready = v == VMM_PROBE_MAGIC;
		pthread_cond_broadcast(&b->cond);
		break;
	}
}

void probe_box_reg_write(struct probe_box *b, uint64_t off, uint32_t v)
{
	pthread_mutex_lock(&b->lock);
	reg_set(b, off, v);
	pthread_mutex_unlock(&b->lock);
}
