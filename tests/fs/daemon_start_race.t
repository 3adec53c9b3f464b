#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Two daemons started at the same instant on one mountpoint: exactly one
# mounts (exit 0) and the other is refused as busy (exit 1), as it is when
# started later; a daemon started right after the unmount mounts again.
# Several rounds, because the race used to be won by both most of the time.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
t_tmpdir
M=$T_DIR/m
mkdir "$M"
MNT=$M	# unmounted on exit, whatever happens

for round in 1 2 3 4; do
	timeout 30 "$MTREEFS" "$M" --accel none 2>"$T_DIR/a.err" &
	a=$!
	timeout 30 "$MTREEFS" "$M" --accel none 2>"$T_DIR/b.err" &
	b=$!
	wait $a; ra=$?
	wait $b; rb=$?
	is "$(printf '%s\n' "$ra" "$rb" | sort | tr '\n' ' ')" "0 1 " \
		"round $round: one daemon mounts, the other exits 1"
	n=$(awk -v d="$M" '$5 == d' /proc/self/mountinfo | wc -l)
	is "$n" 1 "round $round: one mount only"
	is "$(cat "$T_DIR/a.err" "$T_DIR/b.err" | grep -c "mountpoint $M is busy")" 1 \
		"round $round: the loser says the mountpoint is busy"
	is "$(timeout 10 cat "$M/machine/accel" 2>&1)" none "round $round: the winner serves"
	while is_mounted "$M"; do fusermount3 -u "$M" 2>/dev/null || break; done
done
timeout 30 "$MTREEFS" "$M" --accel none
is "$?" 0 "a daemon started right after an unmount mounts"
fusermount3 -u "$M"
done_testing
