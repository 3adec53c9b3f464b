#!/bin/sh
# SPDX-License-Identifier: MIT
#
# `mtree --qmp SOCKET` against a real QEMU, as mtree(1) documents it: for the
# machines of tests/golden/pc-nodefaults-128M and q35-nodefaults-128M, started
# with the golden's own command line, `import-qemu --qmp` writes the same
# script as importing the dumps Python's json reads over the same socket, and
# renders to QEMU's golden texts; `diff --qmp` finds the live machine equal to
# its golden dump and to its own import and different from another machine;
# `plot --qmp` draws what plotting the imported script draws. A second client
# while the socket is taken, a socket nobody listens on and misplaced operands
# are errors that say so. Skips when qemu-system-x86_64 ($QEMU) is missing;
# without /dev/kvm QEMU runs under TCG and the golden comparisons are skipped.
set -u
top=${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
mtree="$top/${BUILD:-build}/mtree"
QEMU=${QEMU:-qemu-system-x86_64}
n=0
failed=0
ok() { # ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

if ! command -v "$QEMU" >/dev/null 2>&1; then
	echo "1..0 # SKIP $QEMU not installed"
	exit 0
fi
accel=kvm
[ -r /dev/kvm ] && [ -w /dev/kvm ] || accel=tcg
tmp=$(mktemp -d)
qpid=
hold=
cleanup() {
	[ -n "$hold" ] && kill "$hold" 2>/dev/null
	[ -n "$qpid" ] && kill -9 "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# QEMU orders address-space groups and flat views by pointer hash: compare
# the blocks (separated by blank lines) as sorted sets, as tests/golden does.
canon() {
	awk 'BEGIN { RS = ""; ORS = "\n" }
	     { gsub(/^FlatView #[0-9]+\n/, ""); gsub(/\n/, "\001"); print }' "$1" |
		LC_ALL=C sort | tr '\001' '\n'
}

# The three HMP texts through Python's json, \r removed, one file each.
py_dump() { # SOCKET DIR
	python3 - "$1" "$2" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile('rwb')
def recv():
    while True:
        m = json.loads(f.readline())
        if 'event' not in m:
            return m
def cmd(c, **a):
    f.write(json.dumps({'execute': c, 'arguments': a}).encode() + b'\n'); f.flush()
    return recv()['return']
recv()
cmd('qmp_capabilities')
for name, line in (('mtree-D', 'info mtree -D'), ('mtree-f', 'info mtree -f'),
                   ('ramblock', 'info ramblock')):
    text = cmd('human-monitor-command', **{'command-line': line}).replace('\r', '')
    open('%s/%s' % (sys.argv[2], name), 'w').write(text)
EOF
}

start_qemu() { # MACHINE SOCKET
	rm -f "$2"
	"$QEMU" -machine "$1,accel=$accel" -m 128M -S -nodefaults -display none -monitor none \
		-serial none -qmp "unix:$2,server=on,wait=off" </dev/null >/dev/null 2>"$tmp/qemu.err" &
	qpid=$!
	i=0
	while [ ! -S "$2" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$2" ] || return 1
	# The socket exists before QEMU's main loop serves it; on a loaded machine
	# that can take longer than a client's 5 s greeting timeout, so wait for
	# the greeting here (this client then leaves the socket to the next).
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(60); s.connect(sys.argv[1])
sys.exit(0 if b"QMP" in s.recv(4096) else 1)' "$2"
}

stop_qemu() {
	kill -9 "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	qpid=
}

for m in pc q35; do
	golden="$top/tests/golden/$m-nodefaults-128M"
	sock="$tmp/$m.sock"
	start_qemu "$m" "$sock"
	ok $? "$m: QEMU starts with the QMP socket"
	sed 's/^/# /' "$tmp/qemu.err" | grep -v warning | head -5

	"$mtree" import-qemu --qmp "$sock" >"$tmp/live.mtree" 2>"$tmp/err"
	ok $? "$m: import-qemu --qmp"
	sed 's/^/# /' "$tmp/err"

	if command -v python3 >/dev/null 2>&1; then
		mkdir -p "$tmp/py"
		py_dump "$sock" "$tmp/py"
		ok $? "$m: python3 reads the dumps over the same socket"
		"$mtree" import-qemu "$tmp/py" >"$tmp/py.mtree"
		cmp -s "$tmp/py.mtree" "$tmp/live.mtree"
		ok $? "$m: the live import is the import of Python's dumps, byte for byte"
	else
		skip "python3 missing"
		skip "python3 missing"
	fi

	if [ "$accel" = kvm ]; then
		for what in D f; do
			"$mtree" render -$what "$tmp/live.mtree" >"$tmp/out"
			canon "$tmp/out" >"$tmp/a"
			canon "$golden/mtree-$what" >"$tmp/b"
			cmp -s "$tmp/a" "$tmp/b"
			ok $? "$m: render -$what of the live import is QEMU's golden mtree-$what"
			diff "$tmp/b" "$tmp/a" | head -5 | sed 's/^/# /'
		done
		"$mtree" diff --kvm --qmp "$sock" "$golden" >"$tmp/out" 2>&1
		ok $? "$m: diff --kvm --qmp against the golden dump is empty"
		sed 's/^/# /' "$tmp/out" | head -5
	else
		skip "no usable /dev/kvm: the goldens are from KVM"
		skip "no usable /dev/kvm: the goldens are from KVM"
		skip "no usable /dev/kvm: the goldens are from KVM"
	fi
	"$mtree" diff --qmp "$sock" "$tmp/live.mtree" >"$tmp/out" 2>&1
	ok $? "$m: diff --qmp against its own import is empty"
	sed 's/^/# /' "$tmp/out" | head -5
	other=$top/tests/golden/pc-nodefaults-512M
	[ "$m" = q35 ] && other=$top/tests/golden/q35-2G
	"$mtree" diff --qmp="$sock" "$other" >"$tmp/out" 2>&1
	[ $? -eq 1 ] && grep -q '^+ .*pc\.ram' "$tmp/out"
	ok $? "$m: diff --qmp against a bigger machine ($(basename "$other")) shows more pc.ram"

	"$mtree" plot --qmp "$sock" -o "$tmp/live.svg" 2>"$tmp/err"
	ok $? "$m: plot --qmp"
	"$mtree" plot "$tmp/live.mtree" | cmp -s - "$tmp/live.svg"
	ok $? "$m: it draws what plotting the imported script draws"

	if [ "$m" = pc ] && command -v python3 >/dev/null 2>&1; then
		# a client that keeps the socket: QEMU serves one at a time
		python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.recv(4096)
print("held", flush=True); time.sleep(30)' "$sock" >"$tmp/hold" &
		hold=$!
		i=0
		while ! grep -q held "$tmp/hold" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		"$mtree" import-qemu --qmp "$sock" >/dev/null 2>"$tmp/err"
		[ $? -eq 1 ] && grep -q 'one QMP client at a time' "$tmp/err"
		ok $? "$m: a busy socket is an error that says why"
		sed 's/^/# /' "$tmp/err"
		kill "$hold"
		wait "$hold" 2>/dev/null
		hold=
	fi
	stop_qemu
done

"$mtree" import-qemu --qmp "$tmp/nothing.sock" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "nothing.sock" "$tmp/err"
ok $? "a socket nobody listens on is an error naming it"
"$mtree" import-qemu --qmp "$tmp/x" extra >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "import-qemu --qmp takes no file operands"
"$mtree" diff --qmp "$tmp/x" a b >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "diff --qmp takes one operand"
"$mtree" plot --qmp "$tmp/x" a >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "plot --qmp takes no script"

echo "1..$n"
[ "$failed" -eq 0 ]
