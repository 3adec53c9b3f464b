# SPDX-License-Identifier: MIT
#
# Shared shell helpers for the .t tests: TAP output (plan/ok/is/skip_all/
# done_testing, each failure shown with its values) and mounting a machine
# with the mtreefs daemon of $BUILD in a temporary directory that is
# unmounted and removed on exit. Source it: . "$MTREEFS_TOP/tests/lib.sh".

: "${MTREEFS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
case "$BUILD" in /*) BUILD_DIR=$BUILD ;; *) BUILD_DIR=$MTREEFS_TOP/$BUILD ;; esac
MTREEFS=${MTREEFS:-$BUILD_DIR/mtreefs}
MTREE=${MTREE:-$BUILD_DIR/mtree}
T_N=0
T_FAILED=0
T_DIR=
T_PID=
MNT=
MTREEFS_WRAP=${MTREEFS_WRAP:-}
# ThreadSanitizer maps its shadow at fixed addresses and dies with "mmap at
# bad address" (or "unexpected memory mapping") when the kernel randomizes
# more address bits than it knows (vm.mmap_rnd_bits above 28): a TSan daemon
# runs with randomization off, which changes nothing else about it.
T_NORAND=
case "$BUILD" in
*thread*|*tsan*) setarch "$(uname -m)" -R true 2>/dev/null && T_NORAND="setarch $(uname -m) -R" ;;
esac

diag() { printf '# %s\n' "$*"; }

ok() { # ok COND-STATUS DESCRIPTION
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$T_N" "$2"
	else
		printf 'not ok %d - %s\n' "$T_N" "$2"
		T_FAILED=$((T_FAILED + 1))
	fi
}

is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "  got:  '$1'"
		diag "  want: '$2'"
	fi
}

same_file() { # same_file GOT_FILE WANT_FILE DESCRIPTION
	if cmp -s "$1" "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diff -u "$2" "$1" | head -20 | sed 's/^/# /'
	fi
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
	exit $?
}

need_fuse() {
	[ -c /dev/fuse ] || skip_all "/dev/fuse is missing"
	[ -r /dev/fuse ] && [ -w /dev/fuse ] || skip_all "/dev/fuse is not accessible"
	command -v fusermount3 >/dev/null 2>&1 || [ "$(id -u)" -eq 0 ] ||
		skip_all "fusermount3 is missing (apt-get install fuse3)"
	[ -x "$MTREEFS" ] || skip_all "$MTREEFS is not built"
}

need_tool() {
	command -v "$1" >/dev/null 2>&1 || skip_all "$1 is missing"
}

t_tmpdir() {
	[ -n "$T_DIR" ] && return
	T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mtreefs-test.XXXXXX")
	trap t_cleanup EXIT
	trap 'exit 130' INT TERM
}

unmount_machine() {
	[ -n "$MNT" ] || return 0
	# Also a dead mount (ENOTCONN after a crash), which mountpoint(1) does not see.
	fusermount3 -u "$MNT" 2>/dev/null || umount "$MNT" 2>/dev/null ||
		umount -l "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null
	if [ -n "$T_PID" ]; then
		# The daemon exits on its own once unmounted; wait for sanitizer reports.
		i=0
		while kill -0 "$T_PID" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill "$T_PID" 2>/dev/null
		wait "$T_PID" 2>/dev/null
		T_PID=
	fi
	# Keep every daemon's log for check_daemon_log; the next mount starts afresh.
	[ -f "$T_DIR/daemon.log" ] && cat "$T_DIR/daemon.log" >>"$T_DIR/daemons.log" &&
		: >"$T_DIR/daemon.log"
}

t_cleanup() {
	unmount_machine
	[ -n "$T_DIR" ] && rm -rf "$T_DIR"
}

# mount_machine [mtreefs options...]: mount at $MNT (in a temp dir), foreground
# daemon in the background, log in $T_DIR/daemon.log; waits until it serves.
# MTREEFS_WRAP (e.g. "setpriv --reuid=999 ...") runs the daemon, and the
# readiness check, as another user.
mount_machine() {
	t_tmpdir
	MNT=$T_DIR/mnt
	mkdir -p "$MNT"
	# shellcheck disable=SC2086
	$MTREEFS_WRAP $T_NORAND "$MTREEFS" "$MNT" -f "$@" >"$T_DIR/daemon.log" 2>&1 &
	T_PID=$!
	i=0
	while [ $i -lt 200 ]; do
		$MTREEFS_WRAP test -e "$MNT/info/mtree" 2>/dev/null && return 0
		kill -0 "$T_PID" 2>/dev/null || break
		sleep 0.05; i=$((i + 1))
	done
	echo "# mtreefs did not come up:"; sed 's/^/#   /' "$T_DIR/daemon.log"
	return 1
}

# The logs of every daemon this test ran must be free of sanitizer reports
# (ASan/UBSan/TSan builds).
check_daemon_log() {
	if cat "$T_DIR/daemons.log" "$T_DIR/daemon.log" 2>/dev/null |
	   grep -qE 'Sanitizer|runtime error:'; then
		ok 1 "daemon log has no sanitizer report"
		cat "$T_DIR/daemons.log" "$T_DIR/daemon.log" 2>/dev/null |
			grep -A40 -m1 -E 'Sanitizer|runtime error:' | sed 's/^/# /'
	else
		ok 0 "daemon log has no sanitizer report"
	fi
}

# errno_of_write FILE TEXT: prints the errno name a single write() gives, or OK.
errno_of_write() {
	python3 - "$1" "$2" <<'PY'
import errno, os, sys
try:
    fd = os.open(sys.argv[1], os.O_WRONLY)
    try:
        os.write(fd, sys.argv[2].replace("\\n", "\n").encode())
    finally:
        os.close(fd)	# a ctl file runs a final line without newline here
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
PY
}

# errno_as WRAP OP PATH [TEXT]: run one operation as the user WRAP switches to
# ("" for this user) and print OK or the errno name. OP: stat, read (open and
# read 16 bytes), write (open and write TEXT, "\n" for newlines), readdir.
# The system python: one under root's home (pyenv) is closed to other users.
errno_as() {
	py=python3
	[ -x /usr/bin/python3 ] && py=/usr/bin/python3
	# shellcheck disable=SC2086
	$1 $py - "$2" "$3" "${4:-}" <<'PY'
import errno, os, sys
op, path, text = sys.argv[1:4]
try:
    if op == "stat":
        os.stat(path)
    elif op == "readdir":
        os.listdir(path)
    elif op == "read":
        fd = os.open(path, os.O_RDONLY)
        try: os.read(fd, 16)
        finally: os.close(fd)
    elif op == "write":
        fd = os.open(path, os.O_WRONLY)
        try: os.write(fd, text.replace("\\n", "\n").encode())
        finally: os.close(fd)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
PY
}

# wait_gone PID [TENTHS]: wait (bounded, default 10 s) for PID to exit; 0 if it did.
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		[ $i -ge "${2:-100}" ] && return 1
		sleep 0.1; i=$((i + 1))
	done
	return 0
}

# is_mounted DIR: a mount (live or dead) sits exactly at DIR.
is_mounted() {
	awk -v d="$1" '$5 == d { f = 1 } END { exit !f }' /proc/self/mountinfo
}
