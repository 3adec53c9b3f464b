#!/bin/sh
# SPDX-License-Identifier: MIT
#
# README documents every file of the mount, and so does mtreefs(1): each
# name in the file table (the rows of fs/*.c, which fs/table.c joins into the
# one description of the tree) must appear in both, so a row added without its documentation fails here.
# Names are matched as words ("ram" in a sentence about ram files does not
# count for "ram_size").
set -u
top=${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
n=0
failed=0
ok() { # ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

names=$(cat "$top"/fs/*.c | sed -n 's/.*\.pattern = "\([^"]*\)".*/\1/p' |
	awk -F/ '$NF != "*" && $NF != "" { print $NF }' | sort -u)
[ -n "$names" ]
ok $? "file names found in the rows of fs/*.c"
# The man page source with its escapes undone: "mtree\-D" is "mtree-D".
man=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$top/doc/mtreefs.1")
for name in $names; do
	grep -qw -- "$name" "$top/README.md"
	ok $? "README.md documents $name"
	printf '%s\n' "$man" | grep -qw -- "$name"
	ok $? "mtreefs(1) documents $name"
done
echo "1..$n"
[ $failed -eq 0 ]
