#!/bin/sh
# SPDX-License-Identifier: MIT
#
# `make bench` keeps running: its quick form (BENCH_QUICK=1, 100 regions,
# results in a directory of its own) runs every row to the end and prints
# the whole table. No figure is judged here (speed is the benchmark's
# business, with its reference in the same run); this only catches a change
# that breaks the benchmark itself, as the per-writer ctl lines once did to
# its edit rows. Skipped for sanitizer builds, which the benchmark does not
# measure.
set -u
top=${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
case "$BUILD" in
*address*|*thread*) echo "1..0 # SKIP $BUILD is a sanitizer build: the benchmark measures the plain one"; exit 0 ;;
esac
[ -e /dev/fuse ] || { echo "1..0 # SKIP no /dev/fuse"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP the benchmark mounts 1 GiB machines and drops caches: root only"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BENCH_OUT=$tmp BENCH_QUICK=1 BENCH_SIZES=100 BUILD=$BUILD sh "$top/tests/bench/run.sh" >"$tmp/log" 2>&1
rc=$?
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
ok $rc "the quick benchmark runs to the end"
[ $rc -eq 0 ] || tail -20 "$tmp/log" | sed 's/^/# /'
# row 4 (render and walk at 1k-100k regions) needs the sizes a quick run skips
for row in 1 2 3 5; do
	grep -q "^| $row |" "$tmp/results.md" 2>/dev/null
	ok $? "results.md has row $row"
done
if command -v qemu-system-x86_64 >/dev/null 2>&1; then
	grep -q "^| 6 |" "$tmp/results.md" 2>/dev/null
	ok $? "results.md has row 6 (a QEMU mounted with --qemu)"
fi
echo "1..$n"
[ "$failed" -eq 0 ]
