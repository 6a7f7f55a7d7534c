# A private podman for tests, sourced after tests/lib.sh. Nothing it does
# touches the host's podman state: podman runs inside a private mount
# namespace whose /run is a fresh tmpfs holding the config, the store
# (graphroot), runroot and podman's temp files; containers get a cgroup
# parent of their own, removed at the end.
#
#   podman_env_start        set the environment up (once per test)
#   pm ARGS...              podman --runtime "$RUNTIME" ARGS... inside it
#   podman_ns CMD...        any command inside the namespace
#   podman_env_stop         remove containers, stop what is left, release all
#
# podman_env_start registers podman_env_stop with `defer`. The store holding
# the busybox image is built once and cached in $PODMAN_CACHE, keyed on
# podman's version, busybox and this file, so later tests skip the import.

source "$TOP/tests/lib-private-env.sh"

RUNTIME=${RUNTIME:-$BIN/capsule-runtime}
PODMAN_IMAGE=localhost/busybox:latest
PODMAN_CACHE=${PODMAN_CACHE:-$BIN/podman-cache}
# A fixed path inside the namespace: podman records its paths in its
# database, so a cached store is only valid at the path it was made at.
PODMAN_DIR=/run/capsule-podman

# Podman's configuration, written into the namespace's /run (dir is that
# place as the host sees it); the state it points to lives there too.
podman_env_write_config() { # dir
  cat >"$1/containers.conf" <<CONF
[containers]
netns = "none"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PODMAN_DIR/events.log"
tmp_dir = "$PODMAN_DIR/libpod"
image_copy_tmp_dir = "$PODMAN_DIR/tmp"
static_dir = "$PODMAN_DIR/graphroot/libpod"
volume_path = "$PODMAN_DIR/graphroot/volumes"
CONF
  cat >"$1/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$PODMAN_DIR/graphroot"
runroot = "$PODMAN_DIR/runroot"
CONF
  echo 'unqualified-search-registries = []' >"$1/registries.conf"
}

podman_env_cache_key() {
  {
    podman --version
    sha256sum /bin/busybox "${BASH_SOURCE[0]}"
  } | sha256sum | cut -c1-16
}

# The namespace's holder mounts a tmpfs on /run, reports "ready" on the stdout it inherited from the host,
# then sleeps until podman_env_stop kills it. The host reaches the
# namespace's files through /proc/HOLDER/root, its mounts through nsenter.
podman_env_start() {
  command -v podman >/dev/null || fail "podman is not installed (scripts/install-deps)"
  [ -x "$RUNTIME" ] || fail "runtime under test not found: $RUNTIME"
  local cache inside
  cache=$PODMAN_CACHE/store-$(podman_env_cache_key).tar
  PODMAN_HOST_TMP=$(mktemp -d /tmp/capsule-podman.XXXXXX)
  PODMAN_CGROUP_PARENT=/capsule-podman-$$-$BASHPID
  unshare -m --propagation private sh -c '
    mount -t tmpfs -o mode=755 capsule-podman /run &&
    mkdir -p "$1/tmp" "$1/libpod" "$1/work" && echo ready && exec sleep infinity' \
    holder "$PODMAN_DIR" >"$PODMAN_HOST_TMP/holder.out" 2>&1 &
  PODMAN_HOLDER=$!
  defer podman_env_stop
  wait_for "grep -qx ready '$PODMAN_HOST_TMP/holder.out'" 50
  inside=/proc/$PODMAN_HOLDER/root$PODMAN_DIR
  podman_env_write_config "$inside"
  export CONTAINERS_CONF=$PODMAN_DIR/containers.conf
  export CONTAINERS_STORAGE_CONF=$PODMAN_DIR/storage.conf
  export CONTAINERS_REGISTRIES_CONF=$PODMAN_DIR/registries.conf
  if [ -f "$cache" ]; then
    tar --xattrs -C "$inside" -xf "$cache"
    return 0
  fi
  make_busybox_rootfs "$inside/rootfs"
  tar -C "$inside/rootfs" -cf "$inside/rootfs.tar" .
  rm -rf "$inside/rootfs"
  podman_ns podman import --change 'CMD ["/bin/sh"]' "$PODMAN_DIR/rootfs.tar" \
    "$PODMAN_IMAGE" >/dev/null
  rm -f "$inside/rootfs.tar"
  mkdir -p "$PODMAN_CACHE"
  rm -f "$PODMAN_CACHE"/store-*.tar
  tar --xattrs -C "$inside" -cf "$cache.$BASHPID" graphroot
  mv "$cache.$BASHPID" "$cache"
}

# A hung runtime must not hang the suite: every command has a time limit.
# The working directory is private too: conmon writes files into it.
podman_ns() {
  TMPDIR=$PODMAN_DIR/tmp timeout -k 5 "${PODMAN_TIMEOUT:-120}" \
    nsenter -t "$PODMAN_HOLDER" -m -- env -C "$PODMAN_DIR/work" "$@"
}

# run and create get the environment's cgroup parent, so that what the
# runtime leaves in cgroupfs is visible and removable.
pm() {
  local cmd=$1
  shift
  case $cmd in
  run | create)
    podman_ns podman --runtime "$RUNTIME" "$cmd" --cgroup-parent "$PODMAN_CGROUP_PARENT" "$@"
    ;;
  *) podman_ns podman --runtime "$RUNTIME" "$cmd" "$@" ;;
  esac
}

# The host's directory of a running container's cgroup for a controller
# (cgroup v1 or hybrid), or of its only cgroup (v2).
pm_cgroup_dir() { # container controller
  local pid line
  pid=$(pm inspect --format '{{.State.Pid}}' "$1")
  [ "$pid" -gt 0 ] || fail "container $1 has no process"
  line=$(grep -E "^[0-9]+:([^:]*,)?$2(,[^:]*)?:" "/proc/$pid/cgroup" || true)
  if [ -n "$line" ]; then
    echo "/sys/fs/cgroup/$2${line#*:*:}"
  else
    line=$(grep '^0::' "/proc/$pid/cgroup")
    echo "/sys/fs/cgroup${line#0::}"
  fi
}

# A removed container left nothing: no file named after it in the
# namespace's /run (the runtime's state dir, whatever its --root, and
# podman's), no cgroup, no mount in podman's namespace or on the host.
assert_no_trace_of() { # container-id
  assert_eq "$(find "/proc/$PODMAN_HOLDER/root/run" -name "*$1*" | head)" "" "state left in /run"
  assert_eq "$(find /sys/fs/cgroup/ -maxdepth 5 -type d -name "*$1*" | head)" "" "cgroups left"
  assert_eq "$(podman_ns grep -c "$1" /proc/self/mountinfo || true)" 0 "mounts left in podman's namespace"
  assert_eq "$(grep -c "$1" /proc/self/mountinfo || true)" 0 "mounts left on the host"
}

# Runs from `defer`, also after a failure halfway through podman_env_start,
# and leaves no process, mount or cgroup behind.
podman_env_stop() {
  [ -n "${PODMAN_HOLDER:-}" ] || return 0
  if kill -0 "$PODMAN_HOLDER" 2>/dev/null; then
    PODMAN_TIMEOUT=60 pm rm --all --force --time 0 >/dev/null 2>&1 || true
  fi
  private_env_release "$PODMAN_HOLDER" "$PODMAN_CGROUP_PARENT"
  rm -rf "$PODMAN_HOST_TMP"
  PODMAN_HOLDER=
}
