#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs the whole suite with prove: the C unit tests built into
# $BUILD/tests/unit and every executable *.t script under tests/ (filesystem,
# KVM, golden, tool and fuzz tests). TESTS_ONLY=PATTERN keeps the tests whose
# path contains PATTERN (the TSan job runs only the stress tests). prove's
# closing "Result: PASS/FAIL" line and exit status are the verdict.
set -u
BUILD=${BUILD:-build}
export BUILD
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export MTREEFS_TOP="$top"
export PATH="$top/$BUILD:$PATH"

list=$(mktemp)
trap 'rm -f "$list" "$list.out"' EXIT
{
	find "$BUILD/tests/unit" -maxdepth 1 -type f -perm -u+x 2>/dev/null
	find tests -name '*.t' -type f 2>/dev/null
} | sort | while read -r t; do
	case "$t" in
	*"${TESTS_ONLY:-}"*) echo "$t" ;;
	esac
done > "$list"

if [ ! -s "$list" ]; then
	echo "no tests found" >&2
	exit 1
fi

jobs=${JOBS:-2}
prove --exec '' -j "$jobs" ${PROVE_FLAGS:-} $(cat "$list") > "$list.out" 2>&1
rc=$?
cat "$list.out"
exit $rc
