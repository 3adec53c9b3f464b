#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A daemon killed with SIGKILL leaves a dead mount (ENOTCONN); mtreefs on it
# refuses with the fusermount3 hint, `fusermount3 -u` clears it, and a new
# daemon mounts the same mountpoint again. With --ram-backend file:PATH the
# guest RAM outlives the daemon: bytes written through a ram file and, with
# KVM, the heartbeat the guest kept at GPA 0x7000 are there after the restart
# (the restart runs without a vCPU, so the firmware cannot reset it).
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
need_tool xxd
t_tmpdir
IMG=$T_DIR/ram.img
hb() { # hb FILE: the little-endian 64-bit word at 0x7000 of FILE, in decimal
	python3 -c 'import sys,struct;f=open(sys.argv[1],"rb");f.seek(0x7000);print(struct.unpack("<Q",f.read(8))[0])' "$1"
}

mount_machine -m 64M --ram-backend "file:$IMG" || { ok 1 "mount"; done_testing; }
printf 'survives-sigkill' | dd of="$MNT/regions/pc.ram/ram" bs=1 seek=$((0x123456)) conv=notrunc status=none
kvm=$(cat "$MNT/machine/accel")
if [ "$kvm" = kvm ]; then
	i=0
	while [ "$(hb "$MNT/address-spaces/memory/ram")" -lt 3 ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	seen=$(hb "$MNT/address-spaces/memory/ram")
	ok "$([ "$seen" -ge 3 ]; echo $?)" "the guest's heartbeat at 0x7000 advances ($seen)"
else
	diag "no KVM: the heartbeat part is skipped"
fi
kill -KILL "$T_PID"
wait_gone "$T_PID" 50
ok $? "SIGKILL ends the daemon"
wait "$T_PID" 2>/dev/null
T_PID=
is "$(errno_as "" stat "$MNT")" ENOTCONN "the mount is dead: ENOTCONN"
is_mounted "$MNT"
ok $? "the dead mount is still in the mount table"
out=$("$MTREEFS" "$MNT" -f --accel none 2>&1)
is "$?:$(echo "$out" | grep -c 'dead FUSE mount.*fusermount3 -u')" 1:1 \
	"mtreefs on a dead mount: exit 1 with the fusermount3 hint"
fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT"
is_mounted "$MNT"
is $? 1 "fusermount3 -u clears the dead mount"
hb_file=$(hb "$IMG")
if [ "$kvm" = kvm ]; then
	ok "$([ "$hb_file" -ge "$seen" ]; echo $?)" "the backing file holds the last heartbeat ($hb_file)"
fi

mount_machine -m 64M --ram-backend "file:$IMG" --accel none || { ok 1 "remount"; done_testing; }
ok 0 "a new daemon mounts the same mountpoint"
got=$(dd if="$MNT/address-spaces/memory/ram" bs=1 skip=$((0x123456)) count=16 status=none)
is "$got" survives-sigkill "bytes written through ram survive the restart"
is "$(hb "$MNT/address-spaces/memory/ram")" "$hb_file" "the heartbeat word reads back after the restart"
unmount_machine
check_daemon_log
done_testing
