#!/bin/sh
# SPDX-License-Identifier: MIT
#
# SIGTERM while a long ctl write runs: the run checks between lines whether
# the session is ending, undoes what it applied and answers -EINTR, so the
# daemon exits (status 0, mount gone) within a second instead of after the
# whole write. The write is 1 MiB of alias lines whose cycle check walks a
# container of 10000 regions, seconds of work; before the check, the daemon
# finished it before it stopped.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
t_tmpdir
bound=1
case "$BUILD" in *address*|*thread*|*tsan*|*asan*) bound=5 ;; esac
mount_machine --accel none || { ok 1 "mount"; done_testing; }

python3 - "$MNT" <<'PY'
import sys
setup = "container big 1T\ncontainer holder 1T\n" + "".join(
    "container k%d 4K in big at 0x%x\n" % (i, i * 0x1000) for i in range(10000))
with open(sys.argv[1] + "/ctl", "w") as f:
    f.write(setup)
PY
[ -e "$MNT/regions/k9999" ]; ok $? "a container of 10000 regions"

python3 - "$MNT" "$T_DIR" >"$T_DIR/writer.out" 2>&1 <<'PY' &
import os, sys, time
mnt, tdir = sys.argv[1], sys.argv[2]
lines = b"".join(b"alias a%d big 0 4K in holder at 0x%x\n" % (i, i * 0x1000)
                 for i in range(22000))
fd = os.open(mnt + "/ctl", os.O_WRONLY)
open(tdir + "/writing", "w").close()
try:
    n = os.write(fd, lines)
    print("wrote", n == len(lines))
except OSError as e:
    print("error", e.errno)
PY
wpid=$!
i=0
while [ ! -e "$T_DIR/writing" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.5
t0=$(date +%s%N)
kill -TERM "$T_PID"
i=0
while kill -0 "$T_PID" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.02; i=$((i + 1)); done
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
ok $((ms > bound * 1000)) "the daemon stopped within ${bound}s of SIGTERM (${ms} ms)"
wait "$T_PID"
is "$?" "0" "  with status 0"
T_PID=
is_mounted "$MNT"; ok $((! $?)) "  and no mount is left"
wait "$wpid"
case $(cat "$T_DIR/writer.out") in
"wrote True") ok 1 "the writer's write did not complete" ;;
*) ok 0 "the writer's write did not complete ($(cat "$T_DIR/writer.out"))" ;;
esac
unmount_machine
check_daemon_log
done_testing
