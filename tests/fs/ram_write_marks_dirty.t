#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Host writes through ram files count as dirty, as QEMU's own writes do: with
# log-dirty on, a write through a region's ram file sets the bits of exactly
# the pages it touched in memslots/N/dirty, in every slot that maps them (the
# RAM region and an alias of it); reading the bitmap clears it; a region that
# is not logging has no dirty file.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
t_tmpdir
S=$T_DIR/dirty.script
cat >"$S" <<'SCRIPT'
container system 16E
ram r 1M in system at 0x100000
alias al r 0x80000 0x80000 in system at 0x400000
ram quiet 64K in system at 0x800000
address-space memory system
SCRIPT
mount_machine --accel none --script "$S" || { ok 1 "mount"; done_testing; }
python3 - "$MNT" "$T_DIR/py.count" <<'PY'
import os, struct, sys
mnt = sys.argv[1]
n = fails = 0
def ok(c, d):
    global n, fails
    n += 1
    print(("ok %d - %s" if c else "not ok %d - %s") % (n, d))
    if not c: fails += 1
def slot_at(gpa):
    for s in os.listdir(os.path.join(mnt, "memslots")):
        if int(open(os.path.join(mnt, "memslots", s, "guest_phys_addr")).read(), 16) == gpa:
            return s
def pages(slot):
    data = open(os.path.join(mnt, "memslots", slot, "dirty"), "rb").read()
    words = struct.unpack("<%dQ" % (len(data) // 8), data)
    return {w * 64 + b for w, v in enumerate(words) for b in range(64) if v >> b & 1}
def pwrite(p, off, data):
    fd = os.open(os.path.join(mnt, p), os.O_WRONLY)
    try: return os.pwrite(fd, data, off)
    finally: os.close(fd)
fd = os.open(os.path.join(mnt, "ctl"), os.O_WRONLY)
ok(os.write(fd, b"set r log-dirty on") > 0, "log-dirty on for r")
os.close(fd)
sr, sa, sq = slot_at(0x100000), slot_at(0x400000), slot_at(0x800000)
ok(sr is not None and sa is not None and sq is not None, "slots for r, its alias and quiet")
pages(sr); pages(sa)                       # start from a clean log
ok(pages(sr) == set(), "a fresh read of the log is empty")
pwrite("regions/r/ram", 0x1ff8, b"x" * 16)          # straddles pages 1 and 2
pwrite("regions/r/ram", 0x80000 + 5 * 4096, b"y")   # page 0x85, inside the alias window
got = pages(sr)
ok(got == {1, 2, 0x85}, "r's slot: exactly the written pages (got %s)" % sorted(got))
got = pages(sa)
ok(got == {5}, "the alias's slot sees the page it maps (got %s)" % sorted(got))
ok(pages(sr) == set(), "reading the log cleared it")
pwrite("address-spaces/memory/ram", 0x400000 + 7 * 4096 + 4095, b"zz")  # pages 7, 8 of the alias
ok(pages(sa) == {7, 8}, "a write through the address space marks the alias slot")
ok(pages(sr) == {0x87, 0x88}, "and the same pages of r's slot")
ok(not os.path.exists(os.path.join(mnt, "memslots", sq, "dirty")), "a slot that is not logging has no dirty file")
open(sys.argv[2], "w").write("%d %d\n" % (n, fails))
PY
read -r T_N T_FAILED <"$T_DIR/py.count" || { T_N=0; T_FAILED=1; }
unmount_machine
check_daemon_log
done_testing
