#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A short run of every libFuzzer harness (part of make check): builds them
# with `make fuzz` (clang, -fsanitize=fuzzer,address,undefined), replays every
# committed regression input under tests/fuzz/regressions/TARGET/ (and, as
# TODO tests, the reported but unfixed ones under regressions/open/TARGET/), then fuzzes
# each target for FUZZ_SHORT_TIME seconds (default 8) from its seed corpus
# into a scratch corpus. Skips loudly when clang or its libFuzzer runtime is
# missing. Crash inputs are kept in $BUILD_FUZZ/artifacts/short/.
set -u
top=${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1
T=${FUZZ_SHORT_TIME:-8}
FB=${FUZZ_BUILD:-build-fuzz}

if ! command -v clang >/dev/null 2>&1; then
	echo "1..0 # SKIP clang not installed (apt-get install clang)"
	exit 0
fi
probe='int LLVMFuzzerTestOneInput(const char *d, unsigned long n); int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }'
if ! echo "$probe" | clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
	echo "1..0 # SKIP clang has no libFuzzer runtime (apt-get install libclang-rt-14-dev)"
	exit 0
fi

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }

log=$(mktemp)
scratch=$(mktemp -d)
trap 'rm -rf "$log" "$scratch"' EXIT

if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -j2 FUZZ_BUILD="$FB" fuzz >"$log" 2>&1; then
	ok "make fuzz builds the harnesses"
else
	notok "make fuzz builds the harnesses"
	sed 's/^/# /' "$log" | tail -30
	echo "1..$n"
	exit 1
fi

mkdir -p "$FB/artifacts/short"
for src in tests/fuzz/fuzz_*.c; do
	t=$(basename "$src" .c)
	bin="$FB/tests/fuzz/$t"
	for r in tests/fuzz/regressions/"$t"/*; do
		[ -f "$r" ] || continue
		if "$bin" -timeout=10 "$r" >"$log" 2>&1; then
			ok "$t: regression $(basename "$r") passes"
		else
			notok "$t: regression $(basename "$r") passes"
			grep -E 'invariant|ERROR|SUMMARY|runtime error' "$log" | head -5 | sed 's/^/# /'
		fi
	done
	# reported, not yet fixed: TODO tests, so prove shows when one gets fixed
	for r in tests/fuzz/regressions/open/"$t"/*; do
		[ -f "$r" ] || continue
		n=$((n + 1))
		if "$bin" -timeout=5 "$r" >"$log" 2>&1; then
			echo "ok $n - $t: open bug $(basename "$r") # TODO fixed? move it up a directory"
		else
			echo "not ok $n - $t: open bug $(basename "$r") # TODO not fixed yet"
		fi
	done
	mkdir -p "$scratch/$t"
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	if "$bin" -max_total_time="$T" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$FB/artifacts/short/" $dict \
		"$scratch/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		ok "$t: ${T}s of fuzzing, ${runs:-?} inputs, no finding"
	else
		notok "$t: ${T}s of fuzzing, no finding"
		grep -E 'invariant|ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -8 |
			sed 's/^/# /'
	fi
done
echo "1..$n"
[ "$fail" -eq 0 ]
