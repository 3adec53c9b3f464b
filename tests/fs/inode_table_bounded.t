#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The daemon's inode table follows the kernel's lookup counts: a tool that
# keeps walking flatviews/ while edits make new flat views (each a new id,
# so ~2700 new names per walk here) must not grow it without bound. After a
# walk, `echo 2 > /proc/sys/vm/drop_caches` makes the kernel evict its
# inodes and send FORGETs; machine/daemon/inodes must then show the table
# back near its size before the walk, every round (a table that never frees
# grows by a walk's worth of names each round). Also: readdir numbers match
# stat while the listing is open; the numbers of an open directory listing
# are given back when it is closed; open files keep working after their
# inodes were forgotten; a number the kernel forgot is never handed out
# again (tests/fs/inode_numbers_unique.t checks that walk by walk).
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
t_tmpdir
ROUNDS=${INODE_ROUNDS:-6}
NR=300
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

stat_of() { # stat_of FIELD: a count of machine/daemon/inodes
	awk -v k="$1" '$1 == k { print $2 }' "$MNT/machine/daemon/inodes"
}
fv_id() { readlink "$MNT/address-spaces/memory/flatview" | sed 's|.*/||'; }

ROOT=0
[ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/drop_caches ] && ROOT=1
[ $ROOT -eq 1 ] || diag "NOT ROOT: cannot write /proc/sys/vm/drop_caches; the kernel keeps its inodes, so the FORGET checks are SKIPPED"

# Let the kernel send its FORGETs; they arrive asynchronously (and slowly on a
# loaded machine), so wait until the count has stayed the same for five
# samples in a row, at most 10 s.
drop_and_settle() {
	sync
	echo 2 >/proc/sys/vm/drop_caches
	prev=-1 same=0 i=0
	while [ $i -lt 200 ] && [ $same -lt 5 ]; do
		now=$(stat_of live)
		if [ "$now" = "$prev" ]; then same=$((same + 1)); else same=0; fi
		prev=$now
		sleep 0.05; i=$((i + 1))
	done
}

is "$(ls "$MNT/flatviews/$(fv_id)/ranges" | wc -l)" "$NR" "$NR ranges in the flat view"
[ $ROOT -eq 1 ] && drop_and_settle
base=$(stat_of live)
diag "baseline: $(tr '\n' ' ' <"$MNT/machine/daemon/inodes")"
[ "$base" -gt 0 ] && [ "$base" -lt 50 ]
ok $? "baseline table is small ($base)"
base_holds=$(stat_of holds)

# One round: an edit that makes a new flat view, a full walk, then drop caches.
r=1 grew_ok=0 bounded_ok=0 prev_fv=$(fv_id)
while [ $r -le "$ROUNDS" ]; do
	if [ $((r % 2)) -eq 1 ]; then state=off; else state=on; fi
	echo "set r0 enabled $state" >"$MNT/ctl"
	fv=$(fv_id)
	[ "$fv" != "$prev_fv" ] || diag "round $r: flat view id did not change ($fv)"
	prev_fv=$fv
	ls -lR "$MNT/flatviews" >/dev/null 2>"$T_DIR/ls.err"
	after_walk=$(stat_of live)
	[ "$after_walk" -gt $((base + NR)) ] && grew_ok=$((grew_ok + 1))
	is "$(stat_of holds)" "$base_holds" "round $r: closed listings hold no numbers"
	if [ $ROOT -eq 1 ]; then
		drop_and_settle
		after_drop=$(stat_of live)
		diag "round $r: live $after_walk after the walk, $after_drop after drop_caches (free $(stat_of free))"
		[ "$after_drop" -le $((base + 10)) ] && bounded_ok=$((bounded_ok + 1))
	else
		diag "round $r: live $after_walk after the walk"
	fi
	r=$((r + 1))
done
is "$(cat "$T_DIR/ls.err")" "" "ls -lR reported no error"
is "$grew_ok" "$ROUNDS" "every walk looked up more than $NR new names"
if [ $ROOT -eq 1 ]; then
	is "$bounded_ok" "$ROUNDS" "every round the table returned to within 10 of its baseline $base"
	[ "$(stat_of free)" -gt "$NR" ]
	ok $? "forgotten entries were freed (their numbers retired)"
	[ "$(stat_of lookups)" -lt 50 ]
	ok $? "FORGETs gave back the walks' lookups ($(stat_of lookups) left)"
else
	T_N=$((T_N + 1)); echo "ok $T_N # SKIP not root: no drop_caches, no FORGETs to observe"
fi

# A stat agrees with readdir while the listing is open (it holds the numbers
# it reported), and files keep answering for their own objects.
python3 - "$MNT" "$(fv_id)" >"$T_DIR/py.out" 2>&1 <<'PY'
import os, sys
mnt, fv = sys.argv[1], sys.argv[2]
bad = []
d = os.path.join(mnt, "flatviews", fv, "ranges")
with os.scandir(d) as it:
    for e in it:
        st = os.stat(e.path, follow_symlinks=False)
        if st.st_ino != e.inode():
            bad.append("%s: readdir %d, stat %d" % (e.name, e.inode(), st.st_ino))
        with open(os.path.join(e.path, "size")) as f:
            if f.read() != "0x1000\n":
                bad.append("%s/size wrong" % e.name)
for i in range(0, 300, 37):
    p = os.path.join(mnt, "regions", "r%d" % i)
    with open(os.path.join(p, "name")) as f:
        if f.read() != "r%d\n" % i:
            bad.append("regions/r%d/name wrong" % i)
    if os.stat(p).st_ino != os.stat(p).st_ino:
        bad.append("regions/r%d changed number between two stats" % i)
print(len(bad))
for b in bad[:10]:
    print("# " + b)
PY
is "$(head -n 1 "$T_DIR/py.out")" "0" "readdir numbers match stat; files name their own objects"
sed -n '2,$p' "$T_DIR/py.out"

# Open files outlive their inodes: the kernel may not forget an open file's
# inode, but the daemon must not need it — read, write and close after the
# object vanished and caches were dropped.
old=$(fv_id)
rng=$(ls "$MNT/flatviews/$old/ranges" | sed -n 5p)
exec 3<"$MNT/flatviews/$old/ranges/$rng/size" 4>"$MNT/ctl" 5<"$MNT/regions/r7/ram"
echo "set r0 enabled off" >&4
echo "set r0 enabled on" >&4
[ "$(fv_id)" != "$old" ]
ok $? "the flat view of the open file is gone"
[ $ROOT -eq 1 ] && drop_and_settle
# (read(2) only: fstat(2) of a vanished object's file answers ENOENT, as its stat does)
is "$(python3 -c 'import os, sys; sys.stdout.write(os.read(3, 64).decode())')" "0x1000" \
	"an open file of a vanished flat view still reads its snapshot"
echo "set r1 prio 1" >&4
ok $? "an open ctl still takes commands"
is "$(cat "$MNT/regions/r1/prio")" "1" "and they apply"
is "$(python3 -c 'import os; print(len(os.read(5, 4096)))')" "4096" "an open ram file still reads"
exec 3<&- 4>&- 5<&-
[ $ROOT -eq 1 ] && drop_and_settle
[ "$(stat_of live)" -le $((base + 10)) ] || [ $ROOT -eq 0 ]
ok $? "closing them leaves the table at its baseline"
unmount_machine
check_daemon_log
done_testing
