// SPDX-License-Identifier: MIT
/*
 * The machine object: it wires a memory model to an accelerator through the
 * KVM listener, builds the topology (QEMU's pc or q35 map with our firmware, a
 * control script, or an imported QEMU dump), creates the vCPUs and offers the
 * host-side services: start/pause/resume/reset, the debug console ring, vCPU
 * information, the heartbeat, and probe requests that make the guest perform
 * a real load or store so KVM itself says what an address resolves to.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vmm/ctl.h>
#include <vmm/kvm.h>
#include <vmm/memory.h>
#include <vmm/qemu.h>
#include "machine_priv.h"

#define PC_BIOS_ID	"pc.bios"

void vmm_machine_opts_default(struct vmm_machine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->machine = "pc";
	o->ram_size = 512ull << 20;
	o->ram_backend = "anon";
	o->accel = "auto";
	o->vcpus = 1;
	o->run = true;
}

/**
 * vmm_machine_console() - the last bytes the guest wrote to the debug port
 * @mc: the machine
 * @buf: destination
 * @cap: its size
 *
 * Return: bytes copied: the newest min(@cap, kept) bytes, oldest first.
 */
size_t vmm_machine_console(struct vmm_machine *mc, char *buf, size_t cap)
{
	struct machine_console *c = &machine_priv(mc)->console;
	uint64_t kept, from;
	size_t n;

	pthread_mutex_lock(&c->lock);
	kept = c->total < CONSOLE_SIZE ? c->total : CONSOLE_SIZE;
	n = kept < cap ? (size_t)kept : cap;
	from = c->total - n;
	for (size_t i = 0; i < n; i++)
		buf[i] = c->ring[(from + i) % CONSOLE_SIZE];
	pthread_mutex_unlock(&c->lock);
	return n;
}

static int machine_accel(struct vmm_machine *mc, const char *want, struct vmm_err *err)
{
	if (!want || !strcmp(want, "auto")) {
		struct vmm_err kerr;

		vmm_err_clear(&kerr);
		mc->accel = vmm_accel_new_kvm(&kerr);
		/* no KVM here is a choice; running out of descriptors or memory is an error */
		if (!mc->accel && (kerr.code == -EMFILE || kerr.code == -ENFILE ||
				   kerr.code == -ENOMEM))
			return vmm_err_set(err, kerr.code, "cannot use /dev/kvm: %s", kerr.msg);
		if (!mc->accel)
			mc->accel = vmm_accel_new_soft(0);
	} else if (!strcmp(want, "kvm")) {
		mc->accel = vmm_accel_new_kvm(err);
		if (!mc->accel)
			return err && err->code ? err->code
						: vmm_err_set(err, -ENODEV, "no usable /dev/kvm");
	} else if (!strcmp(want, "none")) {
		mc->accel = vmm_accel_new_soft(0);
	} else {
		return vmm_err_set(err, -EINVAL, "unknown accelerator '%s' (kvm, none, auto)", want);
	}
	return mc->accel ? 0 : vmm_err_set(err, -ENOMEM, "cannot create the accelerator");
}

/* A QEMU dump directory: mtree-D (required) and mtree-f (optional). */
static int machine_import(struct vmm_machine *mc, const char *dir, struct vmm_err *err)
{
	struct vmm_ctl_ctx ctx = { .mem = mc->mem };
	struct vmm_buf tree, flat, rb, script;
	struct vmm_qemu_dump d = { 0 };
	char path[4096];
	int r;

	vmm_buf_init(&tree);
	vmm_buf_init(&flat);
	vmm_buf_init(&rb);
	vmm_buf_init(&script);
	snprintf(path, sizeof(path), "%s/mtree-D", dir);
	r = vmm_buf_read_file(&tree, path);
	if (r) {
		r = vmm_err_set(err, r, "%s: %s", path, strerror(-r));
		goto out;
	}
	d.tree = tree.data ? tree.data : "";
	d.tree_len = tree.len;
	/* -f settles containers against io and readonly aliases; ramblock the blocks */
	snprintf(path, sizeof(path), "%s/mtree-f", dir);
	if (vmm_buf_read_file(&flat, path) == 0) {
		d.flat = flat.data ? flat.data : "";
		d.flat_len = flat.len;
	}
	snprintf(path, sizeof(path), "%s/ramblock", dir);
	if (vmm_buf_read_file(&rb, path) == 0) {
		d.ramblock = rb.data ? rb.data : "";
		d.ramblock_len = rb.len;
	}
	r = vmm_qemu_import_dump(&d, &script, err);
	if (!r)
		r = vmm_ctl_exec(&ctx, script.data ? script.data : "", script.len, err);
out:
	vmm_buf_free(&script);
	vmm_buf_free(&rb);
	vmm_buf_free(&flat);
	vmm_buf_free(&tree);
	return r;
}

/* Copy the firmware to the top of pc.bios (its reset vector ends the ROM). */
static int machine_load_firmware(struct vmm_machine *mc, struct vmm_err *err)
{
	size_t len = (size_t)(vmm_firmware_end - vmm_firmware_start);
	struct vmm_mr *bios = vmm_mr_find(mc->mem, PC_BIOS_ID);
	unsigned char *host;

	if (!bios || bios->size < len || !(host = vmm_mr_host(bios, 0)))
		return vmm_err_set(err, -ENOENT, "firmware: no RAM-backed %s of >= %zu bytes",
				   PC_BIOS_ID, len);
	memcpy(host + (size_t)bios->size - len, vmm_firmware_start, len);
	machine_priv(mc)->firmware = true;
	return 0;
}

static int machine_topology(struct vmm_machine *mc, const struct vmm_machine_opts *o,
			    struct vmm_err *err)
{
	struct vmm_ctl_ctx ctx = { .mem = mc->mem };
	int r;

	if (o->script)
		r = vmm_ctl_exec_file(&ctx, o->script, err);
	else if (o->qemu_dump)
		r = machine_import(mc, o->qemu_dump, err);
	else if (!o->machine || !strcmp(o->machine, "pc"))
		r = vmm_machine_build_pc(mc->mem, o->ram_size, o->ram_backend, err);
	else if (!strcmp(o->machine, "q35"))
		r = vmm_machine_build_q35(mc->mem, o->ram_size, o->ram_backend, err);
	else
		r = vmm_err_set(err, -EINVAL, "unknown machine '%s' (pc, q35)", o->machine);
	if (!r && !o->script && !o->qemu_dump)
		r = machine_load_firmware(mc, err);
	if (r)
		return r;
	mc->memory_as = vmm_as_find(mc->mem, "memory");
	mc->io_as = vmm_as_find(mc->mem, "I/O");
	return 0;
}

static int machine_vcpus(struct vmm_machine *mc, unsigned n, struct vmm_err *err)
{
	char name[32];
	int r;

	mc->vcpus = calloc(n, sizeof(*mc->vcpus));
	if (!mc->vcpus)
		return vmm_err_set(err, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "cpu-memory-%u", i);
		if (mc->memory_as && !vmm_as_find(mc->mem, name)) {
			r = vmm_as_new(mc->mem, name, mc->memory_as->root, NULL, err);
			if (r)
				return r;
		}
		if (vmm_accel_kind(mc->accel) != VMM_ACCEL_KVM)
			continue;
		r = vcpu_new(mc, i, probe_box_note_mmio, &machine_priv(mc)->probe,
				 &mc->vcpus[i], err);
		if (r)
			return r;
		mc->nr_vcpus = i + 1;
	}
	return 0;
}

/**
 * vmm_machine_wire() - attach a memory model to an accelerator, as a machine does
 * @mem: the memory model, empty
 * @accel: the accelerator whose memslots follow the address space "memory"
 * @dev_ctx: context of the device kinds (the struct vmm_machine, or NULL offline)
 * @out: the KVM listener, registered on @mem (unregister and free it before @accel)
 * @err: reason on failure
 *
 * The machine and the offline tools build their models through this one
 * call, so memslots and " KVM" marks come out the same in both.
 * Return: 0 or -errno (@out is then NULL).
 */
int vmm_machine_wire(struct vmm_memory *mem, struct vmm_accel *accel, void *dev_ctx,
		     struct vmm_listener **out, struct vmm_err *err)
{
	struct vmm_listener *l;
	int r;

	*out = NULL;
	vmm_memory_set_device_factory(mem, vmm_devices_create, dev_ctx);
	l = vmm_kvm_listener_new(accel);
	if (!l)
		return vmm_err_set(err, -ENOMEM, "cannot create the KVM listener");
	r = vmm_memory_listener_register(mem, l, err);
	if (r) {
		vmm_kvm_listener_free(l);
		return r;
	}
	*out = l;
	return 0;
}

static int machine_init(struct vmm_machine *mc, const struct vmm_machine_opts *o,
			struct vmm_err *err)
{
	int r;

	mc->mem = vmm_memory_new();
	if (!mc->mem)
		return vmm_err_set(err, -ENOMEM, "cannot create the memory model");
	r = machine_accel(mc, o->accel, err);
	if (r)
		return r;
	r = vmm_machine_wire(mc->mem, mc->accel, mc, &mc->kvm_listener, err);
	if (r)
		return r;
	r = machine_topology(mc, o, err);
	if (!r)
		r = machine_vcpus(mc, o->vcpus ? o->vcpus : 1, err);
	return r;
}

/**
 * vmm_machine_create() - see machine.h
 * @o: options (NULL: defaults)
 * @out: the new machine
 * @err: reason on failure
 *
 * Return: 0 or -errno.
 */
int vmm_machine_create(const struct vmm_machine_opts *o, struct vmm_machine **out,
		       struct vmm_err *err)
{
	struct vmm_machine_opts def;
	struct machine_private *p;
	struct vmm_machine *mc;
	int r;

	if (!o) {
		vmm_machine_opts_default(&def);
		o = &def;
	}
	mc = calloc(1, sizeof(*mc));
	p = calloc(1, sizeof(*p));
	if (!mc || !p) {
		free(mc);
		free(p);
		return vmm_err_set(err, -ENOMEM, "out of memory");
	}
	mc->priv = p;
	mc->ram_size = o->ram_size;
	pthread_mutex_init(&mc->lock, NULL);
	pthread_mutex_init(&p->console.lock, NULL);
	probe_box_init(&p->probe);
	r = machine_init(mc, o, err);
	if (!r && o->run && vmm_machine_can_run(mc))
		r = vmm_machine_start(mc, err);
	if (r) {
		vmm_machine_destroy(mc);
		return r;
	}
	*out = mc;
	return 0;
}

static void model_fini(struct vmm_memory *mem, struct vmm_accel *accel, struct vmm_listener *l)
{
	if (l) {
		vmm_memory_listener_unregister(mem, l);
		vmm_kvm_listener_free(l);
	}
	vmm_accel_free(accel);
	vmm_memory_free(mem);
}

/**
 * vmm_machine_destroy() - stop the vCPUs and free everything
 * @mc: the machine (may be NULL)
 */
void vmm_machine_destroy(struct vmm_machine *mc)
{
	struct machine_private *p;

	if (!mc)
		return;
	p = machine_priv(mc);
	for (unsigned i = 0; i < mc->nr_vcpus; i++)
		vcpu_free(mc->vcpus[i]);
	free(mc->vcpus);
	model_fini(mc->mem, mc->accel, mc->kvm_listener);
	for (struct vmm_machine_model *m = mc->retired, *next; m; m = next) {
		next = m->next;		/* an attached QEMU's replaced models (attach.c) */
		model_fini(m->mem, m->accel, m->listener);
		free(m);
	}
	probe_box_fini(&p->probe);
	pthread_mutex_destroy(&p->console.lock);
	pthread_mutex_destroy(&mc->lock);
	free(p);
	free(mc);
}

bool vmm_machine_can_run(const struct vmm_machine *mc)
{
	return machine_priv(mc)->firmware && mc->nr_vcpus > 0;
}

/**
 * vmm_machine_start() - start every vCPU thread
 * @mc: a machine that can run (a built-in map with KVM)
 * @err: reason on failure
 *
 * Return: 0 (also when already started) or -errno; -ENODEV without KVM or firmware.
 */
int vmm_machine_start(struct vmm_machine *mc, struct vmm_err *err)
{
	int r;

	if (!vmm_machine_can_run(mc))
		return vmm_err_set(err, -ENODEV, "the machine cannot run: %s",
				   mc->nr_vcpus ? "no firmware (not the pc map)" : "no KVM");
	for (unsigned i = 0; i < mc->nr_vcpus; i++) {
		r = vcpu_start(mc->vcpus[i], err);
		if (r)
			return r;
	}
	machine_priv(mc)->started = true;
	return 0;
}

int vmm_machine_pause(struct vmm_machine *mc)
{
	int r = 0, e;

	for (unsigned i = 0; i < mc->nr_vcpus; i++)
		if ((e = vcpu_pause(mc->vcpus[i], 1000)) && !r)
			r = e;
	return r;
}

int vmm_machine_resume(struct vmm_machine *mc)
{
	for (unsigned i = 0; i < mc->nr_vcpus; i++)
		vcpu_resume(mc->vcpus[i]);
	return 0;
}

/**
 * vmm_machine_reset() - system reset: every vCPU back at the reset vector
 * @mc: the machine
 *
 * RAM is kept (as QEMU keeps it); the firmware starts over, zeroes the
 * heartbeat and greets again.
 * Return: 0 or the first -errno.
 */
int vmm_machine_reset(struct vmm_machine *mc)
{
	int r = 0, e;

	probe_box_reset(&machine_priv(mc)->probe);
	for (unsigned i = 0; i < mc->nr_vcpus; i++)
		if ((e = vcpu_reset(mc->vcpus[i])) && !r)
			r = e;
	return r;
}

int vmm_machine_vcpu_info(struct vmm_machine *mc, unsigned idx, struct vmm_vcpu_info *out)
{
	if (idx >= mc->nr_vcpus)
		return -ENOENT;
	vcpu_info(mc->vcpus[idx], out);
	return 0;
}

static void wake_vcpu(void *v)
{
	vcpu_wake(v);
}

/**
 * vmm_machine_probe() - have the guest perform one access and report it
 * @mc: a running machine with the firmware
 * @p: the request (op, size, gpa, val); val, mmio, mmio_gpa and mmio_write
 *     are filled in
 * @timeout_ms: how long to wait for the firmware
 *
 * Requests are serialised; the boot vCPU serves them. Do not hold mc->lock:
 * the vCPU needs it to dispatch the exits the request causes.
 * Return: 0, -EINVAL (bad op or size), -ENODEV (cannot run), -ETIMEDOUT.
 */
int vmm_machine_probe(struct vmm_machine *mc, struct vmm_probe *p, int timeout_ms)
{
	if (p->op != VMM_PROBE_OP_READ && p->op != VMM_PROBE_OP_WRITE)
		return -EINVAL;
	if (p->size != 1 && p->size != 2 && p->size != 4 && p->size != 8)
		return -EINVAL;
	if (!vmm_machine_can_run(mc) || !machine_priv(mc)->started)
		return -ENODEV;
	return probe_box_request(&machine_priv(mc)->probe, p, timeout_ms, wake_vcpu,
				 mc->vcpus[0]);
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

const char *vmm_vcpu_state_name(enum vmm_vcpu_state s)
{
	static const char *const names[] = {
		[VMM_VCPU_STOPPED] = "stopped", [VMM_VCPU_RUNNING] = "running",
		[VMM_VCPU_PAUSED] = "paused", [VMM_VCPU_HALTED] = "halted",
		[VMM_VCPU_SHUTDOWN] = "shutdown", [VMM_VCPU_ERROR] = "error",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

/**
 * vmm_machine_ctl() - machine/ctl commands
 * @mc: the machine
 * @cmd: "start", "pause", "resume" or "reset" (surrounding blanks ignored)
 * @err: reason on failure
 *
 * Return: 0 or -errno (-EINVAL for an unknown command).
 */
int vmm_machine_ctl(struct vmm_machine *mc, const char *cmd, struct vmm_err *err)
{
	char word[16];
	int r;

	if (sscanf(cmd, " %15s", word) != 1)
		return vmm_err_set(err, -EINVAL, "empty machine command");
	if (!strcmp(word, "start"))
		return vmm_machine_start(mc, err);
	if (!vmm_machine_can_run(mc))
		return vmm_err_set(err, -ENODEV, "the machine has no running vCPU");
	if (!strcmp(word, "pause"))
		r = vmm_machine_pause(mc);
	else if (!strcmp(word, "resume"))
		r = vmm_machine_resume(mc);
	else if (!strcmp(word, "reset"))
		r = vmm_machine_reset(mc);
	else
		return vmm_err_set(err, -EINVAL, "unknown machine command '%s' "
				   "(start, pause, resume, reset)", word);
	return r ? vmm_err_set(err, r, "%s: %s", word, strerror(-r)) : 0;
}

/**
 * vmm_machine_mark_dirty() - record a host-side write into guest RAM
 * @mc: the machine
 * @host: where the host wrote (a pointer into a RAM block)
 * @len: how many bytes
 *
 * KVM logs only guest writes; as QEMU marks its own, this marks the pages
 * dirty in every logging memslot that maps them (twice for a page an alias
 * maps twice). Takes the topology lock: call it after the copy, without it
 * held, so a dirty-log read in between cannot lose the write.
 */
void vmm_machine_mark_dirty(struct vmm_machine *mc, const void *host, uint64_t len)
{
	pthread_mutex_lock(&mc->lock);
	vmm_accel_mark_dirty_host(mc->accel, host, len);
	pthread_mutex_unlock(&mc->lock);
}

/**
 * vmm_machine_heartbeat() - the firmware's counter at VMM_HEARTBEAT_GPA
 * @mc: the machine
 *
 * Return: the counter, or 0 when that address is not RAM.
 */
uint64_t vmm_machine_heartbeat(struct vmm_machine *mc)
{
	struct vmm_xlate x;
	uint64_t v = 0;

	pthread_mutex_lock(&mc->lock);
	if (mc->memory_as && !vmm_as_translate(mc->memory_as, VMM_HEARTBEAT_GPA, &x) &&
	    x.host && x.len >= 8)
		v = __atomic_load_n((uint64_t *)x.host, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&mc->lock);
	return v;
}
