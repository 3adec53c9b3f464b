# SPDX-License-Identifier: MIT
#
# Shared by tests/qemu/attach_*.t (mtreefs --qemu, mtreefs(1) ATTACHING TO
# QEMU): start a QEMU with two QMP sockets, one for the daemon ($QSOCK) and
# one for the test's own questions ($TSOCK, QEMU serves one client per
# socket), and ask it things through qmp.py. Source after tests/lib.sh.
QEMU=${QEMU:-qemu-system-x86_64}
QPID=
command -v "$QEMU" >/dev/null 2>&1 || skip_all "$QEMU not installed"
need_fuse
need_tool python3
QACCEL=kvm
[ -r /dev/kvm ] && [ -w /dev/kvm ] || QACCEL=tcg
t_tmpdir
QSOCK=$T_DIR/daemon.sock
TSOCK=$T_DIR/test.sock

stop_qemu() {
	[ -n "$QPID" ] || return 0
	kill -9 "$QPID" 2>/dev/null
	wait "$QPID" 2>/dev/null
	QPID=
}
trap 'stop_qemu; t_cleanup' EXIT

# start_qemu MACHINE MEM [QEMU options...]: in the background; waits for both sockets.
start_qemu() {
	m=$1 mem=$2
	shift 2
	rm -f "$QSOCK" "$TSOCK"
	"$QEMU" -machine "$m,accel=$QACCEL" -m "$mem" -nodefaults -display none -monitor none \
		-serial none -qmp "unix:$QSOCK,server=on,wait=off" \
		-qmp "unix:$TSOCK,server=on,wait=off" "$@" </dev/null >/dev/null \
		2>"$T_DIR/qemu.err" &
	QPID=$!
	i=0
	while { [ ! -S "$QSOCK" ] || [ ! -S "$TSOCK" ]; } && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
	[ -S "$QSOCK" ] && [ -S "$TSOCK" ]
}

# qmp ARG...: over the test's socket, each ARG an HMP command line or a QMP
# command as JSON ({"execute": ...}); HMP output goes to stdout without \r.
cat >"$T_DIR/qmp.py" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile('rwb')
def recv():
    while True:
        m = json.loads(f.readline())
        if 'event' not in m:
            return m
def cmd(c, **a):
    f.write(json.dumps({'execute': c, 'arguments': a}).encode() + b'\n'); f.flush()
    return recv()
recv(); cmd('qmp_capabilities')
for line in sys.argv[2:]:
    if line.startswith('{'):
        j = json.loads(line); r = cmd(j['execute'], **j.get('arguments', {}))
        if 'error' in r:
            sys.stderr.write('%s\n' % r['error']['desc']); sys.exit(1)
    else:
        r = cmd('human-monitor-command', **{'command-line': line})
        sys.stdout.write(r['return'].replace('\r', ''))
PY
qmp() { python3 "$T_DIR/qmp.py" "$TSOCK" "$@"; }

# QEMU orders address-space groups and flat views by pointer hash: compare
# the blocks (separated by blank lines) as sorted sets, as tests/golden does.
canon() {
	awk 'BEGIN { RS = ""; ORS = "\n" }
	     { gsub(/^FlatView #[0-9]+\n/, ""); gsub(/\n/, "\001"); print }' "$1" |
		LC_ALL=C sort | tr '\001' '\n'
}
