#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mtree reads what `echo "info mtree -D" | socat - UNIX:qemu.hmp` captures
# from a real QEMU 7.2 HMP monitor, as mtree(1) shows: the banner, the
# "(qemu)" prompts, the echoed command drawn with terminal escapes and the
# "\r\n" line ends are dropped. hmp-transcript/ holds such a capture of the
# machine of tests/golden/pc-nodefaults-512M (same command line, plus the
# monitor socket), so the transcript must import and compare exactly as
# that golden dump does.
set -u
top=${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
mtree="$top/${BUILD:-build}/mtree"
hmp="$top/tests/tools/hmp-transcript"
golden="$top/tests/golden/pc-nodefaults-512M"
n=0
failed=0
ok() { # ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -q "$(printf '\033')" "$hmp/mtree-D.hmp" && grep -q '^(qemu)' "$hmp/mtree-f.hmp"
ok $? "the captures are raw HMP sessions (escapes, prompts)"

"$mtree" import-qemu "$hmp/mtree-D.hmp" "$hmp/mtree-f.hmp" >"$tmp/hmp.mtree" 2>"$tmp/err"
ok $? "import-qemu reads the HMP transcripts"
sed 's/^/# /' "$tmp/err"
# QEMU orders address-space groups and flat views by pointer hash: compare
# the blocks (separated by blank lines) as sorted sets, as tests/golden does.
canon() {
	awk 'BEGIN { RS = ""; ORS = "\n" }
	     { gsub(/^FlatView #[0-9]+\n/, ""); gsub(/\n/, "\001"); print }' "$1" |
		LC_ALL=C sort | tr '\001' '\n'
}
for what in D f; do
	"$mtree" render -$what "$tmp/hmp.mtree" >"$tmp/out"
	canon "$tmp/out" >"$tmp/a"
	canon "$golden/mtree-$what" >"$tmp/b"
	cmp -s "$tmp/a" "$tmp/b"
	ok $? "render -$what of the imported transcript is QEMU's golden mtree-$what"
	diff "$tmp/b" "$tmp/a" | head -10 | sed 's/^/# /'
done

"$mtree" diff --kvm "$hmp/mtree-f.hmp" "$golden" >"$tmp/out" 2>&1
ok $? "diff --kvm of the -f transcript and the golden dump is empty"
sed 's/^/# /' "$tmp/out" | head -10

"$mtree" diff --kvm "$tmp/hmp.mtree" "$hmp/mtree-f.hmp" >"$tmp/out" 2>&1
ok $? "diff of the imported script and the transcript is empty"

cat "$hmp/mtree-f.hmp" | "$mtree" diff --kvm - "$golden" >/dev/null 2>&1
ok $? "a transcript on stdin ('-') is read too"

"$mtree" plot -o "$tmp/m.svg" "$tmp/hmp.mtree" && grep -q '</svg>' "$tmp/m.svg"
ok $? "the man page's plot example works on the imported script"

echo "1..$n"
[ $failed -eq 0 ]
