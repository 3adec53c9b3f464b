#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The README's tour stays true: every "$ " command of its ```console blocks
# runs, in order, in bash against a fresh mount of the default machine (KVM
# when /dev/kvm works, else --accel none with the ```console guest blocks
# skipped loudly), and its output must equal the README's. Values that vary
# between runs are normalised on both sides, as the README says: heartbeat
# bytes (checked to move instead), host addresses 0x00007..., error_log
# timestamps, and whitespace layout (ls columns). TOUR_ACCEL=none forces the
# path of a machine without KVM.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool python3
need_tool bash
need_tool xxd
t_tmpdir
accel=none
if [ "${TOUR_ACCEL:-}" != none ] && [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	accel=kvm
fi
if ! mount_machine --accel "$accel"; then
	if [ "$accel" = kvm ]; then
		diag "KVM mount failed; retrying with --accel none"
		unmount_machine
		accel=none
		mount_machine --accel none || { ok 1 "mount the default machine"; done_testing; }
	else
		ok 1 "mount the default machine"; done_testing
	fi
fi
is "$(cat "$MNT/machine/accel")" "$accel" "machine/accel is $accel"
if [ "$accel" = kvm ]; then
	# The tour shows the greeting and a moving heartbeat: wait for the guest.
	i=0
	while [ $i -lt 100 ] && ! grep -q hello "$MNT/machine/console" 2>/dev/null; do
		sleep 0.05; i=$((i + 1))
	done
fi
mkdir -p "$T_DIR/cwd"
PATH="$BUILD_DIR:$PATH" python3 - "$MTREEFS_TOP/README.md" "$MNT" "$accel" "$T_DIR/cwd" "$T_N" <<'PY'
import os, re, subprocess, sys

readme, mnt, accel, cwd, n0 = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
n, fails = n0, 0

def ok(cond, desc, diag=()):
    global n, fails
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, desc))
    if not cond:
        fails += 1
        for line in diag:
            print("# " + line, file=sys.stderr)

def blocks(text):
    """(guest, [(command, expected_output)]) per ```console block."""
    out = []
    for m in re.finditer(r"^```console([^\n]*)\n(.*?)^```$", text, re.S | re.M):
        guest = "guest" in m.group(1).split()
        cmds = []
        for line in m.group(2).splitlines():
            if line.startswith("$ "):
                cmds.append([line[2:], []])
            elif cmds:
                cmds[-1][1].append(line)
        out.append((guest, [(c, "\n".join(o)) for c, o in cmds]))
    return out

HEART = re.compile(r"^00007000: ((?:[0-9a-f]{4} ){4})", re.M)

def norm(s):
    s = re.sub(r"0x00007[0-9a-f]{11}", "0xHOSTADDR", s)
    s = re.sub(r"^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\]", "[TIME]", s, flags=re.M)
    s = re.sub(r"^bash: line \d+: ", "bash: ", s, flags=re.M)
    s = re.sub(r"^(00007000: )(?:[0-9a-f]{4} ){4} *.{8}$", r"\1HEARTBEAT", s, flags=re.M)
    return " ".join(s.split())

bl = blocks(open(readme).read())
ncmd = sum(len(c) for _, c in bl)
ok(len(bl) >= 5 and ncmd >= 20, "README has its tour (%d console blocks, %d commands)" % (len(bl), ncmd))
env = dict(os.environ, MNT=mnt)
beats = []
for guest, cmds in bl:
    for cmd, want in cmds:
        if re.fullmatch(r"MNT=\S+", cmd):   # the reader's own mount point
            continue
        if guest and accel != "kvm":
            n += 1
            print("ok %d # SKIP needs a running guest (no usable /dev/kvm): %s" % (n, cmd))
            continue
        p = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        got = p.stdout.decode(errors="replace").rstrip("\n")
        beats += HEART.findall(got)
        ok(norm(got) == norm(want), "$ " + cmd,
           ["want: " + l for l in want.splitlines()] + ["got:  " + l for l in got.splitlines()])
if accel == "kvm":
    ok(len(beats) >= 2 and len(set(beats)) == len(beats),
       "the heartbeat at 0x7000 moves between the tour's reads", ["read: %r" % beats])
print("# %d console blocks, %d commands, accel %s" % (len(bl), ncmd, accel))
with open(os.path.join(cwd, ".count"), "w") as f:
    f.write("%d %d\n" % (n, fails))
PY
read -r T_N py_failed < "$T_DIR/cwd/.count" || { T_N=$((T_N + 1)); echo "not ok $T_N - tour runner"; py_failed=1; }
T_FAILED=$((T_FAILED + py_failed))
check_daemon_log
done_testing
