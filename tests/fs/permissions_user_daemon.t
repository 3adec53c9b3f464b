#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The daemon run by an unprivileged user (as on a developer's desktop). It
# runs in a private mount namespace where /dev/fuse is mode 0666 and
# /etc/fuse.conf is ours, as on a stock Debian host (this machine's
# /dev/fuse is 0600), so nothing outside the test changes. Checked: the user
# mounts, reads guest memory and edits through ctl; root itself cannot enter a
# mount made without allow_other (FUSE's rule); allow_other is refused
# without user_allow_other in fuse.conf with a message naming it; with it, a
# third user sees the tree but not guest memory or ctl; fusermount3 -u by
# the user ends the daemon with status 0.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool setpriv
need_tool unshare
[ "$(id -u)" -eq 0 ] || skip_all "needs root to create users and a mount namespace"
if [ -z "${MTREEFS_IN_NS:-}" ]; then
	MTREEFS_IN_NS=1 exec unshare -m --propagation private "$0" "$@"
	skip_all "unshare -m failed"
fi
OTHER_USER=${MTREEFS_OTHER_USER:-mtreefs-other}
id "$OTHER_USER" >/dev/null 2>&1 ||
	useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$OTHER_USER" 2>/dev/null ||
	id "$OTHER_USER" >/dev/null 2>&1 || skip_all "cannot create user $OTHER_USER"
id nobody >/dev/null 2>&1 || skip_all "no user nobody"
USER_RUN="setpriv --reuid=$(id -u "$OTHER_USER") --regid=$(id -g "$OTHER_USER") --clear-groups"
NOBODY="setpriv --reuid=$(id -u nobody) --regid=$(id -g nobody) --clear-groups"
t_tmpdir
chmod 755 "$T_DIR"
mkdir "$T_DIR/dev" "$T_DIR/mnt"
chown "$OTHER_USER" "$T_DIR/mnt"
mount -t tmpfs -o mode=755 mtreefs-test "$T_DIR/dev" &&
	mknod -m 666 "$T_DIR/dev/fuse" c 10 229 &&
	mount --bind "$T_DIR/dev/fuse" /dev/fuse &&
	: >"$T_DIR/dev/fuse.conf" && mount --bind "$T_DIR/dev/fuse.conf" /etc/fuse.conf ||
	skip_all "cannot give this namespace its own /dev/fuse and /etc/fuse.conf"
trap 'unmount_machine; umount /etc/fuse.conf /dev/fuse "$T_DIR/dev"; t_cleanup' EXIT

MTREEFS_WRAP=$USER_RUN
mount_machine --accel none || { ok 1 "mount as $OTHER_USER"; done_testing; }
is "$(errno_as "" stat "$MNT")" EACCES \
	"root cannot enter a user's mount made without allow_other"
is "$($USER_RUN stat -c %U "$MNT/ctl")" "$OTHER_USER" "files belong to the mounting user"
is "$(errno_as "$USER_RUN" read "$MNT/address-spaces/memory/ram")" OK "the user reads guest memory"
is "$(errno_as "$USER_RUN" write "$MNT/ctl" 'ram scratch 4K in system at 0x200000000\n')" OK \
	"the user edits through ctl"
is "$($USER_RUN cat "$MNT/regions/scratch/addr")" 0x200000000 "and the edit is there"
$USER_RUN fusermount3 -u "$MNT"
wait_gone "$T_PID" 100 && wait "$T_PID"
is "$?" 0 "fusermount3 -u by the user ends the daemon with status 0"
T_PID=

out=$($USER_RUN "$MTREEFS" "$MNT" --accel none -o allow_other 2>&1)
rc=$?
is "$rc:$(echo "$out" | grep -c user_allow_other)" 1:1 \
	"allow_other without user_allow_other: exit 1 and the reason"
is_mounted "$MNT"
is "$?" 1 "and nothing is mounted"

echo user_allow_other >"$T_DIR/dev/fuse.conf"
mount_machine --accel none -o allow_other || { ok 1 "mount allow_other"; done_testing; }
is "$(errno_as "$NOBODY" read "$MNT/info/mtree")" OK "allow_other: a third user reads info/mtree"
is "$(errno_as "$NOBODY" read "$MNT/regions/pc.ram/ram")" EACCES "but not guest memory"
is "$(errno_as "$NOBODY" write "$MNT/ctl" 'delete pc.rom\n')" EACCES "nor writes ctl"
is "$(errno_as "$NOBODY" write "$MNT/regions/pc.rom/enabled" 0)" EACCES "nor an attribute"
unmount_machine
check_daemon_log
done_testing
