#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Builds libfuse 3.17.2 (the first libfuse with FUSE passthrough, which lets
# mtreefs hand a ram file's reads, writes and mmap to the kernel) as a static
# library into a cache directory outside the source tree, so `make clean`
# keeps it and every build directory shares it. Debian 12 ships libfuse
# 3.14; the 3.17 source package comes from the machine's own Debian archive
# (the URI of its apt sources, suite trixie), fetched with a private apt
# configuration and verified by apt against debian-archive-keyring, then
# unpacked with dpkg-source and built with meson. Nothing happens when the
# system libfuse is already 3.17 or newer, when the cache holds the build, or
# when not run as root (it says so). A failure is reported and is not fatal:
# the Makefile then builds against the system libfuse without passthrough.
#   sh tools/libfuse.sh          build if needed (used by tools/deps.sh)
#   sh tools/libfuse.sh dir      print the cache directory (used by the Makefile)
#   sh tools/libfuse.sh force    build even when the system libfuse is new enough
set -u
VERSION=3.17.2
DEBVERSION=3.17.2-3
SUITE=trixie
CACHE=${MTREEFS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/mtreefs}
# BUILD names the configuration below, so a changed one is built afresh.
BUILD=nomtab
DEST=$CACHE/libfuse-$VERSION-$BUILD
PC=$DEST/lib/pkgconfig/fuse3.pc

case "${1:-}" in
dir) echo "$DEST"; exit 0 ;;
force) ;;
"")
	if pkg-config --atleast-version=3.17 fuse3 2>/dev/null; then
		exit 0
	fi ;;
*) echo "usage: $0 [dir|force]" >&2; exit 2 ;;
esac
[ -f "$PC" ] && exit 0
say() { echo "libfuse.sh: $*" >&2; }
if [ "$(id -u)" -ne 0 ]; then
	say "libfuse $VERSION not built (needs root for apt-get); mtreefs builds against" \
	    "the system libfuse $(pkg-config --modversion fuse3 2>/dev/null || echo '(none)')" \
	    "without FUSE passthrough. Run 'make deps' as root to build it."
	exit 0
fi

# The archive URI the machine already uses for Debian (never written here).
archive_uri() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f"
	done | head -1
	grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
		awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\// && $i !~ /security/) { print $i; exit } }' |
		head -1
}

build() {
	t0=$(date +%s)
	tools="dpkg-dev meson ninja-build build-essential pkg-config debian-archive-keyring"
	missing=
	for p in $tools; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		say "installing:$missing"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null ||
			return 1
	fi
	uri=$(archive_uri | head -1)
	[ -n "$uri" ] || { say "no Debian archive URI in /etc/apt sources"; return 1; }
	work=$(mktemp -d "${TMPDIR:-/tmp}/mtreefs-libfuse.XXXXXX") || return 1
	trap 'rm -rf "$work"' EXIT
	mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial" "$work/src"
	cat > "$work/parts/src.sources" <<SRC
Types: deb-src
URIs: $uri
Suites: $SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	# A private apt state: the machine's own sources and lists stay untouched.
	# Downloads run as root because the private directories are root's.
	opts="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$work/parts
	      -o Dir::State::Lists=$work/lists -o Dir::Cache=$work/cache
	      -o Dir::State::status=/var/lib/dpkg/status -o APT::Sandbox::User=root"
	# shellcheck disable=SC2086
	apt-get $opts -qq update || { say "apt-get update of the $SUITE sources failed"; return 1; }
	# shellcheck disable=SC2086
	(cd "$work/src" && apt-get $opts -qq source --download-only "fuse3=$DEBVERSION") ||
		{ say "apt-get source fuse3=$DEBVERSION failed"; return 1; }
	# apt checked every file against the signed index; dpkg-source checks the
	# sums again (it cannot check the .dsc's own signature without
	# debian-keyring, and says so in its log).
	(cd "$work/src" && dpkg-source -x ./fuse3_"$DEBVERSION".dsc fuse3 >"$work/x.log" 2>&1) ||
		{ cat "$work/x.log" >&2; say "dpkg-source -x failed"; return 1; }
	# IGNORE_MTAB: as root, libfuse 3.17 records a mount in /etc/mtab by running
	# /bin/mount unless /etc/mtab is missing or read-only. Every current system
	# links /etc/mtab to /proc/self/mounts, so there is nothing to record, and
	# the container image has no /bin/mount: the daemon there failed to mount.
	# (3.17.2's disable-mtab meson option is declared but wired to nothing.)
	(cd "$work/src/fuse3" &&
	 meson setup b --prefix="$DEST" --libdir=lib -Dexamples=false -Dutils=false \
		-Dtests=false --default-library=static --buildtype=release \
		-Dc_args=-DIGNORE_MTAB >/dev/null &&
	 ninja -C b >/dev/null && rm -rf "$DEST" && ninja -C b install >/dev/null) ||
		{ say "building libfuse $VERSION failed"; rm -rf "$DEST"; return 1; }
	[ -f "$PC" ] || { say "no $PC after the build"; return 1; }
	say "libfuse $VERSION built into $DEST in $(($(date +%s) - t0)) s"
}

mkdir -p "$CACHE" || exit 0
if ! build; then
	say "falling back to the system libfuse (no FUSE passthrough)"
fi
exit 0
