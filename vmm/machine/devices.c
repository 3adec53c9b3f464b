// SPDX-License-Identifier: MIT
/*
 * The io device kinds behind `io ID SIZE device=KIND` and the machine's own
 * ports: unassigned ("none"), zero, scratch memory, a read counter, the
 * isa-debugcon console and the probe mailbox the firmware serves. Each kind
 * is a struct vmm_mr_ops; vmm_devices_create() is the factory the machine
 * registers with vmm_memory_set_device_factory().
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/memory.h>
#include "machine_priv.h"

#define SCRATCH_MAX	0x100000ull

static int none_read(void *opaque, uint64_t off, uint64_t *val, unsigned size)
{
	*val = size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
	return 0;
}

static int ignore_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	return 0;
}

static int zero_read(void *opaque, uint64_t off, uint64_t *val, unsigned size)
{
	*val = 0;
	return 0;
}

static const struct vmm_mr_ops none_ops = { .read = none_read, .write = ignore_write };
static const struct vmm_mr_ops zero_ops = { .read = zero_read, .write = ignore_write };

/* scratch: bytes remembered in a buffer covering the first SCRATCH_MAX bytes. */
struct scratch {
	size_t len;
	unsigned char data[];
};

static int scratch_read(void *opaque, uint64_t off, uint64_t *val, unsigned size)
{
	struct scratch *s = opaque;

	if (off >= s->len || size > s->len - off)
		return none_read(opaque, off, val, size);
	*val = 0;
	memcpy(val, s->data + off, size);	/* little-endian host, as the guest */
	return 0;
}

static int scratch_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct scratch *s = opaque;

	if (off < s->len && size <= s->len - off)
		memcpy(s->data + off, &val, size);
	return 0;
}

static const struct vmm_mr_ops scratch_ops = {
	.read = scratch_read, .write = scratch_write, .release = free,
};

static int counter_read(void *opaque, uint64_t off, uint64_t *val, unsigned size)
{
	uint64_t n = atomic_fetch_add((_Atomic uint64_t *)opaque, 1);

	*val = size >= 8 ? n : n & ((1ull << (size * 8)) - 1);
	return 0;
}

static int counter_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	atomic_store((_Atomic uint64_t *)opaque, val);
	return 0;
}

static const struct vmm_mr_ops counter_ops = {
	.read = counter_read, .write = counter_write, .release = free,
};

/* The console ring the debugcon fills (read by vmm_machine_console). */
void vmm_console_put(struct vmm_console *c, const char *p, size_t n)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < n; i++)
		c->ring[c->total++ % VMM_CONSOLE_SIZE] = p[i];
	pthread_mutex_unlock(&c->lock);
}

/* debugcon: QEMU's isa-debugcon reads back 0xe9 (the Bochs port-e9 hack's answer). */
static int debugcon_read(void *opaque, uint64_t off, uint64_t *val, unsigned size)
{
	*val = 0xe9;
	return 0;
}

static int debugcon_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct vmm_machine *mc = opaque;
	char c = (char)val;

	if (mc)
		vmm_console_put(&machine_priv(mc)->console, &c, 1);
	return 0;
}

static const struct vmm_mr_ops debugcon_ops = {
	.read = debugcon_read, .write = debugcon_write,
};

static int probe_read(void *opaque, uint64_t off, uint64_t *val, unsigned size)
{
	*val = off & 3 ? 0 : probe_box_reg_read(&machine_priv(opaque)->probe, off);
	return 0;
}

static int probe_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	probe_box_reg_write(&machine_priv(opaque)->probe, off, (uint32_t)val);
	return 0;
}

static const struct vmm_mr_ops probe_ops = { .read = probe_read, .write = probe_write };

static int devices_alloc(struct vmm_mr *mr, const char *kind, struct vmm_err *err)
{
	struct scratch *s;
	void *p;

	if (!strcmp(kind, "scratch")) {
		size_t len = mr->size < SCRATCH_MAX ? (size_t)mr->size : SCRATCH_MAX;

		s = calloc(1, sizeof(*s) + len);
		if (!s)
			return vmm_err_set(err, -ENOMEM, "%s: out of memory", mr->id);
		s->len = len;
		vmm_mr_set_ops(mr, &scratch_ops, s, kind);
		return 0;
	}
	p = calloc(1, sizeof(_Atomic uint64_t));
	if (!p)
		return vmm_err_set(err, -ENOMEM, "%s: out of memory", mr->id);
	vmm_mr_set_ops(mr, &counter_ops, p, kind);
	return 0;
}

/**
 * vmm_devices_create() - give io region @mr the callbacks of device @kind
 * @ctx: the struct vmm_machine the devices talk to, or NULL
 * @mr: an io region
 * @kind: see machine.h (none, unassigned, zero, scratch, counter, debugcon, probe)
 * @err: reason on failure
 *
 * Return: 0, -EINVAL for an unknown kind, -ENOMEM.
 */
int vmm_devices_create(void *ctx, struct vmm_mr *mr, const char *kind, struct vmm_err *err)
{
	if (!strcmp(kind, "none") || !strcmp(kind, "unassigned") || !*kind)
		vmm_mr_set_ops(mr, &none_ops, NULL, "none");
	else if (!strcmp(kind, "zero"))
		vmm_mr_set_ops(mr, &zero_ops, NULL, kind);
	else if (!strcmp(kind, "debugcon"))
		vmm_mr_set_ops(mr, &debugcon_ops, ctx, kind);
	else if (!strcmp(kind, "probe"))	/* without a machine nobody posts: idle */
		vmm_mr_set_ops(mr, ctx ? &probe_ops : &zero_ops, ctx, kind);
	else if (!strcmp(kind, "scratch") || !strcmp(kind, "counter"))
		return devices_alloc(mr, kind, err);
	else
		return vmm_err_set(err, -EINVAL,
				   "%s: unknown device '%s' (none, zero, scratch, counter, debugcon, probe)",
				   mr->id, kind);
	return 0;
}
