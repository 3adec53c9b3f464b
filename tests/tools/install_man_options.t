#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The man pages stay truthful to the programs: every option that
# `mtreefs --help` and `mtree COMMAND --help` print is documented in
# mtreefs(1) / mtree(1), every mtree subcommand listed by `mtree --help` has
# its entry, and every long option mtreefs(1) documents is one the daemon
# accepts (it appears in its --help or is accepted by getopt).
set -u
top=${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
bin=$top/$BUILD
n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Options named in a help text: -x and --long-name tokens at word starts.
opts() { grep -oE -- '(^|[[:space:],[|])--?[A-Za-z][-A-Za-z0-9_]*' | sed -E 's/^[[:space:],[|]+//' | sort -u; }
page() { MANWIDTH=200 man -l "$top/doc/$1.1" 2>/dev/null | col -bx; }

if [ ! -x "$bin/mtreefs" ] || [ ! -x "$bin/mtree" ]; then
	echo "1..1"
	echo "not ok 1 - $BUILD/mtreefs and $BUILD/mtree must be built (run make)"
	exit 1
fi

page mtreefs > "$tmp/mtreefs.txt"
"$bin/mtreefs" --help > "$tmp/help" 2>&1
for o in $(opts < "$tmp/help"); do
	grep -qe "$o\\b" "$tmp/mtreefs.txt"
	ok $? "mtreefs(1) documents $o"
done
sed -n '/^OPTIONS/,/^THE FILESYSTEM/p' "$tmp/mtreefs.txt" | grep -oE -- '^ +--[a-z][-a-z]*|, --[a-z][-a-z]*' |
	grep -oE -- '--[a-z-]+' | sort -u > "$tmp/documented"
for o in $(cat "$tmp/documented"); do
	# an unknown option is a usage error (exit 2) that names it; a known one is not
	"$bin/mtreefs" "$o" x /nonexistent-mountpoint > "$tmp/out" 2>&1
	! grep -qe "unrecognized option '$o'" "$tmp/out"
	ok $? "the daemon accepts $o, as mtreefs(1) says"
done

page mtree > "$tmp/mtree.txt"
cmds=$("$bin/mtree" --help | sed -n 's/^  \([a-z][-a-z]*\)  .*/\1/p')
[ -n "$cmds" ]
ok $? "mtree --help lists subcommands"
for c in $cmds; do
	grep -qE "^ +$c( |$)" "$tmp/mtree.txt"
	ok $? "mtree(1) has an entry for '$c'"
	"$bin/mtree" "$c" --help > "$tmp/help" 2>&1
	for o in $(opts < "$tmp/help" | grep -v -- '^-$'); do
		grep -qe "$o\\b" "$tmp/mtree.txt"
		ok $? "mtree(1) documents '$c $o'"
	done
done
echo "1..$n"
[ $failed -eq 0 ]
