#!/bin/sh
# SPDX-License-Identifier: MIT
#
# machine/: accel, ram_size and the kvm/ capabilities; with KVM the vCPU's
# state and counters, the firmware's greeting in console, the heartbeat at
# GPA 0x7000 (VMM_HEARTBEAT_GPA, read with dd from address-spaces/memory/ram)
# advancing, and machine/ctl pause (state paused, heartbeat still), resume
# (advances again) and reset (greeting again, heartbeat restarts from 0);
# bad commands fail with EINVAL and an error_log line. Without a vCPU
# (--accel none) vcpus/ is empty and pause is ENODEV.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
hb() { # the heartbeat: 8 little-endian bytes at GPA 0x7000
	dd if="$MNT/address-spaces/memory/ram" bs=8 skip=$((0x7000 / 8)) count=1 status=none |
		od -An -t u8 | tr -d ' '
}
# until TENTHS CMD...: retry CMD every 0.1 s, at most TENTHS times
until_ok() {
	n=$1
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}
hb_above() { [ "$(hb)" -gt "$1" ]; }
greetings() { grep -c 'hello from the reset vector' "$MNT/machine/console"; }
greeted() { [ "$(greetings)" -ge "$1" ]; }

mount_machine --accel none -m 64M || { ok 1 "mount"; done_testing; }
is "$(cat "$MNT/machine/accel")" none "--accel none: accel says none"
is "$(cat "$MNT/machine/ram_size")" 0x4000000 "ram_size is -m in hex"
is "$(ls "$MNT/machine/vcpus" | wc -l)" 0 "no vCPU without KVM"
is "$(errno_of_write "$MNT/machine/ctl" 'pause\n')" ENODEV "pause without a vCPU: ENODEV"
tail -n 1 "$MNT/error_log" | grep -q 'machine/ctl: pause: .*no running vCPU (ENODEV)$'
ok $? "error_log says there is no vCPU"
is "$(cat "$MNT/machine/kvm/nr_memslots")" 32764 "the in-process memslot table has KVM's slot count"
unmount_machine

[ -c /dev/kvm ] && [ -w /dev/kvm ] || { diag "SKIP the KVM half: /dev/kvm is missing"; done_testing; }
mount_machine -m 64M || { ok 1 "mount with KVM"; done_testing; }
if [ "$(cat "$MNT/machine/accel")" != kvm ]; then
	diag "SKIP the KVM half: the daemon fell back to $(cat "$MNT/machine/accel")"
	done_testing
fi
for cap in nr_memslots max_vcpus max_gpa_bits; do
	v=$(cat "$MNT/machine/kvm/$cap")
	ok "$([ "$v" -gt 0 ] 2>/dev/null; echo $?)" "kvm/$cap is a positive number ($v)"
done
is "$(cat "$MNT/machine/kvm/api_version")" 12 "kvm/api_version is KVM's 12"
v=$(cat "$MNT/machine/kvm/readonly_mem")
ok "$(case $v in 0|1) echo 0 ;; *) echo 1 ;; esac)" "kvm/readonly_mem is 0 or 1 ($v)"
calls=$(cat "$MNT/machine/kvm/memslot_calls")
echo 'ram mf.scratch 64K in system at 0x100000000' >"$MNT/ctl"
after=$(cat "$MNT/machine/kvm/memslot_calls")
ok "$([ "$after" -gt "$calls" ]; echo $?)" "mapping RAM makes a memslot call ($calls -> $after)"
is "$(ls "$MNT/machine/vcpus")" 0 "one vCPU, 0"
until_ok 50 greeted 1
ok $? "console has the firmware's greeting"
until_ok 50 hb_above 2
ok $? "the heartbeat at 0x7000 advances ($(hb))"
state=$(cat "$MNT/machine/vcpus/0/state")
ok "$(case $state in running|halted) echo 0 ;; *) echo 1 ;; esac)" "vcpus/0/state: $state"
ok "$([ "$(cat "$MNT/machine/vcpus/0/io_exits")" -gt 0 ]; echo $?)" "the vCPU has io exits"

echo pause >"$MNT/machine/ctl"
is "$(cat "$MNT/machine/vcpus/0/state")" paused "pause: state paused"
h1=$(hb)
sleep 0.3
is "$(hb)" "$h1" "pause: the heartbeat stands still"
echo resume >"$MNT/machine/ctl"
until_ok 50 hb_above "$h1"
ok $? "resume: the heartbeat advances again"
until_ok 100 hb_above 60
h2=$(hb)
echo reset >"$MNT/machine/ctl"
until_ok 50 greeted 2
ok $? "reset: the firmware greets again"
h3=$(hb)
ok "$([ "$h3" -lt "$h2" ]; echo $?)" "reset: the heartbeat restarts ($h2 -> $h3)"
until_ok 50 hb_above "$h3"
ok $? "and advances"

is "$(errno_of_write "$MNT/machine/ctl" 'explode\n')" EINVAL "an unknown machine command: EINVAL"
tail -n 1 "$MNT/error_log" | grep -q "machine/ctl: explode: unknown machine command 'explode'"
ok $? "error_log names the unknown command"
unmount_machine
check_daemon_log
done_testing
