#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Concurrency: several readers (ram of the address space, info/flatview,
# ls -R, region attribute files) run while an editor applies thousands of
# random edits through ctl. No reader may see an error other than the ones a
# vanished region or an io/hole read gives, the editor's valid edits must all
# apply, and the daemon (also run as an ASan and a TSan build through $BUILD)
# must report nothing.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
t_tmpdir
S=$T_DIR/stress.script
cat >"$S" <<'SCRIPT'
container system 16E
ram ram0 8M in system at 0
container pool 64M in system at 0x10000000
address-space memory system
SCRIPT
mount_machine --accel none --script "$S" || { ok 1 "mount"; done_testing; }
EDITS=${STRESS_EDITS:-2000}
python3 - "$MNT" "$EDITS" "$T_DIR/stress.out" <<'PY'
import errno, os, random, sys, threading
mnt, edits, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
stop = threading.Event()
bad = []
counts = {}
def note(name):
    counts[name] = counts.get(name, 0) + 1
def reader_ram():
    while not stop.is_set():
        fd = os.open(os.path.join(mnt, "address-spaces/memory/ram"), os.O_RDONLY)
        try:
            off = 0
            while off < 0x800000:
                b = os.pread(fd, 1 << 20, off)
                if not b: break
                off += len(b)
            note("ram")
        except OSError as e:
            bad.append("ram: %s" % e)
        finally:
            os.close(fd)
def reader_file(rel):
    while not stop.is_set():
        try:
            with open(os.path.join(mnt, rel), "rb") as f:
                data = f.read()
            if not data.startswith(b"FlatView"): bad.append("flatview: bad start")
            note(rel)
        except OSError as e:
            bad.append("%s: %s" % (rel, e))
def reader_walk():
    while not stop.is_set():
        for root, dirs, files in os.walk(os.path.join(mnt, "regions")):
            for f in files:
                try:
                    with open(os.path.join(root, f), "rb") as fh:
                        if f != "ctl" and f != "ram": fh.read()
                except OSError as e:
                    if e.errno not in (errno.ENOENT, errno.EACCES):
                        bad.append("walk %s: %s" % (f, e))
        note("walk")
rnd = random.Random(1)
threads = [threading.Thread(target=reader_ram), threading.Thread(target=reader_ram),
           threading.Thread(target=reader_file, args=("info/flatview",)),
           threading.Thread(target=reader_walk)]
for t in threads: t.start()
live = {}
applied = rejected = 0
fd = os.open(os.path.join(mnt, "ctl"), os.O_WRONLY)
for i in range(edits):
    op = rnd.random()
    if op < 0.4 or not live:
        rid = "s%d" % i
        cmd = "ram %s 64K in pool at %d prio %d" % (rid, rnd.randrange(0, 1024) * 0x10000, rnd.randrange(-2, 3))
        live[rid] = True
    elif op < 0.7:
        rid = rnd.choice(list(live))
        cmd = rnd.choice(["set %s prio %d" % (rid, rnd.randrange(-2, 3)),
                          "set %s addr %d" % (rid, rnd.randrange(0, 1024) * 0x10000),
                          "set %s enabled %s" % (rid, rnd.choice(["on", "off"]))])
    else:
        rid = rnd.choice(list(live))
        cmd = "unmap %s\ndelete %s" % (rid, rid)
        del live[rid]
    try:
        os.write(fd, (cmd + "\n").encode())
        applied += 1
    except OSError as e:
        rejected += 1
        bad.append("edit %r: %s" % (cmd, e))
os.close(fd)
stop.set()
for t in threads: t.join()
with open(out, "w") as f:
    f.write("%d %d %d\n" % (applied, rejected, len(live)))
    for k, v in sorted(counts.items()): f.write("# reader %s: %d passes\n" % (k, v))
    for b in bad[:20]: f.write("# %s\n" % b)
    f.write("%d\n" % len(bad))
PY
ok $? "stress driver ran"
read -r applied rejected nlive <"$T_DIR/stress.out"
is "$applied" "$EDITS" "all $EDITS edits applied"
is "$rejected" "0" "no edit rejected"
is "$(tail -n 1 "$T_DIR/stress.out")" "0" "no reader error"
sed -n '/^#/p' "$T_DIR/stress.out"
is "$(ls "$MNT/regions/pool/subregions" | wc -l)" "$nlive" "pool holds exactly the live regions"
unmount_machine
check_daemon_log
done_testing
