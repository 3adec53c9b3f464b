#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mtree pmemsave against a real mount (--accel none): the saved bytes are
# exactly what was written through a region's ram file, across several 1 MiB
# reads, through an alias, in another address space (--as, with a '/' in its
# name) and from an unaligned start; a forced progress line shows the total
# and 100%; nothing is printed on a non-terminal stderr by default.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
[ -x "$MTREE" ] || skip_all "$MTREE is not built"
t_tmpdir
S=$T_DIR/m.script
cat >"$S" <<'SCRIPT'
container system 16E
ram r 3M in system at 0x100000
alias al r 0x200000 0x100000 in system at 0x1000000
container iosys 64K
ram ports 64K in iosys at 0
address-space memory system
address-space "I/O" iosys
SCRIPT
mount_machine --accel none --script "$S" || { ok 1 "mount"; done_testing; }

# A pattern that differs at every position of its 3 MiB.
python3 -c '
import sys, hashlib
out = b"".join(hashlib.sha256(i.to_bytes(4, "little")).digest() for i in range(3 << 15))
sys.stdout.buffer.write(out)' > "$T_DIR/pat"
dd if="$T_DIR/pat" of="$MNT/regions/r/ram" bs=1M conv=notrunc status=none
ok $? "3 MiB pattern written through regions/r/ram"

"$MTREE" pmemsave "$MNT" 0x100000 3M "$T_DIR/all.bin" 2>"$T_DIR/err"
ok $? "pmemsave of the whole region exits 0"
same_file "$T_DIR/all.bin" "$T_DIR/pat" "saved bytes equal the bytes written (3 reads of 1 MiB)"
is "$(cat "$T_DIR/err")" "" "no progress on a non-terminal stderr by default"

"$MTREE" pmemsave "$MNT" 0x100123 0x200000 "$T_DIR/mid.bin" 2>/dev/null
tail -c +$((0x123 + 1)) "$T_DIR/pat" | head -c $((0x200000)) > "$T_DIR/mid.want"
same_file "$T_DIR/mid.bin" "$T_DIR/mid.want" "unaligned start and size straddling reads"

"$MTREE" pmemsave "$MNT" 0x1000000 1M "$T_DIR/alias.bin" 2>/dev/null
tail -c +$((0x200000 + 1)) "$T_DIR/pat" > "$T_DIR/alias.want"
same_file "$T_DIR/alias.bin" "$T_DIR/alias.want" "through the alias window: the target's bytes at its offset"

printf 'port bytes' | dd of="$MNT/regions/ports/ram" bs=1 seek=$((0x40)) conv=notrunc status=none
"$MTREE" pmemsave --as "I/O" "$MNT" 0x40 10 "$T_DIR/io.bin" 2>/dev/null
is "$(cat "$T_DIR/io.bin")" "port bytes" "--as I/O reads address-spaces/I%2FO/ram"

"$MTREE" pmemsave --progress "$MNT" 0x100000 3M "$T_DIR/p.bin" 2>"$T_DIR/prog"
ok $? "pmemsave --progress exits 0"
last=$(tr '\r' '\n' < "$T_DIR/prog" | grep -v '^$' | tail -n 1)
case $last in
"pmemsave: 3.0 MiB / 3.0 MiB 100%  "*" MiB/s  "*" s"*) ok 0 "forced progress ends with the total and 100%" ;;
*) ok 1 "forced progress ends with the total and 100%"; diag "got: '$last'" ;;
esac
same_file "$T_DIR/p.bin" "$T_DIR/pat" "same bytes with progress on"

"$MTREE" pmemsave --no-progress "$MNT" 0x100000 1M "$T_DIR/np.bin" 2>"$T_DIR/noprog"
is "$(cat "$T_DIR/noprog")" "" "--no-progress prints nothing"

"$MTREE" pmemsave --as nosuch "$MNT" 0 1 "$T_DIR/x.bin" 2>"$T_DIR/err"
rc=$?
is "$rc" 1 "unknown address space exits 1"
grep -q 'address-spaces/nosuch/ram: No such file' "$T_DIR/err"
ok $? "and names the missing file"
"$MTREE" pmemsave "$MNT" 0 1 2>/dev/null
is $? 2 "missing argument is a usage error (2)"
"$MTREE" pmemsave "$MNT" 0x8000000000000000 16 "$T_DIR/x.bin" 2>/dev/null
is $? 1 "an address beyond the largest file offset is refused"
check_daemon_log
done_testing
