#!/bin/sh
# SPDX-License-Identifier: MIT
#
# `make image`: builds the container image localhost/mtreefs (TAG=... to
# name it otherwise) from this tree, with no image registry and no download:
# a root filesystem of the built mtreefs and mtree, the man pages (also
# rendered, for the image's small `man`), bash completion, fusermount3, a
# shell, a few inspection tools (xxd, jq, less, coreutils, grep, findmnt)
# and exactly the shared libraries those programs load (ldd), copied from
# this Debian host. It is packed into a tar with fixed names, owners, order
# and times, and `podman build --timestamp` turns that into a one-layer
# image FROM scratch (contrib/container/Containerfile), so the same tree on
# the same packages gives the same image, byte for byte. The image carries
# a label with a hash of its inputs; IF_STALE=1 rebuilds only when that
# hash changed (the container tests use it). One build at a time per build
# directory (a lock), so parallel tests wait for one build and then find it
# current. Needs root (podman rootful, see contrib/container/README.md) and
# `make all` done.
set -eu
BUILD=${BUILD:-build}
TAG=${TAG:-localhost/mtreefs:latest}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
case "$BUILD" in /*) bdir=$BUILD ;; *) bdir=$top/$BUILD ;; esac
ctx=$bdir/image
root=$ctx/rootfs

die() { echo "image: $*" >&2; exit 1; }

if [ -z "${MTREEFS_IMAGE_LOCKED:-}" ] && [ -d "$bdir" ]; then
	exec env MTREEFS_IMAGE_LOCKED=1 flock "$bdir/.image.lock" sh "$top/tools/image.sh" "$@"
fi

for b in mtreefs mtree; do
	[ -x "$bdir/$b" ] || die "$bdir/$b is not built (run make)"
done
command -v podman >/dev/null 2>&1 || die "podman is missing (make deps, as root)"

# Programs from the host, by name; each must exist (tools/deps.sh installs
# the packages). dash is /bin/sh; bash for the completion files.
TOOLS="dash bash fusermount3 xxd jq less grep sed find findmnt mountpoint
	ls cat cp mv rm mkdir rmdir ln dd od head tail wc stat sleep id env
	touch chmod readlink realpath sort uniq cut tr printf echo true false
	basename dirname tee timeout cmp diff test"

# The identity of an image: the two programs, the list above and the files
# that describe how it is made. Same inputs, same label, no rebuild.
inputs_hash() {
	{
		sha256sum "$bdir/mtreefs" "$bdir/mtree" tools/image.sh \
			contrib/container/Containerfile doc/*.1 contrib/completion/* \
			contrib/examples/*.mtree |
			sed "s|$bdir/||"
		echo "$TOOLS"
	} | sha256sum | cut -c1-16
}
hash=$(inputs_hash)
if [ "${IF_STALE:-0}" = 1 ]; then
	have=$(podman image inspect --format '{{index .Labels "org.mtreefs.inputs"}}' \
		"$TAG" 2>/dev/null || true)
	[ "$have" = "$hash" ] && exit 0
fi

rm -rf "$ctx"
mkdir -p "$root"
# Debian's merged /usr: /bin, /lib, /lib64 and /sbin are links into /usr, and
# the paths ldd prints (/lib/x86_64-linux-gnu/...) resolve through them.
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/usr/lib64"
for d in bin sbin lib lib64; do
	ln -s "usr/$d" "$root/$d"
done

# copy_host PATH: the file PATH names on the host, at its real path, plus a
# link at PATH itself when PATH is a symbolic link (libfoo.so.1 -> .so.1.2.3).
copy_host() {
	real=$(realpath "$1")
	[ -e "$root$real" ] || install -D -m "$(stat -c %a "$real")" "$real" "$root$real"
	link=$(realpath "$(dirname "$1")")/$(basename "$1")
	if [ "$link" != "$real" ] && [ ! -e "$root$link" ] && [ ! -L "$root$link" ]; then
		mkdir -p "$root$(dirname "$link")"
		ln -s "$real" "$root$link"
	fi
}

# copy_libs FILE: every shared library FILE loads, and the dynamic loader.
copy_libs() {
	ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }' |
	while read -r lib; do
		copy_host "$lib"
	done
}

# find_prog NAME: the program file, not a shell builtin of the same name.
find_prog() {
	for d in /usr/bin /usr/sbin /bin /sbin; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}

for t in $TOOLS; do
	p=$(find_prog "$t") || die "$t is missing on this host (make deps, as root)"
	# Install under /usr/bin whatever the host's directory (/usr/sbin, /bin).
	install -m 755 "$(realpath "$p")" "$root/usr/bin/$t"
	copy_libs "$p"
done
ln -s dash "$root/usr/bin/sh"
ln -s test "$root/usr/bin/["

# The project's own files; debug info stripped, the code as built.
for b in mtreefs mtree; do
	objcopy --strip-debug "$bdir/$b" "$root/usr/bin/$b"
	chmod 755 "$root/usr/bin/$b"
	copy_libs "$bdir/$b"
done
# glibc dlopens libgcc_s to unwind a thread on pthread_cancel (the daemon
# cancels its vCPU and worker threads on unmount); ldd cannot see it, and
# without it SIGTERM aborts the daemon and leaves a dead mount behind.
gcc_s=$(ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64|x86_64|64bit/ { print $NF; exit }')
[ -n "$gcc_s" ] || gcc_s=$(ldconfig -p | awk '$1 == "libgcc_s.so.1" { print $NF; exit }')
[ -n "$gcc_s" ] || die "libgcc_s.so.1 is missing on this host"
copy_host "$gcc_s"
install -D -m 644 -t "$root/usr/share/man/man1" doc/*.1
# man-db and groff would triple the image: the pages are rendered here, as
# plain text, and a small `man` pages through them with less.
for page in doc/*.1; do
	txt=$root/usr/share/man/man1/$(basename "$page").txt
	LC_ALL=C MANWIDTH=80 man -E ascii -l "$page" 2>/dev/null | col -bx >"$txt"
	[ -s "$txt" ] || die "man could not render $page (make deps)"
done
cat >"$root/usr/bin/man" <<'MAN'
#!/bin/sh
# man for this image: the mtreefs and mtree pages, rendered when the image
# was built (the roff sources are beside them, in /usr/share/man/man1).
for a; do
	case $a in -*) continue ;; esac
	f=/usr/share/man/man1/${a%.1}.1.txt
	[ -f "$f" ] || { echo "man: no page for $a here (mtreefs, mtree)" >&2; exit 16; }
	exec less "$f"
done
echo "usage: man mtreefs|mtree" >&2
exit 1
MAN
chmod 755 "$root/usr/bin/man"
install -D -m 644 -t "$root/usr/share/bash-completion/completions" contrib/completion/*
install -D -m 644 -t "$root/usr/share/doc/mtreefs/examples" contrib/examples/*.mtree
install -m 644 README.md LICENSE "$root/usr/share/doc/mtreefs/"
install -m 644 contrib/container/README.md "$root/usr/share/doc/mtreefs/containers.md"
# less and findmnt want a terminal description; a handful covers most.
for ti in d/dumb l/linux v/vt100 x/xterm x/xterm-256color s/screen t/tmux; do
	[ -f "/lib/terminfo/$ti" ] && install -D -m 644 "/lib/terminfo/$ti" "$root/usr/lib/terminfo/$ti"
	[ -f "/usr/share/terminfo/$ti" ] && install -D -m 644 "/usr/share/terminfo/$ti" "$root/usr/share/terminfo/$ti"
done

# The rest of a root filesystem: users (root, and nobody for dropping
# privileges), the mount table fusermount3 reads, mount points.
mkdir -p "$root/etc" "$root/tmp" "$root/run" "$root/proc" "$root/sys" "$root/dev" \
	"$root/root" "$root/mnt/mtree" "$root/run/mtreefs"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
ln -s ../proc/self/mounts "$root/etc/mtab"
printf '# user_allow_other\n' >"$root/etc/fuse.conf"
cat >"$root/etc/profile" <<'EOF'
# mtreefs image: completion for mtree and mtreefs in interactive bash.
PS1='mtreefs:\w\$ '
for f in /usr/share/bash-completion/completions/*; do . "$f"; done
EOF
cp "$root/etc/profile" "$root/root/.bashrc"

# One tar, the same bytes for the same files: sorted, no owners, the mtime
# of the last commit (or 0 outside git).
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
	--format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
	-C "$root" -cf "$ctx/rootfs.tar" .
rm -rf "$root"

old=$(podman image inspect --format '{{.Id}}' "$TAG" 2>/dev/null || true)
# --no-cache: a cached layer would keep an older build's timestamp.
podman build -q --no-cache --timestamp "$epoch" --label "org.mtreefs.inputs=$hash" \
	-f contrib/container/Containerfile -t "$TAG" "$ctx" >/dev/null
new=$(podman image inspect --format '{{.Id}}' "$TAG")
# The image the tag left behind, unless a container still uses it.
[ -n "$old" ] && [ "$old" != "$new" ] && { podman rmi "$old" >/dev/null 2>&1 || true; }
size=$(podman image inspect --format '{{.Size}}' "$TAG")
echo "image: $TAG ($((size / 1024)) KiB, inputs $hash)"
