#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Which ram files FUSE passthrough serves, and that they read and write the
# same bytes as the daemon's path: a memfd RAM region is served (its
# regions/ and ramblocks/ files); bytes written through it read back through
# the address space and the other way round; reads stop at its size. Not
# served, and still correct through the daemon: anonymous RAM (no file), a
# file:PATH block whose file is longer than the block (reads would run past
# the file's end), a resizeable block below its maximum (the memfd is sized
# to the maximum), an alias into a block at an offset, an address space, and
# a block whose region logs dirty pages (writes must reach the dirty log),
# and an O_APPEND open (it would write at the memfd's end and grow it).
# MTREEFS_PASSTHROUGH=off turns it off and machine/daemon/passthrough says so.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
[ "$(id -u)" -eq 0 ] || skip_all "FUSE passthrough needs CAP_SYS_ADMIN in the daemon (run as root)"
t_tmpdir
S=$T_DIR/pt.script
head -c 2097152 /dev/zero > "$T_DIR/long"
cat >"$S" <<SCRIPT
container system 16E
ram m 1M backend=memfd in system at 0x100000
ram a 1M in system at 0x400000
ram f 1M backend=file:$T_DIR/long in system at 0x800000
ram rz 1M backend=memfd max=2M in system at 0xc00000
alias al m 0x1000 0x1000 in system at 0x2000000
ram lg 1M backend=memfd in system at 0x3000000
address-space memory system
SCRIPT
mount_machine --accel none --script "$S" || { ok 1 "mount"; done_testing; }
st=$(head -1 "$MNT/machine/daemon/passthrough" 2>/dev/null)
case $st in
"passthrough on") ;;
"passthrough off: "*) skip_all "machine/daemon/passthrough says: $st" ;;
*) ok 1 "machine/daemon/passthrough says on or off (got '$st')"; done_testing ;;
esac
printf 'set lg log-dirty on\n' > "$MNT/ctl" || ok 1 "log-dirty on for lg"
python3 - "$MNT" "$T_DIR/py.count" <<'PY'
import errno, os, sys
mnt = sys.argv[1]
n = fails = 0
def ok(c, d):
    global n, fails
    n += 1
    print(("ok %d - %s" if c else "not ok %d - %s") % (n, d))
    if not c: fails += 1
def served(path):
    fd = os.open(os.path.join(mnt, path), os.O_RDWR)
    st = open(os.path.join(mnt, "machine/daemon/passthrough")).read()
    return fd, "open files 1\n" in st
def aspace(): return os.open(os.path.join(mnt, "address-spaces/memory/ram"), os.O_RDWR)
for path in ("regions/m/ram", "ramblocks/m/ram"):
    fd, on = served(path)
    ok(on, "%s is served by passthrough" % path)
    a = aspace()
    pat = bytes(range(256)) * 64
    ok(os.pwrite(fd, pat, 0x1234) == len(pat), "%s: pwrite of 16 KiB" % path)
    ok(os.pread(a, len(pat), 0x101234) == pat, "%s: the address space reads what it wrote" % path)
    os.pwrite(a, b"daemon" * 100, 0x180000)
    ok(os.pread(fd, 600, 0x80000) == b"daemon" * 100, "%s: it reads what the address space wrote" % path)
    ok(os.pread(fd, 4096, 0x100000) == b"", "%s: nothing at its size (1 MiB)" % path)
    ok(len(os.pread(fd, 8192, 0xff000)) == 4096, "%s: a read across its end stops there" % path)
    ok(os.fstat(fd).st_size == 0x100000, "%s: stat size 1 MiB" % path)
    os.close(a)
    os.close(fd)
for path, why, off in (("regions/a/ram", "anonymous RAM has no file", 8),
                       ("regions/f/ram", "its file is longer than the block", 8),
                       ("regions/rz/ram", "a resizeable block below its maximum", 8),
                       ("regions/al/ram", "an alias at offset 0x1000 of a block", 8),
                       ("address-spaces/memory/ram", "an address space", 0x100008),
                       ("regions/lg/ram", "its region logs dirty pages", 8)):
    fd, on = served(path)
    ok(not on, "%s is not served by passthrough: %s" % (path, why))
    ok(os.pwrite(fd, b"xyz", off) == 3 and os.pread(fd, 3, off) == b"xyz",
       "%s: the daemon's path reads and writes" % path)
    os.close(fd)
fd = os.open(os.path.join(mnt, "regions/m/ram"), os.O_WRONLY | os.O_APPEND)
st = open(os.path.join(mnt, "machine/daemon/passthrough")).read()
ok("open files 0\n" in st, "an O_APPEND open is not served by passthrough (it would grow the memfd)")
try:
    os.write(fd, b"x")
    ok(False, "appending to regions/m/ram fails with ENOSPC")
except OSError as e:
    ok(e.errno == errno.ENOSPC, "appending to regions/m/ram fails with ENOSPC (%s)" % e)
os.close(fd)
open(sys.argv[2], "w").write("%d %d\n" % (n, fails))
PY
read -r pn pf < "$T_DIR/py.count" || { pn=0; pf=1; }
T_N=$((T_N + pn)); T_FAILED=$((T_FAILED + pf))
unmount_machine
export MTREEFS_PASSTHROUGH=off
mount_machine --accel none --script "$S" || { ok 1 "mount"; done_testing; }
unset MTREEFS_PASSTHROUGH
is "$(head -1 "$MNT/machine/daemon/passthrough")" "passthrough off: MTREEFS_PASSTHROUGH=off" \
	"MTREEFS_PASSTHROUGH=off turns it off, and the status says so"
check_daemon_log
done_testing
