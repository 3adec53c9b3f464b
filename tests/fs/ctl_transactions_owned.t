#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A begin belongs to the open ctl file that wrote it: other writers' edits
# apply at once and never join it, their commit or abort is EINVAL, closing
# the file (or the writer dying) aborts it with an error_log line, and
# info/transactions shows it while it is open. A script of any size loads
# atomically as begin, script, commit on one open file; a failing line near
# its end leaves the topology unchanged. delete-address-space removes an
# address space, so its root can be deleted. Before, a begin was the whole
# model's: an exited writer's begin swallowed everyone's later edits and a
# third process's abort reverted another writer's unmap.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
need_tool bash
t_tmpdir
mount_machine --accel none || { ok 1 "mount"; done_testing; }

# A writer that opens a batch and exits aborts it; others are unaffected.
nlog=$(wc -l <"$MNT/error_log")
bash -c "echo begin > '$MNT/ctl'"
is "$(cat "$MNT/info/transactions")" "" "an exited writer leaves no transaction open"
is "$(wc -l <"$MNT/error_log")" "$((nlog + 1))" "  error_log gained a line"
grep -q "ctl: begin: line 1: transaction aborted: the file was closed before commit (0 commands dropped) (ECANCELED)" \
	"$MNT/error_log"
ok $? "  naming the aborted begin"
is "$(errno_of_write "$MNT/ctl" 'ram after 4K in system at 0x200000000\n')" OK "a later edit"
grep -q ': after' "$MNT/info/flatview"; ok $? "  applies at once (in the flat view)"

# Writer A holds a batch open; B and C cannot see, commit or abort it.
echo 'ram ua 4K in system at 0x210000000' >"$MNT/ctl"
python3 - "$MNT" "$T_DIR" >"$T_DIR/a.out" 2>&1 <<'PY' &
import os, sys, time
mnt, tdir = sys.argv[1], sys.argv[2]
fd = os.open(mnt + "/ctl", os.O_WRONLY)
os.write(fd, b"begin\nunmap ua\nram ta 4K in system at 0x220000000\n")
open(tdir + "/a.ready", "w").close()
while not os.path.exists(tdir + "/a.go"):
    time.sleep(0.02)
os.write(fd, b"commit\n")
os.close(fd)
open(tdir + "/a.done", "w").close()
PY
apid=$!
i=0
while [ ! -e "$T_DIR/a.ready" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
tx=$(cat "$MNT/info/transactions")
case $tx in
"ctl pid $apid uid $(id -u) since "*" begin-line 1 commands 2 bytes "*) ok 0 "info/transactions shows A's batch" ;;
*) ok 1 "info/transactions shows A's batch"; diag "$tx" ;;
esac
[ -e "$MNT/regions/ua/container" ] && [ ! -e "$MNT/regions/ta" ]
ok $? "A's commands are not applied before its commit"
before=$(cat "$MNT/info/mtree-D")
is "$(errno_of_write "$MNT/ctl" 'commit\n')" EINVAL "B's commit: EINVAL"
is "$(errno_of_write "$MNT/ctl" 'abort\n')" EINVAL "C's abort: EINVAL"
is "$(cat "$MNT/info/mtree-D")" "$before" "  and they changed nothing"
grep -q "ctl: abort: line 1: abort without begin (EINVAL)" "$MNT/error_log"
ok $? "  error_log says why"
is "$(errno_of_write "$MNT/ctl" 'ram tb 4K in system at 0x230000000\n')" OK "B's own edit"
[ -e "$MNT/regions/tb" ]; ok $? "  applies at once, outside A's batch"
touch "$T_DIR/a.go"
wait $apid
[ -e "$T_DIR/a.done" ]; ok $? "A's commit returned"
[ ! -e "$MNT/regions/ua/container" ] && [ -e "$MNT/regions/ta" ]
ok $? "  and applied A's batch"
is "$(cat "$MNT/info/transactions")" "" "info/transactions is empty again"

# A writer killed with a batch open: the batch is dropped.
python3 - "$MNT" "$T_DIR" <<'PY' &
import os, sys, time
fd = os.open(sys.argv[1] + "/ctl", os.O_WRONLY)
os.write(fd, b"begin\nram killed 4K\n")
open(sys.argv[2] + "/k.ready", "w").close()
time.sleep(60)
PY
kpid=$!
i=0
while [ ! -e "$T_DIR/k.ready" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
is "$(wc -l <"$MNT/info/transactions")" "1" "the victim's batch is open"
kill -9 $kpid
wait $kpid 2>/dev/null
i=0
while [ -s "$MNT/info/transactions" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
is "$(cat "$MNT/info/transactions")" "" "killing the writer aborts its batch"
[ ! -e "$MNT/regions/killed" ]; ok $? "  nothing of it applied"

# A 2000-line script loaded atomically through one open file.
python3 - "$T_DIR" <<'PY'
import sys
t = sys.argv[1]
lines = ["container big 1G"]
for i in range(1999):
    lines.append("ram b%d 4K in big at 0x%x prio %d" % (i, i * 0x10000, i % 3))
open(t + "/big.mtree", "w").write("\n".join(lines) + "\n")
bad = lines[:1990] + ["map nosuch in big at 0"] + lines[1990:]
open(t + "/bad.mtree", "w").write("\n".join(b.replace("big", "bad").replace(" b", " d")
                                            for b in bad) + "\n")
PY
is "$(wc -c <"$T_DIR/big.mtree" | awk '{ print ($1 > 40960) }')" 1 "the script crosses many 4 KiB pieces"
before=$(cat "$MNT/info/mtree-D")
nlog=$(wc -l <"$MNT/error_log")
bash -c '{ echo begin; cat "$1"; echo commit; } > "$2/ctl"' _ "$T_DIR/bad.mtree" "$MNT" 2>"$T_DIR/bad.err"
ok $((! $?)) "a script failing near its end: the write of commit fails"
grep -q "write error: No such file or directory" "$T_DIR/bad.err"; ok $? "  with ENOENT"
is "$(cat "$MNT/info/mtree-D")" "$before" "  and the topology is unchanged"
grep -q "ctl: map nosuch in dad at 0: line 1992: unknown region 'nosuch' (ENOENT)" "$MNT/error_log"
ok $? "  error_log names the script's line"
is "$(cat "$MNT/info/transactions")" "" "  no transaction stays open"
bash -c '{ echo begin; cat "$1"; echo commit; } > "$2/ctl"' _ "$T_DIR/big.mtree" "$MNT"
is "$?" "0" "the whole script loads"
is "$(ls "$MNT/regions/big/subregions" | wc -l)" "1999" "  every line applied"

# delete-address-space
echo 'container asroot 64K
address-space side asroot' >"$MNT/ctl"
[ -d "$MNT/address-spaces/side" ]; ok $? "an address space to delete"
is "$(errno_of_write "$MNT/ctl" 'delete asroot\n')" EBUSY "its root cannot be deleted"
is "$(errno_of_write "$MNT/ctl" 'delete-address-space nosuch\n')" ENOENT "unknown space: ENOENT"
is "$(errno_of_write "$MNT/ctl" 'delete-address-space memory\n')" EBUSY "the machine's memory: EBUSY"
is "$(errno_of_write "$MNT/ctl" 'delete-address-space I/O\n')" EBUSY "the machine's I/O: EBUSY"
is "$(errno_of_write "$MNT/ctl" 'delete-address-space side\ndelete asroot\n')" OK \
	"delete the space, then its root"
[ ! -e "$MNT/address-spaces/side" ] && [ ! -e "$MNT/regions/asroot" ]; ok $? "  both are gone"
unmount_machine
check_daemon_log
done_testing
