#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A QEMU dump whose address-space names repeat (q35 with intel-iommu: six
# "vtd-root", two "e1000e") mounts with `mtreefs --qemu-dump`, which failed
# with "cannot build the machine" before. address-spaces/ lists the first of
# a name bare and the K-th as NAME#K; each directory's name file holds QEMU's
# name unchanged and its root link its own root; no other spelling resolves.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
dump="$MTREEFS_TOP/tests/golden/q35-intel-iommu"
mount_machine --accel none --qemu-dump "$dump" || { ok 1 "mount"; done_testing; }
as="$MNT/address-spaces"

ok "$(ls "$as" >/dev/null; echo $?)" "the dump with repeated names mounts"
is "$(ls "$as" | grep -c '^vtd-root')" 6 "six vtd-root directories"
is "$(ls "$as" | grep '^vtd-root' | sort | tr '\n' ' ')" \
	"vtd-root vtd-root#2 vtd-root#3 vtd-root#4 vtd-root#5 vtd-root#6 " \
	"named vtd-root, then vtd-root#2 to #6"
is "$(ls "$as" | grep '^e1000e' | tr '\n' ' ')" "e1000e e1000e#2 " "e1000e and e1000e#2"
is "$(cat "$as/vtd-root#4/name")" vtd-root "the name file holds QEMU's name"
roots=$(for d in "$as"/vtd-root*; do readlink "$d/root"; done | sort -u | wc -l)
is "$roots" 6 "each vtd-root has its own root"
for bad in 'vtd-root#7' 'vtd-root#1' 'vtd-root#02' 'vtd-root#'; do
	ok "$([ ! -e "$as/$bad" ]; echo $?)" "$bad does not resolve"
done
is "$(grep -c '^address-space: vtd-root$' "$MNT/info/mtree")" 6 \
	"info/mtree prints vtd-root six times, as QEMU does"
unmount_machine
check_daemon_log
done_testing
