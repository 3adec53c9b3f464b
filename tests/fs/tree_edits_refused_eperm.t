#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The tree is edited only through ctl: mkdir, rmdir, rm, mv, ln, ln -s, mknod
# and creating a file are refused with the errno the VFS gives for a
# filesystem that cannot do them (EPERM; EACCES for creating a file), not
# FUSE's ENOSYS "Function not implemented", also for root, who passes the
# 0555 directory modes. Nothing changes: the region is still there, nothing
# new appears, and error_log stays empty (these are not commands).
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
mount_machine --accel none || exit 1

errno_of() { # errno_of PYTHON-STATEMENT: OK or the errno name it raised
	python3 - "$MNT" "$1" <<'PY'
import errno, os, sys
m = sys.argv[1]
try:
    exec(sys.argv[2])
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
PY
}

before=$(ls -R "$MNT/regions" | md5sum)
is "$(errno_of 'os.mkdir(m + "/regions/new")')" EPERM "mkdir in regions/ is EPERM"
is "$(errno_of 'os.mkdir(m + "/new")')" EPERM "mkdir at the root is EPERM"
is "$(errno_of 'os.rmdir(m + "/regions/pc.ram")')" EPERM "rmdir of a region is EPERM"
is "$(errno_of 'os.unlink(m + "/regions/pc.ram/prio")')" EPERM "rm of an attribute is EPERM"
is "$(errno_of 'os.unlink(m + "/regions/system/subregions/pci")')" EPERM \
	"rm of a subregion link is EPERM"
is "$(errno_of 'os.rename(m + "/regions/pc.ram", m + "/regions/pc.ram2")')" EPERM \
	"mv of a region is EPERM"
is "$(errno_of 'os.symlink("../pc.ram", m + "/regions/system/subregions/x")')" EPERM \
	"ln -s is EPERM"
is "$(errno_of 'os.link(m + "/ctl", m + "/ctl2")')" EPERM "ln is EPERM"
is "$(errno_of 'os.mkfifo(m + "/regions/fifo")')" EPERM "mknod (mkfifo) is EPERM"
is "$(errno_of 'os.close(os.open(m + "/newfile", os.O_WRONLY | os.O_CREAT, 0o644))')" EACCES \
	"creating a file is EACCES"
is "$(errno_of 'os.close(os.open(m + "/ctl", os.O_WRONLY | os.O_CREAT | os.O_EXCL))')" EEXIST \
	"O_EXCL on an existing file is EEXIST"
is "$(ls -R "$MNT/regions" | md5sum)" "$before" "regions/ is unchanged"
[ -e "$MNT/newfile" ] || [ -e "$MNT/new" ] || [ -e "$MNT/ctl2" ]
is $? 1 "no new name appeared"
is "$(cat "$MNT/error_log")" "" "error_log is empty: these were not commands"
check_daemon_log
done_testing
