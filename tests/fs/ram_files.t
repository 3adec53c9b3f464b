#!/bin/sh
# SPDX-License-Identifier: MIT
#
# ram files: bytes written through one view (region, alias, address space,
# flat range, RAM block) read back through every other; ROM is writable by
# the host; a read stops short at an io range or hole and then fails with
# EIO there (no device callback runs); SEEK_DATA/SEEK_HOLE skip io and holes;
# sizes are real; whole files copy with cat.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
t_tmpdir
S=$T_DIR/ram.script
cat >"$S" <<'SCRIPT'
container system 16E
rom bios 64K in system at 0xf0000
ram r 1M in system at 0x100000
io dev 4K device=unassigned in system at 0x200000
alias al r 0x80000 0x80000 in system at 0x400000
container sub 1M in system at 0x800000
ram inner 64K in sub at 0x10000
address-space memory system
SCRIPT
mount_machine --accel none --script "$S" || { ok 1 "mount"; done_testing; }
fv=$(readlink "$MNT/address-spaces/memory/flatview" | sed 's|.*/||')
python3 - "$MNT" "$fv" "$T_DIR/py.count" <<'PY'
import errno, os, sys
mnt, fv = sys.argv[1], sys.argv[2]
n = 0
fails = 0
def ok(c, d):
    global n, fails
    n += 1
    print(("ok %d - %s" if c else "not ok %d - %s") % (n, d))
    if not c: fails += 1
def pread(p, off, ln):
    fd = os.open(os.path.join(mnt, p), os.O_RDONLY)
    try: return os.pread(fd, ln, off)
    finally: os.close(fd)
def pwrite(p, off, data):
    fd = os.open(os.path.join(mnt, p), os.O_WRONLY)
    try: return os.pwrite(fd, data, off)
    finally: os.close(fd)
def err_of(f, *a):
    try: f(*a); return "OK"
    except OSError as e: return errno.errorcode[e.errno]
AS = "address-spaces/memory/ram"
pat = bytes((i * 7 + 3) & 0xff for i in range(8192))
ok(pwrite("regions/r/ram", 0x1000, pat) == len(pat), "write 8K through regions/r/ram")
ok(pread(AS, 0x101000, 8192) == pat, "read back through the address space")
ok(pread("ramblocks/r/ram", 0x1000, 8192) == pat, "read back through the RAM block")
ok(pread("flatviews/%s/ranges/0000000000100000-00000000001fffff/ram" % fv, 0x1000, 8192) == pat,
   "read back through the flat range")
pat2 = bytes(range(256)) * 16
ok(pwrite(AS, 0x400000 + 0x100, pat2) == len(pat2), "write through the alias window of the AS")
ok(pread("regions/al/ram", 0x100, 4096) == pat2, "read back through the alias region")
ok(pread("regions/r/ram", 0x80100, 4096) == pat2, "alias window lands at its offset in the target")
ok(pwrite("regions/bios/ram", 0xfff0, b"\xea\x5b\xe0") == 3, "host writes ROM")
ok(pread(AS, 0xffff0, 3) == b"\xea\x5b\xe0", "ROM bytes visible in the address space")
pat3 = b"inner!" * 100
pwrite("regions/inner/ram", 0, pat3)
ok(pread("regions/sub/ram", 0x10000, len(pat3)) == pat3, "container ram reads its subregions")
ok(pread(AS, 0x810000, len(pat3)) == pat3, "nested container at its guest address")
ok(len(pread(AS, 0x1ff000, 0x2000)) == 0x1000, "read stops short at an io range")
ok(err_of(pread, AS, 0x200000, 16) == "EIO", "read at an io range is EIO")
ok(err_of(pread, AS, 0x300000, 16) == "EIO", "read in a hole is EIO")
ok(err_of(pwrite, AS, 0x300000, b"x") == "EIO", "write in a hole is EIO")
ok(err_of(pread, "regions/dev/ram", 0, 4) == "EIO", "io region ram is EIO")
fd = os.open(os.path.join(mnt, AS), os.O_RDONLY)
def seek(off, wh):
    try: return os.lseek(fd, off, wh)
    except OSError as e: return errno.errorcode[e.errno]
ok(seek(0, os.SEEK_DATA) == 0xf0000, "SEEK_DATA skips the leading hole")
ok(seek(0xf0000, os.SEEK_HOLE) == 0x200000, "SEEK_HOLE finds the io range after bios+r")
ok(seek(0x200000, os.SEEK_DATA) == 0x400000, "SEEK_DATA skips io and holes")
ok(seek(0x880000, os.SEEK_DATA) == "ENXIO", "SEEK_DATA past the last data is ENXIO")
ok(os.fstat(fd).st_size == 0x820000, "address space ram size is the end of its last range")
os.close(fd)
ok(os.stat(os.path.join(mnt, "regions/al/ram")).st_size == 0x80000, "alias ram size")
big = pread("regions/r/ram", 0, 1 << 20)
ok(len(big) == 1 << 20, "a 1 MiB read returns 1 MiB")
open(sys.argv[3], "w").write("%d %d\n" % (n, fails))
PY
read -r T_N T_FAILED <"$T_DIR/py.count" || { T_N=0; T_FAILED=1; }
cmp -s "$MNT/regions/r/ram" "$MNT/ramblocks/r/ram"; ok $? "cat-style copies of two views agree"
is "$(cat "$MNT/regions/r/ram" | wc -c)" "1048576" "cat reads the whole region"
unmount_machine
check_daemon_log
done_testing
