// SPDX-License-Identifier: MIT
/*
 * The io device kinds behind `io ID SIZE device=KIND` and the machine's own
 * ports: unassigned ("none"), zero, scratch memory, a read counter, the
 * isa-debugcon console and the probe mailbox the firmware serves. Each kind
 * is one row of device_rows (name, ops, description): the factory
 * vmm_devices_create() that the machine registers with
 * vmm_memory_set_device_factory() parses with it, and vmm_device_kind_at()
 * lists it for error messages and documentation.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
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
void console_put(struct machine_console *c, const char *p, size_t n)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < n; i++)
		c->ring[c->total++ % CONSOLE_SIZE] = p[i];
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
		console_put(&machine_priv(mc)->console, &c, 1);
	return 0;
}

static const struct vmm_mr_ops debugcon_ops = {
	.read = debugcon_read, .write = debugcon_write,
};

/* probe: the mailbox registers; without a machine nobody posts, so it reads idle (0). */
static int probe_read(void *opaque, uint64_t off, uint64_t *val, unsigned size)
{
	*val = !opaque || off & 3 ? 0 : probe_box_reg_read(&machine_priv(opaque)->probe, off);
	return 0;
}

static int probe_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	if (opaque)
		probe_box_reg_write(&machine_priv(opaque)->probe, off, (uint32_t)val);
	return 0;
}

static const struct vmm_mr_ops probe_ops = { .read = probe_read, .write = probe_write };

/* What each region of a kind gets as its opaque pointer. */
enum device_state {
	DEVICE_STATELESS,	/* NULL */
	DEVICE_MACHINE,		/* the factory's ctx: the machine, or NULL outside one */
	DEVICE_SCRATCH,		/* a struct scratch sized for the region */
	DEVICE_COUNTER,		/* one _Atomic uint64_t */
};

struct device_row {
	struct vmm_device_kind k;
	const char *alias;	/* another name parsing accepts, or NULL */
	const struct vmm_mr_ops *ops;
	enum device_state state;
};

/* The one list of device kinds: parsing, error messages and listings read it. */
static const struct device_row device_rows[] = {
	{ { "none", "reads all-ones, ignores writes (QEMU's unassigned)" },
	  "unassigned", &none_ops, DEVICE_STATELESS },
	{ { "zero", "reads 0, ignores writes" }, NULL, &zero_ops, DEVICE_STATELESS },
	{ { "scratch", "remembers writes: reads return what was stored "
		       "(first 1 MiB; beyond it all-ones)" },
	  NULL, &scratch_ops, DEVICE_SCRATCH },
	{ { "counter", "each read returns the number of reads before it; "
		       "a write sets the count" },
	  NULL, &counter_ops, DEVICE_COUNTER },
	{ { "debugcon", "writes append the low byte to the machine console; reads 0xe9" },
	  NULL, &debugcon_ops, DEVICE_MACHINE },
	{ { "probe", "the probe mailbox the firmware serves (VMM_PROBE_*)" },
	  NULL, &probe_ops, DEVICE_MACHINE },
};

#define NR_DEVICE_ROWS	(sizeof(device_rows) / sizeof(device_rows[0]))

/**
 * vmm_device_kind_at() - the @i-th device kind of `io ... device=KIND`
 * @i: 0, 1, ... in the order they are documented
 *
 * Return: the kind, or NULL past the last.
 */
const struct vmm_device_kind *vmm_device_kind_at(unsigned i)
{
	return i < NR_DEVICE_ROWS ? &device_rows[i].k : NULL;
}

static const struct device_row *device_find(const char *kind)
{
	if (!*kind)
		kind = "none";
	for (size_t i = 0; i < NR_DEVICE_ROWS; i++)
		if (!strcmp(kind, device_rows[i].k.name) ||
		    (device_rows[i].alias && !strcmp(kind, device_rows[i].alias)))
			return &device_rows[i];
	return NULL;
}

/* The opaque pointer one region of @row gets: 0 or -ENOMEM. */
static int device_state_new(const struct device_row *row, void *ctx, const struct vmm_mr *mr,
			    void **out)
{
	struct scratch *s;
	size_t len;

	*out = NULL;
	switch (row->state) {
	case DEVICE_STATELESS:
		return 0;
	case DEVICE_MACHINE:
		*out = ctx;
		return 0;
	case DEVICE_SCRATCH:
		len = mr->size < SCRATCH_MAX ? (size_t)mr->size : SCRATCH_MAX;
		s = calloc(1, sizeof(*s) + len);
		if (s)
			s->len = len;
		*out = s;
		break;
	case DEVICE_COUNTER:
		*out = calloc(1, sizeof(_Atomic uint64_t));
		break;
	}
	return *out ? 0 : -ENOMEM;
}

/* "none, zero, ..." for error messages, from the table. */
static void device_names(char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NR_DEVICE_ROWS && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "",
				      device_rows[i].k.name);
}

/**
 * vmm_devices_create() - give io region @mr the callbacks of device @kind
 * @ctx: the struct vmm_machine the devices talk to, or NULL
 * @mr: an io region
 * @kind: a name or alias from vmm_device_kind_at() ("" is "none")
 * @err: reason on failure
 *
 * Return: 0, -EINVAL for an unknown kind, -ENOMEM.
 */
int vmm_devices_create(void *ctx, struct vmm_mr *mr, const char *kind, struct vmm_err *err)
{
	const struct device_row *row = device_find(kind);
	char names[128];
	void *opaque;

	if (!row) {
		device_names(names, sizeof(names));
		return vmm_err_set(err, -EINVAL, "%s: unknown device '%s' (%s)", mr->id, kind,
				   names);
	}
	if (device_state_new(row, ctx, mr, &opaque))
		return vmm_err_set(err, -ENOMEM, "%s: out of memory", mr->id);
	vmm_mr_set_ops(mr, row->ops, opaque, row->k.name);
	return 0;
}
