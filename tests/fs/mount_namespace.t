#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The mount works from another mount namespace through a bind mount (how it
# is handed to containers): reading info files and guest memory, and editing
# the topology, with the edit visible at once in the original mount.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool unshare
[ "$(id -u)" -eq 0 ] || skip_all "unshare -m needs root"
unshare -m true 2>/dev/null || skip_all "unshare -m is not permitted here"
mount_machine --accel none -m 64M || { ok 1 "mount"; done_testing; }
mkdir -p "$T_DIR/view"
out=$(unshare -m sh -c '
	mount --bind "$1" "$2" || exit 1
	head -n 1 "$2/info/mtree"
	printf "ns-data" | dd of="$2/regions/pc.ram/ram" bs=1 seek=4096 conv=notrunc 2>/dev/null
	echo "ram nsreg 4K" > "$2/ctl" || exit 1
	echo done' sh "$MNT" "$T_DIR/view" 2>&1)
is "$(echo "$out" | tail -n 1)" "done" "bind-mounted view is usable in a new namespace"
is "$(echo "$out" | head -n 1)" "$(head -n 1 "$MNT/info/mtree")" "info/mtree reads the same there"
[ -d "$MNT/regions/nsreg" ]; ok $? "an edit made in the namespace is visible at once"
is "$(dd if="$MNT/address-spaces/memory/ram" bs=1 skip=4096 count=7 2>/dev/null)" "ns-data" \
   "guest memory written in the namespace"
is "$(mountpoint -q "$T_DIR/view" && echo yes || echo no)" "no" "the bind mount stayed inside its namespace"
unmount_machine
check_daemon_log
done_testing
