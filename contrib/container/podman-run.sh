#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The uses of contrib/container/README.md as runnable commands, for rootful
# podman (run as root). Build the image first, from the top of the tree:
# `make image`. $DIR (default /run/mtreefs) is the host directory the
# machine is mounted below, at $DIR/pc.
#
#   sh podman-run.sh daemon      mtreefs in a container; its mount appears
#                                on the host at $DIR/pc (rshared bind)
#   sh podman-run.sh stop        stop it: the daemon unmounts and exits 0
#   sh podman-run.sh restart     stop it and start it again (a fresh machine)
#   sh podman-run.sh tools [ro]  a shell in a tool container over $DIR/pc
#                                (mounted on the host or by `daemon`) at
#                                /mnt/mtree/pc: read-write, or read-only
#                                with `ro`
#   sh podman-run.sh compose-up  the sidecar example, compose.yaml
#   sh podman-run.sh compose-down
#
# The podman settings this needs on hosts like Debian 12 (runc, cgroupfs,
# the host's ulimits) come from containers.conf beside this script unless
# CONTAINERS_CONF names another file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
IMAGE=${IMAGE:-localhost/mtreefs:latest}
DIR=${DIR:-/run/mtreefs}
NAME=${NAME:-mtreefs-pc}
: "${CONTAINERS_CONF:=$here/containers.conf}"
export CONTAINERS_CONF

# rshared only propagates to the host if the host side is a shared mount:
# make $DIR its own shared mount point, unless it is already shared.
share() {
	mkdir -p "$DIR"
	if ! findmnt -n -o PROPAGATION --target "$DIR" | grep -q shared; then
		mount --bind "$DIR" "$DIR"
		mount --make-rshared "$DIR"
	fi
}

case ${1:-} in
daemon)
	share
	kvm=
	[ -c /dev/kvm ] && kvm="--device /dev/kvm"
	# --device /dev/fuse + CAP_SYS_ADMIN let the daemon mount; /dev/kvm
	# runs the guest. label=disable: an SELinux host would otherwise hide
	# the bind from the container; apparmor=unconfined: the default
	# profile denies mount(2). allow_other: tool containers may run as
	# another user (ram files and ctl stay the owner's).
	# shellcheck disable=SC2086
	podman run -d --name "$NAME" --ulimit host \
		--device /dev/fuse $kvm --cap-add SYS_ADMIN \
		--security-opt label=disable --security-opt apparmor=unconfined \
		-v "$DIR:/run/mtreefs:rshared" \
		"$IMAGE" sh -c 'mkdir -p /run/mtreefs/pc && exec mtreefs /run/mtreefs/pc -f -o allow_other'
	i=0
	until [ -e "$DIR/pc/info/mtree" ]; do
		[ $i -lt 100 ] || { podman logs "$NAME" >&2; exit 1; }
		sleep 0.1
		i=$((i + 1))
	done
	echo "mounted: ls $DIR/pc"
	;;
stop)
	# SIGTERM: the daemon unmounts and exits 0. A daemon that was killed
	# leaves a dead mount (ENOTCONN) behind; take that away too.
	podman stop "$NAME" >/dev/null 2>&1 || true
	podman rm -f "$NAME" >/dev/null 2>&1 || true
	if findmnt -n "$DIR/pc" >/dev/null 2>&1; then
		fusermount3 -u "$DIR/pc" 2>/dev/null || umount -l "$DIR/pc"
	fi
	;;
restart)
	sh "$0" stop
	sh "$0" daemon
	;;
tools)
	# Read-write: the directory, rslave, so that mounts made on the host
	# later (a restarted daemon) show up inside as well. Read-only: the
	# mount point itself, since podman 4.3's ro is not recursive and would
	# leave the FUSE mount below a read-only directory writable.
	vol="$DIR:/mnt/mtree:rslave"
	[ "${2:-}" = ro ] && vol="$DIR/pc:/mnt/mtree/pc:ro"
	exec podman run --rm -it --ulimit host --security-opt label=disable \
		-v "$vol" "$IMAGE" bash -l
	;;
compose-up)
	share
	cd "$here"
	MTREEFS_SHARE=$DIR MTREEFS_IMAGE=$IMAGE podman-compose -p mtreefs -f compose.yaml \
		--podman-run-args="--ulimit host" up -d
	;;
compose-down)
	cd "$here"
	MTREEFS_SHARE=$DIR MTREEFS_IMAGE=$IMAGE podman-compose -p mtreefs -f compose.yaml down
	# podman-compose 1.0 leaves the project's network behind
	podman network rm -f mtreefs_default >/dev/null 2>&1 || true
	;;
*)
	echo "usage: $0 daemon|stop|restart|tools [ro]|compose-up|compose-down" >&2
	exit 2
	;;
esac
