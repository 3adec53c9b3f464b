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
#   sh podman-run.sh attach SOCKET
#                                mtreefs --qemu in a container, attached to
#                                the QEMU on this host whose QMP socket is
#                                SOCKET (a socket of its own, in a directory
#                                of its own); the mount appears at $DIR/vm
#   sh podman-run.sh detach      stop it: the daemon unmounts and exits 0
#
# The podman settings this needs on hosts like Debian 12 (runc, cgroupfs,
# the host's ulimits) come from containers.conf beside this script unless
# CONTAINERS_CONF names another file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
IMAGE=${IMAGE:-localhost/mtreefs:latest}
DIR=${DIR:-/run/mtreefs}
# NAME: the container; mtreefs-pc for `daemon`, mtreefs-vm for `attach`.
case ${1:-} in
attach|detach) NAME=${NAME:-mtreefs-vm} MNT=vm ;;
*) NAME=${NAME:-mtreefs-pc} MNT=pc ;;
esac
: "${CONTAINERS_CONF:=$here/containers.conf}"
export CONTAINERS_CONF

# wait_mount: until $DIR/$MNT serves (10 s at most, or the container ended).
wait_mount() {
	i=0
	until [ -e "$DIR/$MNT/info/mtree" ]; do
		if [ $i -ge 100 ] || [ "$(podman inspect --format '{{.State.Running}}' "$NAME")" != true ]; then
			podman logs "$NAME" >&2
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "mounted: ls $DIR/$MNT"
}

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
	wait_mount
	;;
attach)
	sock=${2:-}
	[ -S "$sock" ] || { echo "$0: attach needs QEMU's QMP socket (-qmp unix:PATH,server=on,wait=off)" >&2; exit 2; }
	sock=$(realpath "$sock")
	share
	# The daemon takes QEMU's pid from the socket (SO_PEERCRED) and reads
	# guest RAM through /proc/PID/mem and process_vm_readv: --pid=host
	# makes that pid QEMU's (in a PID namespace of its own the kernel
	# reports 0), CAP_SYS_PTRACE gives the ptrace rights over QEMU (a
	# container's root lacks capabilities QEMU's root holds, so the
	# kernel's ptrace check refuses it otherwise). The socket's directory
	# is bound, not the socket: a restarted QEMU makes a new one.
	# No /dev/kvm: QEMU runs the guest. Otherwise as `daemon`.
	podman run -d --name "$NAME" --ulimit host --network none --pid=host \
		--device /dev/fuse --cap-add SYS_ADMIN --cap-add SYS_PTRACE \
		--security-opt label=disable --security-opt apparmor=unconfined \
		-v "$(dirname "$sock"):/run/qmp" -v "$DIR:/run/mtreefs:rshared" \
		"$IMAGE" sh -c 'mkdir -p /run/mtreefs/vm && exec mtreefs /run/mtreefs/vm -f -o allow_other --qemu "$1"' \
		sh "/run/qmp/$(basename "$sock")"
	wait_mount
	;;
stop|detach)
	# SIGTERM: the daemon unmounts and exits 0. A daemon that was killed
	# leaves a dead mount (ENOTCONN) behind; take that away too.
	podman stop "$NAME" >/dev/null 2>&1 || true
	podman rm -f "$NAME" >/dev/null 2>&1 || true
	if findmnt -n "$DIR/$MNT" >/dev/null 2>&1; then
		fusermount3 -u "$DIR/$MNT" 2>/dev/null || umount -l "$DIR/$MNT"
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
	echo "usage: $0 daemon|stop|restart|tools [ro]|compose-up|compose-down|attach SOCKET|detach" >&2
	exit 2
	;;
esac
