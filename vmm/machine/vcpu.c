// SPDX-License-Identifier: MIT
/*
 * vCPU threads: one KVM vCPU each (KVM_CREATE_VCPU, the shared kvm_run page,
 * CPUID from KVM_GET_SUPPORTED_CPUID) running KVM_RUN in a loop. PIO exits
 * go through the "I/O" address space and MMIO exits through "memory" (with
 * the topology lock held, so a device sees a consistent model); HLT parks
 * the thread for a tick or until woken; shutdown, internal errors and failed
 * entries stop it with the reason kept for vmm_machine_vcpu_info(). Other
 * threads steer it (pause, resume, reset, stop) with a request flag, the
 * kvm_run immediate_exit bit and a signal, so a thread inside KVM_RUN comes
 * out at once.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <vmm/kvm.h>
#include <vmm/memory.h>
#include "machine_priv.h"

#define VCPU_KICK_SIGNAL	SIGUSR1
#define VCPU_HLT_TICK_NS	10000000L	/* a halted vCPU re-enters after 10 ms */

/* Counters are bumped by the vCPU thread and read by anyone: relaxed atomics. */
#define STAT_INC(x)	__atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)
#define STAT_SET(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define STAT_GET(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)

struct vmm_vcpu {
	struct vmm_machine *mc;
	void (*on_mmio)(void *opaque, uint64_t gpa, bool write);
	void *opaque;
	unsigned index;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum vmm_vcpu_state state;
	bool want_pause, want_stop, want_wake;
	bool in_guest;		/* out of the gate: in KVM_RUN or handling its exit */
	uint64_t exits, io_exits, mmio_exits, hlt_exits;
	uint64_t rip;
	char last_error[128];
};

static int kick_rc;

static void vcpu_kick_handler(int sig)
{
}

static void vcpu_kick_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_kick_handler;	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigemptyset(&sa.sa_mask);
	kick_rc = sigaction(VCPU_KICK_SIGNAL, &sa, NULL) ? -errno : 0;
}

/* Make a thread inside (or about to enter) KVM_RUN come out. Called with v->lock. */
static void vcpu_kick(struct vmm_vcpu *v)
{
	pthread_cond_broadcast(&v->cond);
	if (!v->thread_started)
		return;
	atomic_store((_Atomic uint8_t *)&v->run->immediate_exit, 1);
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

static void vcpu_fail(struct vmm_vcpu *v, enum vmm_vcpu_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void vcpu_fail(struct vmm_vcpu *v, enum vmm_vcpu_state st, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&v->lock);
	va_start(ap, fmt);
	vsnprintf(v->last_error, sizeof(v->last_error), fmt, ap);
	va_end(ap);
	v->state = st;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

static int vcpu_set_cpuid(struct vmm_vcpu *v, struct vmm_err *err)
{
	int kfd = vmm_accel_kvm_fd(v->mc->accel), r = 0;
	struct kvm_cpuid2 *c = NULL;

	for (unsigned n = 64; n <= 4096; n *= 2) {
		free(c);
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return vmm_err_set(err, -ENOMEM, "vcpu%u: out of memory", v->index);
		c->nent = n;
		r = vmm_kvm_ioctl(kfd, KVM_GET_SUPPORTED_CPUID, c);
		if (r != -E2BIG)
			break;
	}
	if (r)
		goto out;
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1)	/* initial APIC ID: the firmware's BSP test */
			e->ebx = (e->ebx & 0x00ffffff) | v->index << 24;
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = v->index;
	}
	r = vmm_kvm_ioctl(v->fd, KVM_SET_CPUID2, c);
out:
	free(c);
	return r ? vmm_err_set(err, r, "vcpu%u: CPUID setup failed: %s", v->index,
			       strerror(-r)) : 0;
}

/* The architectural state after RESET: real mode, CS:IP = f000:fff0 (linear 0xfffffff0). */
static int vcpu_arch_reset(struct vmm_vcpu *v)
{
	struct kvm_sregs sr;
	struct kvm_regs regs;
	struct kvm_segment data = { .base = 0, .limit = 0xffff, .type = 3, .present = 1,
				    .s = 1 };
	int r = vmm_kvm_ioctl(v->fd, KVM_GET_SREGS, &sr);

	if (r)
		return r;
	sr.cs = data;
	sr.cs.selector = 0xf000;
	sr.cs.base = 0xffff0000;
	sr.cs.type = 0xb;
	sr.ds = sr.es = sr.fs = sr.gs = sr.ss = data;
	sr.gdt.base = sr.idt.base = 0;
	sr.gdt.limit = sr.idt.limit = 0xffff;
	sr.cr0 = 0x60000010;
	sr.cr2 = sr.cr3 = sr.cr4 = 0;
	sr.efer = 0;
	r = vmm_kvm_ioctl(v->fd, KVM_SET_SREGS, &sr);
	if (r)
		return r;
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0xfff0;
	regs.rflags = 2;
	return vmm_kvm_ioctl(v->fd, KVM_SET_REGS, &regs);
}

/**
 * vcpu_new() - create vCPU @index of @mc (not yet running)
 * @mc: a machine with a KVM accelerator
 * @index: vCPU id (also its APIC ID)
 * @on_mmio: called by the vCPU thread on every MMIO exit (may be NULL)
 * @opaque: its first argument
 * @out: the vCPU
 * @err: reason on failure
 *
 * Return: 0 or -errno.
 */
int vcpu_new(struct vmm_machine *mc, unsigned index,
	     void (*on_mmio)(void *opaque, uint64_t gpa, bool write), void *opaque,
	     struct vmm_vcpu **out, struct vmm_err *err)
{
	int vmfd = vmm_accel_vm_fd(mc->accel), kfd = vmm_accel_kvm_fd(mc->accel), r;
	struct vmm_vcpu *v;
	long sz;

	if (vmfd < 0)
		return vmm_err_set(err, -ENODEV, "vcpu: the accelerator is not KVM");
	v = calloc(1, sizeof(*v));
	if (!v)
		return vmm_err_set(err, -ENOMEM, "vcpu: out of memory");
	v->mc = mc;
	v->on_mmio = on_mmio;
	v->opaque = opaque;
	v->index = index;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	v->fd = vmm_kvm_ioctl(vmfd, KVM_CREATE_VCPU, (void *)(uintptr_t)index);
	if (v->fd < 0) {
		r = vmm_err_set(err, v->fd, "vcpu%u: KVM_CREATE_VCPU: %s", index, strerror(-v->fd));
		goto free_v;
	}
	sz = vmm_kvm_ioctl(kfd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (sz < (long)sizeof(struct kvm_run)) {
		r = vmm_err_set(err, -EINVAL, "vcpu%u: bad KVM_GET_VCPU_MMAP_SIZE", index);
		goto close_fd;
	}
	v->run_size = (size_t)sz;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		r = vmm_err_set(err, -errno, "vcpu%u: mmap kvm_run: %s", index, strerror(errno));
		goto close_fd;
	}
	r = vcpu_set_cpuid(v, err);
	if (!r && (r = vcpu_arch_reset(v)))
		vmm_err_set(err, r, "vcpu%u: reset state: %s", index, strerror(-r));
	if (r)
		goto unmap;
	*out = v;
	return 0;
unmap:
	munmap(v->run, v->run_size);
close_fd:
	close(v->fd);
free_v:
	free(v);
	return r;
}

/* One PIO exit: every element of a string I/O goes through the "I/O" space. */
static void vcpu_pio(struct vmm_vcpu *v)
{
	struct vmm_machine *mc = v->mc;
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint64_t val;

	STAT_INC(v->io_exits);
	pthread_mutex_lock(&mc->lock);
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (!mc->io_as) {
			if (run->io.direction == KVM_EXIT_IO_IN)
				memset(data, 0xff, run->io.size);
			continue;
		}
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			vmm_as_write(mc->io_as, run->io.port, data, run->io.size);
		} else {
			val = ~0ull;
			vmm_as_read(mc->io_as, run->io.port, &val, run->io.size);
			memcpy(data, &val, run->io.size);
		}
	}
	pthread_mutex_unlock(&mc->lock);
}

static void vcpu_mmio(struct vmm_vcpu *v)
{
	struct vmm_machine *mc = v->mc;
	struct kvm_run *run = v->run;
	uint64_t gpa = run->mmio.phys_addr;
	unsigned len = run->mmio.len > 8 ? 8 : run->mmio.len;

	STAT_INC(v->mmio_exits);
	if (v->on_mmio)
		v->on_mmio(v->opaque, gpa, run->mmio.is_write);
	pthread_mutex_lock(&mc->lock);
	if (run->mmio.is_write) {
		if (mc->memory_as)
			vmm_as_write(mc->memory_as, gpa, run->mmio.data, len);
	} else {
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		if (mc->memory_as)
			vmm_as_read(mc->memory_as, gpa, run->mmio.data, len);
	}
	pthread_mutex_unlock(&mc->lock);
}

/* Halted: sleep one tick, or less when a request or a wake (a probe) comes. */
static void vcpu_halt_wait(struct vmm_vcpu *v)
{
	struct timespec ts;

	pthread_mutex_lock(&v->lock);
	if (v->state == VMM_VCPU_RUNNING)
		v->state = VMM_VCPU_HALTED;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += VCPU_HLT_TICK_NS;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!v->want_wake && !v->want_pause && !v->want_stop)
		if (pthread_cond_timedwait(&v->cond, &v->lock, &ts) == ETIMEDOUT)
			break;
	v->want_wake = false;
	if (v->state == VMM_VCPU_HALTED)
		v->state = VMM_VCPU_RUNNING;
	pthread_mutex_unlock(&v->lock);
}

/* Handle one exit; false stops the loop until a reset. */
static bool vcpu_exit(struct vmm_vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_pio(v);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_mmio(v);
		return true;
	case KVM_EXIT_HLT:
		STAT_INC(v->hlt_exits);
		vcpu_halt_wait(v);
		return true;
	case KVM_EXIT_SHUTDOWN:
		vcpu_fail(v, VMM_VCPU_SHUTDOWN, "shutdown (triple fault)");
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_fail(v, VMM_VCPU_ERROR, "internal error, suberror %u",
			  run->internal.suberror);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu_fail(v, VMM_VCPU_ERROR, "entry failed, reason 0x%llx",
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	default:
		vcpu_fail(v, VMM_VCPU_ERROR, "unhandled exit reason %u", run->exit_reason);
		return false;
	}
}

/*
 * Between runs: honour stop and pause, park a stopped (failed) vCPU until
 * it is reset. Returns false when the thread must end.
 */
static bool vcpu_gate(struct vmm_vcpu *v)
{
	bool go;

	atomic_store((_Atomic uint8_t *)&v->run->immediate_exit, 0);
	pthread_mutex_lock(&v->lock);
	v->in_guest = false;
	pthread_cond_broadcast(&v->cond);
	for (;;) {
		if (v->want_stop)
			break;
		if (v->want_pause) {
			if (v->state != VMM_VCPU_SHUTDOWN && v->state != VMM_VCPU_ERROR)
				v->state = VMM_VCPU_PAUSED;
			pthread_cond_broadcast(&v->cond);
		} else if (v->state == VMM_VCPU_PAUSED || v->state == VMM_VCPU_STOPPED) {
			v->state = VMM_VCPU_RUNNING;
		}
		if (v->state == VMM_VCPU_RUNNING || v->state == VMM_VCPU_HALTED)
			break;
		pthread_cond_wait(&v->cond, &v->lock);
	}
	go = !v->want_stop;
	v->in_guest = go;
	pthread_mutex_unlock(&v->lock);
	return go;
}

static void *vcpu_thread(void *arg)
{
	struct vmm_vcpu *v = arg;
	struct kvm_regs regs;
	int r;

	while (vcpu_gate(v)) {
		r = vmm_kvm_ioctl(v->fd, KVM_RUN, NULL);
		if (!vmm_kvm_ioctl(v->fd, KVM_GET_REGS, &regs))
			STAT_SET(v->rip, regs.rip);
		if (r < 0) {
			if (r == -EINTR || r == -EAGAIN)
				continue;
			vcpu_fail(v, VMM_VCPU_ERROR, "KVM_RUN: %s", strerror(-r));
			continue;
		}
		STAT_INC(v->exits);
		vcpu_exit(v);
	}
	pthread_mutex_lock(&v->lock);
	v->state = VMM_VCPU_STOPPED;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

/**
 * vcpu_start() - start the thread of @v (it runs the guest at once)
 * @v: a vCPU not started yet
 * @err: reason on failure
 *
 * Return: 0 or -errno.
 */
int vcpu_start(struct vmm_vcpu *v, struct vmm_err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int r;

	pthread_once(&once, vcpu_kick_install);
	if (kick_rc)
		return vmm_err_set(err, kick_rc, "vcpu: cannot install the kick signal handler");
	if (v->thread_started)
		return 0;
	pthread_mutex_lock(&v->lock);
	v->state = VMM_VCPU_RUNNING;
	r = -pthread_create(&v->thread, NULL, vcpu_thread, v);
	v->thread_started = !r;
	if (r)
		v->state = VMM_VCPU_STOPPED;
	pthread_mutex_unlock(&v->lock);
	return r ? vmm_err_set(err, r, "vcpu%u: pthread_create: %s", v->index, strerror(-r)) : 0;
}

static int vcpu_wait_parked(struct vmm_vcpu *v, int timeout_ms)
{
	struct timespec ts;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (v->thread_started && v->in_guest && !r)
		r = pthread_cond_timedwait(&v->cond, &v->lock, &ts);
	return r ? -ETIMEDOUT : 0;
}

/**
 * vcpu_pause() - stop running guest code until vcpu_resume()
 * @v: the vCPU
 * @timeout_ms: how long to wait for the thread to leave KVM_RUN
 *
 * Return: 0, or -ETIMEDOUT when the thread did not come out in time (it
 * will pause as soon as it does).
 */
int vcpu_pause(struct vmm_vcpu *v, int timeout_ms)
{
	int r;

	pthread_mutex_lock(&v->lock);
	v->want_pause = true;
	vcpu_kick(v);
	r = vcpu_wait_parked(v, timeout_ms);
	pthread_mutex_unlock(&v->lock);
	return r;
}

void vcpu_resume(struct vmm_vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	v->want_pause = false;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

/**
 * vcpu_reset() - put @v back at the reset vector
 * @v: the vCPU
 *
 * The thread is parked around the register change; a vCPU stopped by a
 * shutdown or an error runs again afterwards (unless paused).
 * Return: 0 or -errno.
 */
int vcpu_reset(struct vmm_vcpu *v)
{
	bool paused;
	int r;

	pthread_mutex_lock(&v->lock);
	paused = v->want_pause;
	v->want_pause = true;
	vcpu_kick(v);
	r = vcpu_wait_parked(v, 2000);
	if (!r)
		r = vcpu_arch_reset(v);
	if (!r) {
		STAT_SET(v->rip, 0xfff0);
		v->last_error[0] = '\0';
		v->state = v->thread_started ? VMM_VCPU_PAUSED : VMM_VCPU_STOPPED;
	}
	v->want_pause = paused;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return r;
}

void vcpu_wake(struct vmm_vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	v->want_wake = true;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_info(struct vmm_vcpu *v, struct vmm_vcpu_info *out)
{
	pthread_mutex_lock(&v->lock);
	memset(out, 0, sizeof(*out));
	out->index = v->index;
	out->state = v->state;
	out->exits = STAT_GET(v->exits);
	out->io_exits = STAT_GET(v->io_exits);
	out->mmio_exits = STAT_GET(v->mmio_exits);
	out->hlt_exits = STAT_GET(v->hlt_exits);
	out->rip = STAT_GET(v->rip);
	snprintf(out->last_error, sizeof(out->last_error), "%s", v->last_error);
	pthread_mutex_unlock(&v->lock);
}

/**
 * vcpu_free() - stop and join the thread, close the vCPU
 * @v: the vCPU (may be NULL)
 */
void vcpu_free(struct vmm_vcpu *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	v->want_stop = true;
	vcpu_kick(v);
	pthread_mutex_unlock(&v->lock);
	if (v->thread_started)
		pthread_join(v->thread, NULL);
	munmap(v->run, v->run_size);
	close(v->fd);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v);
}
