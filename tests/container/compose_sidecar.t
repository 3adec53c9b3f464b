#!/bin/sh
# SPDX-License-Identifier: MIT
#
# contrib/container/compose.yaml under podman-compose, as its README section
# says to run it: `up` starts the daemon service, whose mount appears on the
# host, and the tools sidecar, which prints the flat view it reads through
# its rslave bind (the same text the host reads); `down` stops both, and the
# daemon's mount is gone from the host with no dead mount left.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MTREEFS_TOP/tests/container/lib.sh"
need_fuse
need_tool podman-compose
need_podman
[ -c /dev/kvm ] || skip_all "compose.yaml hands /dev/kvm to the daemon and there is none"
S=$T_DIR/share
P=$S/pc
ctr_share "$S" || { ok 1 "make $S a shared mount"; done_testing; }
compose() {
	MTREEFS_SHARE=$S MTREEFS_IMAGE=$CTR_IMAGE podman-compose -p "$CTR_ID" \
		-f "$MTREEFS_TOP/contrib/container/compose.yaml" \
		--podman-run-args="--ulimit host --label $CTR_ID" "$@" >>"$T_DIR/compose.log" 2>&1
}

compose up -d
ok $? "podman-compose up"
i=0
while [ $i -lt 100 ] && ! [ -e "$P/info/flatview" ]; do sleep 0.1; i=$((i + 1)); done
is "$(awk -v d="$P" '$5 == d { print $(NF - 2) }' /proc/self/mountinfo)" fuse.mtreefs \
	"the daemon service's mount appears on the host"
i=0
while [ $i -lt 100 ] && ! podman logs "${CTR_ID}_tools_1" 2>/dev/null | grep -q '^FlatView'; do
	sleep 0.1; i=$((i + 1))
done
is "$(podman logs "${CTR_ID}_tools_1" 2>&1)" "$(cat "$P/info/flatview")" \
	"the tools sidecar prints the flat view the host reads"
compose down
ok $? "podman-compose down"
is_mounted "$P"
ok "$((! $?))" "the mount is gone from the host"
is "$(errno_as "" stat "$P")" OK "no dead mount is left behind"
is "$(podman ps -aq --filter "label=$CTR_ID" | wc -l)" 0 "down removed both containers"
[ "$T_FAILED" -eq 0 ] || sed 's/^/# /' "$T_DIR/compose.log"
done_testing
