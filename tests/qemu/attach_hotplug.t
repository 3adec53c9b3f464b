#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A mounted QEMU's topology follows QEMU (mtreefs(1), ATTACHING TO QEMU): a
# memory backend and a pc-dimm hot-added over QMP while mounted appear in
# regions/, ramblocks/, memslots/ and info/ at once (DEVICE_ADDED), their
# memory readable, also through a ram file opened before; a change that
# raises no event (the i440FX PAM register, as the firmware programs it, by
# HMP port writes) shows and goes within the --refresh bound; with a long
# --refresh it stays unseen until an event. machine/qemu/refresh counts the rebuilds, which
# happen only when QEMU's text changed.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MTREEFS_TOP/tests/qemu/attach_lib.sh"

rebuilds() { sed -n 's/^rebuilds //p' "$MNT/machine/qemu/refresh"; }
# within TENTHS TEST...: TEST holds within TENTHS tenths of a second. QEMU
# sends its event to the daemon's socket as it answers ours, so the daemon
# may read it a moment after our reply: allow the refresh bound for that.
within() {
	t=$1
	shift
	i=0
	until "$@"; do
		[ $i -ge "$t" ] && return 1
		sleep 0.1; i=$((i + 1))
	done
}

start_qemu pc 128M,slots=2,maxmem=1G -S
ok $? "QEMU starts with memory slots"
mount_machine --qemu "$QSOCK"
ok $? "mounted"
nslots=$(ls "$MNT/memslots" | wc -l)
r0=$(rebuilds)
sleep 0.3
ls "$MNT/regions" >/dev/null
is "$(rebuilds)" "$r0" "nothing changed: a refresh rebuilds nothing"
exec 3<"$MNT/address-spaces/memory/ram"
qmp '{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m1","size":134217728}}' \
    '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"d1","memdev":"m1"}}'
ok $? "a backend and a pc-dimm are hot-added"
within 2 test -d "$MNT/regions/m1"
ok $? "regions/m1 appears (DEVICE_ADDED)"
[ -d "$MNT/ramblocks/m1" ]
ok $? "ramblocks/m1 appears"
is "$(ls "$MNT/memslots" | wc -l)" $((nslots + 1)) "memslots/ has one more slot"
grep -q '0x0000000100000000 0x0000000008000000' "$MNT/info/memslots"
ok $? "info/memslots maps the dimm at 4G"
grep -q 'm1' "$MNT/info/mtree-D"
ok $? "info/mtree-D shows it"
h=$(awk '$NF == "m1" { print $3 }' "$MNT/machine/qemu/ranges")
python3 -c 'import os,sys; fd=os.open("/proc/%s/mem"%sys.argv[1],os.O_RDWR); os.pwrite(fd,b"in the dimm",int(sys.argv[2],16)+4096)' "$QPID" "$h"
is "$(python3 -c 'import os,sys; print(os.pread(3,11,0x100001000).decode())' <&3)" "in the dimm" \
	"a ram file opened before the hotplug reads the dimm"
exec 3<&-

# The guest's PAM and BAR programming raises no QMP event: do what the
# firmware does (PAM1 of the i440FX: 0xf0000-0xfffff becomes RAM) with
# HMP port writes, and the mount sees it within the refresh bound.
slot_at() { cat "$MNT"/memslots/*/guest_phys_addr | grep -qx "$1"; }
pam() { qmp "o 0xcf8 0x80000058" "o /b 0xcfd $1"; }
slot_at 0xf0000
[ $? -ne 0 ]
ok $? "before: no slot starts at 0xf0000 (BIOS ROM there)"
pam 0x30
qmp "info mtree -f" | grep -q '^  00000000000f0000-0000000007ffffff (prio 0, ram): pc.ram'
ok $? "QEMU maps RAM at 0xf0000 now"
sleep 0.3
slot_at 0xf0000
ok $? "an eventless change shows within --refresh (200 ms): a slot at 0xf0000"
pam 0x00
sleep 0.3
slot_at 0xf0000
[ $? -ne 0 ]
ok $? "undone, it disappears within --refresh"
unmount_machine

mount_machine --qemu "$QSOCK" --refresh 60000
ok $? "mounted with --refresh 60000"
ls "$MNT/memslots" >/dev/null
pam 0x30
slot_at 0xf0000
[ $? -ne 0 ]
ok $? "with a long --refresh an eventless change is not seen yet"
qmp '{"execute":"cont"}' '{"execute":"stop"}'
within 20 slot_at 0xf0000
ok $? "an event (RESUME, STOP) makes a lookup see it, long before --refresh"
unmount_machine
stop_qemu
check_daemon_log
done_testing
