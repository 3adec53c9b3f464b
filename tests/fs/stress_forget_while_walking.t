#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Concurrency of the inode table: walkers stat and read flatviews/ and
# regions/ while an editor makes new flat views and drop_caches makes the
# kernel send FORGETs, so lookups, forgets, listings and freeing race
# on the daemon's threads. A walker may see a vanished object (ENOENT) but
# never ESTALE (a number freed while the kernel still held it) nor a file
# that answers for another object (a number mapped wrongly); after
# the run the table is back near its baseline, and the daemon (also run as
# an ASan and a TSan build through $BUILD) reports nothing.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
[ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/drop_caches ] ||
	skip_all "needs root to write /proc/sys/vm/drop_caches (the kernel sends no FORGETs otherwise)"
t_tmpdir
S=$T_DIR/walk.script
{
	echo "container system 16E"
	echo "container pool 64M in system at 0"
	i=0
	while [ $i -lt 64 ]; do
		echo "ram r$i 4K in pool at $((i * 8192))"
		i=$((i + 1))
	done
	echo "address-space memory system"
} >"$S"
mount_machine --accel none --script "$S" || { ok 1 "mount"; done_testing; }
live() { awk '$1 == "live" { print $2 }' "$MNT/machine/daemon/inodes"; }
settle() {
	echo 2 >/proc/sys/vm/drop_caches
	prev=-1 i=0
	while [ $i -lt 40 ]; do
		now=$(live)
		[ "$now" = "$prev" ] && break
		prev=$now
		sleep 0.05; i=$((i + 1))
	done
}
settle
base=$(live)
python3 - "$MNT" "${STRESS_SECONDS:-3}" "$T_DIR/walk.out" <<'PY'
import errno, os, sys, threading, time
mnt, secs, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
stop = threading.Event()
bad, counts = [], {}
def note(k): counts[k] = counts.get(k, 0) + 1
def check(e, what):
    if e.errno != errno.ENOENT:
        bad.append("%s: %s" % (what, e))
def walk_flatviews():
    while not stop.is_set():
        for root, dirs, files in os.walk(os.path.join(mnt, "flatviews"), onerror=lambda e: check(e, "walk")):
            for f in files:
                try:
                    os.lstat(os.path.join(root, f))
                except OSError as e:
                    check(e, "lstat " + f)
                if f == "size":
                    try:
                        with open(os.path.join(root, f)) as fh:
                            if fh.read() != "0x1000\n": bad.append("%s/size wrong" % root)
                    except OSError as e:
                        check(e, "size")
        note("flatviews")
def read_regions():
    while not stop.is_set():
        for i in range(64):
            try:
                with open(os.path.join(mnt, "regions", "r%d" % i, "name")) as fh:
                    got = fh.read()
                if got != "r%d\n" % i: bad.append("regions/r%d/name says %r" % (i, got))
            except OSError as e:
                bad.append("regions/r%d/name: %s" % (i, e))
        note("regions")
def drop():
    while not stop.is_set():
        with open("/proc/sys/vm/drop_caches", "w") as f: f.write("2\n")
        note("drop")
        time.sleep(0.02)
threads = [threading.Thread(target=walk_flatviews), threading.Thread(target=walk_flatviews),
           threading.Thread(target=read_regions), threading.Thread(target=drop)]
for t in threads: t.start()
fd = os.open(os.path.join(mnt, "ctl"), os.O_WRONLY)
end, n = time.time() + secs, 0
while time.time() < end:
    os.write(fd, ("set r%d enabled %s\n" % (n % 64, "off" if n % 2 == 0 else "on")).encode())
    n += 1
    time.sleep(0.005)
os.close(fd)
stop.set()
for t in threads: t.join()
with open(out, "w") as f:
    f.write("%d\n" % len(bad))
    f.write("# %d edits\n" % n)
    for k, v in sorted(counts.items()): f.write("# %s: %d passes\n" % (k, v))
    for b in bad[:20]: f.write("# %s\n" % b)
PY
ok $? "stress driver ran"
is "$(head -n 1 "$T_DIR/walk.out")" "0" "no walker error but ENOENT, no wrong file"
sed -n '2,$p' "$T_DIR/walk.out"
settle
[ "$(live)" -le $((base + 10)) ]
ok $? "table back near its baseline ($(live) live, baseline $base)"
unmount_machine
check_daemon_log
done_testing
