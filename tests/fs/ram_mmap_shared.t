#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mmap(MAP_SHARED) of a passthrough ram file maps the running guest's own
# memory: with pc.ram on a memfd, the firmware's heartbeat (GPA 0x7000, which
# pc.ram holds at offset 0x7000) moves in a mapping of ramblocks/pc.ram/ram
# and of regions/pc.ram/ram; a store through the mapping is read back at
# once through the daemon's path (address-spaces/memory/ram) and the guest
# goes on counting from the stored value; machine/daemon/passthrough counts
# the open file and lets it go at close. Files passthrough cannot serve
# refuse MAP_SHARED with ENODEV instead of mapping a copy: the address space,
# and pc.ram itself when it is anonymous memory. Passthrough needs root
# (CAP_SYS_ADMIN), libfuse 3.17 and Linux 6.9; without them the test skips and
# says which is missing.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
[ -c /dev/kvm ] && [ -w /dev/kvm ] || skip_all "/dev/kvm is missing (the heartbeat needs the guest)"
[ "$(id -u)" -eq 0 ] || skip_all "FUSE passthrough needs CAP_SYS_ADMIN in the daemon (run as root)"
mount_machine --accel kvm -m 64M --ram-backend memfd || { ok 1 "mount"; done_testing; }
st=$(head -1 "$MNT/machine/daemon/passthrough" 2>/dev/null)
case $st in
"passthrough on") ;;
"passthrough off: "*) skip_all "machine/daemon/passthrough says: $st" ;;
*) ok 1 "machine/daemon/passthrough says on or off (got '$st')"; done_testing ;;
esac
python3 - "$MNT" "$T_DIR/py.count" <<'PY'
import errno, mmap, os, struct, sys, time
mnt = sys.argv[1]
n = fails = 0
def ok(c, d):
    global n, fails
    n += 1
    print(("ok %d - %s" if c else "not ok %d - %s") % (n, d))
    if not c: fails += 1
HB = 0x7000
def status():
    return open(os.path.join(mnt, "machine/daemon/passthrough")).read()
def via_daemon():
    fd = os.open(os.path.join(mnt, "address-spaces/memory/ram"), os.O_RDONLY)
    try: return struct.unpack("<Q", os.pread(fd, 8, HB))[0]
    finally: os.close(fd)
def moves(get):
    a = get()
    for _ in range(100):
        time.sleep(0.02)
        if get() != a: return True
    return False
for path in ("ramblocks/pc.ram/ram", "regions/pc.ram/ram"):
    fd = os.open(os.path.join(mnt, path), os.O_RDWR)
    ok("open files 1\n" in status(), "%s: open with passthrough (%s)" % (path, status().split("\n")[1]))
    try:
        m = mmap.mmap(fd, 0x10000, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    except OSError as e:
        ok(False, "%s: mmap(MAP_SHARED) works (%s)" % (path, e))
        os.close(fd)
        continue
    ok(True, "%s: mmap(MAP_SHARED) works" % path)
    hb = lambda: struct.unpack_from("<Q", m, HB)[0]
    ok(moves(hb), "%s: the heartbeat moves in the mapping" % path)
    big = 1 << 40
    struct.pack_into("<Q", m, HB, big)
    seen = via_daemon()
    ok(big <= seen < big + (1 << 20), "%s: a store through the mapping is read back through the daemon (0x%x)" % (path, seen))
    time.sleep(0.1)
    after = hb()
    ok(after > seen and after < big + (1 << 30), "%s: the guest counts on from the stored value (0x%x)" % (path, after))
    p = struct.unpack("<Q", os.pread(fd, 8, HB))[0]
    ok(p >= after, "%s: pread of the same file agrees with the mapping" % path)
    m.close()
    os.close(fd)
    ok("open files 0\nbacking files 0\n" in status(), "%s: closed, the backing file is let go" % path)
fd = os.open(os.path.join(mnt, "address-spaces/memory/ram"), os.O_RDWR)
try:
    mmap.mmap(fd, 0x10000, mmap.MAP_SHARED)
    ok(False, "address-spaces/memory/ram: MAP_SHARED is refused")
except OSError as e:
    ok(e.errno == errno.ENODEV, "address-spaces/memory/ram: MAP_SHARED is refused with ENODEV (%s)" % e)
os.close(fd)
open(sys.argv[2], "w").write("%d %d\n" % (n, fails))
PY
read -r pn pf < "$T_DIR/py.count" || { pn=0; pf=1; }
T_N=$((T_N + pn)); T_FAILED=$((T_FAILED + pf))
unmount_machine
mount_machine --accel kvm -m 64M --ram-backend anon || { ok 1 "mount"; done_testing; }
python3 - "$MNT" <<'PY' > "$T_DIR/anon.out"
import errno, mmap, os, sys
fd = os.open(os.path.join(sys.argv[1], "ramblocks/pc.ram/ram"), os.O_RDWR)
try:
    mmap.mmap(fd, 0x10000, mmap.MAP_SHARED)
    print("mapped")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
PY
is "$(cat "$T_DIR/anon.out")" ENODEV "anonymous pc.ram: MAP_SHARED is refused with ENODEV, not a frozen copy"
check_daemon_log
done_testing
