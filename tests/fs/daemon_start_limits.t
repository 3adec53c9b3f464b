#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Every failure to start says why and exits non-zero; exit 0 means mounted
# (mtreefs(1)). Under `ulimit -v` the daemon used to mount, fail to start its
# request loop, unmount and still exit 0 without a word; under `ulimit -n 8`
# it kept the caller's stdout, so `$(mtreefs MNT)` hung until the unmount;
# under `ulimit -n 5` it quietly ran without KVM. Now: too few descriptors is
# an error with a message, and for any address-space limit the exit status
# is 0 exactly when the mount serves, with a message whenever it is not 0.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
case "$BUILD" in *address*|*thread*) skip_all "sanitizer runtimes reserve terabytes: ulimit -v cannot apply" ;; esac
t_tmpdir
M=$T_DIR/m
mkdir "$M"
MNT=$M	# unmounted on exit, whatever happens

for n in 8 5; do
	# The limit is set by the child shell (sh saves redirected fds above 9);
	# the reader gives up after 20 s if the daemon keeps the caller's stdout.
	{ sh -c 'ulimit -n $1 && exec "$2" "$3"' _ $n "$MTREEFS" "$M" 2>"$T_DIR/err"
	  echo $? >"$T_DIR/rc"; } | timeout 20 cat >/dev/null
	is "$?" 0 "ulimit -n $n: the caller's stdout is closed at once"
	is "$(cat "$T_DIR/rc")" 1 "ulimit -n $n: exit 1"
	ok "$(grep -q "too few file descriptors: ulimit -n is $n" "$T_DIR/err"; echo $?)" \
		"ulimit -n $n: says why"
	is_mounted "$M"
	is $? 1 "ulimit -n $n: nothing mounted"
	while is_mounted "$M"; do fusermount3 -u "$M" 2>/dev/null || break; done
done

for v in 500000 540000 560000 600000 700000; do
	sh -c 'ulimit -v $1 && exec timeout 30 "$2" "$3"' _ $v "$MTREEFS" "$M" >/dev/null 2>"$T_DIR/err"
	rc=$?
	served=1
	timeout 10 cat "$M/machine/accel" >/dev/null 2>&1 && served=0
	if [ "$rc" = 0 ]; then
		is "$served" 0 "ulimit -v $v: exit 0 and the mount serves"
	else
		ok "$([ "$served" != 0 ] && [ -s "$T_DIR/err" ]; echo $?)" \
			"ulimit -v $v: exit $rc, nothing mounted, says why: $(head -c 200 "$T_DIR/err" | tr "\n" " ")"
	fi
	while is_mounted "$M"; do fusermount3 -u "$M" 2>/dev/null || break; done
done
done_testing
