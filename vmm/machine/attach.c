// SPDX-License-Identifier: MIT
/*
 * A machine that mirrors a running QEMU (mtreefs --qemu, issue #11): no vCPU
 * and no firmware, its topology built by the importer from QEMU's own
 * `info mtree -D` and `info mtree -f` texts, as --qemu-dump builds one from
 * files, wired to the in-process memslot table so memslots show the slots
 * QEMU would register. When QEMU's topology changes a whole new model is
 * built outside any lock and swapped in under the topology lock; the old one
 * is kept until the machine is destroyed, because a reader that resolved a
 * file before the swap may still hold flat-view or RAM-block references into
 * it. Changes are rare (hotplug, BAR and PAM programming), so that costs
 * little.
 */
#include <errno.h>
#include <stdlib.h>

#include <vmm/ctl.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/qemu.h>

void vmm_machine_model_free(struct vmm_machine_model *m)
{
	if (!m)
		return;
	if (m->listener) {
		vmm_memory_listener_unregister(m->mem, m->listener);
		vmm_kvm_listener_free(m->listener);
	}
	vmm_accel_free(m->accel);
	vmm_memory_free(m->mem);
	free(m);
}

/**
 * vmm_machine_model_import() - a model from QEMU's texts
 * @tree, @tree_len: `info mtree -D`
 * @flat, @flat_len: `info mtree -f` (NULL: not used)
 * @out: the model, owned by nobody until vmm_machine_model_swap()
 * @err: reason on failure
 *
 * Return: 0 or -errno (the importer's -EINVAL names the line).
 */
int vmm_machine_model_import(const char *tree, size_t tree_len, const char *flat,
			     size_t flat_len, struct vmm_machine_model **out, struct vmm_err *err)
{
	struct vmm_machine_model *m = calloc(1, sizeof(*m));
	struct vmm_ctl_ctx ctx = { 0 };
	struct vmm_buf script;
	int r;

	*out = NULL;
	if (!m || !(m->mem = vmm_memory_new()) || !(m->accel = vmm_accel_new_soft(0))) {
		vmm_machine_model_free(m);
		return vmm_err_set(err, -ENOMEM, "out of memory");
	}
	r = vmm_machine_wire(m->mem, m->accel, NULL, &m->listener, err);
	vmm_buf_init(&script);
	if (!r)
		r = vmm_qemu_import(tree, tree_len, flat, flat_len, &script, err);
	ctx.mem = m->mem;
	if (!r)
		r = vmm_ctl_exec(&ctx, script.data ? script.data : "", script.len, err);
	vmm_buf_free(&script);
	if (r) {
		vmm_machine_model_free(m);
		return r;
	}
	*out = m;
	return 0;
}

/**
 * vmm_machine_model_swap() - make @m the machine's topology
 * @mc: a machine made by vmm_machine_create_qemu(); the caller holds mc->lock
 * @m: a model from vmm_machine_model_import(), now the machine's
 *
 * The previous model is retired, not freed (see the top of this file).
 */
void vmm_machine_model_swap(struct vmm_machine *mc, struct vmm_machine_model *m)
{
	struct vmm_machine_model *old = calloc(1, sizeof(*old));

	if (old) {
		old->mem = mc->mem;
		old->accel = mc->accel;
		old->listener = mc->kvm_listener;
		old->next = mc->retired;
		mc->retired = old;
	}	/* else leak the old model: freeing it under readers is worse */
	mc->mem = m->mem;
	mc->accel = m->accel;
	mc->kvm_listener = m->listener;
	mc->memory_as = vmm_as_find(mc->mem, "memory");
	mc->io_as = vmm_as_find(mc->mem, "I/O");
	free(m);
}

/**
 * vmm_machine_create_qemu() - a machine mirroring QEMU's topology
 * @tree, @tree_len, @flat, @flat_len: as vmm_machine_model_import()
 * @out: the machine: no vCPU, no firmware, the soft memslot table
 * @err: reason on failure
 *
 * Return: 0 or -errno.
 */
int vmm_machine_create_qemu(const char *tree, size_t tree_len, const char *flat,
			    size_t flat_len, struct vmm_machine **out, struct vmm_err *err)
{
	struct vmm_machine_opts o;
	struct vmm_machine_model *m;
	int r;

	vmm_machine_opts_default(&o);
	o.accel = "none";
	o.script = "/dev/null";		/* an empty model: the import replaces it */
	o.run = false;
	o.ram_size = 0;
	r = vmm_machine_model_import(tree, tree_len, flat, flat_len, &m, err);
	if (r)
		return r;
	r = vmm_machine_create(&o, out, err);
	if (r) {
		vmm_machine_model_free(m);
		return r;
	}
	vmm_machine_model_swap(*out, m);
	return 0;
}
