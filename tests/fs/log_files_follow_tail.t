#!/bin/sh
# SPDX-License-Identifier: MIT
#
# error_log and machine/console are logs: `tail -f` follows them. A read at
# the end of an open log renders it again and goes on with the lines added
# since; once the log wrapped (64 lines) that read ends the file and the next
# read from the start sees the new log. st_size is the real length (tail
# polls it). Every other generated file stays the snapshot of its open: a
# read at its end after an edit is still the end.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
mount_machine --accel none || exit 1

# tail -f itself, polling fast: the line written after it started shows up.
timeout 5 tail -n 0 -s 0.1 -f "$MNT/error_log" >"$T_DIR/tail" 2>&1 &
tpid=$!
sleep 0.5
echo 'followed-by-tail' >"$MNT/ctl" 2>/dev/null
i=0
while ! grep -q followed-by-tail "$T_DIR/tail" && [ $i -lt 40 ]; do sleep 0.1; i=$((i + 1)); done
kill "$tpid" 2>/dev/null
wait "$tpid" 2>/dev/null
is "$(grep -c followed-by-tail "$T_DIR/tail")" 1 "tail -f error_log shows a new rejection"

out=$(python3 - "$MNT" <<'PY'
import os, sys
m = sys.argv[1]

def bad(cmd):
    fd = os.open(m + "/ctl", os.O_WRONLY)
    try:
        os.write(fd, cmd.encode())
    except OSError:
        pass
    os.close(fd)

log = os.open(m + "/error_log", os.O_RDONLY)
print("open:", os.read(log, 65536).count(b"\n") == 1)
bad("bogus-one\n")
got = os.read(log, 65536).decode()
print("first:", "bogus-one" in got and got.count("\n") == 1)
bad("bogus-two\n")
got = os.read(log, 65536).decode()
print("second:", "bogus-two" in got and "bogus-one" not in got)
print("size:", os.stat(m + "/error_log").st_size == len(open(m + "/error_log", "rb").read()))

mt = os.open(m + "/info/mtree", os.O_RDONLY)
snap = b""
while True:
    b = os.read(mt, 65536)
    if not b:
        break
    snap += b
fd = os.open(m + "/ctl", os.O_WRONLY)
os.write(fd, b"ram grows-x 4K\nmap grows-x in system at 0x70000000\n")
os.close(fd)
print("snapshot:", os.read(mt, 65536) == b"" and b"grows-x" not in snap)
os.close(mt)

for i in range(64):
    bad("wrap-%d\n" % i)
print("wrapped-end:", os.read(log, 65536) == b"")
os.lseek(log, 0, os.SEEK_SET)
got = os.read(log, 1 << 20).decode()
print("wrapped-new:", got.count("\n") == 64 and "wrap-63" in got and "bogus-one" not in got)
os.close(log)
PY
)
for what in open first second size snapshot wrapped-end wrapped-new; do
	line=$(printf '%s\n' "$out" | grep "^$what:")
	is "$line" "$what: True" "error_log $what"
done

is "$(stat -c %s "$MNT/machine/console")" "$(wc -c <"$MNT/machine/console")" \
	"machine/console reports its real size"
check_daemon_log
done_testing
