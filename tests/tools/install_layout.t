#!/bin/sh
# SPDX-License-Identifier: MIT
#
# `make install DESTDIR=... PREFIX=/usr` puts the two programs, their man
# pages and their bash completions where a distribution expects them; the
# man pages format without a single groff warning (and pass mandoc's lint
# when mandoc is installed); each completion script loads in a plain bash and
# registers its command; the installed mtree runs; `make uninstall` removes
# everything again.
set -u
top=${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
n=0
failed=0
ok() { # ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
diag() { sed 's/^/#   /'; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
# A make of its own: not the jobserver of a `make check` that runs us.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top" --no-print-directory -s \
	BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr install > "$tmp/log" 2>&1
rc=$?
ok $rc "make install DESTDIR=... PREFIX=/usr"
[ $rc -eq 0 ] || diag < "$tmp/log"

for p in mtreefs mtree; do
	test -x "$dest/usr/bin/$p" -a -f "$dest/usr/bin/$p"
	ok $? "bin/$p installed and executable"
done
"$dest/usr/bin/mtree" --help > "$tmp/help" 2>&1
ok $? "the installed mtree runs (mtree --help)"

for p in mtreefs mtree; do
	man=$dest/usr/share/man/man1/$p.1
	test -f "$man"
	ok $? "man1/$p.1 installed"
	groff -man -Tutf8 -ww -z "$man" > "$tmp/groff" 2>&1
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$tmp/groff" ]
	ok $? "$p.1 formats with groff -man -ww and no warnings"
	diag < "$tmp/groff"
	MANWIDTH=80 man -l "$man" 2>"$tmp/man.err" | col -bx > "$tmp/man.txt"
	grep -q '^NAME' "$tmp/man.txt" && grep -Eq "^ *$p +- " "$tmp/man.txt" &&
		grep -q '^SYNOPSIS' "$tmp/man.txt" && grep -q '^SEE ALSO' "$tmp/man.txt"
	ok $? "man -l $p.1 shows NAME ($p - ...), SYNOPSIS and SEE ALSO"
	diag < "$tmp/man.err"
	if command -v mandoc > /dev/null 2>&1; then
		mandoc -Tlint -Wwarning "$man" > "$tmp/lint" 2>&1
		ok $? "$p.1 passes mandoc -Tlint"
		diag < "$tmp/lint"
	fi
done

for p in mtreefs mtree; do
	comp=$dest/usr/share/bash-completion/completions/$p
	test -f "$comp"
	ok $? "completion for $p installed under share/bash-completion/completions"
	out=$(bash --norc --noprofile -c ". '$comp' && complete -p $p" 2>&1)
	echo "$out" | grep -q -- "-F _$p $p\$"
	rc=$?
	ok $rc "the $p completion loads in bash and registers _$p"
	[ $rc -eq 0 ] || echo "$out" | diag
done

doc=$dest/usr/share/doc/mtreefs
test -f "$doc/README.md" -a -f "$doc/LICENSE"
ok $? "README.md and LICENSE installed under share/doc/mtreefs"
nex=$(ls "$top"/contrib/examples/*.mtree | wc -l)
[ "$nex" -gt 0 ] && [ "$(ls "$doc"/examples/*.mtree 2>/dev/null | wc -l)" -eq "$nex" ]
ok $? "every contrib example installed under share/doc/mtreefs/examples"
"$dest/usr/bin/mtree" render -f "$doc/examples/q35.mtree" > /dev/null 2>&1
ok $? "the installed mtree renders an installed example"

env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top" --no-print-directory -s \
	BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr uninstall > "$tmp/log" 2>&1
left=$(find "$dest" -type f | sed "s|^$dest||")
[ -z "$left" ]
ok $? "make uninstall removes every installed file"
[ -z "$left" ] || echo "$left" | diag

echo "1..$n"
[ $failed -eq 0 ]
