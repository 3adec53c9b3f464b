#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The kernel cuts one write() into several FUSE requests (bash's echo writes
# 4096-byte pieces; a 1 MiB write from an unaligned buffer is cut at page
# boundaries), and a ctl file assembles lines across them: a line cut in two
# runs whole, once. A final line without newline runs when its writer closes
# the file (not when a forked child closes its copy), and close() reports its
# error (error_log too). Region ctl files follow the same rule. Before lines were assembled, the line straddling
# byte 4096 ran as two broken lines and the write half-applied.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
need_tool bash
t_tmpdir
mount_machine --accel none || { ok 1 "mount"; done_testing; }

# A 5 KB script whose line "container cutx 4096" straddles byte 4096.
S=$(python3 - <<'PY'
out, n, i = [], 0, 0
while True:
    l = "ram r%d 4K" % i
    if n + len(l) + 1 > 4086:
        break
    out.append(l); n += len(l) + 1; i += 1
out.append("#" + "x" * (4086 - n - 2))
out.append("container cutx 4096")
while sum(len(x) + 1 for x in out) < 5000:
    out.append("ram q%d 4K" % i); i += 1
print("\n".join(out))
PY
)
nregions=$(printf '%s\n' "$S" | grep -c '^ram ')
before=$(ls "$MNT/regions" | wc -l)
bash -c 'echo "$1" > "$2/ctl"' _ "$S" "$MNT" 2>"$T_DIR/echo.err"
is "$?" "0" "bash echo of a 5 KB script succeeds"
is "$(cat "$T_DIR/echo.err")" "" "  and prints no write error"
is "$(cat "$MNT/regions/cutx/size" 2>&1)" "0x1000" "  the straddling line ran whole"
is "$(ls "$MNT/regions" | wc -l)" "$((before + nregions + 1))" "  every line applied once"

# One 1 MiB write from an unaligned buffer: every piece boundary inside a line.
echo 'container cut 0x28' >"$MNT/ctl"
nlog=$(wc -l <"$MNT/error_log")
got=$(python3 - "$MNT" <<'PY'
import os, sys
line = b"set cut size 4096\n"
data = bytearray(b"xyz" + line * (1048479 // len(line)))
mv = memoryview(data)[3:]
fd = os.open(sys.argv[1] + "/ctl", os.O_WRONLY)
n = os.write(fd, mv)
os.close(fd)
print("wrote all" if n == len(mv) else "short write %d of %d" % (n, len(mv)))
PY
)
is "$got" "wrote all" "a 1 MiB unaligned write is taken whole"
is "$(cat "$MNT/regions/cut/size")" "0x1000" "  and every line ran whole"
is "$(wc -l <"$MNT/error_log")" "$nlog" "  nothing refused"

# The final line without newline waits for close, and close reports it.
got=$(python3 - "$MNT" <<'PY'
import os, sys
mnt = sys.argv[1]
fd = os.open(mnt + "/ctl", os.O_WRONLY)
os.write(fd, b"ram late 4K")
seen = os.path.exists(mnt + "/regions/late")
os.close(fd)
print(seen, os.path.exists(mnt + "/regions/late"))
fd = os.open(mnt + "/ctl", os.O_WRONLY)
os.write(fd, b"ram ok1 4K\nfrobnicate now")
try:
    os.close(fd)
    print("close ok")
except OSError as e:
    print("close", e.errno)
PY
)
is "$got" "False True
close 22" "a final line runs at close, and close gives its error"
grep -q "ctl: frobnicate now: line 2: unknown command 'frobnicate' (EINVAL)" "$MNT/error_log"
ok $? "  error_log names the final line"
[ -e "$MNT/regions/ok1" ]; ok $? "  the complete line before it applied"

# A forked child closing its copy of the descriptor ends no line of its parent.
got=$(python3 - "$MNT" <<'PY'
import os, sys
fd = os.open(sys.argv[1] + "/ctl", os.O_WRONLY)
os.write(fd, b"ram f1 4K\nram f")
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
os.write(fd, b"2 4K\n")
os.close(fd)
print(os.path.exists(sys.argv[1] + "/regions/f2"))
PY
)
is "$got" "True" "a child's exit mid-line does not cut its parent's line"

# Region ctl files assemble their lines too.
echo 'ram rc 4K' >"$MNT/ctl"
got=$(python3 - "$MNT" <<'PY'
import os, sys
fd = os.open(sys.argv[1] + "/regions/rc/ctl", os.O_WRONLY)
os.write(fd, b"set prio 3\nset ena")
os.write(fd, b"bled off\n")
os.close(fd)
print(open(sys.argv[1] + "/regions/rc/prio").read().strip(),
      open(sys.argv[1] + "/regions/rc/enabled").read().strip())
PY
)
is "$got" "3 0" "regions/ID/ctl joins a line written in two pieces"
unmount_machine
check_daemon_log
done_testing
