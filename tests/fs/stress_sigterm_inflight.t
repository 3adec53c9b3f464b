#!/bin/sh
# SPDX-License-Identifier: MIT
#
# SIGTERM (and SIGHUP) while edits and reads are in flight: writers loop on
# ctl (create, map, delete regions), readers loop on ram, info/flatview and
# attribute files, and the daemon (with a running vCPU when KVM is there) is
# told to stop mid-stream. It must exit with status 0 within seconds, leave
# no mount behind, and the ASan/TSan builds must report nothing (a "stress"
# test, so `make tsan` runs it); the clients only ever see their operations
# succeed or fail with an errno, never hang.
# (SIGINT is not tried: a background job inherits it ignored, and libfuse
# keeps an ignored signal ignored, as daemons should.)
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
need_tool timeout
t_tmpdir

# load MNT SECONDS: clients hammering the mount until it goes away or time ends
load() {
	timeout 20 python3 - "$1" "$2" <<'PY' >"$T_DIR/load.out" 2>&1 &
import os, sys, threading, time
mnt, secs = sys.argv[1], float(sys.argv[2])
end = time.time() + secs
n = {"edit": 0, "ram": 0, "info": 0, "attr": 0, "err": 0}
def loop(name, fn):
    while time.time() < end:
        try:
            fn()
            n[name] += 1
        except OSError:
            n["err"] += 1
            time.sleep(0.01)
def edit():
    i = n["edit"] % 50
    with open(os.path.join(mnt, "ctl"), "w") as f:
        f.write("ram t%d 4K in system at 0x%x\nset t%d prio 3\n" % (i, 0x300000000 + i * 0x1000, i))
    with open(os.path.join(mnt, "ctl"), "w") as f:
        f.write("delete t%d\n" % i)
def ram():
    with open(os.path.join(mnt, "address-spaces/memory/ram"), "rb") as f:
        f.read(1 << 20)
def info():
    with open(os.path.join(mnt, "info/flatview"), "rb") as f:
        f.read()
def attr():
    os.listdir(os.path.join(mnt, "regions"))
    with open(os.path.join(mnt, "regions/pc.ram/size")) as f:
        f.read()
ts = [threading.Thread(target=loop, args=a) for a in
      (("edit", edit), ("ram", ram), ("ram", ram), ("info", info), ("attr", attr))]
for t in ts: t.start()
for t in ts: t.join()
print(" ".join("%s=%d" % kv for kv in sorted(n.items())))
PY
	LOAD_PID=$!
}

for sig in TERM HUP; do
	mount_machine -m 128M || { ok 1 "mount"; done_testing; }
	load "$MNT" 2
	sleep 0.6
	pid=$T_PID
	kill -"$sig" "$pid"
	wait_gone "$pid" 100
	ok $? "SIG$sig with edits and reads in flight: the daemon exits within 10 s"
	wait "$pid"
	is "$?" 0 "SIG$sig: exit status 0"
	T_PID=
	is_mounted "$MNT"
	is $? 1 "SIG$sig: no mount is left behind"
	wait "$LOAD_PID"
	is "$?" 0 "SIG$sig: every client operation returned (no hang)"
	diag "clients: $(tail -1 "$T_DIR/load.out")"
	grep -q 'edit=[1-9].*ram=[1-9]' "$T_DIR/load.out"
	ok $? "SIG$sig: the clients did edit and read before the signal"
	check_daemon_log
	MNT=
done
done_testing
