#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The two ways to use mtreefs with podman (rootful: `sudo sh podman-run.sh`),
# as a runnable example. Build the image first, from the top of the tree:
#   podman build -f contrib/container/Containerfile -t mtreefs .
#
#   sh podman-run.sh daemon  - mtreefs runs inside a container and its mount
#                              appears on the host at $MNT (rshared bind)
#   sh podman-run.sh tools   - a tool container inspects a mount that already
#                              exists on the host at $MNT (rslave bind)
#   sh podman-run.sh stop    - unmount and remove the daemon container
set -eu
IMAGE=${IMAGE:-localhost/mtreefs:latest}
MNT=${MNT:-/run/mtreefs}
NAME=${NAME:-mtreefs-pc}

case ${1:-} in
daemon)
	mkdir -p "$MNT"
	# rshared only propagates if the host side is a shared mount: make $MNT
	# its own shared mount point (harmless if it already is one).
	if ! findmnt -n -o PROPAGATION --target "$MNT" | grep -q shared; then
		mount --bind "$MNT" "$MNT"
		mount --make-rshared "$MNT"
	fi
	# --device /dev/fuse + CAP_SYS_ADMIN let the daemon mount; /dev/kvm runs
	# the guest (leave it out and the machine runs without vCPUs).
	podman run -d --name "$NAME" \
		--device /dev/fuse --device /dev/kvm --cap-add SYS_ADMIN \
		--security-opt label=disable \
		-v "$MNT:/run/mtreefs:rshared" \
		"$IMAGE" sh -c 'mkdir -p /run/mtreefs/pc && exec mtreefs /run/mtreefs/pc -f -o allow_other'
	echo "mounted (give it a moment): ls $MNT/pc"
	;;
tools)
	# rslave: mounts made on the host later (a restarted daemon) still show up
	# inside, but nothing the container mounts leaks back to the host.
	podman run --rm -it -v "$MNT:/mnt/mtree:rslave" "$IMAGE" \
		sh -c 'cat /mnt/mtree/pc/info/mtree; exec bash'
	;;
stop)
	fusermount3 -u "$MNT/pc" 2>/dev/null || umount "$MNT/pc" 2>/dev/null || true
	podman rm -f "$NAME"
	;;
*)
	echo "usage: $0 daemon|tools|stop" >&2
	exit 2
	;;
esac
