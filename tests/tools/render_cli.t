#!/bin/sh
# SPDX-License-Identifier: MIT
#
# `mtree render` as a command: --help, usage errors (exit 2), unreadable
# scripts and script errors reported as "mtree: SCRIPT:LINE: reason" on
# stderr with exit 1 and nothing on stdout, "-" reads stdin, a begin left
# open is refused, and each output option prints its own format.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ -x "$MTREE" ] || skip_all "$MTREE is not built"
S=$MTREEFS_TOP/tests/scripts
t_tmpdir

"$MTREE" render --help >"$T_DIR/out" 2>&1
ok $? "--help exits 0"
grep -q '^usage: mtree render' "$T_DIR/out"
ok $? "--help prints the usage"

"$MTREE" render >/dev/null 2>&1
is $? 2 "no script: usage error"
"$MTREE" render -x "$S/overlap.mtree" >/dev/null 2>&1
is $? 2 "unknown option: usage error"
"$MTREE" render -f -D "$S/overlap.mtree" >/dev/null 2>&1
is $? 2 "two output formats: usage error"

"$MTREE" render "$T_DIR/missing.mtree" >"$T_DIR/out" 2>"$T_DIR/err"
is $? 1 "missing script: exit 1"
is "$(cat "$T_DIR/err")" "mtree: $T_DIR/missing.mtree: No such file or directory" "missing script: reason"

"$MTREE" render "$S/bad-line.mtree" >"$T_DIR/out" 2>"$T_DIR/err"
is $? 1 "bad script: exit 1"
is "$(cat "$T_DIR/err")" "mtree: $S/bad-line.mtree:4: r is already mapped in sys" \
	"bad script: SCRIPT:LINE: reason"
[ ! -s "$T_DIR/out" ]
ok $? "bad script: nothing on stdout"

printf 'container a 4K\nfrobnicate\n' | "$MTREE" render - >"$T_DIR/out" 2>"$T_DIR/err"
is $? 1 "stdin script error: exit 1"
is "$(cat "$T_DIR/err")" "mtree: -:2: unknown command 'frobnicate'" "stdin errors are named '-'"

printf 'container a 4K name="unterminated\n' | "$MTREE" render - >/dev/null 2>"$T_DIR/err"
grep -q '^mtree: -:1: unterminated quote$' "$T_DIR/err"
ok $? "unterminated quote reported with its line"

"$MTREE" render "$S/open-begin.mtree" >"$T_DIR/out" 2>"$T_DIR/err"
is $? 1 "begin without commit: exit 1"
grep -q "begin' without 'commit'" "$T_DIR/err"
ok $? "begin without commit: reason"

"$MTREE" render "$S/overlap.mtree" >"$T_DIR/file.out"
"$MTREE" render - <"$S/overlap.mtree" >"$T_DIR/stdin.out"
same_file "$T_DIR/stdin.out" "$T_DIR/file.out" "'-' reads the script from stdin"

head -1 "$T_DIR/file.out" | grep -q '^address-space: memory$'
ok $? "default output is info mtree"
if grep -q '\[disabled\]' "$T_DIR/file.out"; then ok 1 "info mtree hides disabled regions"; else ok 0 "info mtree hides disabled regions"; fi
"$MTREE" render -D "$S/overlap.mtree" | grep -q '(prio 5, ram): off \[disabled\]$'
ok $? "-D shows the disabled region"
"$MTREE" render -f "$S/overlap.mtree" | head -1 | grep -q '^FlatView #0$'
ok $? "-f prints flat views"
"$MTREE" render --ramblock "$S/overlap.mtree" | head -1 | grep -q '^ *Block Name *PSize *Offset *Used *Total$'
ok $? "--ramblock prints QEMU's header"
is "$("$MTREE" render --memslots "$S/overlap.mtree" | grep -c '^ *[0-9]')" 5 "--memslots: one slot per RAM range"
"$MTREE" render --json "$S/overlap.mtree" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["address_spaces"][0]["name"] == "memory"'
ok $? "--json is valid JSON naming the address space"
"$MTREE" render --script "$S/overlap.mtree" | grep -q '^map  *low in sys at 0x0$'
ok $? "--script writes the model back as a script"

done_testing
