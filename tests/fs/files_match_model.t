#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Every generated file of a mount built from a script equals what the offline
# renderer (mtree render) prints for the same script; the tree has the shape
# README.md's "The filesystem" and mtreefs(1) describe, links resolve, names
# with '/' are escaped, and attribute files print the model's values.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
[ -x "$MTREE" ] || skip_all "$MTREE is not built"
t_tmpdir
S=$T_DIR/topo.script
cat >"$S" <<'SCRIPT'
container system 16E
ram pc.ram 64M
alias low pc.ram 0 32M name="ram-below-4g" in system at 0
rom bios 256K name="pc.bios" idstr="/rom@etc/bios" in system at 0xfffc0000
io ioapic 4K in system at 0xfec00000 prio 2
container sub 1M in system at 0x8000000
ram scratch 64K in sub at 0x10000
ram hidden 4K
set hidden enabled off
address-space memory system
container io-root 64K
io port80 1 in io-root at 0x80
address-space I/O io-root
SCRIPT
mount_machine --accel none --script "$S" || { ok 1 "mount"; done_testing; }
# The machine adds QEMU's per-CPU address space over the "memory" root.
R=$T_DIR/render.script
{ cat "$S"; echo "address-space cpu-memory-0 system"; } >"$R"
hva() { sed 's/0x00007[0-9a-f]*/HVA/'; }

for v in "info/mtree:" "info/mtree-D:-D" "info/flatview:-f" "info/ramblock:--ramblock" \
	 "info/memslots:--memslots"; do
	f=${v%%:*}; opt=${v#*:}
	# shellcheck disable=SC2086
	"$MTREE" render $opt "$R" 2>&1 | hva >"$T_DIR/want"
	hva <"$MNT/$f" >"$T_DIR/got"
	same_file "$T_DIR/got" "$T_DIR/want" "$f equals mtree render $opt"
done
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$MNT/info/topology.json"
ok $? "info/topology.json is valid JSON"

for d in ctl error_log info address-spaces flatviews regions memslots ramblocks machine; do
	[ -e "$MNT/$d" ]; ok $? "/$d exists"
done
is "$(ls "$MNT/address-spaces" | tr '\n' ' ')" "I%2FO cpu-memory-0 memory " "address-space names escape '/'"
is "$(cat "$MNT/address-spaces/I%2FO/name")" "I/O" "escaped address space keeps its name"
is "$(ls "$MNT/ramblocks" | grep -c '%2From@etc%2Fbios')" "1" "ramblock idstr with '/' is escaped"
is "$(readlink "$MNT/address-spaces/memory/root")" "../../regions/system" "root link"
is "$(cat "$MNT/address-spaces/memory/flatview/root/name")" "system" "flatview link resolves"
is "$(readlink "$MNT/regions/low/alias")" "../pc.ram" "alias link"
is "$(cat "$MNT/regions/low/alias/size")" "0x4000000" "alias link resolves to its target"
is "$(cat "$MNT/regions/scratch/container/name")" "sub" "container link resolves"
is "$(ls "$MNT/regions/sub/subregions")" "scratch" "subregions lists children"
is "$(cat "$MNT/regions/sub/subregions/scratch/addr")" "0x10000" "subregion link resolves"
is "$(cat "$MNT/regions/bios/ramblock/used_length")" "0x40000" "ramblock link resolves"
is "$(cat "$MNT/regions/bios/type") $(cat "$MNT/regions/bios/size")" "rom 0x40000" "type and size"
is "$(cat "$MNT/regions/ioapic/prio") $(cat "$MNT/regions/ioapic/addr")" "2 0xfec00000" "prio and addr"
is "$(cat "$MNT/regions/hidden/enabled")" "0" "enabled attribute"
is "$(cat "$MNT/regions/system/size")" "0x10000000000000000" "a 2^64 size prints in full"
[ ! -e "$MNT/regions/hidden/container" ]; ok $? "an unmapped region has no container link"
n=$(ls "$MNT/flatviews/$(readlink "$MNT/address-spaces/memory/flatview" | sed 's|.*/||')/ranges" | wc -l)
want=$("$MTREE" render -f "$S" | sed -n '/AS "memory"/,/^$/p' | grep -c '^  [0-9a-f]')
is "$n" "$want" "ranges/ has one directory per flat range"
r=$MNT/flatviews/$(readlink "$MNT/address-spaces/memory/flatview" | sed 's|.*/||')/ranges
is "$(cat "$r/0000000000000000-0000000001ffffff/region/name")" "pc.ram" "range region link"
is "$(readlink "$r/0000000000000000-0000000001ffffff/memslot" | sed 's|.*/||')" \
   "$(cat "$MNT/memslots/$(readlink "$r/0000000000000000-0000000001ffffff/memslot" | sed 's|.*/||')/slot")" \
   "range memslot link resolves"
is "$(cat "$MNT/memslots/0/guest_phys_addr")" "0x0" "memslot 0 maps gpa 0"
bad=0
for l in $(find "$MNT" -type l 2>/dev/null); do
	[ -e "$l" ] || { bad=$((bad + 1)); diag "dangling: $l"; }
done
is "$bad" "0" "every link resolves"
ls -R "$MNT" >/dev/null 2>"$T_DIR/lserr"; ok $? "ls -R walks the whole tree without errors"
is "$(ls -l "$MNT/regions/pc.ram/ram" | awk '{print $1, $5}')" "-rw------- 67108864" \
   "ram files are private to the mounting user and sized"
is "$(stat -c %a "$MNT/ctl")" "600" "global ctl is private"
is "$(cat "$MNT/machine/accel")" "none" "machine/accel"
unmount_machine
check_daemon_log
done_testing
