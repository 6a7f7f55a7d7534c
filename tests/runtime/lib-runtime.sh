# Helpers for the runtime suites (sourced; defines functions only).
# Each test gets a fresh bundle with a busybox rootfs and its own state root.

RT=${RT:-$BIN/capsule-runtime}
ROOTFS_CACHE=/tmp/capsule-test-rootfs-$(id -u)

# The busybox rootfs is built once and copied per test (hard links are not
# used: tests write into their rootfs).
cached_rootfs() {
  if [ ! -x "$ROOTFS_CACHE/bin/busybox" ] || ! cmp -s /bin/busybox "$ROOTFS_CACHE/bin/busybox"; then
    rm -rf "$ROOTFS_CACHE.tmp"
    make_busybox_rootfs "$ROOTFS_CACHE.tmp"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$ROOTFS_CACHE.tmp/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\nuser:x:1000:\n' >"$ROOTFS_CACHE.tmp/etc/group"
    rm -rf "$ROOTFS_CACHE"
    mv "$ROOTFS_CACHE.tmp" "$ROOTFS_CACHE"
  fi
  echo "$ROOTFS_CACHE"
}

# new_bundle [ARGS...]: sets BUNDLE, STATE (the --root), ID; the config runs
# ARGS (default: true) without a terminal. Everything is removed at the end.
new_bundle() {
  BUNDLE=$(mktemp -d /tmp/capsule-rt.XXXXXX)
  STATE=$BUNDLE/state
  ID=c$$-$RANDOM
  cp -a "$(cached_rootfs)" "$BUNDLE/rootfs"
  (cd "$BUNDLE" && "$RT" spec)
  local args='[]' a
  for a in "$@"; do args=$(jq -c --arg a "$a" '. + [$a]' <<<"$args"); done
  [ $# -gt 0 ] || args='["true"]'
  cfg ".process.terminal = false | .process.args = $args | .root.readonly = false"
  defer cleanup_bundle "$BUNDLE" "$ID"
}

cleanup_bundle() { # bundle id
  "$RT" --root "$1/state" delete --force "$2" >/dev/null 2>&1 || true
  umount -R "$1/rootfs" 2>/dev/null || true
  rm -rf --one-file-system "$1"
}

# cfg JQ-FILTER: edit config.json in place.
cfg() {
  jq "$1" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# rt ARGS...: the runtime with this test's state root.
rt() {
  "$RT" --root "$STATE" "$@"
}

# run_sh SCRIPT: run `sh -c SCRIPT` in a new container from the bundle and
# print its output; returns the container's exit status.
run_sh() {
  cfg ".process.args = [\"sh\", \"-c\", $(printf '%s' "$1" | jq -Rs .)]"
  rt run --bundle "$BUNDLE" "$ID" </dev/null
}

# The status field of `state`.
status_of() {
  rt state "${1:-$ID}" | jq -r .status
}

# Nothing of container $1 may remain: state, cgroups, mounts, processes.
assert_no_leftovers() { # id [bundle]
  local id=${1:-$ID} bundle=${2:-$BUNDLE}
  [ ! -e "$STATE/$id" ] || fail "state directory $STATE/$id left behind"
  local cg
  cg=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null | head -n 3)
  [ -z "$cg" ] || fail "cgroup left behind: $cg"
  ! grep -q "$bundle" /proc/self/mountinfo || fail "mount left behind under $bundle"
}
