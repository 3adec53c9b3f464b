# SPDX-License-Identifier: MIT
#
# Helpers for the container tests, sourced after tests/lib.sh: skip loudly
# where a container engine cannot run (not root, no podman, podman cannot
# start a container here); build the image once per set of binaries (the
# image carries a hash of its inputs, and tools/image.sh takes a lock, so
# parallel tests build it once); run containers labelled with this test's id, so that
# the EXIT trap removes every one of them, and the shared directories the
# daemon's mount propagates through, even when a test fails half-way.
# The podman settings are contrib/container/containers.conf (runc, cgroupfs,
# the host's ulimits), as contrib/container/README.md documents.

CTR_ID=mtreefs-test-$$
CTR_SHARES=
export CONTAINERS_CONF="$MTREEFS_TOP/contrib/container/containers.conf"
case "$(basename "$BUILD")" in
build) CTR_IMAGE=localhost/mtreefs:latest ;;
*) CTR_IMAGE=localhost/mtreefs:$(basename "$BUILD") ;;
esac

# need_podman: root (rootful podman), podman, /dev/fuse, the built programs,
# the image (built here when missing or stale) and one container that runs;
# otherwise the whole test is skipped with the reason.
need_podman() {
	[ "$(id -u)" -eq 0 ] || skip_all "rootful podman needs root"
	command -v podman >/dev/null 2>&1 || skip_all "podman is missing (make deps, as root)"
	[ -c /dev/fuse ] || skip_all "/dev/fuse is missing"
	[ -x "$MTREEFS" ] && [ -x "$MTREE" ] || skip_all "$MTREEFS or $MTREE is not built"
	t_tmpdir
	trap 'ctr_cleanup; t_cleanup' EXIT
	# tools/image.sh builds one at a time; the others wait, then find it current.
	if ! BUILD="$BUILD_DIR" TAG="$CTR_IMAGE" IF_STALE=1 \
		sh "$MTREEFS_TOP/tools/image.sh" >"$T_DIR/image.log" 2>&1; then
		echo "not ok 1 - build the image $CTR_IMAGE"
		sed 's/^/# /' "$T_DIR/image.log"
		echo "1..1"
		exit 1
	fi
	out=$(podman run --rm --network none "$CTR_IMAGE" true 2>&1) ||
		skip_all "podman cannot run a container here: $(echo "$out" | tail -n 1)"
}

# ctr_run ARGS...: podman run with this test's label, no network, the
# host's ulimits, no SELinux label (which would hide the binds on an SELinux
# host); prints what the container prints.
ctr_run() {
	podman run --label "$CTR_ID" --network none --ulimit host --security-opt label=disable "$@"
}

# ctr_sh "PODMAN-OPTIONS" SCRIPT [ARGS...]: SCRIPT run by sh in a
# throw-away container of the image (the options are split at spaces).
ctr_sh() {
	opts=$1 script=$2
	shift 2
	# shellcheck disable=SC2086
	ctr_run --rm $opts "$CTR_IMAGE" sh -c "$script" sh "$@"
}

# ctr_share DIR: DIR becomes its own shared mount point, so that a mount a
# container makes below an rshared bind of it propagates back here.
ctr_share() {
	mkdir -p "$1"
	mount --bind "$1" "$1" || return 1
	CTR_SHARES="$1 $CTR_SHARES"
	mount --make-rshared "$1"
}

# ctr_daemon NAME SHARE [MTREEFS-OPTIONS...]: start mtreefs in a detached
# container NAME, mounting at SHARE/pc on the host through an rshared bind
# of SHARE, with /dev/kvm when there is one; waits until the host sees the
# mount serve.
ctr_daemon() {
	name=$1 share=$2
	shift 2
	kvm=
	[ -c /dev/kvm ] && kvm="--device /dev/kvm"
	# shellcheck disable=SC2086
	# apparmor=unconfined: where AppArmor is on, the default profile denies mount(2)
	ctr_run -d --name "$CTR_ID-$name" --device /dev/fuse $kvm --cap-add SYS_ADMIN \
		--security-opt apparmor=unconfined \
		-v "$share:/run/mtreefs:rshared" "$CTR_IMAGE" \
		sh -c 'mkdir -p /run/mtreefs/pc && exec mtreefs /run/mtreefs/pc -f "$@"' sh "$@" \
		>/dev/null || return 1
	ctr_wait_mount "$name" "$share/pc"
}

# ctr_wait_mount NAME MNT: wait (10 s at most) until MNT serves on the host.
ctr_wait_mount() {
	i=0
	while [ $i -lt 100 ]; do
		[ -e "$2/info/mtree" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "# the daemon in $CTR_ID-$1 did not come up:"
	podman logs "$CTR_ID-$1" 2>&1 | sed 's/^/#   /'
	return 1
}

# ctr_state NAME: the container's state and exit code ("exited 0").
ctr_state() {
	podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$CTR_ID-$1" 2>/dev/null
}

# The daemons' logs (podman logs) must be free of sanitizer reports.
ctr_check_logs() {
	logs=$(podman ps -aq --filter "label=$CTR_ID" | while read -r c; do
		podman logs "$c" 2>&1
	done)
	if echo "$logs" | grep -qE 'Sanitizer|runtime error:'; then
		ok 1 "container logs have no sanitizer report"
		echo "$logs" | grep -A40 -m1 -E 'Sanitizer|runtime error:' | sed 's/^/# /'
	else
		ok 0 "container logs have no sanitizer report"
	fi
}

# Every container of this test, then every mount below the shared
# directories (a daemon that died leaves a dead one), then the directories.
ctr_cleanup() {
	podman ps -aq --filter "label=$CTR_ID" 2>/dev/null | while read -r c; do
		podman rm -f -t 0 "$c" >/dev/null 2>&1
	done
	# the network podman-compose made for a project named after the test
	podman network exists "${CTR_ID}_default" 2>/dev/null &&
		podman network rm -f "${CTR_ID}_default" >/dev/null 2>&1
	for s in $CTR_SHARES; do
		umount -R "$s" 2>/dev/null || umount -R -l "$s" 2>/dev/null
	done
	CTR_SHARES=
}
