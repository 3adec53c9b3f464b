#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Limits and names at the filesystem level. Over-long IDs, names, lines and
# writes, attribute values and machine commands fail the write() with
# EINVAL and leave one error_log line that says why, bounded in length and
# free of raw control bytes. Address-space and RAM-block names are QEMU's and
# may be anything: "/" and "%" are escaped (%2F, %25), so are ".", "..",
# control characters and bytes that are not UTF-8, so a name is always one
# path component that cannot leave its directory; only the canonical spelling
# resolves, and path tricks ("a/../../b") stay the kernel's walk of real
# directories.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
mount_machine --accel none -m 64M || { ok 1 "mount"; done_testing; }
before=$(cat "$MNT/info/mtree-D")
last_log() { tail -n 1 "$MNT/error_log"; }
long() { python3 -c 'import sys; print(sys.argv[1] * int(sys.argv[2]), end="")' "$1" "$2"; }

is "$(errno_of_write "$MNT/ctl" "ram $(long a 200) 4K\n")" EINVAL "an over-long ID: EINVAL"
last_log | grep -q 'ID longer than.*(EINVAL)$'
ok $? "error_log says the ID is too long"
is "$(errno_of_write "$MNT/ctl" "ram n1 4K name=$(long n 300)\n")" EINVAL "an over-long name: EINVAL"
last_log | grep -q 'name longer than.*(EINVAL)$'
ok $? "error_log says the name is too long"
is "$(errno_of_write "$MNT/ctl" "ram n2 4K name=\"$(long n 5000)\"\n")" EINVAL "an over-long line: EINVAL"
last_log | grep -q 'line longer than.*(EINVAL)$'
ok $? "error_log says the line is too long"
n=$(last_log | wc -c)
ok "$([ "$n" -lt 400 ]; echo $?)" "an error_log line stays short ($n bytes)"
last_log | grep -q 'nnn\.\.\.: '
ok $? "a cut command is marked with ..."
is "$(python3 - "$MNT/ctl" <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
try:
    os.write(fd, b"# " + b"c" * 3000000 + b"\n")
    print("OK")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
)" EINVAL "a 3 MB write: EINVAL"
is "$(errno_of_write "$MNT/regions/pc.ram/prio" "$(long 1 300)")" EINVAL "an over-long attribute value: EINVAL"
last_log | grep -q '^\[.*\] regions/pc.ram/prio: set pc.ram prio 1111.*(EINVAL)$'
ok $? "error_log names the attribute file"
is "$(errno_of_write "$MNT/machine/ctl" "$(long r 100)")" EINVAL "an over-long machine command: EINVAL"
last_log | grep -q '^\[.*\] machine/ctl: rrrr.*(EINVAL)$'
ok $? "error_log names machine/ctl"
is "$(errno_of_write "$MNT/ctl" "$(printf 'ram n3 4K name="bell\007esc\033[2J"')")" EINVAL \
	"control characters: EINVAL"
last_log | grep -q 'name="bell\\x07esc\\x1b\[2J"'
ok $? "error_log shows them as \\xNN"
python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_WRONLY); os.write(fd, b"ram n4 4K\0\xff junk\n")' \
	"$MNT/ctl" 2>/dev/null
ok "$([ $? -ne 0 ]; echo $?)" "a NUL in a command fails the write"
last_log | grep -q 'ram n4 4K\\x00\\xff junk'
ok $? "error_log shows the NUL and the stray byte escaped"
LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$MNT/error_log"
is $? 1 "error_log holds no raw control bytes"
is "$(errno_of_write "$MNT/ctl" 'ram .. 4K\n')" EINVAL "the ID '..' is refused"
is "$(cat "$MNT/info/mtree-D")" "$before" "no rejected write changed the topology"

python3 - "$MNT/ctl" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, 'address-space .. system\naddress-space . system\n'
             'address-space "a/../../b" system\naddress-space "50%" system\n'
             'address-space "gr\u00fc\u00dfe" system\nram rb1 4K name="/rom@etc/mtreefs/test"\n'.encode()
         + b'address-space "x\xff\xfe\xc0\xafy" system\n')
os.close(fd)
PY
ok $? "names with '..', '.', '/', '%', UTF-8 and invalid bytes are accepted"
got=$(cd "$MNT/address-spaces" && ls -a | LC_ALL=C sort | tr '\n' ' ')
is "$got" "%2E %2E%2E . .. 50%25 I%2FO PIIX3 PIIX4_PM a%2F..%2F..%2Fb cpu-memory-0 grüße i440FX memory piix3-ide x%FF%FE%C0%AFy " \
	"address-spaces lists every name escaped, '.' and '..' once"
for d in %2E%2E %2E a%2F..%2F..%2Fb x%FF%FE%C0%AFy; do
	is "$(readlink "$MNT/address-spaces/$d/root")" ../../regions/system "address-spaces/$d resolves"
done
is "$(cat "$MNT/address-spaces/%2E%2E/name")" .. "its name file says '..'"
is "$(cat "$MNT/address-spaces/50%25/name")" 50% "and '50%' for 50%25"
for d in %2e%2E I%2fO %49%2FO 50% x%ff%FE%C0%AFy gr%C3%BC%C3%9Fe a%00b; do
	is "$(errno_as "" stat "$MNT/address-spaces/$d")" ENOENT \
		"only the canonical spelling resolves: $d"
done
is "$(errno_as "" stat "$MNT/address-spaces/a/../../b")" ENOENT "a/../../b is a walk through a missing 'a'"
ls "$MNT/ramblocks" | grep -qx '%2From@etc%2Fmtreefs%2Ftest'
ok $? "a RAM block named /rom@etc/mtreefs/test is one escaped entry"
is "$(cat "$MNT/regions/rb1/name")" /rom@etc/mtreefs/test "and its region's name file is the name given"
is "$(readlink "$MNT/regions/rb1/ramblock")" "../../ramblocks/%2From@etc%2Fmtreefs%2Ftest" \
	"the ramblock link uses the escaped name"
unmount_machine
check_daemon_log
done_testing
