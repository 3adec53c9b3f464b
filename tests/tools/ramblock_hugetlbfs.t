#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A file backend on hugetlbfs takes the mount's huge page size as the RAM
# block's page size (QEMU's qemu_ram_pagesize): `info ramblock` prints
# "2 MiB", the mapping is aligned to a huge page, used_length keeps QEMU's
# host-page rounding (file_ram_alloc rounds only the mapping), and a block
# smaller than one huge page is refused as QEMU refuses it. Needs root to reserve huge pages and mount
# hugetlbfs; the reservation is put back afterwards.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ -x "$MTREE" ] || skip_all "$MTREE is not built"
[ "$(id -u)" -eq 0 ] || skip_all "needs root to reserve huge pages and mount hugetlbfs"
[ -w /proc/sys/vm/nr_hugepages ] || skip_all "no /proc/sys/vm/nr_hugepages"
t_tmpdir
old=$(cat /proc/sys/vm/nr_hugepages)
restore() { umount "$T_DIR/huge" 2>/dev/null; echo "$old" >/proc/sys/vm/nr_hugepages; }
trap 'restore; t_cleanup' EXIT
echo $((old + 4)) >/proc/sys/vm/nr_hugepages 2>/dev/null
[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 4 ] || skip_all "cannot reserve 4 huge pages"
mkdir "$T_DIR/huge"
mount -t hugetlbfs -o pagesize=2M none "$T_DIR/huge" 2>/dev/null || skip_all "cannot mount hugetlbfs"

cat >"$T_DIR/h.mtree" <<SCRIPT
container system 16E
ram big 3M backend=file:$T_DIR/huge/big in system at 0
ram small 64K in system at 0x40000000
address-space memory system
SCRIPT
"$MTREE" render --ramblock "$T_DIR/h.mtree" >"$T_DIR/out" 2>"$T_DIR/err"
ok $? "a RAM block on hugetlbfs builds"
row=$(grep ' big ' "$T_DIR/out")
is "$(echo "$row" | awk '{print $2, $3}')" "2 MiB" "its page size is the huge page size"
is "$(echo "$row" | awk '{print $5}')" "0x0000000000300000" "used_length stays 3M, as in QEMU"
is "$(grep ' small ' "$T_DIR/out" | awk '{print $2, $3}')" "4 KiB" "anonymous memory keeps 4 KiB pages"
"$MTREE" render --json "$T_DIR/h.mtree" >"$T_DIR/json"
host=$(python3 -c 'import json,sys; print([b for b in json.load(open(sys.argv[1]))["ramblocks"] if b.get("idstr") == "big"][0]["host"])' "$T_DIR/json")
[ -n "$host" ] && [ $((host % (2 << 20))) -eq 0 ]
ok $? "the mapping is huge-page aligned ($host)"

printf 'container system 16E\nram tiny 1M backend=file:%s/tiny in system at 0\n' "$T_DIR/huge" >"$T_DIR/t.mtree"
"$MTREE" render --ramblock "$T_DIR/t.mtree" >/dev/null 2>"$T_DIR/err"
is $? 1 "a block smaller than one huge page is refused"
grep -q 'must be at least the page size 0x200000' "$T_DIR/err"
ok $? "with QEMU's reason: $(cat "$T_DIR/err")"
done_testing
