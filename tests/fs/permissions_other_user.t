#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Permissions against a second, unprivileged user (created if absent), with
# the daemon run by root: without -o allow_other the other user cannot even
# stat the mount; with allow_other it sees the tree and reads the generated
# files, but guest memory (ram files), every ctl and every writable attribute
# stay the owner's (EACCES) and the topology is untouched; --ram-mode 0644
# lets it read guest memory, never write it, and ctl stays closed. The daemon
# run by that user is tests/fs/permissions_user_daemon.t.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
need_tool setpriv
[ "$(id -u)" -eq 0 ] || skip_all "needs root to create and switch to a second user"
OTHER_USER=${MTREEFS_OTHER_USER:-mtreefs-other}
id "$OTHER_USER" >/dev/null 2>&1 ||
	useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$OTHER_USER" 2>/dev/null ||
	id "$OTHER_USER" >/dev/null 2>&1 || skip_all "cannot create user $OTHER_USER"
OTHER="setpriv --reuid=$(id -u "$OTHER_USER") --regid=$(id -g "$OTHER_USER") --clear-groups"
t_tmpdir
chmod 755 "$T_DIR"

mount_machine --accel none || { ok 1 "mount"; done_testing; }
is "$(errno_as "$OTHER" stat "$MNT")" EACCES "default: the other user cannot stat the mount"
is "$(errno_as "$OTHER" read "$MNT/address-spaces/memory/ram")" EACCES \
	"default: the other user cannot read guest memory"
is "$(errno_as "$OTHER" write "$MNT/ctl" 'delete pc.rom\n')" EACCES \
	"default: the other user cannot write ctl"
is "$(errno_as "" read "$MNT/address-spaces/memory/ram")" OK "the owner reads guest memory"
unmount_machine

mount_machine --accel none -o allow_other || { ok 1 "mount allow_other"; done_testing; }
before=$(cat "$MNT/info/mtree-D")
is "$(errno_as "$OTHER" readdir "$MNT/regions")" OK "allow_other: the other user lists regions"
is "$(errno_as "$OTHER" read "$MNT/info/flatview")" OK "allow_other: the other user reads info/flatview"
is "$(errno_as "$OTHER" read "$MNT/regions/pc.ram/size")" OK "allow_other: and attribute files"
for f in address-spaces/memory/ram regions/pc.ram/ram ramblocks/pc.ram/ram memslots/0/ram ctl; do
	is "$(errno_as "$OTHER" read "$MNT/$f")" EACCES "allow_other: $f is not readable by others"
done
for f in ctl regions/system/ctl machine/ctl regions/pc.ram/prio regions/ram-below-4g/enabled \
	 address-spaces/memory/ram; do
	is "$(errno_as "$OTHER" write "$MNT/$f" 'delete pc.rom\n')" EACCES \
		"allow_other: $f is not writable by others"
done
is "$(cat "$MNT/info/mtree-D")" "$before" "allow_other: the topology is unchanged"
mode=$(stat -c %a "$MNT/address-spaces/memory/ram")
is "$mode" 600 "ram files are 0600 by default"
unmount_machine

mount_machine --accel none -o allow_other --ram-mode 0644 || { ok 1 "mount ram-mode"; done_testing; }
is "$(stat -c %a "$MNT/regions/pc.ram/ram")" 644 "--ram-mode 0644 shows on ram files"
is "$(stat -c %a "$MNT/ctl")" 600 "--ram-mode leaves ctl owner-only"
printf 'MTREEFS-PERM' | dd of="$MNT/regions/pc.ram/ram" bs=1 seek=4096 conv=notrunc status=none
got=$($OTHER dd if="$MNT/address-spaces/memory/ram" bs=1 skip=4096 count=12 status=none)
is "$got" MTREEFS-PERM "--ram-mode 0644: the other user reads guest memory"
is "$(errno_as "$OTHER" write "$MNT/address-spaces/memory/ram" x)" EACCES \
	"--ram-mode 0644: but cannot write it"
is "$(errno_as "$OTHER" write "$MNT/ctl" 'delete pc.rom\n')" EACCES "--ram-mode 0644: nor ctl"
unmount_machine
check_daemon_log

for m in 0755 0200 4644 12 0666x; do
	out=$("$MTREEFS" "$T_DIR/mnt" --ram-mode "$m" 2>&1)
	is "$?:$(echo "$out" | grep -c 'bad --ram-mode')" 2:1 "--ram-mode $m is refused with exit 2"
done
done_testing
