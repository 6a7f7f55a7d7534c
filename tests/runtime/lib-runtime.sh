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
  # find fails when another test's cgroup vanishes under it: not ours to report.
  cg=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null || true)
  [ -z "$cg" ] || fail "cgroup left behind: $cg"
  ! grep -q "$bundle" /proc/self/mountinfo || fail "mount left behind under $bundle"
}

# --- cgroups: the suites run on v2, v1 and hybrid hosts (tests/vm/runtime.sh) ---

# The host's layout: v2 (cgroup2 at /sys/fs/cgroup), hybrid (v1 hierarchies
# and cgroup2 at /sys/fs/cgroup/unified) or v1.
cgroup_layout() {
  if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    echo v2
  elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    echo hybrid
  else
    echo v1
  fi
}

# Where the v2 tree is mounted (on the host and in a container's cgroup
# mount); nothing on a v1-only host.
cg_v2_root() {
  case $(cgroup_layout) in
  v2) echo /sys/fs/cgroup ;;
  hybrid) echo /sys/fs/cgroup/unified ;;
  esac
}

# The "N:controllers:path" line of process $2 for v1 controller $1, if any.
cg_v1_line() { # controller pid
  awk -F: -v c="$1" '$2 != "" { n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print }' \
    /proc/"$2"/cgroup
}

# True if controller $1 lives in a v1 hierarchy here (else in the v2 tree).
cg_is_v1() {
  [ -n "$(cg_v1_line "$1" self)" ]
}

# Skip unless the host offers controller $1, in a v1 hierarchy or the v2 tree.
need_controller() {
  cg_is_v1 "$1" && return 0
  local root
  root=$(cg_v2_root)
  [ -n "$root" ] && grep -qw "$1" "$root/cgroup.controllers" ||
    skip "no $1 controller on this $(cgroup_layout) host"
}

# The directory of controller $1's files as a container sees it in its
# cgroup mount: /sys/fs/cgroup/memory on v1, /sys/fs/cgroup on v2.
cg_inside() {
  if cg_is_v1 "$1"; then echo "/sys/fs/cgroup/$1"; else cg_v2_root; fi
}

# The host directory of process $2's group holding controller $1 (its v1
# hierarchy, else the v2 tree; "unified" names the v2 tree itself).
cg_dir() { # controller pid
  local line
  if [ "$1" != unified ] && cg_is_v1 "$1"; then
    line=$(cg_v1_line "$1" "$2")
    [ -n "$line" ] || fail "no $1 hierarchy in /proc/$2/cgroup"
    line=${line#*:}
    echo "/sys/fs/cgroup/${line%%:*}${line#*:}"
  else
    line=$(grep '^0::' /proc/"$2"/cgroup) || fail "no v2 group in /proc/$2/cgroup"
    echo "$(cg_v2_root)${line#0::}"
  fi
}

# The group of process $2 for controller $1, as /proc/PID/cgroup names it.
cg_path_of() { # controller pid
  local d
  d=$(cg_dir "$1" "$2")
  if cg_is_v1 "$1"; then
    d=${d#/sys/fs/cgroup/}
    echo "/${d#*/}"
  else
    echo "${d#"$(cg_v2_root)"}"
  fi
}

# The memory limit file: v1's or v2's name.
memory_limit_file() {
  if cg_is_v1 memory; then echo memory.limit_in_bytes; else echo memory.max; fi
}

# Whether the runtime (this shell) holds CAP_SYS_RESOURCE, which lets it
# raise hard rlimits (root in the test VM does, on the dev host it does not).
has_cap_sys_resource() {
  (($(printf '%d' "0x$(awk '/^CapEff:/ {print $2}' /proc/self/status)") & (1 << 24)))
}
