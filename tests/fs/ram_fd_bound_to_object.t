#!/bin/sh
# SPDX-License-Identifier: MIT
#
# An open ram file belongs to the object it was opened on, not to its ID:
# open regions/r1/ram, delete r1 and make a new r1, and the old descriptor
# used to read and write the new region. Now every read, write and seek on
# it fails with ESTALE once its region (or RAM block) is gone, whatever takes
# the name later; a fresh open reaches the new object; an edit that keeps
# the object (unmap, map again) keeps the descriptor working.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
TODO=	# a reason here reports the checks below as TAP TODO items
mount_machine --accel none || { ok 1 "mount"; done_testing; }
is "$(errno_of_write "$MNT/ctl" "ram r1 8K in system at 0x100000000")" OK "ram r1"
python3 - "$MNT" "$TODO" <<'PY'
import errno, os, sys
mnt, todo = sys.argv[1:3]
n = failed = 0

def ok(cond, what):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n + 1, what) +
          (" # TODO " + todo if todo else ""))
    failed += not cond and not todo

def ctl(cmd):
    fd = os.open(mnt + "/ctl", os.O_WRONLY)
    try:
        os.write(fd, (cmd + "\n").encode())
    finally:
        os.close(fd)

def err(f):
    try:
        f()
        return "OK"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))

fd = os.open(mnt + "/regions/r1/ram", os.O_RDWR)
rb = os.open(mnt + "/ramblocks/r1/ram", os.O_RDWR)
os.pwrite(fd, b"old-r1", 0)
ctl("unmap r1")
ctl("map r1 in system at 0x100000000")
ok(os.pread(fd, 6, 0) == b"old-r1", "unmap and map again: the descriptor still reads r1")
ctl("unmap r1")
ctl("delete r1")
ok(err(lambda: os.pread(fd, 6, 0)) == "ESTALE", "r1 deleted: read ESTALE")
ctl("rom r1 8K")
ctl("map r1 in system at 0x100000000")
new = os.open(mnt + "/regions/r1/ram", os.O_RDWR)
os.pwrite(new, b"new-r1", 0)
ok(err(lambda: os.pread(fd, 6, 0)) == "ESTALE", "a new r1: the old descriptor reads ESTALE")
ok(err(lambda: os.pwrite(fd, b"XXXXXX", 0)) == "ESTALE", "and writes ESTALE")
ok(err(lambda: os.lseek(fd, 0, os.SEEK_DATA)) == "ESTALE", "and seeks ESTALE")
ok(err(lambda: os.pread(rb, 6, 0)) == "ESTALE", "the old RAM block's descriptor: ESTALE too")
ok(os.pread(new, 6, 0) == b"new-r1", "the new r1 kept its bytes (nothing written through the old)")
ctl("unmap r1")
ctl("delete r1")
ctl("ram r1 8K")
ok(err(lambda: os.pread(fd, 6, 0)) == "ESTALE", "ESTALE for good, through later r1s")
ok(err(lambda: os.pread(new, 6, 0)) == "ESTALE", "the second r1's descriptor: ESTALE")
for f in (fd, rb, new):
    os.close(f)
sys.exit(1 if failed else 0)
PY
rc=$?
T_N=$((T_N + 9))
[ $rc = 0 ] || T_FAILED=$((T_FAILED + 1))
unmount_machine
check_daemon_log
done_testing
