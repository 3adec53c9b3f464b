#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A RAM block backed by a file on the daemon's own mount would make the
# daemon wait on itself (a request thread opening a file it must serve,
# under the topology lock): every access hung and not even SIGKILL helped.
# Such a backing file is refused with EDEADLK and an error_log line, however
# the path reaches the mount (directly, through "..", through a symlink),
# and a relative path is refused too (the daemon's working directory is
# "/"); the mount keeps serving and a backing file elsewhere still works.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
mount_machine --accel none || { ok 1 "mount"; done_testing; }
ln -s "$MNT" "$T_DIR/link"
base=$(basename "$MNT")

refused() { # refused PATH WANT_ERRNO WANT_LOG DESCRIPTION
	got=$(timeout 10 sh -c '. "$MTREEFS_TOP/tests/lib.sh"; errno_of_write "$1" "$2"' _ \
		"$MNT/ctl" "ram rec 4K backend=file:$1")
	[ "$got" = EDEADLOCK ] && got=EDEADLK	# Python's name for the same number
	is "$got" "$2" "$4: $2"
	n=$(timeout 10 grep -c -F -- "$3" "$MNT/error_log")
	ok "$([ "${n:-0}" -ge 1 ]; echo $?)" "$4: error_log says '$3'"
}
refused "$MNT/regions/pc.ram/ram" EDEADLK "is on this daemon's own mount" "a ram file of the mount"
refused "$T_DIR/link/regions/x" EDEADLK "backing file $T_DIR/link/regions/x is on" \
	"through a symlink to the mount"
refused "$MNT/../$base/y" EDEADLK "backing file $MNT/../$base/y is on" "through .."
refused "$MNT" EDEADLK "backing file $MNT is on" "the mountpoint itself"
refused "rel/f" EINVAL "backing file 'rel/f' must be an absolute path" "a relative path"
ok "$([ ! -e /rel/f ]; echo $?)" "no file was made under /"
is "$(timeout 10 cat "$MNT/machine/accel")" none "the mount still serves"
is "$(timeout 10 sh -c '. "$MTREEFS_TOP/tests/lib.sh"; errno_of_write "$1" "$2"' _ \
	"$MNT/ctl" "ram rec 4K backend=file:$T_DIR/ok.img")" OK "a backing file elsewhere works"
ok "$([ -d "$MNT/regions/rec" ]; echo $?)" "and its region is there"
unmount_machine
check_daemon_log
done_testing
