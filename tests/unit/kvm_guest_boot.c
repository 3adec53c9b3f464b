// SPDX-License-Identifier: MIT
/*
 * KVM as the judge, part 1: the default pc machine boots our firmware from
 * the reset vector on a real vCPU. The console shows the greeting (sent with
 * one string PIO), the heartbeat in RAM advances, a probe read of it agrees
 * with the host's view, pause stops the heartbeat, resume restarts it, and a
 * reset starts the firmware over (heartbeat zeroed, greeting again).
 * Skips when /dev/kvm is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include "tap.h"

#define GREETING "mtreefs firmware: hello from the reset vector\n"

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static size_t count(const char *hay, size_t n, const char *needle)
{
	size_t c = 0, l = strlen(needle);

	for (size_t i = 0; i + l <= n; i++)
		if (!memcmp(hay + i, needle, l))
			c++;
	return c;
}

/* Wait up to @ms for the heartbeat to pass @above. */
static uint64_t beat_after(struct vmm_machine *mc, uint64_t above, int ms)
{
	uint64_t hb = 0;

	for (int i = 0; i < ms / 5; i++) {
		hb = vmm_machine_heartbeat(mc);
		if (hb > above)
			break;
		sleep_ms(5);
	}
	return hb;
}

static void check_pause_reset(struct vmm_machine *mc)
{
	struct vmm_vcpu_info info;
	char con[4096];
	uint64_t a, b;
	size_t n = 0;

	is(vmm_machine_pause(mc), 0, "pause");
	vmm_machine_vcpu_info(mc, 0, &info);
	is_str(vmm_vcpu_state_name(info.state), "paused", "vCPU 0 reports paused");
	a = vmm_machine_heartbeat(mc);
	sleep_ms(50);
	b = vmm_machine_heartbeat(mc);
	is(b, a, "heartbeat frozen while paused");
	is(vmm_machine_resume(mc), 0, "resume");
	ok(beat_after(mc, b, 2000) > b, "heartbeat advances after resume");

	/* a huge heartbeat that only the firmware's restart can clear */
	is(vmm_machine_pause(mc), 0, "pause before reset");
	a = 1ull << 40;
	is(vmm_as_write(mc->memory_as, VMM_HEARTBEAT_GPA, &a, 8), 0, "host plants 2^40");
	is(vmm_machine_reset(mc), 0, "reset");
	vmm_machine_vcpu_info(mc, 0, &info);
	is(info.rip, 0xfff0, "reset put the vCPU at the reset vector");
	is(vmm_machine_resume(mc), 0, "resume after reset");
	for (int i = 0; i < 400 && count(con, n, GREETING) < 2; i++) {
		sleep_ms(5);
		n = vmm_machine_console(mc, con, sizeof(con));
	}
	is(count(con, n, GREETING), 2, "the firmware greeted again after reset");
	a = vmm_machine_heartbeat(mc);
	ok(a < 1ull << 40, "heartbeat restarted from zero (%llu)", (unsigned long long)a);
}

int main(void)
{
	struct vmm_machine_opts o;
	struct vmm_machine *mc = NULL;
	struct vmm_vcpu_info info;
	struct vmm_err err = { 0 };
	char con[4096];
	uint64_t hb1, hb2, v = 0;
	size_t n;
	int fd = open("/dev/kvm", O_RDWR);

	if (fd < 0)
		skip_all("/dev/kvm not available");
	close(fd);
	vmm_machine_opts_default(&o);
	o.ram_size = 128ull << 20;
	o.accel = "kvm";
	if (!ok(vmm_machine_create(&o, &mc, &err) == 0, "pc machine with KVM (%s)", err.msg))
		return done_testing();
	is_str(vmm_accel_name(mc->accel), "kvm", "accelerator is kvm");
	hb1 = beat_after(mc, 0, 3000);
	n = vmm_machine_console(mc, con, sizeof(con) - 1);
	con[n] = '\0';
	is_str(con, GREETING, "console shows the greeting");
	ok(hb1 > 0, "heartbeat started (%llu)", (unsigned long long)hb1);
	hb2 = beat_after(mc, hb1, 2000);
	ok(hb2 > hb1, "heartbeat advances (%llu -> %llu)", (unsigned long long)hb1,
	   (unsigned long long)hb2);
	is(vmm_machine_probe_read(mc, VMM_HEARTBEAT_GPA, 8, &v, 2000), 0, "probe read works");
	ok(v >= hb2, "guest's heartbeat (%llu) >= host's earlier view", (unsigned long long)v);
	vmm_machine_vcpu_info(mc, 0, &info);
	ok(info.io_exits > 0 && info.hlt_exits > 0, "vCPU 0 counts io (%llu) and hlt (%llu) exits",
	   (unsigned long long)info.io_exits, (unsigned long long)info.hlt_exits);
	ok(info.rip >= 0xffff0000, "vCPU 0 runs the firmware in pc.bios (rip 0x%llx)",
	   (unsigned long long)info.rip);
	check_pause_reset(mc);
	vmm_machine_destroy(mc);
	return done_testing();
}
