#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A tool container over a host mount point bound read-only (contrib/
# container/README.md, "Use 1"): it lists the mount and reads the info
# files as the host does, reads guest memory (the bytes the host wrote, and
# with KVM the firmware's heartbeat at GPA 0x7000 moving), while every
# write, ctl or ram, fails with EROFS and leaves the machine as it was.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MTREEFS_TOP/tests/container/lib.sh"
need_fuse
need_podman
mount_machine -m 64M || { ok 1 "mount"; done_testing; }
RO="-v $MNT:/mnt/mtree:ro"

printf 'MTREEFS-RO' | dd of="$MNT/regions/pc.ram/ram" bs=1 seek=$((0x100000)) conv=notrunc status=none
# One container for the reads (a container start costs more than the test).
out=$(ctr_sh "$RO" 'ls /mnt/mtree; echo --; ls /mnt/mtree/regions; echo --
	dd if=/mnt/mtree/address-spaces/memory/ram bs=1 skip=$((0x100000)) count=10 status=none
	echo; echo --; cat /mnt/mtree/info/flatview')
part() { echo "$out" | awk -v n="$1" '/^--$/ { i++; next } i == n'; }
is "$(part 0)" "$(ls "$MNT")" "the container lists the mount"
is "$(part 1)" "$(ls "$MNT/regions")" "and its regions/"
is "$(part 2)" MTREEFS-RO "the container reads guest memory the host wrote"
is "$(part 3)" "$(cat "$MNT/info/flatview")" "info/flatview reads the same in the container"

if [ "$(cat "$MNT/machine/accel")" = kvm ]; then
	# Two readings inside one container, the second once it differs (5 s at most).
	out=$(ctr_sh "$RO" '
		hb() { dd if=/mnt/mtree/address-spaces/memory/ram bs=8 skip=$((0x7000 / 8)) count=1 status=none |
			od -An -t u8 | tr -d " "; }
		a=$(hb) i=0
		while [ $i -lt 50 ]; do
			b=$(hb)
			[ "$b" -gt "$a" ] && break
			sleep 0.1; i=$((i + 1))
		done
		echo "$a $b"')
	set -- $out
	ok "$([ "${2:-0}" -gt "${1:-0}" ] 2>/dev/null; echo $?)" \
		"the guest's heartbeat moves inside the container ($out)"
else
	diag "SKIP the heartbeat: the daemon runs without KVM ($(cat "$MNT/machine/accel"))"
fi

before=$(cat "$MNT/info/mtree-D")
out=$(ctr_sh "$RO" '
	m=/mnt/mtree
	(echo "ram ctr.ro 4K in system at 0x100000000" > $m/ctl) 2>&1 | sed "s/^/ctl: /"
	(printf x | dd of=$m/regions/pc.ram/ram bs=1 seek=16 conv=notrunc status=none) 2>&1 | sed "s/^/ram: /"
	(echo 1 > $m/regions/pc.ram/prio) 2>&1 | sed "s/^/prio: /"')
for w in ctl ram prio; do
	line=$(echo "$out" | grep "^$w: ")
	echo "$line" | grep -q 'Read-only file system'
	ok $? "$w write through the read-only bind fails with EROFS (${line#*: })"
done
is "$(cat "$MNT/info/mtree-D")" "$before" "the topology is unchanged"
[ ! -e "$MNT/regions/ctr.ro" ]
ok $? "no region was made"
is "$(podman ps -aq --filter "label=$CTR_ID" | wc -l)" 0 "every throw-away container is gone"
unmount_machine
check_daemon_log
done_testing
