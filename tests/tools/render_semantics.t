#!/bin/sh
# SPDX-License-Identifier: MIT
#
# `mtree render -f` on the example scripts in tests/scripts, held to flat
# views worked out by hand from QEMU 7.2's render_memory_region rules (the
# scripts' comments say which): newest wins among equal priorities, higher
# priority wins, a terminating region's children beat it, disabled regions
# fall through, alias windows shift by -alias_offset and compose, readonly is
# inherited through aliases and printed as rom, and only RAM-backed ranges
# carry the " KVM" mark of a memslot.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ -x "$MTREE" ] || skip_all "$MTREE is not built"
S=$MTREEFS_TOP/tests/scripts
t_tmpdir

cat >"$T_DIR/overlap.want" <<'W'
FlatView #0
 AS "memory", root: system
 Root memory region: system
  0000000000000000-0000000000001fff (prio 0, ram): low ram KVM
  0000000000002000-0000000000002fff (prio 0, i/o): dev regs
  0000000000003000-0000000000007fff (prio 0, ram): low ram @0000000000003000 KVM
  0000000000008000-000000000000bfff (prio 0, ram): mid ram KVM
  000000000000c000-000000000000ffff (prio 1, rom): boot KVM
  0000000000010000-0000000000017fff (prio 0, ram): mid ram @0000000000008000 KVM

W
"$MTREE" render -f "$S/overlap.mtree" >"$T_DIR/overlap.got"
same_file "$T_DIR/overlap.got" "$T_DIR/overlap.want" "overlap: priorities, order, children, disabled"

cat >"$T_DIR/aliases.want" <<'W'
FlatView #0
 AS "memory", root: sys
 Root memory region: sys
  0000000000100000-000000000010ffff (prio 0, ram): ram0 @0000000000040000 KVM
  0000000000200000-0000000000207fff (prio 0, rom): ram0 @0000000000048000 KVM
  0000000000301000-0000000000301fff (prio 0, i/o): bar

W
"$MTREE" render -f "$S/aliases.mtree" >"$T_DIR/aliases.got"
same_file "$T_DIR/aliases.got" "$T_DIR/aliases.want" "aliases: windows, alias of alias, readonly, container window"

# Re-mapping at an equal priority moves a region in front of its group.
printf '%s\n' 'container sys 16E' 'ram a 64K in sys at 0' 'ram b 64K in sys at 0' \
	'address-space memory sys' >"$T_DIR/eq.mtree"
"$MTREE" render -f "$T_DIR/eq.mtree" | grep -q '^  0000000000000000-000000000000ffff (prio 0, ram): b KVM$'
ok $? "equal priority: the newest mapping wins"
printf '%s\n' 'set a addr 0x1000' 'set a addr 0' >>"$T_DIR/eq.mtree"
"$MTREE" render -f "$T_DIR/eq.mtree" | grep -q '^  0000000000000000-000000000000ffff (prio 0, ram): a KVM$'
ok $? "equal priority: a moved region goes to the front of its group"

# A container with one child at 0 is not the flat-view root; the child is.
printf '%s\n' 'container top 16E' 'container inner 16E in top at 0' 'ram r 4K in inner at 0x1000' \
	'address-space memory top' >"$T_DIR/root.mtree"
"$MTREE" render -f "$T_DIR/root.mtree" | grep -q '^ Root memory region: inner$'
ok $? "flat-view root: a lone child at 0 replaces its container"
printf '%s\n' 'container empty 16E' 'address-space memory empty' >"$T_DIR/none.mtree"
"$MTREE" render -f "$T_DIR/none.mtree" >"$T_DIR/none.got"
grep -q '^ Root memory region: (none)$' "$T_DIR/none.got" && grep -q '^  No rendered FlatView$' "$T_DIR/none.got"
ok $? "an empty container renders no flat view"

done_testing
