#!/bin/sh
# SPDX-License-Identifier: MIT
#
# What one user's open files can pin in the daemon is bounded (issue #15):
# with -o max_pinned=64K another user holding info/topology.json (about
# 56 KiB) is refused a second rendering with EMFILE, and error_log says why
# in one line however often it retries; more opens of the file it already
# holds share that rendering and are not refused; the mounting user is not
# bounded; closing gives the bytes back. A bad max_pinned value is a usage
# error, and max_pinned=0 means no bound.
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
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
t_tmpdir
chmod 755 "$T_DIR"

# opens.py CMD...: each CMD is "open PATH" (held), "close" (all), "dir PATH"
# (opendir, held); prints OK or the errno name per command.
cat >"$T_DIR/opens.py" <<'PY'
import errno, os, sys
fds = []
for cmd in sys.argv[1:]:
    op, _, path = cmd.partition(" ")
    try:
        if op == "open":
            fds.append(os.open(path, os.O_RDONLY))
        elif op == "dir":
            fds.append(os.open(path, os.O_RDONLY | os.O_DIRECTORY))
        elif op == "close":
            while fds:
                os.close(fds.pop())
        print("OK", end=" ")
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)), end=" ")
print()
PY
chmod 644 "$T_DIR/opens.py"
as_other() { $OTHER $PY "$T_DIR/opens.py" "$@"; }

mount_machine --accel none -o allow_other,max_pinned=64K || { ok 1 "mount"; done_testing; }
J=$MNT/info/topology.json
D=$MNT/info/mtree-D
size=$(wc -c <"$J")
[ "$size" -gt 40000 ] && [ "$size" -lt 65536 ]; ok $? "info/topology.json fits 64K alone ($size bytes)"
is "$(as_other "open $J" "open $D")" "OK EMFILE " \
	"a second rendering past max_pinned is refused with EMFILE"
grep -q 'info/mtree-D: open: user [0-9]* pins [0-9]* bytes .*max_pinned=65536 (EMFILE)' \
	"$MNT/error_log"
ok $? "error_log says who pins how much, and the bound"
grep 'max_pinned' "$MNT/error_log" | sed 's/^/#   /'
is "$(as_other "open $J" "open $D" "open $D" "dir $MNT/regions" "open $D")" \
	"OK EMFILE EMFILE EMFILE EMFILE " "retries (and a directory listing) are refused too"
is "$(grep -c 'max_pinned' "$MNT/error_log")" 2 "one error_log line per refused run, not one per open"
is "$(as_other "open $J" "open $J" "open $J" "open $J" "open $MNT/info/ramblock")" \
	"OK OK OK OK OK " "more opens of a held rendering share it (and small files still fit)"
is "$(as_other "open $J" "close" "open $D" "open $D")" "OK OK OK OK " \
	"closing gives the bytes back"
is "$(as_other "open $J" "open $D" "close" "open $MNT/info/memory-map.svg")" \
	"OK EMFILE OK OK " "each run starts from nothing pinned"
is "$(python3 "$T_DIR/opens.py" "open $J" "open $D" "open $MNT/info/mtree" "open $MNT/info/flatview")" \
	"OK OK OK OK " "the mounting user is not bounded"
unmount_machine

mount_machine --accel none -o allow_other,max_pinned=0 || { ok 1 "mount max_pinned=0"; done_testing; }
is "$(as_other "open $MNT/info/topology.json" "open $MNT/info/mtree-D" "open $MNT/info/mtree")" \
	"OK OK OK " "max_pinned=0: no bound"
unmount_machine
check_daemon_log

for v in 12Q -1 lots; do
	out=$("$MTREEFS" "$T_DIR/mnt" -o "max_pinned=$v" 2>&1)
	is "$?:$(echo "$out" | grep -c 'bad -o max_pinned')" 2:1 "max_pinned=$v is refused with exit 2"
done
done_testing
