#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A tool container over a host mount, read-write through an rslave bind of
# the directory above it (contrib/container/README.md, "Use 1"): edits written to ctl inside the
# container change the host's machine at once (a region mapped, its range in
# the flat view, moved, deleted), guest memory written inside reads back on
# the host, and a refused edit reports its errno (ENOENT) in the container and its
# reason in the host's error_log.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MTREEFS_TOP/tests/container/lib.sh"
need_fuse
need_podman
mount_machine --accel none -m 64M || { ok 1 "mount"; done_testing; }
# the parent of the mount point, as the README advises for read-write
RW="-v $T_DIR:/mnt/mtree:rslave"

ctr_sh "$RW" 'echo "ram ctr.rw 64K in system at 0x100000000" > /mnt/mtree/mnt/ctl'
ok $? "the container writes ctl"
[ -d "$MNT/regions/ctr.rw" ]
ok $? "the region it made is on the host"
grep -q '^  0000000100000000-000000010000ffff (prio 0, ram): ctr.rw' "$MNT/info/flatview"
ok $? "and its range is in the host's flat view"

out=$(ctr_sh "$RW" '
	m=/mnt/mtree/mnt
	printf MTREEFS-RW | dd of=$m/regions/ctr.rw/ram bs=1 seek=256 conv=notrunc status=none || exit 1
	echo "set addr 0x200000000" > $m/regions/ctr.rw/ctl || exit 1
	# coreutils printf names the errno (the shell'"'"'s echo says "I/O error")
	/usr/bin/printf "map nosuch at 0\\n" > $m/ctl' 2>&1)
is "$(dd if="$MNT/address-spaces/memory/ram" bs=1 skip=$((0x200000100)) count=10 status=none)" \
	MTREEFS-RW "guest memory written in the container reads back on the host, at the new address"
is "$(cat "$MNT/regions/ctr.rw/addr")" 0x200000000 "a region's own ctl moved it"
echo "$out" | grep -q 'No such file or directory'
ok $? "a refused edit fails with its errno in the container (ENOENT: $out)"
tail -n 1 "$MNT/error_log" | grep -q nosuch
ok $? "and the host's error_log names it"

ctr_sh "$RW" 'printf "unmap ctr.rw\ndelete ctr.rw\n" > /mnt/mtree/mnt/ctl'
ok $? "the container deletes the region"
[ ! -e "$MNT/regions/ctr.rw" ]
ok $? "it is gone on the host"
unmount_machine
check_daemon_log
done_testing
