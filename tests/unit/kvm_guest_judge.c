// SPDX-License-Identifier: MIT
/*
 * KVM as the judge, part 2. With the firmware running on a real vCPU:
 * (a) after rounds of random topology edits (aliases moved and re-pointed,
 *     regions disabled, priorities changed, ROM mapped, RAM unmapped), the
 *     guest's own loads at many addresses equal vmm_as_read(), and an access
 *     leaves the guest as an MMIO exit exactly where our flat view has no
 *     RAM behind the address;
 * (b) a guest store to ROM changes nothing and arrives as an MMIO write at
 *     the ROM's address; a store through an alias lands in the RAM block at
 *     the aliased offset;
 * (c) with log-dirty on a region, KVM's dirty log reports exactly the pages
 *     the guest wrote.
 * All of it on each built-in machine, pc and q35 (with two vCPUs: the
 * firmware serves from vCPU 0 while vCPU 1 stays parked).
 * Skips when /dev/kvm is missing. Seed with JUDGE_SEED to replay a run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmm/ctl.h>
#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include "tap.h"

#define LOW_WIN		0x4000000ull	/* overlaps ram-below-4g (128M) */
#define HIGH_WIN	0x20000000ull	/* above RAM, below the pci devices */
#define WIN_SIZE	0x1000000ull
#define TIMEOUT		2000

static const char setup[] =
	"ram t-ram 2M backend=anon in system at 0x4000000 prio 1\n"
	"rom t-rom 1M\n"
	"io t-io 64K device=scratch\n"
	"container t-box 16M in system at 0x20000000\n"
	"map t-rom in t-box at 0x100000\n"
	"map t-io in t-box at 0x400000 prio 2\n"
	"alias t-a1 pc.ram 0x100000 1M in system at 0x4400000 prio 2\n"
	"alias t-a2 t-ram 0x80000 1M in t-box at 0x800000\n"
	"alias t-a3 t-rom 0 512K in t-box at 0xc00000 prio 1\n";

/* Where setup put each test region, to restore after the random rounds. */
static const struct home { const char *id, *parent; uint64_t addr; int prio; uint64_t off; }
homes[] = {
	{ "t-box", "system", HIGH_WIN, 0, 0 },
	{ "t-ram", "system", LOW_WIN, 1, 0 },
	{ "t-rom", "t-box", 0x100000, 0, 0 },
	{ "t-io", "t-box", 0x400000, 2, 0 },
	{ "t-a1", "system", LOW_WIN + 0x400000, 2, 0x100000 },
	{ "t-a2", "t-box", 0x800000, 0, 0x80000 },
	{ "t-a3", "t-box", 0xc00000, 1, 0 },
};

static void restore(struct vmm_machine *mc)
{
	struct vmm_err err = { 0 };
	int r = 0;

	pthread_mutex_lock(&mc->lock);
	vmm_memory_begin(mc->mem);
	for (size_t i = 0; i < sizeof(homes) / sizeof(homes[0]) && !r; i++) {
		struct vmm_mr *mr = vmm_mr_find(mc->mem, homes[i].id);

		if (mr->container)
			r = vmm_mr_unmap(mr, &err);
		if (!r)
			r = vmm_mr_set_enabled(mr, true, &err);
		if (!r)
			r = vmm_mr_set_readonly(mr, false, &err);
		if (!r && mr->alias)
			r = vmm_mr_set_alias_offset(mr, homes[i].off, &err);
		if (!r)
			r = vmm_mr_map(mr, vmm_mr_find(mc->mem, homes[i].parent), homes[i].addr,
				       homes[i].prio, &err);
	}
	if (r)
		vmm_memory_abort(mc->mem);
	else
		r = vmm_memory_commit(mc->mem, &err);
	pthread_mutex_unlock(&mc->lock);
	is(r, 0, "test regions back at their homes (%s)", err.msg);
}

static uint64_t rnd(uint64_t n)
{
	return n ? (((uint64_t)random() << 31) ^ (uint64_t)random()) % n : 0;
}

static int ctl(struct vmm_machine *mc, const char *text)
{
	struct vmm_ctl_ctx c = { .mem = mc->mem };
	struct vmm_err err = { 0 };
	int r;

	pthread_mutex_lock(&mc->lock);
	r = vmm_ctl_exec(&c, text, strlen(text), &err);
	pthread_mutex_unlock(&mc->lock);
	if (r)
		diag("ctl: %s", err.msg);
	return r;
}

static void fill(struct vmm_machine *mc, const char *id, uint64_t off, size_t len)
{
	unsigned char *h = vmm_mr_host(vmm_mr_find(mc->mem, id), off);

	for (size_t i = 0; i < len; i++)
		h[i] = (unsigned char)random();
}

/* One random edit of one test region; failures (EBUSY...) are part of the game. */
static void edit(struct vmm_machine *mc)
{
	struct vmm_mr *mr = vmm_mr_find(mc->mem, homes[rnd(sizeof(homes) / sizeof(homes[0]))].id);
	struct vmm_mr *parent = mr->container;
	uint64_t room;

	for (size_t i = 0; !parent && i < sizeof(homes) / sizeof(homes[0]); i++)
		if (!strcmp(homes[i].id, mr->id))
			parent = vmm_mr_find(mc->mem, homes[i].parent);
	room = !strcmp(parent->id, "t-box") ? WIN_SIZE - (uint64_t)mr->size : WIN_SIZE;
	switch (rnd(6)) {
	case 0:
		if (mr->container)
			vmm_mr_unmap(mr, NULL);
		else
			vmm_mr_map(mr, parent, (strcmp(parent->id, "system") ? 0 :
				   rnd(2) ? HIGH_WIN : LOW_WIN) + (rnd(room) & ~0xfffull),
				   (int)rnd(5) - 1, NULL);
		break;
	case 1:
		vmm_mr_set_priority(mr, (int)rnd(5) - 1, NULL);
		break;
	case 2:
		vmm_mr_set_enabled(mr, !mr->enabled, NULL);
		break;
	case 3:
		if (mr->container)
			vmm_mr_set_addr(mr, (mr->addr & ~(WIN_SIZE - 1)) +
					(rnd(room) & ~0xfffull), NULL);
		break;
	case 4:
		if (mr->alias)
			vmm_mr_set_alias_offset(mr, rnd((uint64_t)(mr->alias->size - mr->size) + 1) &
						~0xfffull, NULL);
		break;
	case 5:
		vmm_mr_set_readonly(mr, !mr->readonly, NULL);
		break;
	}
}

/* Probe @gpa and compare with our model; returns 1 when they agree. */
static int judge_one(struct vmm_machine *mc, uint64_t gpa, unsigned size)
{
	struct vmm_probe p = { .op = VMM_PROBE_OP_READ, .size = size, .gpa = gpa };
	struct vmm_xlate x;
	uint64_t want = 0;
	int r;

	r = vmm_machine_probe(mc, &p, TIMEOUT);
	pthread_mutex_lock(&mc->lock);
	vmm_as_read(mc->memory_as, gpa, &want, size);
	vmm_as_translate(mc->memory_as, gpa, &x);
	pthread_mutex_unlock(&mc->lock);
	if (r == 0 && p.val == want && p.mmio == !x.host)
		return 1;
	diag("gpa 0x%llx size %u: probe r=%d val 0x%llx mmio %d, model 0x%llx host %p (%s)",
	     (unsigned long long)gpa, size, r, (unsigned long long)p.val, p.mmio,
	     (unsigned long long)want, x.host, x.mr ? x.mr->id : "hole");
	return 0;
}

static void judge_random(struct vmm_machine *mc, int rounds, int samples)
{
	unsigned agree = 0, total = 0, edits = 0;
	uint64_t gen0 = vmm_memory_generation(mc->mem);

	for (int round = 0; round < rounds; round++) {
		pthread_mutex_lock(&mc->lock);
		vmm_memory_begin(mc->mem);
		for (int e = 0; e < 3; e++, edits++)
			edit(mc);
		if (vmm_memory_commit(mc->mem, NULL))
			diag("round %d: commit failed", round);
		pthread_mutex_unlock(&mc->lock);
		for (int s = 0; s < samples; s++) {
			unsigned size = 1u << rnd(4);
			uint64_t gpa = (rnd(2) ? HIGH_WIN : LOW_WIN) + rnd(WIN_SIZE);

			gpa &= ~(uint64_t)(size - 1);
			agree += judge_one(mc, gpa, size);
			total++;
		}
	}
	ok(vmm_memory_generation(mc->mem) > gen0 + (unsigned)rounds / 2,
	   "random edits changed the topology (%u edits)", edits);
	is(agree, total, "guest loads equal vmm_as_read at %u random addresses", total);
}

static void judge_rom_and_alias(struct vmm_machine *mc)
{
	struct vmm_probe p = { .op = VMM_PROBE_OP_WRITE, .size = 4, .val = 0xdeadbeef };
	struct vmm_mr *bios = vmm_mr_find(mc->mem, "pc.bios");
	uint32_t before, after;
	struct vmm_xlate x;
	uint64_t *h;

	p.gpa = 0xfffc0100;
	memcpy(&before, vmm_mr_host(bios, 0x100), 4);
	is(vmm_machine_probe(mc, &p, TIMEOUT), 0, "guest store to pc.bios completes");
	memcpy(&after, vmm_mr_host(bios, 0x100), 4);
	is(after, before, "pc.bios is unchanged by the guest store");
	ok(p.mmio && p.mmio_write && p.mmio_gpa == 0xfffc0100,
	   "the store left the guest as an MMIO write at 0x%llx",
	   (unsigned long long)p.mmio_gpa);
	pthread_mutex_lock(&mc->lock);
	vmm_as_translate(mc->memory_as, p.mmio_gpa, &x);
	pthread_mutex_unlock(&mc->lock);
	ok(x.mr == bios && x.offset == 0x100 && x.readonly, "the exit address resolves to pc.bios+0x100");

	/* t-a2 = t-ram[0x80000, +1M) at t-box + 0x800000, t-box at HIGH_WIN */
	p.gpa = HIGH_WIN + 0x800000 + 0x1230;
	p.size = 8;
	p.val = 0x0123456789abcdefull;
	is(vmm_machine_probe(mc, &p, TIMEOUT), 0, "guest store through alias t-a2");
	h = vmm_mr_host(vmm_mr_find(mc->mem, "t-ram"), 0x80000 + 0x1230);
	is(*h, 0x0123456789abcdefull, "the store landed in t-ram at the aliased offset");
	ok(!p.mmio, "and KVM served it from the memslot (no exit)");
}

static void judge_dirty(struct vmm_machine *mc)
{
	static const unsigned pages[] = { 1, 5, 17, 300 };
	const struct vmm_memslot *s;
	uint64_t bm[512 / 64 + 1] = { 0 }, want[512 / 64 + 1] = { 0 };
	uint32_t slot;

	ctl(mc, "set t-ram log-dirty on\n");
	pthread_mutex_lock(&mc->lock);
	s = vmm_accel_memslot_exact(mc->accel, 0x4000000, 2 << 20);
	slot = s ? s->slot : 0;
	ok(s && (s->flags & VMM_MEM_LOG_DIRTY_PAGES), "t-ram has a dirty-logging memslot");
	if (s)
		vmm_accel_get_dirty_log(mc->accel, slot, bm);	/* start clean */
	pthread_mutex_unlock(&mc->lock);
	if (!s)
		return;
	for (unsigned i = 0; i < 4; i++) {
		vmm_machine_probe_write(mc, 0x4000000 + pages[i] * 4096ull + 8 * i, 8, i, TIMEOUT);
		want[pages[i] / 64] |= 1ull << (pages[i] % 64);
	}
	memset(bm, 0, sizeof(bm));
	pthread_mutex_lock(&mc->lock);
	is(vmm_accel_get_dirty_log(mc->accel, slot, bm), 0, "KVM_GET_DIRTY_LOG");
	pthread_mutex_unlock(&mc->lock);
	ok(!memcmp(bm, want, sizeof(bm)), "dirty log is exactly pages 1, 5, 17, 300");
	for (unsigned w = 0; w < 8; w++)
		if (bm[w] != want[w])
			diag("word %u: got 0x%016llx want 0x%016llx", w,
			     (unsigned long long)bm[w], (unsigned long long)want[w]);
}

static void judge_machine(const char *machine, unsigned vcpus)
{
	struct vmm_machine_opts o;
	struct vmm_machine *mc = NULL;
	struct vmm_err err = { 0 };

	diag("machine %s, %u vCPU(s)", machine, vcpus);
	vmm_machine_opts_default(&o);
	o.machine = machine;
	o.vcpus = vcpus;
	o.ram_size = 128ull << 20;
	o.accel = "kvm";
	if (!ok(vmm_machine_create(&o, &mc, &err) == 0, "%s machine with KVM (%s)", machine,
		err.msg))
		return;
	is(ctl(mc, setup), 0, "test regions created");
	fill(mc, "t-ram", 0, 2 << 20);
	fill(mc, "t-rom", 0, 1 << 20);
	fill(mc, "pc.ram", 0x100000, 0x200000);
	judge_random(mc, 40, 24);
	restore(mc);
	judge_rom_and_alias(mc);
	judge_dirty(mc);
	vmm_machine_destroy(mc);
}

int main(void)
{
	unsigned seed = getenv("JUDGE_SEED") ? (unsigned)atoi(getenv("JUDGE_SEED"))
					     : (unsigned)getpid();
	int fd = open("/dev/kvm", O_RDWR);

	if (fd < 0)
		skip_all("/dev/kvm not available");
	close(fd);
	diag("JUDGE_SEED=%u", seed);
	srandom(seed);
	judge_machine("pc", 1);
	srandom(seed);
	judge_machine("q35", 2);
	return done_testing();
}
