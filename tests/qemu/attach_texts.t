#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mtreefs --qemu mounts a running QEMU (mtreefs(1), ATTACHING TO QEMU): for
# pc and q35, stopped before the firmware ran (-S) and after SeaBIOS ran
# (started, then `stop` over the test's own QMP socket), the mount's
# info/mtree, mtree-D, flatview and ramblock are QEMU's own replies fetched
# at the same moment; the mount's model agrees with them (the script its ctl
# gives renders to QEMU's mtree-D and -f texts, regions/ holds every region
# name QEMU shows, flatviews/ has as many views); machine/ says what is
# attached; the topology and machine/ctl refuse writes with EROFS and an
# error_log line.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$MTREEFS_TOP/tests/qemu/attach_lib.sh"

for m in pc q35; do
	for when in S bios; do
		if [ $when = S ]; then start_qemu $m 128M -S; else start_qemu $m 128M; fi
		ok $? "$m/$when: QEMU starts with two QMP sockets"
		if [ $when = bios ]; then
			sleep 2
			qmp '{"execute":"stop"}'
		fi
		mount_machine --qemu "$QSOCK"
		ok $? "$m/$when: mtreefs --qemu mounts it"
		for f in "mtree:info mtree" "mtree-D:info mtree -D" "flatview:info mtree -f" \
			 "ramblock:info ramblock"; do
			qmp "${f#*:}" >"$T_DIR/qemu.txt"
			cat "$MNT/info/${f%%:*}" >"$T_DIR/mount.txt"
			same_file "$T_DIR/mount.txt" "$T_DIR/qemu.txt" "$m/$when: info/${f%%:*} is QEMU's ${f#*:}"
		done
		cat "$MNT/ctl" >"$T_DIR/model.mtree"
		for w in D f; do
			qmp "info mtree -$w" >"$T_DIR/qemu.txt"
			"$MTREE" render -$w "$T_DIR/model.mtree" >"$T_DIR/render.txt" 2>&1
			canon "$T_DIR/render.txt" >"$T_DIR/a"
			canon "$T_DIR/qemu.txt" >"$T_DIR/b"
			if [ $w = f ]; then	# QEMU marks " KVM" only under KVM
				sed 's/ KVM$//' "$T_DIR/a" >"$T_DIR/a2"; mv "$T_DIR/a2" "$T_DIR/a"
				sed 's/ KVM$//' "$T_DIR/b" >"$T_DIR/b2"; mv "$T_DIR/b2" "$T_DIR/b"
			fi
			same_file "$T_DIR/a" "$T_DIR/b" "$m/$when: the mount's model renders to QEMU's info mtree -$w"
		done
		# the daemon's region IDs are QEMU's names, blanks made '_'
		qmp "info mtree -D" | sed -n 's/.*): //p' |
			sed 's/^alias //; s/ @.*//; s/ \[.*//; s/ /_/g' | sort -u >"$T_DIR/qnames"
		missing=
		while read -r r; do
			[ -e "$MNT/regions/$r" ] || missing="$missing $r"
		done <"$T_DIR/qnames"
		is "$missing" "" "$m/$when: regions/ holds every region QEMU shows"
		nfv=$(qmp "info mtree -f" | grep -c '^FlatView #')
		is "$(ls "$MNT/flatviews" | wc -l)" "$nfv" "$m/$when: flatviews/ has QEMU's $nfv flat views"
		is "$(cat "$MNT/machine/accel")" qemu "$m/$when: machine/accel says qemu"
		is "$(cat "$MNT/machine/qemu/pid")" "$QPID" "$m/$when: machine/qemu/pid"
		want=running
		[ $when = S ] && want=prelaunch
		[ $when = bios ] && want=paused
		is "$(cat "$MNT/machine/qemu/state")" "$want" "$m/$when: machine/qemu/state"
		is "$(cat "$MNT/machine/qemu/socket")" "$QSOCK" "$m/$when: machine/qemu/socket"
		case "$(cat "$MNT/machine/qemu/machine")" in
		pc-i440fx-*) [ $m = pc ] ;; pc-q35-*) [ $m = q35 ] ;; *) false ;; esac
		ok $? "$m/$when: machine/qemu/machine is QEMU's machine type"
		grep -q '^7\.' "$MNT/machine/qemu/version" || grep -q '^[0-9]' "$MNT/machine/qemu/version"
		ok $? "$m/$when: machine/qemu/version"
		if [ $m = pc ] && [ $when = S ]; then
			is "$(errno_of_write "$MNT/ctl" 'delete pc.ram')" EROFS "ctl writes are refused: EROFS"
			grep -q 'read-only here: change it in QEMU' "$MNT/error_log"
			ok $? "error_log says why"
			is "$(errno_of_write "$MNT/regions/pc.ram/prio" 3)" EROFS "attribute writes too"
			is "$(errno_of_write "$MNT/machine/ctl" reset)" EROFS "machine/ctl too"
			head -1 "$MNT/info/memslots" | grep -q derived
			ok $? "info/memslots says its slots are derived"
		fi
		unmount_machine
		stop_qemu
	done
done
check_daemon_log
done_testing
