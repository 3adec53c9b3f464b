#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Golden tests against a real QEMU 7.2: every directory here holds QEMU's own
# `info mtree -D`, `info mtree -f`, `info mtree` and `info ramblock` text for
# one machine configuration (written by tools/qemu-golden.py, never by our
# code). For each one the dump is imported (`mtree import-qemu` with
# --ramblock), the resulting script is rendered offline (`mtree render`), and
# the output must be QEMU's: -D and the plain tree exactly up to the order of
# the address-space groups and memory-region sections, -f exactly (" KVM"
# memslot marks included) up to the order of the flat-view blocks — both
# orders come from pointer hashing in QEMU — and the RAM blocks exactly (names
# with device paths, offsets, lengths, list order, unmapped blocks). `mtree
# diff` must find the script and the dump identical, and must notice a
# changed dump. TAP output, run by prove (tests/run.sh).
set -u
top=${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
mtree="$top/${BUILD:-build}/mtree"
golden="$top/tests/golden"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$mtree" ]; then
	echo "Bail out! $mtree is not built (make)"
	exit 1
fi

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}

# Blocks (separated by blank lines) as a sorted set; FlatView numbers dropped.
canon() {
	awk 'BEGIN { RS = ""; ORS = "\n" }
	     { gsub(/^FlatView #[0-9]+\n/, ""); gsub(/\n/, "\001"); print }' "$1" |
		LC_ALL=C sort | tr '\001' '\n'
}

# same NAME FILE_A FILE_B: compare canonically, show a diff on failure.
same() {
	canon "$2" > "$tmp/a"
	canon "$3" > "$tmp/b"
	if cmp -s "$tmp/a" "$tmp/b"; then
		ok "$1"
	else
		not_ok "$1"
		diff -u "$tmp/b" "$tmp/a" | head -40 | sed 's/^/# /'
	fi
}

check_dir() {
	d=$1
	name=$(basename "$d")
	s="$tmp/$name.script"
	if "$mtree" import-qemu --ramblock "$d/ramblock" "$d/mtree-D" "$d/mtree-f" > "$s" \
		2> "$tmp/err"; then
		ok "$name: import-qemu"
	else
		not_ok "$name: import-qemu"
		sed 's/^/# /' "$tmp/err"
		return
	fi
	for what in -D -f plain; do
		case $what in
		-D) want=mtree-D; flag=-D ;;
		-f) want=mtree-f; flag=-f ;;
		plain) want=mtree; flag= ;;
		esac
		if "$mtree" render $flag "$s" > "$tmp/out" 2> "$tmp/err"; then
			same "$name: render $what equals QEMU's $want" "$tmp/out" "$d/$want"
		else
			not_ok "$name: render $what"
			sed 's/^/# /' "$tmp/err"
		fi
	done
	if "$mtree" render --ramblock "$s" > "$tmp/out" 2> "$tmp/err"; then
		if cmp -s "$tmp/out" "$d/ramblock"; then
			ok "$name: render --ramblock equals QEMU's ramblock"
		else
			not_ok "$name: render --ramblock equals QEMU's ramblock"
			diff -u "$d/ramblock" "$tmp/out" | head -40 | sed 's/^/# /'
		fi
	else
		not_ok "$name: render --ramblock"
		sed 's/^/# /' "$tmp/err"
	fi
	if "$mtree" diff --kvm "$s" "$d" > "$tmp/out" 2>&1; then
		ok "$name: diff script dump is empty"
	else
		not_ok "$name: diff script dump is empty"
		head -20 "$tmp/out" | sed 's/^/# /'
	fi
}

for d in "$golden"/*/; do
	[ -f "$d/mtree-D" ] && check_dir "${d%/}"
done

# mtree diff must see a difference: drop one range from a copy of a dump.
d="$golden/pc-nodefaults-512M"
mkdir -p "$tmp/changed"
grep -v 'kvm-ioapic' "$d/mtree-f" > "$tmp/changed/mtree-f"
"$mtree" diff "$d" "$tmp/changed" > "$tmp/out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q '^- .*kvm-ioapic' "$tmp/out"; then
	ok "diff reports a missing range with exit 1"
else
	not_ok "diff reports a missing range with exit 1 (exit $rc)"
	sed 's/^/# /' "$tmp/out"
fi

echo "1..$n"
[ $failed -eq 0 ]
