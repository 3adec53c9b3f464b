#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Guest RAM a mounted QEMU keeps in shared memory (memory-backend-memfd
# share=on as the machine's memory-backend, mtreefs(1) ATTACHING TO QEMU):
# machine/qemu/ranges says its ranges are served from the daemon's shared
# mapping (ROM and anonymous RAM stay copied); 500 reads at random guest
# addresses through address-spaces/memory/ram and block-offset reads of
# ramblocks/m0/ram equal QMP pmemsave; bytes written into QEMU's memory
# after the mount read them show at once (the mapping is QEMU's pages, not
# a copy); a memfd pc-dimm plugged later is mapped at the next refresh and
# reads right, the old mapping staying in use; a read-only open of
# ramblocks/m0/ram is served by FUSE passthrough of QEMU's memfd (when
# machine/daemon/passthrough is on) and reads what pmemsave does;
# --writable-ram writes reach QEMU. A QEMU with anonymous RAM shows every
# range copied.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MTREEFS_TOP/tests/qemu/attach_lib.sh"

cat >"$T_DIR/cmp.py" <<'PY'
# cmp.py TSOCK FILE TMP SEED N LO HI: N random reads of FILE at [LO, HI) vs pmemsave
import json, os, random, socket, sys
tsock, path, tmp, seed, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
lo, hi, base = int(sys.argv[6], 0), int(sys.argv[7], 0), int(sys.argv[8], 0)
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
rnd = random.Random(seed)
fd = os.open(path, os.O_RDONLY)
bad = 0
for i in range(n):
    ln = min(rnd.choice([1, 8, 100, 4096, 5000, 65536, 1 << 20]), hi - lo - 1)
    off = rnd.randrange(lo, hi - ln)
    got = os.pread(fd, ln, off)
    r = cmd('pmemsave', val=base + off, size=ln, filename=tmp + '/pm')
    assert 'error' not in r, r
    if got != open(tmp + '/pm', 'rb').read():
        bad += 1
        if bad < 5: print('# mismatch at %#x len %d: got %d bytes' % (off, ln, len(got)))
print('done %d %d' % (n, bad))
PY

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
qpoke() { # GPA BYTES: write into QEMU's memory behind its back (root)
	python3 -c 'import os,sys; fd=os.open("/proc/%s/mem"%sys.argv[1],os.O_RDWR); os.pwrite(fd,sys.argv[3].encode(),int(sys.argv[2]))' \
		"$QPID" "$(hva_of "$1")" "$2"
}
[ "$(id -u)" = 0 ] || skip_all "opening QEMU's backing file (/proc/PID/map_files) needs root"

start_qemu pc,memory-backend=m0 256M,slots=2,maxmem=1G -S \
	-object memory-backend-memfd,id=m0,size=256M,share=on
ok $? "QEMU starts with memfd RAM"
mount_machine --qemu "$QSOCK"
ok $? "mounted"
grep -q '^0x0000000000100000-0x000000000fffffff hva 0x[0-9a-f]* shared ram m0$' "$MNT/machine/qemu/ranges"
ok $? "ranges: the memfd RAM is served from a shared mapping"
grep -q '^0x00000000fffc0000-.* copied rom pc.bios$' "$MNT/machine/qemu/ranges"
ok $? "ranges: the BIOS (anonymous ROM) is copied"
# a pattern, so the comparison is not all zeros
python3 -c 'import os,sys; fd=os.open("/proc/%s/mem"%sys.argv[1],os.O_RDWR); os.pwrite(fd,os.urandom(4<<20),int(sys.argv[2]))' \
	"$QPID" "$(hva_of 0x1000000)"
python3 "$T_DIR/cmp.py" "$TSOCK" "$MNT/address-spaces/memory/ram" "$T_DIR" 1 300 0x100000 0x10000000 0 >"$T_DIR/out"
sed -n '/^#/p' "$T_DIR/out"
is "$(tail -1 "$T_DIR/out")" "done 300 0" "300 random reads of address-spaces/memory/ram equal pmemsave"
python3 "$T_DIR/cmp.py" "$TSOCK" "$MNT/ramblocks/m0/ram" "$T_DIR" 2 200 0xf00000 0x1600000 0 >"$T_DIR/out"
sed -n '/^#/p' "$T_DIR/out"
is "$(tail -1 "$T_DIR/out")" "done 200 0" "200 random reads of ramblocks/m0/ram equal pmemsave"
blockread "$MNT/address-spaces/memory/ram" $((0xfffc0000)) 262144 >"$T_DIR/a"
pmemsave $((0xfffc0000)) 262144 >"$T_DIR/b"
same_file "$T_DIR/a" "$T_DIR/b" "the BIOS reads through the copying path"
is "$(blockread "$MNT/address-spaces/memory/ram" $((0x3000000)) 12 | od -An -tx1 | tr -d ' \n')" \
	000000000000000000000000 "a page read before QEMU writes it"
qpoke 0x3000000 "coherent now"
is "$(blockread "$MNT/address-spaces/memory/ram" $((0x3000000)) 12)" "coherent now" \
	"bytes QEMU's memory gets show at once in the page read before"

# ramblocks/m0/ram is QEMU's memfd from offset 0, exactly as long: passthrough
if grep -q '^passthrough on' "$MNT/machine/daemon/passthrough"; then
	exec 7<"$MNT/ramblocks/m0/ram"
	grep -q '^open files 1$' "$MNT/machine/daemon/passthrough"
	ok $? "a read-only open of ramblocks/m0/ram is served by passthrough"
	python3 "$T_DIR/cmp.py" "$TSOCK" "/dev/fd/7" "$T_DIR" 4 100 0 0x10000000 0 >"$T_DIR/out"
	is "$(tail -1 "$T_DIR/out")" "done 100 0" "100 random passthrough reads equal pmemsave"
	exec 7<&-
	exec 7<>"$MNT/address-spaces/memory/ram"
	grep -q '^open files 0$' "$MNT/machine/daemon/passthrough"
	ok $? "address-spaces/memory/ram stays with the daemon"
	exec 7<&-
else
	diag "passthrough off: $(cat "$MNT/machine/daemon/passthrough")"
	ok 0 "# SKIP passthrough is off"
	ok 0 "# SKIP passthrough is off"
	ok 0 "# SKIP passthrough is off"
fi

# the guest runs and changes its memory itself (SeaBIOS fills low RAM)
qmp '{"execute":"cont"}'
sleep 1
qmp '{"execute":"stop"}'
python3 "$T_DIR/cmp.py" "$TSOCK" "$MNT/address-spaces/memory/ram" "$T_DIR" 3 100 0 0xa0000 0 >"$T_DIR/out"
is "$(tail -1 "$T_DIR/out")" "done 100 0" "after the guest ran: low RAM equals pmemsave"

# a memfd dimm plugged now: mapped at the next refresh, the old mapping kept
qmp '{"execute":"object-add","arguments":{"qom-type":"memory-backend-memfd","id":"m1","size":134217728,"share":true}}' \
    '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"d1","memdev":"m1"}}'
ok $? "a memfd pc-dimm is plugged"
ls "$MNT/ramblocks" >/dev/null
grep -q '^0x0000000100000000-.* shared ram m1$' "$MNT/machine/qemu/ranges"
ok $? "ranges: the dimm is served from a shared mapping after the refresh"
qpoke 0x100001000 "dimm bytes"
is "$(blockread "$MNT/ramblocks/m1/ram" 4096 10)" "dimm bytes" "ramblocks/m1/ram reads the dimm"
is "$(blockread "$MNT/address-spaces/memory/ram" $((0x3000000)) 12)" "coherent now" \
	"the memfd RAM still reads after the rebuild"
unmount_machine

mount_machine --qemu "$QSOCK" --writable-ram
ok $? "mounted with --writable-ram"
blockread "$MNT/address-spaces/memory/ram" $((0x4000000)) 16 >/dev/null
printf 'written through the mount' | dd of="$MNT/address-spaces/memory/ram" bs=25 seek=$((0x4000000)) \
	oflag=seek_bytes conv=notrunc 2>/dev/null
ok $? "a RAM write succeeds"
is "$(pmemsave $((0x4000000)) 25)" "written through the mount" "pmemsave sees the written bytes"
is "$(blockread "$MNT/address-spaces/memory/ram" $((0x4000000)) 25)" "written through the mount" \
	"and the shared mapping reads them back"
unmount_machine
stop_qemu

start_qemu pc 128M -S
ok $? "QEMU starts with anonymous RAM"
mount_machine --qemu "$QSOCK"
ok $? "mounted"
is "$(grep -c ' shared ' "$MNT/machine/qemu/ranges")" 0 "ranges: anonymous RAM is copied"
unmount_machine
stop_qemu
check_daemon_log
done_testing
