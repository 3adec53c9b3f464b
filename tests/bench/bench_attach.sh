# SPDX-License-Identifier: MIT
#
# `make bench`, row 6: a running QEMU mounted with mtreefs --qemu (mtreefs(1),
# ATTACHING TO QEMU). Sourced by tests/bench/run.sh, whose helpers (row, kv,
# calc, verdict, mount_bench, $BFS, $GIB) it uses. Measured next to the peer
# references of the same QEMU in the same run: a 1 GiB sequential read of
# ramblocks/pc.ram/ram (QEMU's default anonymous RAM: process_vm_readv into
# the daemon, then out to the reader) and of ramblocks/m0/ram (a shared
# memfd memory-backend, which the daemon maps itself) vs process_vm_readv
# of QEMU's own mapping and vs QMP pmemsave to tmpfs; 8-byte random preads of address-spaces/memory/ram vs HMP
# `xp /1gx`; the cost of one refresh when nothing changed (--refresh 0, so
# every lookup and open refreshes; the daemon's own clock, machine/qemu/
# refresh) at pc and at q35-with-devices sizes, and of a rebuild when the
# topology changed (PAM toggled by HMP port writes).

# attach_qemu MACHINE [QEMU options...]: start it -S with two QMP sockets in $T_DIR
attach_qemu() {
	m=$1
	shift
	rm -f "$T_DIR/qd.sock" "$T_DIR/qt.sock"
	qemu-system-x86_64 -machine "$m,accel=kvm" -S -nodefaults -display none -monitor none \
		-serial none -qmp "unix:$T_DIR/qd.sock,server=on,wait=off" \
		-qmp "unix:$T_DIR/qt.sock,server=on,wait=off" "$@" </dev/null >/dev/null 2>&1 &
	AQPID=$!
	i=0
	while [ ! -S "$T_DIR/qt.sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	attach_py hmp "info status"	# answers once -mem-prealloc is done
	mount_bench --qemu "$T_DIR/qd.sock" "${AQREFRESH:---refresh=200}"
}

attach_stop() {
	unmount_machine
	kill -9 "$AQPID" 2>/dev/null
	wait "$AQPID" 2>/dev/null
}

# attach_py WHAT ARGS: pmemsave SIZE | xp N LO HI | hmp LINE...; key=value on stdout
attach_py() {
	python3 - "$T_DIR/qt.sock" "$@" <<'PY'
import json, os, random, socket, statistics, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile('rwb')
def recv():
    while True:
        m = json.loads(f.readline())
        if 'event' not in m:
            return m
def cmd(c, **a):
    f.write(json.dumps({'execute': c, 'arguments': a}).encode() + b'\n'); f.flush()
    r = recv()
    if 'error' in r: raise SystemExit(str(r))
    return r['return']
recv(); cmd('qmp_capabilities')
what = sys.argv[2]
if what == 'pmemsave':
    size, out, best = int(sys.argv[3]), '/dev/shm/mtreefs-bench-attach.%d' % os.getpid(), None
    for _ in range(3):
        t0 = time.monotonic(); cmd('pmemsave', val=0, size=size, filename=out)
        t = time.monotonic() - t0; os.unlink(out)
        best = t if best is None or t < best else best
    print('gib_s=%.3f' % (size / best / (1 << 30)))
elif what == 'xp':
    n, lo, hi = int(sys.argv[3]), int(sys.argv[4], 0), int(sys.argv[5], 0)
    rng, lat = random.Random(1), []
    for _ in range(n):
        a = rng.randrange(lo, hi, 8); t0 = time.monotonic()
        cmd('human-monitor-command', **{'command-line': 'xp /1gx 0x%x' % a})
        lat.append(time.monotonic() - t0)
    lat.sort()
    print('median_us=%.2f p99_us=%.2f' % (statistics.median(lat) * 1e6, lat[int(n * 0.99)] * 1e6))
else:
    for line in sys.argv[3:]:
        cmd('human-monitor-command', **{'command-line': line})
PY
}

# refresh_stat KEY: a counter of machine/qemu/refresh
refresh_stat() { sed -n "s/^$1 //p" "$MNT/machine/qemu/refresh"; }

# refresh_cost LABEL: mean refresh when nothing changed, over the opens of 200 cats
refresh_cost() {
	n0=$(refresh_stat refreshes); u0=$(refresh_stat refresh_us)
	$BFS cat "$MNT/machine/qemu/version" 200 >/dev/null || die "cat through the mount"
	n=$(($(refresh_stat refreshes) - n0)); u=$(($(refresh_stat refresh_us) - u0))
	ranges=$(grep -c '^  0' "$MNT/info/flatview")
	ms=$(calc "$u / $n / 1000")
	row 6 "one refresh, nothing changed: 2 HMP round trips + compare ($1, $ranges ranges, mean of $n)" \
		"$ms ms" "-" "-" "-" "< 10 ms" "$(verdict "$ms < 10")"
}

# seq_attach BLOCK LABEL: 1 GiB sequential read of ramblocks/BLOCK/ram vs
# process_vm_readv of QEMU's mapping and vs pmemsave (QEMU at guest address 0)
seq_attach() {
	ram=$MNT/ramblocks/$1/ram
	hva=$(awk '$1 ~ /^0x0000000000000000-/ { print $3 }' "$MNT/machine/qemu/ranges")
	fg=0; vg=0
	for _ in $(seq $reps); do
		f=$($BFS seq "$ram" $GIB 1048576 1) || die "seq read of $ram"
		v=$($BFS vmread "$AQPID" "$hva" $GIB 1048576 1) || die "process_vm_readv of QEMU"
		ge "$fg" "$(kv gib_s "$f")" || fg=$(kv gib_s "$f")
		ge "$vg" "$(kv gib_s "$v")" || vg=$(kv gib_s "$v")
	done
	r=$(calc "$fg / $vg")
	row 6 "--qemu, $2: seq read ramblocks/$1/ram, 1 GiB, 1 MiB preads" "$fg GiB/s" \
		"process_vm_readv of QEMU's $1, 1 MiB" "$vg GiB/s" "${r}x" ">= 0.75x" \
		"$(verdict "$r >= 0.75")"
	p=$(attach_py pmemsave $GIB) || die "pmemsave"
	pg=$(kv gib_s "$p"); r=$(calc "$fg / $pg")
	row 6 "--qemu, $2: seq read ramblocks/$1/ram, 1 GiB, 1 MiB preads" "$fg GiB/s" \
		"QMP pmemsave 1 GiB to tmpfs" "$pg GiB/s" "${r}x" ">= 10x" "$(verdict "$r >= 10")"
}

bench_attach() {
	if [ -n "$FUSE_WHY" ] || [ -z "$QEMU" ]; then
		why=${FUSE_WHY:-$QEMU_WHY}
		row 6 "mtreefs --qemu: seq read, random read, refresh" "skipped: $why" "-" "-" "-" \
			">= 0.75x process_vm_readv, >= 10x pmemsave, refresh < 10 ms" "n/a"
		return
	fi
	t_tmpdir
	reps=3; [ "$QUICK" = 1 ] && reps=1
	attach_qemu pc -m 1G -mem-prealloc
	seq_attach pc.ram "anonymous RAM (copied)"
	n=20000; [ "$QUICK" = 1 ] && n=2000
	f=$($BFS rand "$MNT/address-spaces/memory/ram" 0x100000 $GIB $n) || die "random reads"
	x=$(attach_py xp 1000 0x100000 $GIB) || die "xp"
	row 6 "--qemu: 8-byte pread at random GPAs, median / p99" \
		"$(kv median_us "$f") / $(kv p99_us "$f") us" "HMP xp /1gx over QMP" \
		"$(kv median_us "$x") / $(kv p99_us "$x") us" \
		"$(calc "$(kv median_us "$x") / $(kv median_us "$f")")x faster" "-" "-"
	attach_stop
	# memfd RAM: passthrough when machine/daemon/passthrough is on, then the
	# daemon's own mapping (MTREEFS_PASSTHROUGH=off, the path address-spaces/
	# memory/ram always takes); the memfd read(2) directly is the bound
	for pt in on off; do
		[ $pt = off ] && export MTREEFS_PASSTHROUGH=off
		attach_qemu pc,memory-backend=m0 -m 1G \
			-object memory-backend-memfd,id=m0,size=1G,share=on,prealloc=on
		unset MTREEFS_PASSTHROUGH
		grep -q ' shared ram m0$' "$MNT/machine/qemu/ranges" ||
			die "memfd RAM is not mapped shared"
		if [ $pt = on ] && grep -q '^passthrough on' "$MNT/machine/daemon/passthrough"; then
			seq_attach m0 "memfd RAM, FUSE passthrough of QEMU's memfd"
			m=$(awk '/ \/memfd:/ { print $1; exit }' "/proc/$AQPID/maps")
			d=$($BFS seq "/proc/$AQPID/map_files/$m" $GIB 1048576 $reps) ||
				die "read of QEMU's memfd"
			row 6 "--qemu, memfd RAM, FUSE passthrough: seq read ramblocks/m0/ram, 1 GiB, 1 MiB preads" \
				"$fg GiB/s" "read(2) of QEMU's memfd itself, 1 MiB" \
				"$(kv gib_s "$d") GiB/s" "$(calc "$fg / $(kv gib_s "$d")")x" "-" "-"
		elif [ $pt = off ]; then
			seq_attach m0 "memfd RAM, daemon's shared mapping (MTREEFS_PASSTHROUGH=off)"
		fi
		attach_stop
	done

	AQREFRESH=--refresh=0
	attach_qemu pc -m 1G
	refresh_cost "pc, 1 GiB"
	# a rebuild: the i440FX PAM register toggled as firmware does, one open after each
	b0=$(refresh_stat rebuilds); u0=$(refresh_stat rebuild_us)
	for v in 0x30 0x00 0x30 0x00 0x30 0x00 0x30 0x00 0x30 0x00; do
		attach_py hmp "o 0xcf8 0x80000058" "o /b 0xcfd $v"
		cat "$MNT/machine/qemu/version" >/dev/null
	done
	b=$(($(refresh_stat rebuilds) - b0)); u=$(($(refresh_stat rebuild_us) - u0))
	[ "$b" -gt 0 ] && row 6 "--qemu: rebuild after a change (import + RAM ranges by gpa2hva + swap; pc, mean of $b)" \
		"$(calc "$u / $b / 1000") ms" "-" "-" "-" "-" "-"
	attach_stop
	attach_qemu q35 -m 1G -device qemu-xhci -device virtio-scsi-pci -device virtio-rng-pci \
		-device e1000e,netdev=n0 -netdev user,id=n0 -device intel-hda -device VGA \
		-device virtio-balloon-pci -device virtio-net-pci,netdev=n1 -netdev user,id=n1
	refresh_cost "q35 with 8 PCI devices, 1 GiB"
	attach_stop
	AQREFRESH=
}
