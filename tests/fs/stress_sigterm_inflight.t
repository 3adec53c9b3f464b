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

# load MNT: clients hammering the mount until $T_DIR/stop appears (or 30 s
# pass); $T_DIR/busy appears once they have both edited and read.
load() {
	rm -f "$T_DIR/stop" "$T_DIR/busy"
	timeout 40 python3 - "$1" "$T_DIR" <<'PY' >"$T_DIR/load.out" 2>&1 &
import os, sys, threading, time
mnt, tdir = sys.argv[1], sys.argv[2]
end = time.time() + 30
n = {"edit": 0, "ram": 0, "info": 0, "attr": 0, "err": 0}
def going():
    return time.time() < end and not os.path.exists(os.path.join(tdir, "stop"))
def loop(name, fn):
    while going():
        try:
            fn()
            n[name] += 1
            if n["edit"] and n["ram"] and not os.path.exists(os.path.join(tdir, "busy")):
                open(os.path.join(tdir, "busy"), "w").close()
        except OSError:
            n["err"] += 1
            time.sleep(0.01)
def edit():
    i = n["edit"] % 50
    with open(os.path.join(mnt, "ctl"), "w") as f:
        f.write("ram t%d 4K in system at 0x%x\nset t%d prio 3\n" % (i, 0x300000000 + i * 0x1000, i))
    with open(os.path.join(mnt, "ctl"), "w") as f:
        f.write("unmap t%d\ndelete t%d\n" % (i, i))
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
	load "$MNT"
	i=0
	while [ ! -e "$T_DIR/busy" ] && [ $i -lt 200 ]; do
		sleep 0.1; i=$((i + 1))
	done
	ok "$([ -e "$T_DIR/busy" ]; echo $?)" "SIG$sig: the clients edit and read"
	sleep 0.3
	pid=$T_PID
	kill -"$sig" "$pid"
	wait_gone "$pid" 100
	ok $? "SIG$sig with edits and reads in flight: the daemon exits within 10 s"
	wait "$pid"
	is "$?" 0 "SIG$sig: exit status 0"
	T_PID=
	is_mounted "$MNT"
	is $? 1 "SIG$sig: no mount is left behind"
	: >"$T_DIR/stop"
	wait "$LOAD_PID"
	is "$?" 0 "SIG$sig: every client operation returned (no hang)"
	diag "clients: $(tail -1 "$T_DIR/load.out")"
	check_daemon_log
	MNT=
done
done_testing
