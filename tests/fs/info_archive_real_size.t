#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The info/ files report their real size (issue #15): stat's st_size is the
# length of what an open then reads, so tools that trust it copy them whole:
# `tar cf` of info/, `rsync -a` of info/, `cp -r` and `cmp -s` against a
# copy all agree with `cat` of each file, before and after a topology edit
# (a new generation renders anew). Files whose content changes without a
# topology edit (error_log, machine/console) keep their own sizes and are
# not checked here. rsync is optional on the test machine: without it those
# checks are skipped loudly.
. "${MTREEFS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need_fuse
need_tool tar
need_tool cmp
t_tmpdir

mount_machine --accel none || { ok 1 "mount"; done_testing; }

skip_one() { T_N=$((T_N + 1)); printf 'ok %d # SKIP %s\n' "$T_N" "$*"; }

# check_copies TAG: every way of copying info/ gives what cat gives.
check_copies() {
	tag=$1 out=$T_DIR/$1
	mkdir -p "$out/cat" "$out/tar" "$out/rsync" "$out/cp"
	for f in "$MNT"/info/*; do
		n=${f##*/}
		cat "$f" >"$out/cat/$n"
		is "$(stat -c %s "$f")" "$(wc -c <"$out/cat/$n" | tr -d ' ')" "$tag: st_size of info/$n is its length"
	done
	tar cf "$out/info.tar" -C "$MNT" info 2>"$out/tar.err"
	ok $? "$tag: tar cf -C \$M info succeeds"
	[ ! -s "$out/tar.err" ]; ok $? "$tag: tar says nothing (no file shrank or changed as read)"
	tar xf "$out/info.tar" -C "$out/tar"
	if command -v rsync >/dev/null 2>&1; then
		rsync -a "$MNT/info/" "$out/rsync/"
		ok $? "$tag: rsync -a \$M/info/ succeeds"
	else
		skip_one "rsync is missing (tools/deps.sh should install it)"
	fi
	cp -r "$MNT/info/." "$out/cp/"
	ok $? "$tag: cp -r succeeds"
	for f in "$out"/cat/*; do
		n=${f##*/}
		same_file "$out/tar/info/$n" "$f" "$tag: tar stored info/$n whole"
		if command -v rsync >/dev/null 2>&1; then
			same_file "$out/rsync/$n" "$f" "$tag: rsync copied info/$n whole"
		else
			skip_one "rsync is missing: info/$n not checked"
		fi
		same_file "$out/cp/$n" "$f" "$tag: cp copied info/$n whole"
		cmp -s "$f" "$MNT/info/$n"; ok $? "$tag: cmp -s finds info/$n equal to its copy"
	done
}

check_copies start
# A topology edit: a new generation, new sizes.
before=$(stat -c %s "$MNT/info/mtree")
printf 'ram archive-probe 64K in system at 0x7ff00000\n' >"$MNT/ctl"
[ "$(stat -c %s "$MNT/info/mtree")" -gt "$before" ]; ok $? "an edit changes the size stat reports"
grep -q archive-probe "$MNT/info/mtree"; ok $? "and the content an open reads"
check_copies edited
unmount_machine
check_daemon_log
done_testing
