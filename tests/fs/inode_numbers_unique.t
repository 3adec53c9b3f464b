#!/bin/sh
# SPDX-License-Identifier: MIT
#
# An inode number stands for one file for the whole life of the daemon. The
# kernel forgets inodes all the time (entry timeouts are 0, so a dentry goes
# as soon as nothing uses it, and drop_caches evicts the rest), and tools
# that remember (st_dev, st_ino) — `ls -R`, `find`, `du`, `tar` — take a
# number seen again under another path for a directory cycle or a hard
# link: `ls -R` said "not listing already-listed directory" when a freed
# number was handed to the next directory it entered. Walks of the whole
# mount, with edits that make new flat views and dropped caches between
# them, must never show one number under two paths; `ls -R` must walk
# without complaint; numbers the kernel forgot must not come back.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
t_tmpdir
NR=64
S=$T_DIR/many.script
{
	echo "container system 16E"
	echo "container pool 64M in system at 0"
	i=0
	while [ $i -lt $NR ]; do
		echo "ram r$i 4K in pool at $((i * 8192))"
		i=$((i + 1))
	done
	echo "address-space memory system"
} >"$S"
mount_machine --accel none --script "$S" || { ok 1 "mount"; done_testing; }

DROP=0
[ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/drop_caches ] && DROP=1
[ $DROP -eq 1 ] || diag "NOT ROOT: no drop_caches; only the kernel's own evictions make it forget"

# `ls -R` of regions/: every region is a directory, entered one after the other.
ls -R "$MNT/regions" >/dev/null 2>"$T_DIR/ls.err"
is "$(head -n 3 "$T_DIR/ls.err")" "" "ls -R regions/ reports no cycle"
ls -R "$MNT" >/dev/null 2>"$T_DIR/ls.err"
is "$(head -n 3 "$T_DIR/ls.err")" "" "ls -R of the whole mount reports no cycle"

python3 - "$MNT" "$DROP" "${INODE_ROUNDS:-4}" >"$T_DIR/py.out" 2>&1 <<'PY'
import os, sys
mnt, drop, rounds = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
owner = {}          # number -> the path it stood for
bad = []
def walk(tag):
    for root, dirs, files in os.walk(mnt):
        for name in dirs + files + ["."]:
            p = os.path.normpath(os.path.join(root, name))
            try:
                ino = os.lstat(p).st_ino
            except FileNotFoundError:
                continue
            was = owner.setdefault(ino, p)
            if was != p:
                bad.append("%s: number %d is %s, and was %s" % (tag, ino, p, was))
def drop_caches():
    if drop:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("2\n")
ctl = os.open(os.path.join(mnt, "ctl"), os.O_WRONLY)
for r in range(rounds):
    walk("round %d" % r)
    # A new flat view: its ranges are new directories that want numbers.
    os.write(ctl, ("set r%d enabled %s\n" % (r, "off")).encode())
    drop_caches()
os.close(ctl)
walk("last")
print(len(bad))
print("# %d numbers seen" % len(owner))
for b in bad[:10]:
    print("# " + b)
PY
is "$(head -n 1 "$T_DIR/py.out")" "0" "no number ever stood for two paths"
sed -n '2,$p' "$T_DIR/py.out"

# The daemon frees what the kernel forgot, but numbers only go up.
first=$(python3 -c 'import os, sys; print(os.lstat(sys.argv[1]).st_ino)' "$MNT/regions/r1")
[ $DROP -eq 1 ] && { sync; echo 2 >/proc/sys/vm/drop_caches; sleep 0.2; }
ls "$MNT/regions" >/dev/null
python3 - "$MNT" "$first" >"$T_DIR/py2.out" 2>&1 <<'PY'
import os, sys
mnt, first = sys.argv[1], int(sys.argv[2])
reused = []
for name in sorted(os.listdir(os.path.join(mnt, "regions"))):
    if name == "r1":
        continue
    p = os.path.join(mnt, "regions", name)
    if os.lstat(p).st_ino == first:
        reused.append(name)
print(",".join(reused))
PY
is "$(cat "$T_DIR/py2.out")" "" "the number regions/r1 had is not another region's"
[ "$(awk '$1 == "free" { print $2 }' "$MNT/machine/daemon/inodes")" -gt 0 ] || [ $DROP -eq 0 ]
ok $? "forgotten entries were freed (machine/daemon/inodes)"
unmount_machine
check_daemon_log
done_testing
