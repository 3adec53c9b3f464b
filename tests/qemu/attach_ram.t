#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Guest RAM of a mounted QEMU read in place (mtreefs(1), ATTACHING TO QEMU):
# on a stopped guest (pc with -S and a 128 MiB pc-dimm above 4 GiB; q35
# after SeaBIOS ran) 1000 reads at random guest addresses and lengths (RAM,
# ROM, above 4G, across range boundaries) through address-spaces/memory/ram,
# and reads of regions/*/ram and ramblocks/*/ram at block offsets, equal
# QMP pmemsave of the same bytes; a hole fails with EIO, a read running into
# one stops short. On a running guest, bytes the test writes into QEMU's
# memory (/proc/PID/mem, as root) show up in the ram file. Writes are
# refused (EROFS, error_log) unless --writable-ram, which then writes RAM
# (seen by pmemsave) and still refuses ROM.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MTREEFS_TOP/tests/qemu/attach_lib.sh"

cat >"$T_DIR/cmp.py" <<'PY'
# cmp.py TSOCK MNT TMP SEED: random reads vs pmemsave; prints mismatches, then "done N"
import json, os, random, socket, sys
tsock, mnt, tmp, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.socket(socket.AF_UNIX); s.connect(tsock); f = s.makefile('rwb')
def recv():
    while True:
        m = json.loads(f.readline())
        if 'event' not in m:
            return m
def cmd(c, **a):
    f.write(json.dumps({'execute': c, 'arguments': a}).encode() + b'\n'); f.flush()
    return recv()
recv(); cmd('qmp_capabilities')
def pmem(gpa, n):
    r = cmd('pmemsave', val=gpa, size=n, filename=tmp + '/pm')
    assert 'error' not in r, r
    return open(tmp + '/pm', 'rb').read()
ranges = []
for line in open(mnt + '/machine/qemu/ranges'):
    a, b = line.split()[0].split('-')
    ranges.append((int(a, 16), int(b, 16) + 1, line.split()[-1]))
rnd = random.Random(seed)
fd = os.open(mnt + '/address-spaces/memory/ram', os.O_RDONLY)
bad = n = 0
for i in range(1000):
    a, b, name = rnd.choice(ranges)
    ln = rnd.choice([1, 8, 100, 4096, 5000, 65536])
    if i % 4 == 0:          # end near the range's end: crosses into a neighbour when there is one
        end = b + (ln // 2 if any(r[0] == b for r in ranges) else 0)
        gpa = max(a, end - ln)
    else:
        gpa = rnd.randrange(a, b)
        while not any(r[0] <= gpa + ln - 1 < r[1] for r in ranges) or \
              any(r[1] <= gpa + ln - 1 and r[1] > gpa and not any(q[0] == r[1] for q in ranges) for r in ranges):
            ln = max(1, ln // 2)
            if ln == 1: break
    got = os.pread(fd, ln, gpa)
    want = pmem(gpa, ln)
    n += 1
    if got != want:
        bad += 1
        if bad < 5: print('# mismatch at %#x len %d (%s): got %d bytes' % (gpa, ln, name, len(got)))
print('done %d %d' % (n, bad))
PY

# blockread FILE OFF LEN: bytes of a ram file, to stdout
blockread() { python3 -c 'import os,sys; fd=os.open(sys.argv[1],os.O_RDONLY); sys.stdout.buffer.write(os.pread(fd,int(sys.argv[3]),int(sys.argv[2])))' "$@"; }
pmemsave() { # GPA LEN
	qmp "{\"execute\":\"pmemsave\",\"arguments\":{\"val\":$1,\"size\":$2,\"filename\":\"$T_DIR/pm\"}}" &&
		cat "$T_DIR/pm"
}
hva_of() { # GPA: QEMU's host address from machine/qemu/ranges
	python3 - "$MNT/machine/qemu/ranges" "$1" <<'PY'
import sys
g = int(sys.argv[2], 0)
for l in open(sys.argv[1]):
    a, b = [int(x, 16) for x in l.split()[0].split('-')]
    if a <= g <= b: print(int(l.split()[2], 16) + g - a)
PY
}

# ---- pc, -S, a pc-dimm above 4G ----
start_qemu pc 128M,slots=2,maxmem=1G -S
ok $? "pc: QEMU starts"
qmp '{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m1","size":134217728}}' \
    '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"d1","memdev":"m1"}}'
ok $? "pc: a pc-dimm is plugged"
mount_machine --qemu "$QSOCK"
ok $? "pc: mounted"
grep -q '^0x0000000100000000-.* ram m1$' "$MNT/machine/qemu/ranges"
ok $? "pc: the dimm's RAM sits above 4G"
# fill some RAM with a pattern through QEMU's memory so the comparison is not all zeros
for g in 0x100000 0x7fff000 0x100000000 0x107fff000; do
	h=$(hva_of $g)
	python3 -c 'import os,sys; fd=os.open("/proc/%s/mem"%sys.argv[1],os.O_RDWR); os.pwrite(fd,os.urandom(8192)[:int(sys.argv[3])],int(sys.argv[2]))' \
		"$QPID" "$h" 4096
done
python3 "$T_DIR/cmp.py" "$TSOCK" "$MNT" "$T_DIR" 1 >"$T_DIR/out"
sed -n '/^#/p' "$T_DIR/out"
is "$(tail -1 "$T_DIR/out")" "done 1000 0" "pc: 1000 random reads equal pmemsave of the same bytes"
blockread "$MNT/regions/pc.ram/ram" $((0x7fff000)) 4096 >"$T_DIR/a"
pmemsave $((0x7fff000)) 4096 >"$T_DIR/b"
same_file "$T_DIR/a" "$T_DIR/b" "pc: regions/pc.ram/ram at a block offset"
blockread "$MNT/ramblocks/m1/ram" $((0x7fff000)) 4096 >"$T_DIR/a"
pmemsave $((0x107fff000)) 4096 >"$T_DIR/b"
same_file "$T_DIR/a" "$T_DIR/b" "pc: ramblocks/m1/ram is the dimm's memory above 4G"
blockread "$MNT/regions/pc.bios/ram" 0 262144 >"$T_DIR/a"
pmemsave $((0xfffc0000)) 262144 >"$T_DIR/b"
same_file "$T_DIR/a" "$T_DIR/b" "pc: regions/pc.bios/ram is the BIOS QEMU maps below 4G"
python3 -c 'import os,sys,errno
fd=os.open(sys.argv[1],os.O_RDONLY)
try: os.pread(fd,16,0xa0000000); print("OK")
except OSError as e: print(errno.errorcode[e.errno])' "$MNT/address-spaces/memory/ram" >"$T_DIR/out"
is "$(cat "$T_DIR/out")" EIO "pc: a hole reads as EIO"
n=$(python3 -c 'import os,sys; fd=os.open(sys.argv[1],os.O_RDONLY); print(len(os.pread(fd,8192,0x8000000-4096)))' "$MNT/address-spaces/memory/ram")
is "$n" 4096 "pc: a read running into a hole stops short"
is "$(errno_of_write "$MNT/address-spaces/memory/ram" x)" EROFS "pc: ram writes are refused without --writable-ram"
grep -q 'read-only unless mounted with --writable-ram' "$MNT/error_log"
ok $? "pc: error_log says why"

# ---- the guest runs; the test writes QEMU's memory, the mount shows it ----
qmp '{"execute":"cont"}'
h=$(hva_of 0x6000000)
python3 -c 'import os,sys; fd=os.open("/proc/%s/mem"%sys.argv[1],os.O_RDWR); os.pwrite(fd,b"mtreefs sees this",int(sys.argv[2]))' "$QPID" "$h"
is "$(blockread "$MNT/address-spaces/memory/ram" $((0x6000000)) 17)" "mtreefs sees this" \
	"pc, running: bytes written into QEMU's memory show in the ram file"
unmount_machine

mount_machine --qemu "$QSOCK" --writable-ram
ok $? "pc: mounted with --writable-ram"
printf 'written through the mount' | dd of="$MNT/address-spaces/memory/ram" bs=25 seek=$((0x6001000)) \
	oflag=seek_bytes conv=notrunc 2>/dev/null
ok $? "pc: a RAM write succeeds"
qmp '{"execute":"stop"}'
is "$(pmemsave $((0x6001000)) 25)" "written through the mount" "pc: pmemsave sees the written bytes"
python3 -c 'import os,sys,errno
fd=os.open(sys.argv[1],os.O_WRONLY)
try: os.pwrite(fd,b"x",0xfffc0000); print("OK")
except OSError as e: print(errno.errorcode[e.errno])' "$MNT/address-spaces/memory/ram" >"$T_DIR/out"
is "$(cat "$T_DIR/out")" EROFS "pc: ROM stays read-only"
unmount_machine
stop_qemu

# ---- q35 after SeaBIOS ----
start_qemu q35 128M
ok $? "q35: QEMU starts"
sleep 2
qmp '{"execute":"stop"}'
mount_machine --qemu "$QSOCK"
ok $? "q35: mounted after SeaBIOS ran"
python3 "$T_DIR/cmp.py" "$TSOCK" "$MNT" "$T_DIR" 2 >"$T_DIR/out"
sed -n '/^#/p' "$T_DIR/out"
is "$(tail -1 "$T_DIR/out")" "done 1000 0" "q35: 1000 random reads equal pmemsave of the same bytes"
unmount_machine
stop_qemu
check_daemon_log
done_testing
