#!/bin/sh
# SPDX-License-Identifier: MIT
#
# `mtree render --script` writes a model back as a script; rendering that
# script again must print the very same `info mtree`, `info mtree -D` and
# `info mtree -f` text, and writing it back once more must give the same
# script (a fixed point). Run over every example script of the repository.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ -x "$MTREE" ] || skip_all "$MTREE is not built"
t_tmpdir

n=0
for s in "$MTREEFS_TOP"/tests/scripts/*.mtree "$MTREEFS_TOP"/contrib/examples/*.mtree; do
	[ -f "$s" ] || continue
	name=$(basename "$s")
	"$MTREE" render --script "$s" >"$T_DIR/dump" 2>/dev/null || continue
	n=$((n + 1))
	for opt in "" -D -f; do
		"$MTREE" render $opt "$s" >"$T_DIR/a"
		"$MTREE" render $opt "$T_DIR/dump" >"$T_DIR/b"
		same_file "$T_DIR/b" "$T_DIR/a" "$name: render ${opt:-(info mtree)} after a round trip"
	done
	"$MTREE" render --script "$T_DIR/dump" >"$T_DIR/dump2"
	same_file "$T_DIR/dump2" "$T_DIR/dump" "$name: the written script is a fixed point"
done
[ "$n" -ge 2 ]
ok $? "at least two scripts round-tripped ($n)"

done_testing
