#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Writes to ctl files: a table of valid and invalid commands with the errno
# each write() must give; after every rejection info/mtree-D is unchanged
# and error_log gained a line naming the reason. Region ctl files imply their
# region, attribute files are sugar for `set`, a multi-line write is one
# transaction, and a random script applied through ctl gives the same
# info/flatview as mtree render of that script.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
[ -x "$MTREE" ] || skip_all "$MTREE is not built"
t_tmpdir
S=$T_DIR/base.script
cat >"$S" <<'SCRIPT'
container system 16E
ram ram0 16M in system at 0
alias a0 ram0 0 1M in system at 0x10000000
container c1 1M
address-space memory system
SCRIPT
mount_machine --accel none --script "$S" || { ok 1 "mount"; done_testing; }

while IFS='|' read -r file cmd want; do
	[ -n "$file" ] || continue
	before=$(cat "$MNT/info/mtree-D")
	nlog=$(wc -l <"$MNT/error_log")
	# ctl files run a line once its newline came (ctl_split_writes.t)
	case $file in *ctl) cmd="$cmd\\n" ;; esac
	got=$(errno_of_write "$MNT/$file" "$cmd")
	is "$got" "$want" "$file: '$cmd' -> $want"
	if [ "$want" != OK ]; then
		is "$(cat "$MNT/info/mtree-D")" "$before" "  topology unchanged after '$cmd'"
		is "$(wc -l <"$MNT/error_log")" "$((nlog + 1))" "  error_log gained a line"
	fi
done <<'TABLE'
ctl|frobnicate x|EINVAL
ctl|ram r1 4K in nosuch at 0|ENOENT
ctl|ram ram0 4K|EEXIST
ctl|map a0 in system at 0|EBUSY
ctl|delete ram0|EBUSY
ctl|alias loop c1 0 4K in c1 at 0|ELOOP
ctl|alias big ram0 0 32M|EINVAL
ctl|map c1 in system at 0xfffffffffffff000|ERANGE
ctl|set nosuch prio 3|ENOENT
ctl|ram r2 4K in system at 0x20000000\nfrobnicate|EINVAL
ctl|ram r3 4K in system at 0x20000000|OK
regions/system/ctl|ram r4 4K at 0x20001000|OK
regions/r4/ctl|set prio 7|OK
regions/r4/ctl|delete|EBUSY
regions/r4/prio|notanumber|EINVAL
regions/r4/prio|3|OK
regions/r4/enabled|0|OK
regions/r4/addr|0x20002000|OK
TABLE
is "$(cat "$MNT/regions/r4/prio") $(cat "$MNT/regions/r4/enabled") $(cat "$MNT/regions/r4/addr")" \
   "3 0 0x20002000" "attribute writes applied"
[ ! -e "$MNT/regions/r2" ]; ok $? "a failed multi-line write applied none of its lines"
grep -q 'frobnicate' "$MNT/error_log"; ok $? "error_log names the offending command"
grep -q '(ENOENT)' "$MNT/error_log"; ok $? "error_log names the errno"
errno_of_write "$MNT/ctl" "unmap r3
delete r3" >/dev/null
[ ! -e "$MNT/regions/r3" ]; ok $? "a removed region disappears at once"

# The same random script through ctl and through mtree render.
python3 - "$T_DIR/rand.script" <<'PY'
import random, sys
rnd = random.Random(7)
out = []
ids = []
for i in range(60):
    k = rnd.choice(["ram", "io", "container", "alias"])
    addr = rnd.randrange(0, 64) * 0x100000
    prio = rnd.randrange(-2, 3)
    size = rnd.choice(["64K", "1M", "2M"])
    if k == "alias":
        out.append(f"alias x{i} ram0 {rnd.randrange(0, 8) * 0x100000} {size} in system at {addr} prio {prio}")
    else:
        out.append(f"{k} x{i} {size} in system at {addr} prio {prio}")
    ids.append(f"x{i}")
for i in range(40):
    x = rnd.choice(ids)
    out.append(rnd.choice([f"set {x} prio {rnd.randrange(-2, 3)}",
                           f"set {x} enabled {rnd.choice(['on', 'off'])}",
                           f"set {x} addr {rnd.randrange(0, 64) * 0x100000}"]))
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
n=0
while read -r line; do
	r=$(errno_of_write "$MNT/ctl" "$line")
	[ "$r" = OK ] || { n=$((n + 1)); diag "$line -> $r"; }
done <"$T_DIR/rand.script"
is "$n" "0" "random script applied line by line through ctl"
cat "$MNT/ctl" >"$T_DIR/dump.script"
{ grep -v '^address-space' "$S"; cat "$T_DIR/rand.script"; grep '^address-space' "$S";
  echo "address-space cpu-memory-0 system"; } >"$T_DIR/all.script"
"$MTREE" render -f "$T_DIR/all.script" >"$T_DIR/want" 2>&1
# r4 (added above, disabled) must not change the flat view; compare.
cat "$MNT/info/flatview" >"$T_DIR/got"
same_file "$T_DIR/got" "$T_DIR/want" "info/flatview equals mtree render -f of the same edits"
unmount_machine
check_daemon_log
done_testing
