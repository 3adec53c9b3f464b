#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The daemon's own errors: each says what is wrong in one line on stderr and
# exits 2 for a usage error (bad option, bad -m, bad --ram-mode, bad -o,
# bad --accel, bad or relative --ram-backend, no mountpoint) or 1 when the
# machine cannot be built or mounted (missing or non-directory mountpoint,
# busy mountpoint, missing --script). --accel and --ram-backend used to exit
# 1, as a failure to build the machine. Without -f the parent waits for the child: 0 once mounted, 1
# with the child's message when building fails; nothing is left mounted.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
t_tmpdir
M=$T_DIR/m
mkdir "$M"
: >"$T_DIR/file"

# fails WANT_RC PATTERN DESCRIPTION -- ARGS...: run mtreefs ARGS, check status and message
fails() {
	want=$1 pat=$2 desc=$3
	shift 4
	out=$(timeout 20 "$MTREEFS" "$@" 2>&1 >/dev/null)
	rc=$?
	n=$(printf '%s\n' "$out" | grep -c -- "$pat")
	is "$rc:$n" "$want:1" "$desc: exit $want, says '$pat'"
	[ "$n" = 1 ] || diag "stderr: $out"
}
fails 2 'usage: mtreefs MOUNTPOINT' "no mountpoint" --
fails 2 "unrecognized option '--bogus'" "unknown option" -- "$M" --bogus
fails 2 "bad RAM size '12Q'" "bad -m" -- "$M" -m 12Q
fails 2 "bad --ram-mode '0777'" "bad --ram-mode" -- "$M" --ram-mode 0777
fails 2 "bad -o options" "unknown -o option" -- "$M" -o no_such_fuse_option
fails 1 "mountpoint $T_DIR/nope: No such file or directory" "missing mountpoint" -- "$T_DIR/nope"
fails 1 "mountpoint $T_DIR/file is not a directory" "file as mountpoint" -- "$T_DIR/file"
fails 2 "unknown accelerator 'xyz'" "bad --accel" -- "$M" -f --accel xyz
fails 2 "unknown backend 'tape'" "bad --ram-backend" -- "$M" -f --ram-backend tape
fails 2 "backing file 'ram.img' must be an absolute path" "relative --ram-backend file:" -- \
	"$M" -f --ram-backend file:ram.img
fails 1 "$T_DIR/none.mtree: No such file or directory" "missing --script" -- "$M" -f --script "$T_DIR/none.mtree"
fails 2 "unknown backend 'tape'" "bad --ram-backend, daemon mode" -- \
	"$M" --ram-backend tape --accel none
is_mounted "$M"
is $? 1 "nothing is mounted after the failures"

MNT=$M	# unmounted on exit, whatever happens
out=$(timeout 20 "$MTREEFS" "$M" --accel none 2>&1)
is "$?:$out" "0:" "daemon mode: exit 0 and silent once mounted"
is "$(cat "$M/machine/accel" 2>&1)" none "and the mount serves at once"
fails 1 "mountpoint $M is busy" "busy mountpoint" -- "$M" -f --accel none
is "$(cat "$M/machine/accel" 2>&1)" none "the first mount still serves"
is "$(awk -v d="$M" '$5 == d' /proc/self/mountinfo | wc -l)" 1 "one mount only"
fusermount3 -u "$M"
is_mounted "$M"
is $? 1 "fusermount3 -u unmounts the daemon-mode mount"
done_testing
