# A private containerd for tests, sourced after tests/lib.sh, set up as
# ../shared notes on real peers say: containerd (Debian's 1.6) runs inside a
# private mount namespace whose /run is a fresh tmpfs holding its config,
# root, state and sockets (the runc shim always puts its sockets under
# /run/containerd), with the CRI plugin off (no TCP port). Containers run
# with the runtime under test (ctr run --runc-binary) in cgroups under a
# parent of their own, removed at the end.
#
#   containerd_env_start    start it and import the busybox image (once per test)
#   ctr_run ARGS...         ctr run --runc-binary "$RUNTIME" --cgroup ... ARGS...
#   ctr_ns ARGS...          ctr ARGS... against it
#   containerd_env_stop     (deferred) stop containerd, its shims and containers
#
# Nothing is left on the host: no process, mount, socket or cgroup.

source "$TOP/tests/lib-private-env.sh"

RUNTIME=${RUNTIME:-$BIN/capsule-runtime}
CTRD_IMAGE=localhost/busybox:latest
CTRD_DIR=/run/capsule-containerd

containerd_env_start() {
  command -v containerd >/dev/null && command -v ctr >/dev/null ||
    fail "containerd is not installed (scripts/install-deps: scripts/deps/containerd.txt)"
  [ -x "$RUNTIME" ] || fail "runtime under test not found: $RUNTIME"
  CTRD_HOST_TMP=$(mktemp -d /tmp/capsule-containerd.XXXXXX)
  CTRD_CGROUP_PARENT=/capsule-containerd-$$-$BASHPID
  unshare -m --propagation private sh -c '
    mount -t tmpfs -o mode=755 capsule-containerd /run && mkdir -p "$1" &&
    echo ready && exec sleep infinity' holder "$CTRD_DIR" >"$CTRD_HOST_TMP/holder.out" 2>&1 &
  CTRD_HOLDER=$!
  defer containerd_env_stop
  wait_for "grep -qx ready '$CTRD_HOST_TMP/holder.out'" 50
  cat >"/proc/$CTRD_HOLDER/root$CTRD_DIR/config.toml" <<CONF
version = 2
root = "$CTRD_DIR/root"
state = "$CTRD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTRD_DIR/containerd.sock"
[ttrpc]
  address = "$CTRD_DIR/containerd.sock.ttrpc"
[debug]
  address = "$CTRD_DIR/debug.sock"
CONF
  nsenter -t "$CTRD_HOLDER" -m -- containerd --config "$CTRD_DIR/config.toml" \
    >"$CTRD_HOST_TMP/containerd.log" 2>&1 &
  CTRD_PID=$!
  wait_for "ctr_ns version" 100
  # The image: an OCI archive of the busybox rootfs (tests/registry/mkimage.py).
  make_busybox_rootfs "$CTRD_HOST_TMP/rootfs"
  python3 "$TOP/tests/registry/mkimage.py" "$CTRD_HOST_TMP/layout" latest \
    --platform linux/amd64 "$CTRD_HOST_TMP/rootfs" >/dev/null
  tar -C "$CTRD_HOST_TMP/layout" -cf "/proc/$CTRD_HOLDER/root$CTRD_DIR/image.tar" .
  rm -rf "$CTRD_HOST_TMP/rootfs" "$CTRD_HOST_TMP/layout"
  ctr_ns images import --base-name localhost/busybox "$CTRD_DIR/image.tar" >/dev/null
}

# A hung runtime must not hang the suite: every command has a time limit.
ctr_ns() {
  timeout -k 5 "${CTRD_TIMEOUT:-120}" nsenter -t "$CTRD_HOLDER" -m -- \
    ctr -a "$CTRD_DIR/containerd.sock" "$@"
}

# ctr_run [--OPT[=VALUE]...] ID CMD...: a container of the busybox image with the
# runtime under test, its cgroup under the environment's parent.
ctr_run() {
  local opts=()
  while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do opts+=("$1"); shift; done
  ctr_ns run --runc-binary "$RUNTIME" --cgroup "$CTRD_CGROUP_PARENT/$1" "${opts[@]}" \
    "$CTRD_IMAGE" "$@"
}

containerd_env_stop() {
  [ -n "${CTRD_HOLDER:-}" ] || return 0
  # containerd, its shims (daemons, in the holder's mount namespace) and
  # the containers go together: nothing of the environment outlives it.
  private_env_release "$CTRD_HOLDER" "$CTRD_CGROUP_PARENT"
  [ -z "${CTRD_PID:-}" ] || wait "$CTRD_PID" 2>/dev/null || true
  rm -rf "$CTRD_HOST_TMP"
  CTRD_HOLDER=
}
