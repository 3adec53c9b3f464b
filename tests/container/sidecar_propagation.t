#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The sidecar pattern with plain podman (contrib/container/README.md,
# "Sidecar"): a tool container started first, with an rslave bind of the
# host directory, sees the mount that a daemon container then makes below
# its rshared bind of the same directory arrive, reads the machine through
# it, and sees it leave when the daemon stops (no dead mount inside either).
# The daemon runs with -o allow_other, yet a second, unprivileged user
# (nobody) cannot read guest RAM through the propagated mount: not on the
# host, and not as --user 65534 in a container; it lists the tree and reads
# the info files, so the refusal is the ram files' own 0600.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MTREEFS_TOP/tests/container/lib.sh"
need_fuse
need_podman
need_tool setpriv
NOBODY_UID=$(id -u nobody 2>/dev/null) || skip_all "there is no user nobody"
NOBODY="setpriv --reuid=$NOBODY_UID --regid=$(id -g nobody) --clear-groups"
chmod 755 "$T_DIR"
S=$T_DIR/share
P=$S/pc
ctr_share "$S" || { ok 1 "make $S a shared mount"; done_testing; }

# The sidecar waits (10 s at most) for the mount, reads it (the bytes the
# host writes into guest RAM, once they are there), then waits for
# it to go away and says whether a mount (a dead one, say) is left.
ctr_run -d --name "$CTR_ID-side" -v "$S:/mnt/mtree:rslave" "$CTR_IMAGE" sh -c '
	m=/mnt/mtree/pc i=0
	until [ -e $m/info/mtree ]; do
		[ $i -lt 100 ] || { echo "never came"; exit 1; }
		sleep 0.1; i=$((i + 1))
	done
	echo "came: $(head -n 1 $m/info/mtree)"
	# the host writes these bytes once it sees the mount: wait for them
	i=0
	until [ "$(dd if=$m/address-spaces/memory/ram bs=1 skip=4096 count=12 status=none)" = MTREEFS-SIDE ]; do
		[ $i -lt 100 ] || break
		sleep 0.1; i=$((i + 1))
	done
	dd if=$m/address-spaces/memory/ram bs=1 skip=4096 count=12 status=none; echo
	i=0
	while grep -q " $m " /proc/self/mountinfo; do
		[ $i -lt 100 ] || { echo "never left"; exit 1; }
		sleep 0.1; i=$((i + 1))
	done
	echo left' >/dev/null
ok $? "the sidecar starts before the daemon"
ctr_daemon d "$S" -m 64M -o allow_other || { ok 1 "the daemon container mounts"; done_testing; }
ok 0 "the daemon container mounts"
printf 'MTREEFS-SIDE' | dd of="$P/regions/pc.ram/ram" bs=1 seek=4096 conv=notrunc status=none

is "$(errno_as "$NOBODY" readdir "$P/regions")" OK "nobody on the host lists the propagated mount"
is "$(errno_as "$NOBODY" read "$P/info/flatview")" OK "and reads its info files"
for f in address-spaces/memory/ram regions/pc.ram/ram ramblocks/pc.ram/ram; do
	is "$(errno_as "$NOBODY" read "$P/$f")" EACCES "but not guest RAM: $f is EACCES"
done
out=$(ctr_sh "--user 65534:65534 -v $S:/mnt/mtree:rslave" '
	m=/mnt/mtree/pc
	head -n 1 $m/info/mtree
	dd if=$m/address-spaces/memory/ram bs=1 count=16 status=none 2>&1 >/dev/null')
is "$(echo "$out" | head -n 1)" "address-space: cpu-memory-0" \
	"a container running as nobody reads the info files"
echo "$out" | tail -n 1 | grep -q 'Permission denied'
ok $? "but not guest RAM ($(echo "$out" | tail -n 1))"

podman stop "$CTR_ID-d" >/dev/null
is "$(ctr_state d)" "exited 0" "podman stop ends the daemon with status 0"
is "$(timeout 15 podman wait "$CTR_ID-side")" 0 "the sidecar ends on its own"
out=$(podman logs "$CTR_ID-side" 2>&1)
is "$(echo "$out" | sed -n 1p)" "came: address-space: cpu-memory-0" \
	"the sidecar saw the mount arrive through its rslave bind"
is "$(echo "$out" | sed -n 2p)" MTREEFS-SIDE "and read the guest memory the host wrote"
is "$(echo "$out" | sed -n 3p)" left "and saw it leave, with no dead mount left inside"
is_mounted "$P"
ok "$((! $?))" "nor on the host"
ctr_check_logs
done_testing
