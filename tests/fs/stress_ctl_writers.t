#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Soak of the ctl files' sessions (SOAK_SECONDS, default 60): 8 writers, each
# editing regions of its own container, cut their text into random pieces
# (one write() each) and choose at random between plain lines, begin...commit,
# begin...abort, begin and close, and commits that are refused; some writers
# are processes killed mid-batch. Readers read every kind of file meanwhile.
# No request may take longer than a bound (no hang); every command a writer
# saw accepted goes to a replay log, and a fresh daemon running the log as its
# script must print the same info/mtree-D (nothing lost, nothing half
# applied); no transaction stays open; the daemon's RSS, once the writers
# delete what they made, is back within 16 MiB of what it was after the first
# seconds (when every worker thread and malloc arena exists; not judged under
# sanitizers). `make tsan` runs it too.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
t_tmpdir
SECS=${SOAK_SECONDS:-60}
bound=10
san=
case "$BUILD" in *address*|*thread*|*tsan*|*asan*) bound=60; san=1 ;; esac

base=$T_DIR/base.mtree
{
	echo "container system 16E"
	echo "ram ram0 16M in system at 0"
	for w in 0 1 2 3 4 5 6 7; do
		printf 'container c%d 256M in system at 0x%x\n' $w $((0x100000000 + w * 0x10000000))
	done
	echo "address-space memory system"
} >"$base"
mount_machine --accel none --script "$base" || { ok 1 "mount"; done_testing; }

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$T_PID/status"; }
rss0=$(rss)

python3 - "$MNT" "$T_DIR" "$SECS" "$bound" "$T_PID" >"$T_DIR/soak.out" 2>&1 <<'PY'
import os, random, signal, sys, threading, time
mnt, tdir, secs, bound = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
daemon = sys.argv[5]
end = time.time() + secs

def rss():
    for l in open("/proc/%s/status" % daemon):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
    return 0
slow, failed, lock = [], [], threading.Lock()
stats = {"pieces": 0, "refused": 0, "commits": 0, "aborts": 0, "closed": 0, "killed": 0,
         "reads": 0}

def timed(what, fn, *a):
    t = time.time()
    try:
        return fn(*a)
    finally:
        dt = time.time() - t
        if dt > bound:
            with lock:
                slow.append("%s took %.1fs" % (what, dt))

class Writer:
    """Writer w owns container cW and regions wW_N; it knows what exists."""
    def __init__(self, w, seed):
        self.w, self.rnd, self.n = w, random.Random(seed), 0
        self.live = {}          # id -> mapped?
        self.log = []           # accepted commands, in order

    def commands(self, state, k):
        out = []
        for _ in range(k):
            r = self.rnd
            ids = list(state)
            if len(ids) < 3 or (r.random() < 0.3 and len(ids) < 40):
                rid = "w%d_%d" % (self.w, self.n); self.n += 1
                kind = r.choice(["ram", "container", "io"])
                out.append("%s %s 4K in c%d at 0x%x prio %d" %
                           (kind, rid, self.w, r.randrange(0, 64) * 0x1000, r.randrange(-2, 3)))
                state[rid] = True
                continue
            rid = r.choice(ids)
            op = r.choice(["set", "set", "toggle", "delete"])
            if op == "set":
                out.append(r.choice(["set %s prio %d" % (rid, r.randrange(-2, 3)),
                                     "set %s enabled %s" % (rid, r.choice(["on", "off"]))] +
                                    (["set %s addr 0x%x" % (rid, r.randrange(0, 64) * 0x1000)]
                                     if state[rid] else [])))
            elif op == "toggle" and state[rid]:
                out.append("unmap %s" % rid); state[rid] = False
            elif op == "toggle":
                out.append("map %s in c%d at 0x%x" % (rid, self.w, r.randrange(0, 64) * 0x1000))
                state[rid] = True
            else:
                if state[rid]:
                    out.append("unmap %s" % rid)
                out.append("delete %s" % rid); del state[rid]
        return out

    def pieces(self, text):
        """Cut at random points; each piece is one write()."""
        i, out = 0, []
        while i < len(text):
            n = self.rnd.choice([1, 3, 7, 20, 64, 300, 5000])
            out.append(text[i:i + n]); i += n
        return out

    def send(self, fd, text):
        for p in self.pieces(text):
            timed("write", os.write, fd, p)
            stats["pieces"] += 1

    def round(self):
        r = self.rnd
        mode = r.choice(["plain", "plain", "commit", "abort", "close", "refused", "badline"])
        fd = timed("open", os.open, os.path.join(mnt, "ctl"), os.O_WRONLY)
        try:
            state = dict(self.live)
            cmds = self.commands(state, r.randrange(1, 12))
            text = "".join(c + "\n" for c in cmds).encode()
            if mode == "plain":
                self.send(fd, text)
                self.live = state; self.log += cmds
            elif mode == "badline":
                # a refused piece between line boundaries changes nothing
                self.send(fd, text)
                self.live = state; self.log += cmds
                try:
                    timed("write", os.write, fd, b"frobnicate now\n")
                    failed.append("a bad line was accepted")
                except OSError:
                    stats["refused"] += 1
            else:
                self.send(fd, b"begin\n" + text)
                if mode == "commit":
                    self.send(fd, b"commit\n")
                    self.live = state; self.log += cmds; stats["commits"] += 1
                elif mode == "abort":
                    self.send(fd, b"abort\n"); stats["aborts"] += 1
                elif mode == "refused":
                    self.send(fd, b"map nosuch in c%d at 0\n" % self.w)
                    try:
                        # whole, so the refused piece leaves no half line behind
                        timed("write", os.write, fd, b"commit\n")
                        failed.append("a refused commit was accepted")
                    except OSError:
                        stats["refused"] += 1
                    self.send(fd, b"abort\n")
                else:
                    stats["closed"] += 1     # close with the batch open
        finally:
            timed("close", os.close, fd)

    def run(self):
        try:
            while time.time() < end:
                self.round()
        except Exception as e:
            failed.append("writer %d: %r" % (self.w, e))

    def cleanup(self):
        """Delete everything, so the daemon's memory can come back."""
        fd = os.open(os.path.join(mnt, "ctl"), os.O_WRONLY)
        state, cmds = dict(self.live), []
        for rid, mapped in state.items():
            if mapped:
                cmds.append("unmap %s" % rid)
            cmds.append("delete %s" % rid)
        self.send(fd, "".join(c + "\n" for c in cmds).encode())
        os.close(fd)

def killed_writer():
    """Processes that die with a batch open, their lines cut mid-way."""
    while time.time() < end:
        pid = os.fork()
        if pid == 0:
            fd = os.open(os.path.join(mnt, "ctl"), os.O_WRONLY)
            os.write(fd, b"begin\nram doomed 4K in c0 at 0\nset doomed pr")
            time.sleep(5)
            os._exit(0)
        time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        stats["killed"] += 1

def reader(paths):
    r = random.Random(len(paths))
    while time.time() < end:
        p = r.choice(paths)
        if p == "REGION":
            try:
                names = timed("readdir", os.listdir, os.path.join(mnt, "regions"))
                rid = r.choice(names)
                for f in ("size", "prio", "enabled", "addr"):
                    with open(os.path.join(mnt, "regions", rid, f), "rb") as fh:
                        timed("read", fh.read)
            except OSError:
                pass
            continue
        try:
            if os.path.isdir(os.path.join(mnt, p)):
                timed("readdir " + p, os.listdir, os.path.join(mnt, p))
            else:
                with open(os.path.join(mnt, p), "rb") as fh:
                    timed("read " + p, fh.read, 1 << 16)
            stats["reads"] += 1
        except OSError:
            pass

writers = [Writer(w, 1000 + w) for w in range(8)]
ts = [threading.Thread(target=x.run) for x in writers]
ts.append(threading.Thread(target=killed_writer))
ts += [threading.Thread(target=reader, args=(l,)) for l in (
    ["info/mtree", "info/mtree-D", "info/flatview", "info/transactions", "error_log"],
    ["info/ramblock", "info/topology.json", "ctl", "REGION"],
    ["address-spaces/memory/ram", "flatviews", "REGION", "info/memory-map.svg"])]
for t in ts: t.start()
# the baseline: once every thread of the daemon and of its allocator is up
time.sleep(min(secs / 6, 10))
rss_warm = rss()
for t in ts: t.join()
with open(os.path.join(tdir, "replay.mtree"), "w") as f:
    for x in writers:
        for c in x.log:
            f.write(c + "\n")
with open(os.path.join(mnt, "info/mtree-D"), "rb") as src, open(os.path.join(tdir, "got"), "wb") as dst:
    dst.write(src.read())
with open(os.path.join(mnt, "info/transactions")) as src:
    open(os.path.join(tdir, "open.txn"), "w").write(src.read())
for x in writers:
    x.cleanup()
time.sleep(0.5)
print("rss: %d %d" % (rss_warm, rss()))
print("slow:", "; ".join(slow) if slow else "none")
print("failed:", "; ".join(failed) if failed else "none")
print("stats:", " ".join("%s=%d" % kv for kv in sorted(stats.items())))
sys.exit(1 if failed else 0)
PY
rc=$?
[ "$rc" = 0 ] || grep -v "frobnicate\|nosuch\|ECANCELED" "$MNT/error_log" | tail -5 | sed "s/^/# /"
is "$rc" "0" "the soak ran to its end"
sed 's/^/# /' "$T_DIR/soak.out" | tail -5
grep -q '^slow: none$' "$T_DIR/soak.out"; ok $? "every request answered within ${bound}s"
grep -Eq 'commits=[1-9].*killed=[1-9].*pieces=[1-9].*refused=[1-9]' "$T_DIR/soak.out"
ok $? "commits, kills, cut pieces and refusals all happened"
is "$(cat "$T_DIR/open.txn")" "" "no transaction stays open"
set -- $(sed -n 's/^rss: //p' "$T_DIR/soak.out")
if [ -n "$san" ]; then
	ok 0 "RSS not judged under a sanitizer (${1:-?} kB -> ${2:-?} kB) # SKIP sanitizer heap"
else
	ok $((${2:-999999} > ${1:-0} + 16384)) \
	   "RSS back within 16 MiB of its level after warm-up (${1:-?} kB -> ${2:-?} kB; ${rss0} kB at mount)"
fi
unmount_machine

{ cat "$base"; cat "$T_DIR/replay.mtree"; } | grep -v '^address-space' >"$T_DIR/all.mtree"
echo "address-space memory system" >>"$T_DIR/all.mtree"
mount_machine --accel none --script "$T_DIR/all.mtree" || { ok 1 "replay mount"; done_testing; }
cp "$MNT/info/mtree-D" "$T_DIR/want"
same_file "$T_DIR/got" "$T_DIR/want" "the replay log of accepted commands rebuilds info/mtree-D"
unmount_machine
check_daemon_log
done_testing
