#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The daemon in a container (contrib/container/README.md, "The daemon in a
# container"): mtreefs run with /dev/fuse, /dev/kvm and CAP_SYS_ADMIN below
# an rshared bind of a host directory mounts there, and the mount appears on
# the host, where it serves reads (the heartbeat moving, with KVM) and edits
# (seen inside the container); `podman stop` ends the daemon with status 0
# and takes the mount away on the host, with no dead (ENOTCONN) mount left;
# `podman start` mounts it again, and a second stop cleans up as well.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MTREEFS_TOP/tests/container/lib.sh"
need_fuse
need_podman
S=$T_DIR/share
P=$S/pc
ctr_share "$S" || { ok 1 "make $S a shared mount"; done_testing; }
hb() { # the heartbeat: 8 little-endian bytes at GPA 0x7000
	dd if="$P/address-spaces/memory/ram" bs=8 skip=$((0x7000 / 8)) count=1 status=none |
		od -An -t u8 | tr -d ' '
}

ctr_daemon d "$S" -m 64M || { ok 1 "the daemon container mounts"; done_testing; }
ok 0 "the daemon container mounts"
is "$(awk -v d="$P" '$5 == d { print $(NF - 2) }' /proc/self/mountinfo)" fuse.mtreefs \
	"the mount appears on the host"
is "$(head -n 1 "$P/info/mtree")" "address-space: cpu-memory-0" "the host reads its info files"
if [ -c /dev/kvm ]; then
	is "$(cat "$P/machine/accel")" kvm "with /dev/kvm the guest runs on KVM"
	a=$(hb) i=0
	while [ $i -lt 50 ] && [ "$(hb)" -le "$a" ]; do sleep 0.1; i=$((i + 1)); done
	b=$(hb)
	ok "$([ "$b" -gt "$a" ]; echo $?)" "the heartbeat moves, read on the host ($a -> $b)"
else
	diag "SKIP the heartbeat: /dev/kvm is missing"
fi
is "$(errno_of_write "$P/ctl" 'ram host.edit 4K\n')" OK "the host edits the machine"
podman exec "$CTR_ID-d" ls /run/mtreefs/pc/regions | grep -qx host.edit
ok $? "and the container's daemon has the region"

podman stop "$CTR_ID-d" >/dev/null
is "$(ctr_state d)" "exited 0" "podman stop: the daemon ends with status 0"
is_mounted "$P"
ok "$((! $?))" "the mount is gone on the host"
is "$(errno_as "" stat "$P")" OK "no dead mount is left behind (stat works)"

podman start "$CTR_ID-d" >/dev/null && ctr_wait_mount d "$P"
ok $? "podman start mounts it again"
is "$(head -n 1 "$P/info/mtree")" "address-space: cpu-memory-0" "and the host reads it"
podman stop "$CTR_ID-d" >/dev/null
is "$(ctr_state d)" "exited 0" "the second stop ends the daemon with status 0 too"
is_mounted "$P"
ok "$((! $?))" "and unmounts it"
ctr_check_logs
done_testing
