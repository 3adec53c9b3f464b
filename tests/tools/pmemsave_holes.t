#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mtree pmemsave at io ranges and holes (--accel none): without --skip-holes
# it stops at the first one, exits 1, names its address and leaves the bytes
# before it in FILE; with --skip-holes it writes zeros there (found with
# SEEK_DATA/SEEK_HOLE) and the real bytes everywhere else, also to a pipe.
# Also: import-qemu --progress reports the lines it read.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
[ -x "$MTREE" ] || skip_all "$MTREE is not built"
t_tmpdir
S=$T_DIR/m.script
cat >"$S" <<'SCRIPT'
container system 16E
ram a 64K in system at 0x10000
io dev 4K device=scratch in system at 0x20000
ram b 64K in system at 0x30000
address-space memory system
SCRIPT
mount_machine --accel none --script "$S" || { ok 1 "mount"; done_testing; }
head -c 65536 /dev/urandom > "$T_DIR/a"
head -c 65536 /dev/urandom > "$T_DIR/b"
cat "$T_DIR/a" > "$MNT/regions/a/ram" && cat "$T_DIR/b" > "$MNT/regions/b/ram"
ok $? "random bytes written to regions a and b"

"$MTREE" pmemsave "$MNT" 0x10000 0x30000 "$T_DIR/stop.bin" 2>"$T_DIR/err"
is $? 1 "stops with exit 1 at the io range"
grep -q '^mtree pmemsave: 0x20000: nothing to read there (an io range or a hole' "$T_DIR/err"
ok $? "the error names the address 0x20000"
same_file "$T_DIR/stop.bin" "$T_DIR/a" "the bytes before the io range were saved"

"$MTREE" pmemsave "$MNT" 0x21000 0x10000 "$T_DIR/hole.bin" 2>"$T_DIR/err"
is $? 1 "stops at the hole between the io range and region b"
grep -q '^mtree pmemsave: 0x21000: nothing to read there' "$T_DIR/err"
ok $? "the error names the hole's address 0x21000"
"$MTREE" pmemsave "$MNT" 0x30000 0x20000 "$T_DIR/end.bin" 2>"$T_DIR/err"
is $? 1 "stops after the last range (the ram file ends at 0x40000)"
grep -q '^mtree pmemsave: 0x40000: beyond the last range of the address space' "$T_DIR/err"
ok $? "and says so at 0x40000"
same_file "$T_DIR/end.bin" "$T_DIR/b" "the bytes of region b were saved"

"$MTREE" pmemsave "$MNT" 0 0x20000 "$T_DIR/lead.bin" 2>"$T_DIR/err"
is $? 1 "a leading hole stops at once"
is "$(stat -c %s "$T_DIR/lead.bin")" 0 "nothing saved before it"

# Expected image of [0, 0x50000): zeros, a, zeros (io + hole), b, zeros.
{
	head -c $((0x10000)) /dev/zero; cat "$T_DIR/a"; head -c $((0x10000)) /dev/zero
	cat "$T_DIR/b"; head -c $((0x10000)) /dev/zero
} > "$T_DIR/want"
"$MTREE" pmemsave --skip-holes "$MNT" 0 0x50000 "$T_DIR/skip.bin" 2>"$T_DIR/err"
ok $? "--skip-holes exits 0"
same_file "$T_DIR/skip.bin" "$T_DIR/want" "--skip-holes: zeros at holes and io, data elsewhere"
grep -q 'mtree pmemsave: 0x30000 bytes of io ranges and holes written as zeros' "$T_DIR/err"
ok $? "it says how much was zero-filled"
"$MTREE" pmemsave --skip-holes "$MNT" 0 0x50000 /dev/stdout 2>/dev/null | cat > "$T_DIR/pipe.bin"
same_file "$T_DIR/pipe.bin" "$T_DIR/want" "--skip-holes to a pipe writes the zeros"
"$MTREE" pmemsave --skip-holes "$MNT" 0x18000 0x20000 "$T_DIR/mid.bin" 2>/dev/null
tail -c +$((0x18000 + 1)) "$T_DIR/want" | head -c $((0x20000)) > "$T_DIR/mid.want"
same_file "$T_DIR/mid.bin" "$T_DIR/mid.want" "--skip-holes from inside data to inside data"

"$MTREE" pmemsave "$MNT" 0x20000 1 "$T_DIR/dev.bin" 2>/dev/null
is $? 1 "an io range is never read, even for one byte"

"$MTREE" import-qemu --progress "$MTREEFS_TOP/tests/golden/pc-dimm" >/dev/null 2>"$T_DIR/iprog"
# A directory stands for its mtree-D, mtree-f and ramblock files.
lines=$(cat "$MTREEFS_TOP/tests/golden/pc-dimm/mtree-D" "$MTREEFS_TOP/tests/golden/pc-dimm/mtree-f" \
	"$MTREEFS_TOP/tests/golden/pc-dimm/ramblock" | wc -l)
last=$(tr '\r' '\n' < "$T_DIR/iprog" | grep -v '^$' | tail -n 1)
case $last in
"import-qemu: $lines lines  "*" lines/s"*) ok 0 "import-qemu --progress ends with the $lines lines read" ;;
*) ok 1 "import-qemu --progress ends with the $lines lines read"; diag "got: '$last'" ;;
esac
"$MTREE" import-qemu "$MTREEFS_TOP/tests/golden/pc-dimm" >/dev/null 2>"$T_DIR/iprog"
is "$(cat "$T_DIR/iprog")" "" "import-qemu is silent on a non-terminal stderr"
check_daemon_log
done_testing
