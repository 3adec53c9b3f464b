#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Installs the Debian packages mtreefs needs to build, test and run, when
# something is missing: as root through apt-get, otherwise it prints the exact
# command to run. Used by `make check`, `make run`, `make image` and .ci/run.
set -u
PKGS="build-essential libfuse3-dev fuse3 pkg-config perl binutils util-linux python3 libxml2-utils groff-base man-db bsdextrautils clang libclang-rt-14-dev"
# The container image and tests (tools/image.sh, tests/container/): podman
# with runc (crun refuses hybrid cgroups), podman-compose for the compose
# file; xxd, jq and less are copied from the host into the image.
PKGS="$PKGS podman runc podman-compose xxd jq less"
# QEMU, for the tests that compare with or attach to a real QEMU.
PKGS="$PKGS qemu-system-x86"
# tar, rsync, cp and cmp -s copy info/ files whole (tests/fs/info_archive_real_size.t).
PKGS="$PKGS rsync"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
# FUSE passthrough needs libfuse 3.17 (Debian 12 has 3.14): tools/libfuse.sh
# builds it into a cache as root, does nothing once it is there, and never fails.
sh "$(dirname "$0")/libfuse.sh"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "mtreefs needs:$missing" >&2
	echo "run as root: apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || exit 1
apt-get install -y -qq $missing || exit 1
