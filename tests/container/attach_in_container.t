#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Attach mode in a container (contrib/container/README.md, "Use 3"): a
# QEMU on the host, its QMP socket's directory bound into a container that
# shares the host's PID namespace (so the pid SO_PEERCRED gives is QEMU's)
# and holds CAP_SYS_PTRACE (so /proc/PID/mem and process_vm_readv reach
# QEMU's memory); `mtreefs --qemu` there mounts below an rshared bind, and
# the host sees the mount: info/mtree is QEMU's `info mtree` fetched over the
# test's own QMP socket, the bytes at the reset vector are QEMU's pmemsave
# of them, ctl writes fail with EROFS. `podman stop` unmounts with status
# 0; started again, the container attaches again, and killing QEMU ends the
# daemon (status 1) and takes the mount away on the host, no dead mount left.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MTREEFS_TOP/tests/container/lib.sh"
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	skip_all "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"
. "$MTREEFS_TOP/tests/qemu/attach_lib.sh"
need_podman
trap 'ctr_cleanup; stop_qemu; t_cleanup' EXIT
S=$T_DIR/share
P=$S/vm
# The daemon's socket alone in a directory: the container binds that
# directory (a bind of the socket file would pin one QEMU's inode).
mkdir -p "$T_DIR/qmp"
# shellcheck disable=SC2034 # start_qemu's
QSOCK=$T_DIR/qmp/vm.qmp
ctr_share "$S" || { ok 1 "make $S a shared mount"; done_testing; }

start_qemu pc 128M || { ok 1 "QEMU starts with two QMP sockets"; done_testing; }
ok 0 "QEMU starts with two QMP sockets"
# Let SeaBIOS program PAM and shadow itself, then hold the guest still so
# that QEMU's texts and the mount's cannot differ by a moment.
sleep 1
qmp '{"execute":"stop"}'

# The options of contrib/container/README.md, "Use 3", each needed there.
if ctr_run -d --name "$CTR_ID-a" --pid=host --device /dev/fuse \
	--cap-add SYS_ADMIN --cap-add SYS_PTRACE --security-opt apparmor=unconfined \
	-v "$T_DIR/qmp:/run/qmp" -v "$S:/run/mtreefs:rshared" "$CTR_IMAGE" \
	sh -c 'mkdir -p /run/mtreefs/vm && exec mtreefs /run/mtreefs/vm --qemu /run/qmp/vm.qmp -f' \
	>/dev/null && ctr_wait_mount a "$P"; then
	ok 0 "mtreefs --qemu in the container mounts"
else
	ok 1 "mtreefs --qemu in the container mounts"
	done_testing
fi
is "$(awk -v d="$P" '$5 == d { print $(NF - 2) }' /proc/self/mountinfo)" fuse.mtreefs \
	"the mount appears on the host"
is "$(cat "$P/machine/qemu/pid")" "$QPID" "machine/qemu/pid is QEMU's host pid (--pid=host)"
qmp "info mtree" >"$T_DIR/qemu.txt"
cat "$P/info/mtree" >"$T_DIR/mount.txt"
same_file "$T_DIR/mount.txt" "$T_DIR/qemu.txt" "info/mtree is QEMU's info mtree"
qmp '{"execute":"pmemsave","arguments":{"val":1048560,"size":16,"filename":"'"$T_DIR/bios.qemu"'"}}'
dd if="$P/address-spaces/memory/ram" bs=16 skip=$((0xffff0 / 16)) count=1 status=none \
	>"$T_DIR/bios.mount"
is "$(wc -c <"$T_DIR/bios.mount") $(od -An -tx1 "$T_DIR/bios.mount")" \
	"16 $(od -An -tx1 "$T_DIR/bios.qemu")" \
	"the 16 bytes at 0xffff0 are QEMU's pmemsave of them"
is "$(errno_of_write "$P/ctl" 'ram x 4K\n')" EROFS "ctl writes fail with EROFS"
is "$(errno_of_write "$P/machine/ctl" 'reset\n')" EROFS "machine/ctl too"

podman stop "$CTR_ID-a" >/dev/null
is "$(ctr_state a)" "exited 0" "podman stop: the daemon ends with status 0"
is_mounted "$P"
ok "$((! $?))" "the mount is gone on the host"
is "$(errno_as "" stat "$P")" OK "no dead mount is left behind"

# QEMU serves its socket's next client: the same container attaches again.
podman start "$CTR_ID-a" >/dev/null && ctr_wait_mount a "$P"
ok $? "podman start attaches again"
stop_qemu
i=0
while [ "$(ctr_state a)" != "exited 1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
is "$(ctr_state a)" "exited 1" "QEMU killed: the container's daemon exits with status 1"
podman logs "$CTR_ID-a" 2>&1 | grep -q 'went away'
ok $? "and says QEMU went away"
is_mounted "$P"
ok "$((! $?))" "the mount is gone on the host"
is "$(errno_as "" stat "$P")" OK "no dead mount (ENOTCONN) is left behind"
ctr_check_logs
done_testing
