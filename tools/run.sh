#!/bin/sh
# SPDX-License-Identifier: MIT
#
# `make run` / `make stop`: mount the default machine at ${MNT:-/tmp/mtreefs}
# in the background and print a short tour, or unmount it and stop the
# daemon. MTREEFS_OPTS adds daemon options (e.g. "-m 1G --accel none").
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
MNT=${MNT:-/tmp/mtreefs}
BIN=$top/$BUILD/mtreefs
PIDFILE=${XDG_RUNTIME_DIR:-/tmp}/mtreefs-$(id -u).pid

start() {
	if mounted; then
		echo "mtreefs: already mounted at $MNT ('make stop' to unmount)"
		exit 1
	fi
	[ -x "$BIN" ] || { echo "mtreefs: $BIN is not built (run make)" >&2; exit 1; }
	mkdir -p "$MNT" || exit 1
	# shellcheck disable=SC2086
	"$BIN" "$MNT" -f ${MTREEFS_OPTS:-} >"${PIDFILE%.pid}.log" 2>&1 &
	echo $! >"$PIDFILE"
	i=0
	while [ ! -e "$MNT/info/mtree" ]; do
		if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null || [ $i -ge 100 ]; then
			echo "mtreefs: failed to start:" >&2
			cat "${PIDFILE%.pid}.log" >&2
			rm -f "$PIDFILE"
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	cat <<TOUR
mtreefs is mounted at $MNT (accel: $(cat "$MNT/machine/accel")). Try:

  cat $MNT/info/mtree                      # QEMU's info mtree
  cat $MNT/info/flatview                   # info mtree -f, with KVM memslots marked
  ls $MNT/regions $MNT/address-spaces
  readlink $MNT/address-spaces/memory/root
  xxd -s 0xe0000 -l 64 $MNT/address-spaces/memory/ram     # isa-bios through its alias
  cat $MNT/machine/console; cat $MNT/machine/vcpus/0/state
  echo 'ram scratch 1M at 0x100000000 prio 5' > $MNT/regions/system/ctl
  cat $MNT/info/memslots
  echo 'set ram-below-4g enabled off' > $MNT/ctl; cat $MNT/error_log
  echo 'delete nosuch' > $MNT/ctl; cat $MNT/error_log

Stop with: make stop
TOUR
}

# Is anything mounted at $MNT, a dead mount (daemon killed) included?
mounted() {
	d=$(cd "$(dirname "$MNT")" 2>/dev/null && pwd)/$(basename "$MNT")
	awk -v d="$d" '$5 == d { f = 1 } END { exit !f }' /proc/self/mountinfo
}

stop() {
	if mounted; then
		fusermount3 -u "$MNT" 2>/dev/null || umount "$MNT" 2>/dev/null || umount -l "$MNT"
	fi
	if [ -f "$PIDFILE" ]; then
		pid=$(cat "$PIDFILE")
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill "$pid" 2>/dev/null
		rm -f "$PIDFILE"
	fi
	echo "mtreefs: stopped ($MNT)"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
