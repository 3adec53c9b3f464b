#!/bin/sh
# SPDX-License-Identifier: MIT
#
# When the attached QEMU goes away (mtreefs(1), ATTACHING TO QEMU): killed
# with SIGKILL, the daemon (foreground, and forked into the background with
# a relative mountpoint) says so and exits within a second, leaving the
# mountpoint clean (no ENOTCONN); a QEMU that quits over QMP ends it too.
# Refused attachments exit non-zero with a message that says why: a user
# without ptrace rights over QEMU (nobody, against root's QEMU), a socket
# another client holds, a socket nobody listens on; --qemu with --script is
# a usage error.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MTREEFS_TOP/tests/qemu/attach_lib.sh"

# exited PID TENTHS: gone or a zombie (a daemon whose parent exited may not be reaped here)
exited() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ "$(awk '{ print $3 }' /proc/"$1"/stat 2>/dev/null)" != Z ]; do
		[ $i -ge "$2" ] && return 1
		sleep 0.1; i=$((i + 1))
	done
}

# clean_exit PID TENTHS MOUNTPOINT WHAT: the daemon exited in time and left no mount behind
clean_exit() {
	exited "$1" "$2"
	ok $? "$4: the daemon exits within $(($2 * 100)) ms"
	grep -q " $3 " /proc/mounts
	[ $? -ne 0 ] && ls "$3" >/dev/null 2>&1
	ok $? "$4: the mountpoint is clean (not mounted, no ENOTCONN)"
}

start_qemu pc 128M -S
mount_machine --qemu "$QSOCK"
ok $? "mounted"
pid=$T_PID
kill -9 "$QPID"
clean_exit "$pid" 10 "$MNT" "QEMU killed"
grep -q 'went away' "$T_DIR/daemon.log"
ok $? "QEMU killed: the daemon says QEMU went away"
wait "$pid"
is $? 1 "QEMU killed: exit status 1"
T_PID=
QPID=

start_qemu q35 128M -S
( cd "$T_DIR" && "$MTREEFS" mnt --qemu "$QSOCK" )
ok $? "mounted by a daemon in the background, relative mountpoint"
dpid=$(pgrep -f "$MTREEFS mnt --qemu $QSOCK")
[ -n "$dpid" ]
ok $? "the daemon runs"
kill -9 "$QPID"
clean_exit "$dpid" 10 "$MNT" "background daemon, QEMU killed"
QPID=

start_qemu pc 128M -S
mount_machine --qemu "$QSOCK"
pid=$T_PID
qmp '{"execute":"quit"}' >/dev/null 2>&1
clean_exit "$pid" 10 "$MNT" "QEMU quit"
T_PID=
stop_qemu

start_qemu pc 128M -S
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	chmod 755 "$T_DIR"
	chmod 777 "$QSOCK"
	mkdir "$T_DIR/nmnt" "$T_DIR/dev"
	chown nobody "$T_DIR/nmnt"
	# /dev/fuse is 0600 here: nobody gets a 0666 one in a private mount namespace
	unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=755 mtreefs-test "$1/dev" &&
		mknod -m 666 "$1/dev/fuse" c 10 229 && mount --bind "$1/dev/fuse" /dev/fuse || exit 99
		setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
			"$2" "$1/nmnt" -f --qemu "$3"' sh "$T_DIR" "$MTREEFS" "$QSOCK" >"$T_DIR/out" 2>&1
	is $? 1 "nobody attaching to root's QEMU: refused"
	grep -q 'ptrace rights' "$T_DIR/out"
	ok $? "nobody: the message says what is missing"
	sed 's/^/# /' "$T_DIR/out"
	grep -q " $T_DIR/nmnt " /proc/mounts
	[ $? -ne 0 ]
	ok $? "nobody: nothing mounted"
else
	T_N=$((T_N + 3)); echo "ok $((T_N - 2)) # SKIP needs root, nobody and setpriv"
	echo "ok $((T_N - 1)) # SKIP"; echo "ok $T_N # SKIP"
fi

python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.recv(4096)
print("held", flush=True); time.sleep(30)' "$QSOCK" >"$T_DIR/hold" &
hold=$!
i=0
while ! grep -q held "$T_DIR/hold" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
mkdir -p "$T_DIR/m2"
"$MTREEFS" "$T_DIR/m2" -f --qemu "$QSOCK" >"$T_DIR/out" 2>&1
is $? 1 "a socket another client holds: refused"
grep -q 'one QMP client at a time' "$T_DIR/out"
ok $? "busy socket: the message says why"
kill "$hold"; wait "$hold" 2>/dev/null
stop_qemu

"$MTREEFS" "$T_DIR/m2" -f --qemu "$T_DIR/nothing.sock" >"$T_DIR/out" 2>&1
is $? 1 "a socket nobody listens on: refused"
grep -q 'nothing.sock' "$T_DIR/out"
ok $? "no listener: the message names the socket"
"$MTREEFS" "$T_DIR/m2" -f --qemu "$QSOCK" --script /dev/null >/dev/null 2>&1
is $? 2 "--qemu with --script is a usage error"
done_testing
