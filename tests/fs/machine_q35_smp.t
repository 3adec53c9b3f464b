#!/bin/sh
# SPDX-License-Identifier: MIT
#
# --machine q35 -smp 4 with KVM: machine/vcpus lists 4 vCPUs, the firmware's
# heartbeat advances (it runs on vCPU 0 of q35 as of pc), and once the vCPUs
# are paused and our two firmware ports (debugcon, probe) unmapped through
# ctl, info/mtree, info/mtree-D, info/flatview and info/ramblock are QEMU's
# own `-machine q35,accel=kvm -m 128M -smp 4 -S -nodefaults` text
# (tests/golden/own-q35-128M-s4) up to the order of its hash-ordered blocks.
# A bad --machine or -smp is refused with a reason.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
[ -c /dev/kvm ] && [ -w /dev/kvm ] || skip_all "/dev/kvm is missing"
golden=$MTREEFS_TOP/tests/golden/own-q35-128M-s4

hb() { # the heartbeat: 8 little-endian bytes at GPA 0x7000
	dd if="$MNT/address-spaces/memory/ram" bs=8 skip=$((0x7000 / 8)) count=1 status=none |
		od -An -t u8 | tr -d ' '
}
# Blocks (separated by blank lines) as a sorted set; FlatView numbers dropped.
canon() {
	awk 'BEGIN { RS = ""; ORS = "\n" }
	     { gsub(/^FlatView #[0-9]+\n/, ""); gsub(/\n/, "\001"); print }' "$1" |
		LC_ALL=C sort | tr '\001' '\n'
}

t_tmpdir
"$MTREEFS" "$T_DIR" --machine isapc >"$T_DIR/out" 2>&1
ok "$([ $? -ne 0 ] && grep -q "unknown machine 'isapc'" "$T_DIR/out"; echo $?)" \
	"--machine isapc is refused with a reason"
"$MTREEFS" "$T_DIR" -smp 0 >"$T_DIR/out" 2>&1
is "$?" 2 "-smp 0 is a usage error"
grep -q "bad -smp '0'" "$T_DIR/out"
ok $? "and says so"

mount_machine --machine q35 -m 128M -smp 4 || { ok 1 "mount"; done_testing; }
is "$(cat "$MNT/machine/accel")" kvm "the machine runs on KVM"
is "$(ls "$MNT/machine/vcpus" | tr '\n' ' ')" "0 1 2 3 " "machine/vcpus has 4 vCPUs"
h1=$(hb)
sleep 0.5
h2=$(hb)
ok "$([ "${h2:-0}" -gt "${h1:-0}" ]; echo $?)" "the heartbeat advances on q35 ($h1 -> $h2)"
grep -q 'hello from the reset vector' "$MNT/machine/console"
ok $? "the firmware greeted on the console"
# A parked vCPU re-enters KVM every 10 ms tick and shows "running" for the
# microseconds until its next HLT: one of ten reads must say halted.
halted() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(cat "$MNT/machine/vcpus/$1/state")" = halted ] && return 0
		sleep 0.01
	done
	return 1
}
for i in 1 2 3; do
	halted $i
	ok $? "vCPU $i is parked in HLT ($(cat "$MNT/machine/vcpus/$i/state"))"
done
printf 'pause\n' > "$MNT/machine/ctl"
ok $? "pause"
printf 'unmap debugcon\nunmap probe\n' > "$MNT/ctl"
ok $? "our firmware ports unmapped"
for f in mtree:mtree mtree-D:mtree-D flatview:mtree-f ramblock:ramblock; do
	canon "$MNT/info/${f%%:*}" > "$T_DIR/got"
	canon "$golden/${f#*:}" > "$T_DIR/want"
	same_file "$T_DIR/got" "$T_DIR/want" "info/${f%%:*} equals QEMU's info ${f#*:}"
done
unmount_machine
check_daemon_log
done_testing
