#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A name= with C1 controls (U+0085 NEL, U+009B CSI) and the Unicode line and
# paragraph separators (U+2028, U+2029) used to reach info/mtree, info/mtree-D,
# info/flatview, info/ramblock and error_log raw, so Python's splitlines()
# (and a terminal) saw forged lines. They are printed with the rule of
# mtreefs(1): \xNN for each byte; the directory name uses %XX the same way.
# No file splits into more lines than it has newlines.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
mount_machine --accel none || { ok 1 "mount"; done_testing; }
NAME=$(printf 'a\302\205b\342\200\250c\302\233d\342\200\251e\302\200f\302\237g')
WANT='a\xc2\x85b\xe2\x80\xa8c\xc2\x9bd\xe2\x80\xa9e\xc2\x80f\xc2\x9fg'
is "$(errno_of_write "$MNT/ctl" "ram r1 4K name=\"$NAME\" in system at 0x100000000")" OK \
	"a region named with C1 controls and separators"
is "$(errno_of_write "$MNT/ctl" "ram r1 4K name=\"$NAME\"")" EEXIST "the same ID again is refused"

# lines FILE: 0 when splitlines() finds no more lines than split('\n')
lines() {
	python3 -c 'import sys
t = open(sys.argv[1], "rb").read().decode("utf-8", "surrogateescape")
n = t.count("\n") + (0 if t.endswith("\n") or not t else 1)
sys.exit(0 if len(t.splitlines()) == n else 1)' "$1"
}
for f in mtree mtree-D flatview ramblock; do
	n=$(grep -c -F -- "$WANT" "$MNT/info/$f")
	ok "$([ "$n" -ge 1 ]; echo $?)" "info/$f prints the name escaped"
	lines "$MNT/info/$f"
	ok $? "info/$f: splitlines() sees no forged line"
done
ok "$([ -d "$MNT/regions/r1" ] && ls "$MNT/ramblocks" |
	grep -qx 'a%C2%85b%E2%80%A8c%C2%9Bd%E2%80%A9e%C2%80f%C2%9Fg'; echo $?)" \
	"ramblocks/ lists the name with %XX"
# error_log follows the same rule (fs/errlog.c put_clean()).
lines "$MNT/error_log"
ok $? "error_log: splitlines() sees no forged line"
n=$(grep -c -F -- "$WANT" "$MNT/error_log")
ok "$([ "${n:-0}" -ge 1 ]; echo $?)" "error_log prints the name escaped"
unmount_machine
check_daemon_log
done_testing
