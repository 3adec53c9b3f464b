#!/bin/sh
# SPDX-License-Identifier: MIT
#
# `make bench`: the benchmarks of README's Performance section. Builds the two benchmark
# programs (bench_fs: the client of a mount; bench_lib: the library without
# FUSE) into $BUILD/bench, generates the N-region topologies there once, and
# measures each figure next to a physical or peer reference taken in the same
# run: the RAM block's own memfd (read through /proc/PID/fd; the ram file is
# read with FUSE passthrough when machine/daemon/passthrough says on, and then
# again through the daemon with MTREEFS_PASSTHROUGH=off), QEMU's pmemsave,
# `xp` and `info mtree -f` over QMP (skipped, and said so, when QEMU is absent),
# and the 1k-region cost for the scaling targets. The table is printed and
# written to $BUILD/bench/results.md, with a tab-separated copy in results.tsv
# (columns: id, measurement, value, reference, reference value, ratio, target,
# verdict); edit latencies are the best median of three runs, as the machine
# may be shared. BENCH_SIZES overrides the region counts (default "100 1000
# 10000 100000"); BENCH_QUICK=1 makes every loop shorter; BENCH_ACCEL=none|kvm
# overrides the accelerator (default kvm when /dev/kvm works). Without
# /dev/fuse (or with BENCH_FUSE=0) only the library figures are measured; the
# other rows say why not. BENCH_OUT puts the programs and the results in
# another directory (tests/bench/bench_smoke.t uses one of its own).
set -u
BUILD=${BUILD:-build}
export BUILD
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
export MTREEFS_TOP="$top"
. "$top/tests/lib.sh"

CC=${CC:-cc}
OUT=${BENCH_OUT:-$BUILD_DIR/bench}
TSV=$OUT/results.tsv
MD=$OUT/results.md
SIZES=${BENCH_SIZES:-100 1000 10000 100000}
QUICK=${BENCH_QUICK:-0}
GIB=1073741824
mkdir -p "$OUT"

die() { echo "bench: $*" >&2; exit 1; }

# ---- build the benchmark programs ----
BFLAGS="-std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Wall -Wextra -Wformat=2 -Wshadow
	-Wmissing-prototypes -Wstrict-prototypes -Wvla -Wno-unused-parameter -Werror -O2 -g"
[ -f "$BUILD_DIR/libvmm.a" ] && [ -x "$MTREEFS" ] || die "build first: make all"
# shellcheck disable=SC2086
$CC $BFLAGS -o "$OUT/bench_fs" tests/bench/bench_fs.c || die "bench_fs does not build"
# shellcheck disable=SC2086
$CC $BFLAGS -Ivmm/include -pthread -o "$OUT/bench_lib" tests/bench/bench_lib.c \
	"$BUILD_DIR/libvmm.a" -pthread -lm || die "bench_lib does not build"
# bench_ramblock: RAM-block creation at 500 and at 10,000 blocks (row 5).
# shellcheck disable=SC2086
$CC $BFLAGS -Ivmm/include -pthread -o "$OUT/bench_ramblock" tests/bench/bench_ramblock.c \
	"$BUILD_DIR/libvmm.a" -pthread -lm || die "bench_ramblock does not build"
BFS=$OUT/bench_fs
BLIB=$OUT/bench_lib
BRB=$OUT/bench_ramblock

# ---- helpers ----
kv() { # kv KEY "k=v k=v ...": the value of KEY
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1
}
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
ge() { awk "BEGIN { exit !($1 >= $2) }"; }
row() { # id measurement value reference ref_value ratio target verdict
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$TSV"
}
verdict() { # verdict CONDITION-AWK-EXPR
	if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi
}
mount_bench() { # mount_bench OPTIONS...: mount (as tests/lib.sh) or die
	mount_machine "$@" || die "mtreefs $* did not mount"
}

if [ -n "${BENCH_ACCEL:-}" ]; then ACCEL=$BENCH_ACCEL
elif [ -r /dev/kvm ] && [ -w /dev/kvm ]; then ACCEL=kvm; else ACCEL=none; fi
FUSE_WHY=
if [ "${BENCH_FUSE:-1}" = 0 ]; then
	FUSE_WHY="BENCH_FUSE=0"
elif [ ! -c /dev/fuse ] || [ ! -r /dev/fuse ] || [ ! -w /dev/fuse ]; then
	FUSE_WHY="/dev/fuse is missing or not accessible"
elif ! command -v fusermount3 >/dev/null 2>&1 && [ "$(id -u)" -ne 0 ]; then
	FUSE_WHY="fusermount3 is missing"
fi
QEMU=
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	QEMU_WHY="qemu-system-x86_64 not installed"
elif [ "$ACCEL" != kvm ]; then
	QEMU_WHY="QEMU references need KVM (accel is $ACCEL)"
else
	QEMU=$(qemu-system-x86_64 --version | head -1)
fi
: > "$TSV"

# seq_rows: sequential reads of the mounted memfd pc.ram at 4 KiB, 128 KiB
# and 1 MiB next to the same memfd read directly. With FUSE passthrough on
# (machine/daemon/passthrough) the reads never reach the daemon; the same
# rows are then measured again on a mount with MTREEFS_PASSTHROUGH=off, the
# daemon's path, with its time per read split into the daemon's CPU and the
# rest (the kernel's round trip and the client).
seq_rows() {
	path="passthrough"
	case $PT in "passthrough on") ;; *) path="daemon path; $PT" ;; esac
	seq_pass "$path"
	[ "$PT" = "passthrough on" ] || return 0
	unmount_machine
	export MTREEFS_PASSTHROUGH=off
	mount_bench -m 1G --ram-backend memfd --accel "$ACCEL"
	unset MTREEFS_PASSTHROUGH
	save1=$FUSE_1M; save2=$DIRECT_1M
	seq_pass "daemon path, MTREEFS_PASSTHROUGH=off"
	FUSE_1M=$save1; DIRECT_1M=$save2
	unmount_machine
	mount_bench -m 1G --ram-backend memfd --accel "$ACCEL"
	dd if=/dev/zero of="$MNT/ramblocks/pc.ram/ram" bs=1M count=1024 conv=notrunc status=none ||
		die "pre-faulting pc.ram failed"
}

seq_pass() { # seq_pass LABEL: the rows of one mount
	ram=$MNT/ramblocks/pc.ram/ram
	fd=$(cat "$MNT/ramblocks/pc.ram/fd")
	direct=/proc/$T_PID/fd/$fd
	# Pre-fault every page by writing it once through the filesystem.
	dd if=/dev/zero of="$ram" bs=1M count=1024 conv=notrunc status=none ||
		die "pre-faulting pc.ram failed"
	for bs in 4096 131072 1048576; do
		# Alternate the two so that load from elsewhere hits both alike; best pass each.
		fg=0; dg=0; fus=; fdu=
		# Passthrough passes are short (no daemon), so take the best of more of them.
		n=$reps; [ "$1" = passthrough ] && n=$((reps + 2))
		for _ in $(seq $n); do
			f=$($BFS -p "$T_PID" seq "$ram" $GIB $bs 1) || die "seq read of $ram"
			d=$($BFS seq "$direct" $GIB $bs 1) || die "seq read of $direct"
			if ! ge "$fg" "$(kv gib_s "$f")"; then
				fg=$(kv gib_s "$f"); fus=$(kv us_per_read "$f"); fdu=$(kv daemon_us "$f")
			fi
			ge "$dg" "$(kv gib_s "$d")" || dg=$(kv gib_s "$d")
		done
		r=$(calc "$fg / $dg")
		t="-"; v="-"
		case $1,$bs in
		passthrough,1048576) t=">= 0.95x direct"; v=$(verdict "$r >= 0.95") ;;
		passthrough,4096) t=">= 0.8x direct"; v=$(verdict "$r >= 0.8") ;;
		*,1048576) t=">= 0.75x direct"; v=$(verdict "$r >= 0.75") ;;
		esac
		[ $bs = 1048576 ] && { FUSE_1M=$fg; DIRECT_1M=$dg; }
		row 1 "seq read ramblocks/pc.ram/ram, $((bs / 1024)) KiB preads ($1)" \
			"$fg GiB/s; $fus us/read, daemon CPU $fdu us/read" \
			"same memfd via /proc/PID/fd, $((bs / 1024)) KiB" "$dg GiB/s" "${r}x" "$t" "$v"
	done
}

# ---- 1 and 2: guest memory through the ram files (1 GiB memfd, then anonymous, RAM block) ----
bench_ram() {
	if [ -n "$FUSE_WHY" ]; then
		row 1 "seq read ramblocks/pc.ram/ram" "skipped: $FUSE_WHY" "-" "-" "-" \
			">= 0.75x direct, faster than pmemsave" "n/a"
		row 2 "8-byte pread, address-spaces/memory/ram" "skipped: $FUSE_WHY" "-" "-" \
			"-" "-" "-"
		return
	fi
	mount_bench -m 1G --ram-backend memfd --accel "$ACCEL"
	PT=$(head -1 "$MNT/machine/daemon/passthrough" 2>/dev/null)
	reps=3; [ "$QUICK" = 1 ] && reps=1
	seq_rows
	ram=$MNT/ramblocks/pc.ram/ram; fd=$(cat "$MNT/ramblocks/pc.ram/fd"); direct=/proc/$T_PID/fd/$fd
	COPY_1M=0; COPY_DIRECT=0
	for _ in $(seq $reps); do
		c=$($BFS copy "$ram" /dev/shm/mtreefs-bench-copy.$$ $GIB 1048576 1) ||
			die "copy of $ram"
		ge "$COPY_1M" "$(kv gib_s "$c")" || COPY_1M=$(kv gib_s "$c")
		c=$($BFS copy "$direct" /dev/shm/mtreefs-bench-copy.$$ $GIB 1048576 1) ||
			die "copy of $direct"
		ge "$COPY_DIRECT" "$(kv gib_s "$c")" || COPY_DIRECT=$(kv gib_s "$c")
	done
	row 1 "ram file copied to a tmpfs file, 1 MiB requests" "$COPY_1M GiB/s" \
		"same memfd via /proc/PID/fd copied to tmpfs" "$COPY_DIRECT GiB/s" \
		"$(calc "$COPY_1M / $COPY_DIRECT")x" "-" "-"
	unmount_machine
	# Anonymous RAM, QEMU's default backend (THP advised as QEMU does): it
	# has no fd, so the reference reads the daemon's own mapping of the same
	# pages with process_vm_readv.
	mount_bench -m 1G --ram-backend anon --accel "$ACCEL"
	dd if=/dev/zero of="$ram" bs=1M count=1024 conv=notrunc status=none ||
		die "pre-faulting pc.ram failed"
	host=$(cat "$MNT/ramblocks/pc.ram/host")
	fg=0; dg=0
	for _ in $(seq $reps); do
		f=$($BFS seq "$ram" $GIB 1048576 1) || die "seq read of $ram"
		d=$($BFS vmread "$T_PID" "$host" $GIB 1048576 1) || die "process_vm_readv"
		ge "$fg" "$(kv gib_s "$f")" || fg=$(kv gib_s "$f")
		ge "$dg" "$(kv gib_s "$d")" || dg=$(kv gib_s "$d")
	done
	r=$(calc "$fg / $DIRECT_1M")
	row 1 "seq read ramblocks/pc.ram/ram, anonymous RAM (THP), 1024 KiB preads" "$fg GiB/s" \
		"1 GiB of tmpfs (the memfd above) read directly, 1024 KiB" "$DIRECT_1M GiB/s" "${r}x" \
		">= 0.75x direct" "$(verdict "$r >= 0.75")"
	row 1 "seq read ramblocks/pc.ram/ram, anonymous RAM (THP), 1024 KiB preads" "$fg GiB/s" \
		"same pages via process_vm_readv (a memcpy), 1024 KiB" "$dg GiB/s" \
		"$(calc "$fg / $dg")x" "-" "-"
	n=20000; [ "$QUICK" = 1 ] && n=2000
	s=$($BFS -p "$T_PID" rand "$MNT/address-spaces/memory/ram" 0x100000 $GIB $n) ||
		die "random reads"
	RAND_MED=$(kv median_us "$s"); RAND_P99=$(kv p99_us "$s"); RAND_D=$(kv daemon_us "$s")
	unmount_machine
}

bench_qemu() {
	[ -n "$FUSE_WHY" ] && return
	if [ -z "$QEMU" ]; then
		row 1 "seq read, 1 MiB (copied to tmpfs)" "$COPY_1M GiB/s" "QEMU pmemsave 1 GiB" \
			"skipped: $QEMU_WHY" "-" "faster than pmemsave" "n/a"
		row 2 "8-byte pread, address-spaces/memory/ram (median / p99)" \
			"$RAND_MED / $RAND_P99 us" "QEMU xp /1gx over QMP" "skipped: $QEMU_WHY" \
			"-" "-" "-"
		return
	fi
	xp=2000; [ "$QUICK" = 1 ] && xp=200
	q=$(python3 tests/bench/qemu_ref.py "$T_DIR" $GIB $xp) || die "QEMU reference failed"
	pg=$(kv pmemsave_gib_s "$q")
	QEMU_MTREE_MS=$(kv mtree_f_median_ms "$q"); QEMU_MTREE_N=$(kv mtree_f_ranges "$q")
	r=$(calc "$COPY_1M / $pg")
	row 1 "ram file copied to a tmpfs file, 1 MiB requests" "$COPY_1M GiB/s" \
		"QEMU pmemsave 1 GiB to tmpfs (KVM, -S, prealloc)" "$pg GiB/s" "${r}x" \
		"faster than pmemsave" "$(verdict "$r > 1")"
	r=$(calc "$FUSE_1M / $pg")
	row 1 "seq read ramblocks/pc.ram/ram, 1 MiB (no write)" "$FUSE_1M GiB/s" \
		"QEMU pmemsave 1 GiB to tmpfs" "$pg GiB/s" "${r}x" "faster than pmemsave" \
		"$(verdict "$r > 1")"
	xm=$(kv xp_median_us "$q")
	row 2 "8-byte pread at random GPAs, address-spaces/memory/ram (median / p99; daemon)" \
		"$RAND_MED / $RAND_P99 us; $RAND_D us" "QEMU xp /1gx via QMP (median / p99)" \
		"$xm / $(kv xp_p99_us "$q") us" "$(calc "$xm / $RAND_MED")x faster" "-" "-"
}

# ---- 3 and 4: topology edits, render, printing, walks at N regions ----
topo() { # topo N: the generated script (generated once; the name carries its format)
	f=$OUT/topo-v1-$1.mtree
	[ -s "$f" ] || $BLIB gen "$1" "$f" || die "generating $f"
	echo "$f"
}

# Results go to variables named after what, accel tag (S soft table, K KVM) and N.
put() { eval "$1_$2_$3=\$4"; }
get() { eval "printf '%s' \"\${$1_$2_$3:-}\""; }
tag() { if [ "$1" = kvm ]; then echo K; else echo S; fi; }

bench_lib_n() { # bench_lib_n N ACCEL
	l=$($BLIB run "$(topo "$1")" "$2") || die "bench_lib at $1 regions"
	a=$(tag "$2")
	put LMAP $a $1 "$(kv map_us "$l")"; put LUNMAP $a $1 "$(kv unmap_us "$l")"
	put LMOVE $a $1 "$(kv move_us "$l")"
	put LIO $a $1 "$(kv map_ioctls "$l")/$(kv unmap_ioctls "$l")/$(kv move_ioctls "$l")"
	put RENDER $a $1 "$(kv render_ms "$l")"; put PRINT $a $1 "$(kv print_flatview_ms "$l")"
	put RANGES $a $1 "$(kv ranges "$l")"
	put RAWADD $a $1 "$(kv raw_add_us "$l")"; put RAWDEL $a $1 "$(kv raw_del_us "$l")"
}

best3() { # best3 COMMAND...: of three runs, the output line with the lowest median_us
	b=
	for _ in 1 2 3; do
		o=$("$@") || return 1
		if [ -z "$b" ] || ge "$(kv median_us "$b")" "$(kv median_us "$o")"; then b=$o; fi
	done
	printf '%s\n' "$b"
}

fuse_edit() { # fuse_edit N COUNT ACCEL: map/unmap and move through the global ctl
	ctl=$MNT/ctl
	a=$(tag "$3")
	mapc="map edit in devs at 0x1000"
	c0=$(cat "$MNT/machine/kvm/memslot_calls")
	e=$($BFS -p "$T_PID" edit "$ctl" "$2" "$mapc" "unmap edit") || die "edits at $1"
	c1=$(cat "$MNT/machine/kvm/memslot_calls")
	put FMAPIO $a $1 "$(calc "($c1 - $c0) / ($2 + $(kv warmup "$e"))")"
	# Shared machines are noisy: the figure is the best median of three runs.
	e=$(best3 $BFS -p "$T_PID" edit "$ctl" "$2" "$mapc" "unmap edit") || die "edits at $1"
	put FMAP $a $1 "$(kv median_us "$e")"; put FMAPD $a $1 "$(kv daemon_us "$e")"
	# The write returning is the commit point: the views must show it now.
	printf '%s\n' "$mapc" > "$ctl" || die "map at $1"
	grep -q '^  0000000100001000-0000000100001fff (prio 0, ram): edit KVM$' \
		"$MNT/info/flatview" || die "info/flatview does not show the edit at $1"
	grep -q ' 0x0000000100001000 0x0000000000001000 ' "$MNT/info/memslots" ||
		die "info/memslots does not show the edit at $1"
	c0=$(cat "$MNT/machine/kvm/memslot_calls")
	mv="set edit addr 0x3000"; back="set edit addr 0x1000"
	e=$($BFS -p "$T_PID" edit "$ctl" "$2" "$mv" "$back") || die "moves at $1"
	c1=$(cat "$MNT/machine/kvm/memslot_calls")
	put FMOVEIO $a $1 "$(calc "($c1 - $c0) / ($2 + $(kv warmup "$e"))")"
	e=$(best3 $BFS -p "$T_PID" edit "$ctl" "$2" "$mv" "$back") || die "moves at $1"
	put FMOVE $a $1 "$(kv median_us "$e")"; put FMOVED $a $1 "$(kv daemon_us "$e")"
	printf 'unmap edit\n' > "$ctl" || die "unmap at $1"
}

fuse_views() { # fuse_views N: info/flatview through the mount; walk and cat at 10k
	n=50; [ "$1" -ge 100000 ] && n=5
	v=$($BFS -p "$T_PID" cat "$MNT/info/flatview" $n) || die "cat info/flatview at $1"
	put FLAT "$(tag "$ACCEL")" "$1" "$(calc "$(kv median_us "$v") / 1000")"
	[ "$1" = 10000 ] || return 0
	w=$($BFS -p "$T_PID" walk "$MNT") || die "walk at $1"
	WALK_N=$(kv entries "$w"); WALK_S=$(kv total_s "$w")
	WALK_US=$(kv per_entry_us "$w"); WALK_D=$(kv daemon_us "$w")
	t0=$(date +%s.%N)
	ls -R "$MNT" > /dev/null || die "ls -R at $1"
	LSR_S=$(calc "$(date +%s.%N) - $t0")
	c=$($BFS -p "$T_PID" cat "$MNT/regions/r5000/size" 5000) || die "cat at $1"
	CAT_US=$(kv median_us "$c"); CAT_D=$(kv daemon_us "$c")
	c=$($BFS -p "$T_PID" cat "$MNT/ramblocks/bigram/used_length" 5000) || die "cat at $1"
	CATRB_US=$(kv median_us "$c"); CATRB_D=$(kv daemon_us "$c")
}

ACCELS=none
[ "$ACCEL" = kvm ] && ACCELS="none kvm"

bench_topo() {
	for n in $SIZES; do
		echo "# $n regions" >&2
		count=400
		[ "$QUICK" = 1 ] && count=$((count / 4))
		for acc in $ACCELS; do
			bench_lib_n "$n" "$acc"
			[ -n "$FUSE_WHY" ] && continue
			mount_bench --script "$(topo "$n")" --accel "$acc"
			fuse_edit "$n" "$count" "$acc"
			[ "$acc" = "$ACCEL" ] && fuse_views "$n"
			unmount_machine
		done
	done
}

accel_label() { if [ "$1" = K ]; then echo KVM; else echo "soft memslot table"; fi; }

report_edits() { # report_edits TAG
	a=$1; al=$(accel_label "$a")
	for n in $SIZES; do
		[ -n "$FUSE_WHY" ] ||
		row 3 "edit via ctl, $al, $n regions: map/unmap, move (median; daemon CPU mean)" \
			"$(get FMAP $a "$n") / $(get FMOVE $a "$n") us; $(get FMAPD $a "$n") / $(get FMOVED $a "$n") us" \
			"memslot ioctls per edit (map/unmap, move)" \
			"$(get FMAPIO $a "$n") / $(get FMOVEIO $a "$n")" "-" "-" "-"
		ref="memslot ioctls per edit (map/unmap/move)"; rv=$(get LIO $a "$n")
		if [ "$a" = K ]; then
			ref="$ref; raw KVM_SET_USER_MEMORY_REGION add / delete of a 4 KiB slot"
			rv="$rv; $(get RAWADD $a "$n") / $(get RAWDEL $a "$n") us"
		fi
		row 3 "edit via library, $al, $n regions: map / unmap / move (median)" \
			"$(get LMAP $a "$n") / $(get LUNMAP $a "$n") / $(get LMOVE $a "$n") us" \
			"$ref" "$rv" "-" "-" "-"
	done
	case " $SIZES " in *" 1000 "*" 100000 "*) ;; *) return ;; esac
	io=$(get LIO $a 100000)
	row 3 "memslot ioctls per map / unmap / move, $al, 100k regions" "$io" \
		"the changed ranges: 1 slot added / 1 deleted / 1 deleted + 1 added" "1/1/2" "-" \
		"only the ioctls the changed ranges need" "$(verdict "\"$io\" == \"1.00/1.00/2.00\"")"
	for what in LMOVE:"move via library" FMOVE:"move via ctl" FMAP:"map/unmap via ctl"; do
		var=${what%%:*}; label=${what#*:}
		v100k=$(get "$var" $a 100000); v1k=$(get "$var" $a 1000)
		if [ -z "$v100k" ]; then
			row 3 "$label, $al, 100k regions" "skipped: $FUSE_WHY" "-" "-" "-" "<= 2x" "n/a"
			continue
		fi
		r=$(calc "$v100k / $v1k")
		row 3 "$label, $al, 100k regions" "$v100k us" "same at 1k regions" "$v1k us" \
			"${r}x" "<= 2x" "$(verdict "$r <= 2")"
	done
}

report_topo() {
	for acc in $ACCELS; do
		report_edits "$(tag "$acc")"
	done
}

report_views() {
	qref="QEMU info mtree -f via QMP (pc, 1 GiB)"
	qval="skipped: ${QEMU_WHY:-}"
	[ -n "${QEMU_MTREE_MS:-}" ] && qval="$QEMU_MTREE_MS ms ($QEMU_MTREE_N ranges)"
	a=$(tag "$ACCEL")
	for n in $SIZES; do
		[ "$n" -ge 1000 ] || continue
		rr=$(get RENDER $a "$n")
		t="-"; v="-"
		if [ "$n" = 100000 ]; then t="well under 1 s (< 250 ms)"; v=$(verdict "$rr < 250"); fi
		row 4 "vmm_flatview_render, $n regions ($(get RANGES $a "$n") ranges)" "$rr ms" \
			"-" "-" "-" "$t" "$v"
		row 4 "info/flatview at $n regions: cat via mount / vmm_print_flatview" \
			"$(get FLAT $a "$n") / $(get PRINT $a "$n") ms" "$qref" "$qval" "-" "-" "-"
	done
	case " $SIZES " in *" 10000 "*) ;; *) return ;; esac
	if [ -n "$FUSE_WHY" ]; then
		row 4 "ls -R / cat through the mount at 10k regions" "skipped: $FUSE_WHY" "-" "-" \
			"-" "well under 1 ms daemon/file" "n/a"
		return
	fi
	row 4 "walk (readdir + lstat) of the mount at 10k regions, $WALK_N entries" \
		"$WALK_US us/entry (daemon $WALK_D us)" "ls -R of the mount, total" "$LSR_S s" \
		"-" "well under 1 ms daemon/file (< 250 us)" "$(verdict "$WALK_D < 250")"
	row 4 "cat regions/r5000/size at 10k regions (open+read+close)" \
		"$CAT_US us (daemon $CAT_D us)" "cat ramblocks/bigram/used_length" \
		"$CATRB_US us (daemon $CATRB_D us)" "-" "well under 1 ms daemon/file (< 250 us)" \
		"$(verdict "$CAT_D < 250")"
}

# ---- 6: a running QEMU mounted with --qemu ----
. "$top/tests/bench/bench_attach.sh"

# ---- 5: RAM block creation as blocks accumulate (4 KiB anonymous blocks) ----
bench_ramblock() {
	b=$($BRB 500 10000 100) || die "bench_ramblock"
	lo=$(kv lo_us "$b"); hi=$(kv hi_us "$b"); r=$(calc "$hi / $lo")
	row 5 "create a 4 KiB RAM block at 10,000 blocks (median of 100)" "$hi us" \
		"same at 500 blocks" "$lo us" "${r}x" "<= 2x" "$(verdict "$r <= 2")"
	row 5 "create a 4 KiB RAM block at 10,000 blocks (median of 100)" "$hi us" \
		"its mmap/munmap/madvise calls alone, at 10,000 mappings" \
		"$(kv raw_hi_us "$b") us" "$(calc "$hi / $(kv raw_hi_us "$b")")x" "-" "-"
}

# ---- the table ----
print_table() {
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	{
		echo "# mtreefs benchmarks ($(date -u +%Y-%m-%dT%H:%MZ))"
		echo
		echo "- CPU: $cpu, $(nproc) CPUs; kernel $(uname -r); accel: $ACCEL"
		echo "- QEMU: ${QEMU:-$QEMU_WHY}"
		echo "- FUSE: ${FUSE_WHY:-/dev/fuse, libfuse $(cut -d' ' -f1 "$BUILD_DIR/fuse.flags" 2>/dev/null || pkg-config --modversion fuse3 2>/dev/null); ${PT:-passthrough not measured}}"
		echo "- load average (1/5/15 min) at start: $LOAD0, at end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"
		echo "- mtreefs: $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)"
		echo
		echo "| # | measurement | value | reference | reference value | ratio | target | verdict |"
		echo "|---|---|---|---|---|---|---|---|"
		sed 's/\t/ | /g; s/^/| /; s/$/ |/' "$TSV"
	} > "$MD"
	cat "$MD"
}

start=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
bench_ram
bench_qemu
bench_attach
bench_topo
report_topo
report_views
bench_ramblock
print_table
echo
echo "total time: $(($(date +%s) - start)) s; written to $MD and $TSV"
