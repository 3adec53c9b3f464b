#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A write to a ram file whose backing store cannot take the page (the file
# truncated under the daemon, a file on a full tmpfs) used to kill the daemon
# with SIGBUS (exit 135, mount ENOTCONN). Now the write fails (EIO for a page
# that is gone, ENOSPC for a full filesystem) with an error_log line, the
# daemon lives and other files keep working; a read of such a page fails
# with EIO. A memfd cannot be truncated at all: it is sealed at its size.
# These are the daemon's own writes, so FUSE passthrough (which hands a
# whole-file block's writes to the kernel, tests/fs/ram_passthrough_files.t)
# is turned off here.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
[ "$(id -u)" = 0 ] || skip_all "mounting a small tmpfs needs root"
MTREEFS_PASSTHROUGH=off
export MTREEFS_PASSTHROUGH
mount_machine --accel none || { ok 1 "mount"; done_testing; }
TMPFS=$T_DIR/small
mkdir "$TMPFS"
mount -t tmpfs -o size=1M tmpfs "$TMPFS" || skip_all "cannot mount a tmpfs"
trap 'umount "$TMPFS" 2>/dev/null; t_cleanup' EXIT

ctl() { errno_of_write "$MNT/ctl" "$1"; }
alive() { # alive DESCRIPTION: the daemon runs and other files still work
	ok "$(kill -0 "$T_PID" 2>/dev/null; echo $?)" "$1: the daemon lives"
	is "$(timeout 10 cat "$MNT/machine/accel" 2>&1)" none "$1: other files work"
}
logged() { # logged PATTERN DESCRIPTION
	n=$(timeout 10 grep -c -- "$1" "$MNT/error_log")
	ok "$([ "${n:-0}" -ge 1 ]; echo $?)" "$2: error_log says '$1'"
}

# 1. a file backend truncated to nothing
is "$(ctl "ram fb 1M backend=file:$T_DIR/fb.img")" OK "ram fb backed by a file"
printf A | dd of="$MNT/regions/fb/ram" conv=notrunc status=none
truncate -s 0 "$T_DIR/fb.img"
is "$(errno_of_write "$MNT/regions/fb/ram" X)" EIO "write into a truncated file: EIO"
logged "RAM block fb: its backing file ends at 0x0" "truncated file"
alive "truncated file"
is "$(errno_as "" read "$MNT/regions/fb/ram")" EIO "a read there: EIO"
alive "read of a truncated file"

# 2. a memfd cannot be truncated through /proc/PID/fd: it is sealed
is "$(ctl "ram mf 1M backend=memfd")" OK "ram mf backed by a memfd"
fd=$(cat "$MNT/ramblocks/mf/fd")
truncate -s 0 "/proc/$T_PID/fd/$fd" 2>/dev/null
ok "$([ $? -ne 0 ]; echo $?)" "truncating the sealed memfd is refused"
is "$(stat -L -c %s "/proc/$T_PID/fd/$fd")" 1048576 "the memfd keeps its size"
is "$(errno_of_write "$MNT/regions/mf/ram" X)" OK "so a write into it works"
alive "sealed memfd"

# 3. a sparse file on a full 1 MiB tmpfs
is "$(ctl "ram full 2M backend=file:$TMPFS/full.img")" OK "ram full: 2 MiB sparse on a 1 MiB tmpfs"
python3 - "$MNT/regions/full/ram" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
for off in range(0, 2 << 20, 4096):
    try:
        os.pwrite(fd, b"Z" * 4096, off)
    except OSError as e:
        print("# the pages stop at", off, "errno", e.errno)
        break
PY
is "$(errno_of_write "$MNT/regions/full/ram" X)" OK "the first page was stored"
got=$(python3 -c 'import os,sys,errno
fd=os.open(sys.argv[1],os.O_WRONLY)
try: os.pwrite(fd,b"Z",(2<<20)-1); print("OK")
except OSError as e: print(errno.errorcode[e.errno])' "$MNT/regions/full/ram")
is "$got" ENOSPC "write past what the full tmpfs holds: ENOSPC"
logged "RAM block full: no space left" "full tmpfs"
alive "full tmpfs"
unmount_machine
check_daemon_log
done_testing
