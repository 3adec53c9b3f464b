// SPDX-License-Identifier: MIT
/*
 * Memslot registration failing in the middle of a commit that changes several
 * ranges at once (a RAM split moved, a hole punched, a new RAM region, a ROM
 * turned writable): for every ioctl position of that commit and for -EINVAL,
 * -ENOMEM and -EFAULT injected there, and for a soft table that runs out of
 * slots (-ENOSPC), the write fails with that errno and a reason, and
 * `info mtree -D`, `info mtree -f` and the memslot table are exactly as
 * before; the same edit then succeeds. With /dev/kvm the same runs against a
 * real VM, and KVM itself is asked whether it agrees with the rolled-back
 * mirror: re-adding every mirrored slot unchanged is accepted (same gpa, size,
 * hva, flags) and deleting any other id is refused (no stray slot).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <vmm/ctl.h>
#include <vmm/kvm.h>
#include <vmm/memory.h>
#include <vmm/print.h>

#include "tap.h"

static const char setup[] =
	"container system 16E\n"
	"address-space memory system\n"
	"ram pc.ram 16M\n"
	"alias ram-below-4g pc.ram 0 12M in system at 0\n"
	"alias ram-above-4g pc.ram 12M 4M in system at 4G\n"
	"container pci 16E in system at 0 prio -1\n"
	"rom pc.bios 256K in pci at 0xfffc0000\n"
	"alias isa-bios pc.bios 0x20000 128K in pci at 0xe0000 prio 1\n"
	"io hole 64K in system at 0x200000 prio 1\n";

/* One write that changes many ranges: every kind of slot change at once. */
static const char edit[] =
	"set ram-below-4g size 8M\n"
	"set ram-above-4g alias-offset 8M\n"
	"set ram-above-4g size 8M\n"
	"set hole addr 0x400000\n"
	"ram extra 1M in system at 0x20000000\n"
	"set pc.bios readonly off\n"
	"set isa-bios enabled off\n";

struct env {
	struct vmm_memory *m;
	struct vmm_accel *a;
	struct vmm_listener *l;
};

static bool env_init(struct env *e, struct vmm_accel *a)
{
	struct vmm_ctl_ctx ctx;
	struct vmm_err err = { 0 };

	e->a = a;
	e->m = vmm_memory_new();
	e->l = vmm_kvm_listener_new(a);
	if (!e->m || !e->l || vmm_memory_listener_register(e->m, e->l, &err))
		return ok(0, "set up the model: %s", err.msg);
	ctx = (struct vmm_ctl_ctx){ .mem = e->m };
	if (vmm_ctl_exec(&ctx, setup, strlen(setup), &err))
		return ok(0, "setup script: %s", err.msg);
	return true;
}

static void env_free(struct env *e)
{
	vmm_memory_listener_unregister(e->m, e->l);
	vmm_memory_free(e->m);
	vmm_kvm_listener_free(e->l);
	vmm_accel_free(e->a);
}

/* Tree and flat views (with KVM marks); @slots adds the table with its host addresses. */
static char *snapshot_opt(struct env *e, bool slots)
{
	struct vmm_buf b;

	vmm_buf_init(&b);
	vmm_print_mtree(e->m, VMM_PRINT_DISABLED, &b);
	vmm_print_flatview(e->m, e->a, &b);
	vmm_buf_printf(&b, "%u slots\n", vmm_accel_memslot_count(e->a));
	if (slots)
		vmm_print_memslots(e->a, &b);
	return vmm_buf_steal(&b, NULL);
}

static char *snapshot(struct env *e)
{
	return snapshot_opt(e, true);
}

static int run_edit(struct env *e, struct vmm_err *err)
{
	struct vmm_ctl_ctx ctx = { .mem = e->m };

	return vmm_ctl_exec(&ctx, edit, strlen(edit), err);
}

static uint64_t ioctls(struct env *e)
{
	struct vmm_accel_stats st;

	vmm_accel_stats(e->a, &st);
	return st.set_memslot_calls;
}

/*
 * KVM must hold exactly the mirror: each mirrored slot re-added unchanged is
 * a no-op KVM accepts, any other id up to a few past the highest is absent
 * (deleting it is EINVAL).
 */
static bool kvm_agrees(struct env *e)
{
	const struct vmm_memslot *s;
	struct vmm_memslot copy;
	uint32_t it = 0, top = 0, id;
	bool good = true;
	int r;

	while ((s = vmm_accel_memslot_next(e->a, &it))) {
		copy = *s;
		r = vmm_accel_set_memslot(e->a, copy.slot, 0, copy.flags, copy.gpa, copy.size,
					  copy.hva);
		if (r) {
			diag("  KVM refuses mirrored slot %u as it is: %d", copy.slot, r);
			good = false;
		}
		top = copy.slot + 1 > top ? copy.slot + 1 : top;
	}
	for (id = 0; id < top + 4; id++) {
		if (vmm_accel_memslot(e->a, 0, id))
			continue;
		r = vmm_accel_set_memslot(e->a, id, 0, 0, 0, 0, 0);
		if (r != -EINVAL) {
			diag("  KVM has a slot %u the mirror does not (delete gave %d)", id, r);
			good = false;
		}
	}
	return good;
}

/* The edit's ioctl count and final text, on a model without faults. */
static bool reference(struct vmm_accel *a, uint64_t *n, char **final)
{
	struct vmm_err err = { 0 };
	struct env e;
	uint64_t before;
	int r;

	if (!env_init(&e, a))
		return false;
	before = ioctls(&e);
	r = run_edit(&e, &err);
	is(r, 0, "%s: the edit applies without faults (%s)", vmm_accel_name(a), err.msg);
	*n = ioctls(&e) - before;
	*final = snapshot_opt(&e, false);
	ok(*n >= 6, "%s: it takes %llu memslot ioctls", vmm_accel_name(a), (unsigned long long)*n);
	env_free(&e);
	return r == 0;
}

/* Fault at ioctl @k with @code: refused, nothing changed, then it applies. */
static void fault_at(struct vmm_accel *a, uint64_t k, int code, const char *final)
{
	struct vmm_err err = { 0 };
	char *before, *after;
	struct env e;
	int r;

	if (!env_init(&e, a))
		return;
	before = snapshot(&e);
	vmm_accel_inject_fault(a, (unsigned)k, code);
	r = run_edit(&e, &err);
	after = snapshot(&e);
	is(r, code, "%s: fault %d at ioctl %llu fails the write (%s)", vmm_accel_name(a), code,
	   (unsigned long long)k, err.msg);
	ok(err.msg[0] && strstr(err.msg, "line "), "  with a reason naming the line");
	is_str(after, before, "  tree, flat views and memslots are as before");
	if (vmm_accel_kind(a) == VMM_ACCEL_KVM)
		ok(kvm_agrees(&e), "  KVM holds exactly the rolled-back slots");
	vmm_accel_inject_fault(a, 0, 0);
	r = run_edit(&e, &err);
	free(after);
	after = snapshot_opt(&e, false);
	ok(r == 0 && !strcmp(after, final), "  the same edit then applies and gives the same "
	   "result (%s)", r ? err.msg : "ok");
	free(before);
	free(after);
	env_free(&e);
}

typedef struct vmm_accel *(*accel_ctor)(void);

static struct vmm_accel *soft(void)
{
	return vmm_accel_new_soft(0);
}

static struct vmm_accel *kvm(void)
{
	return vmm_accel_new_kvm(NULL);
}

static void all_positions(accel_ctor mk)
{
	static const int codes[] = { -EINVAL, -ENOMEM, -EFAULT };
	char *final = NULL;
	uint64_t n = 0;

	if (!reference(mk(), &n, &final))
		return;
	for (uint64_t k = 1; k <= n; k++)
		fault_at(mk(), k, codes[k % 3], final);
	free(final);
}

/* A table one slot short of what the edit needs: ENOSPC, nothing changed. */
static void slot_exhaustion(void)
{
	struct vmm_err err = { 0 };
	char *before, *after;
	struct env e;
	unsigned used;
	int r;

	if (!env_init(&e, vmm_accel_new_soft(0)))
		return;
	used = vmm_accel_memslot_count(e.a);
	env_free(&e);
	/* the edit needs one slot more than the setup at its peak (the new RAM region) */
	if (!env_init(&e, vmm_accel_new_soft(used)))
		return;
	before = snapshot(&e);
	r = run_edit(&e, &err);
	after = snapshot(&e);
	is(r, -ENOSPC, "a %u-slot table cannot take the edit (%s)", used, err.msg);
	ok(strstr(err.msg, "line ") != NULL, "  with a reason naming the line");
	is_str(after, before, "  tree, flat views and memslots are as before");
	free(before);
	free(after);
	env_free(&e);
}

int main(void)
{
	int fd;

	all_positions(soft);
	slot_exhaustion();
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		diag("SKIP real KVM part: /dev/kvm: %s", strerror(errno));
		ok(1, "# SKIP no /dev/kvm");
	} else {
		close(fd);
		all_positions(kvm);
	}
	return done_testing();
}
