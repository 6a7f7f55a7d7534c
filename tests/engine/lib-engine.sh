# Shared by the engine suites: a store and runtime root per test, with a
# busybox image imported, and the check that nothing of a container is left.

ENGINE_IMAGE_TAR=/tmp/capsule-engine-busybox-$(id -u).tar

engine_setup() {
  WORK=$(mktemp -d /tmp/capsule-engine.XXXXXX)
  STORE=$WORK/store
  RUNROOT=$WORK/run
  defer engine_teardown
  [ -s "$ENGINE_IMAGE_TAR" ] || "$TOP/scripts/make-busybox-rootfs" "$ENGINE_IMAGE_TAR" >/dev/null
  cap import --change 'CMD ["/bin/sh"]' --change 'ENV GREETING=hello' "$ENGINE_IMAGE_TAR" busybox:latest >/dev/null
}

engine_teardown() {
  local id
  for id in $(cap ps -a -q --no-trunc 2>/dev/null); do cap rm -f "$id" >/dev/null 2>&1; done
  # Whatever a failed test left mounted below $WORK (not itself a mount
  # point, so `umount -R $WORK` would not see them), deepest first.
  local m
  for m in $(awk -v w="$WORK/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$WORK"
}

cap() {
  "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" "$@"
}

# No container directory, overlay mount, runtime state or cgroup may remain.
assert_engine_clean() {
  assert_eq "$(ls -A "$STORE/containers" 2>/dev/null | grep -cE '^[0-9a-f]{64}$')" 0 "container directories"
  assert_eq "$(ls -A "$STORE/containers/names" 2>/dev/null | wc -l)" 0 "container names"
  ! grep -q "$WORK" /proc/self/mountinfo || fail "a mount is left under $WORK"
  assert_eq "$(ls "$RUNROOT" 2>/dev/null | wc -l)" 0 "runtime state entries (the seccomp cache aside)"
  # Networks (docs/NETWORK.md): no namespace, state, port claim or address lease.
  assert_eq "$(find "$RUNROOT/.net/ns" "$RUNROOT/.net/state" "$RUNROOT/.net/ports" -mindepth 1 2>/dev/null | wc -l)" 0 "network namespaces, states, port claims"
  assert_eq "$(find "$RUNROOT/.net/ipam" -type f -not -name lock -not -name 'last_reserved_ip*' 2>/dev/null | wc -l)" 0 "address leases"
}

# A container's state as its monitor recorded it (state.json), one field.
state_of() { # name field
  jq -r ".$2" "$STORE/containers/$(readlink "$STORE/containers/names/$1")/state.json"
}

# The STATUS column of a container in `ps -a`.
status_of() { # name
  cap ps -a --filter "name=^$1\$" --format '{{.Status}}'
}

# No cgroup, process or monitor of the given containers is left (zombies
# waiting for pid 1 to reap them are given a few seconds).
assert_no_trace() { # id...
  local id mnt
  for id in "$@"; do
    for mnt in $(awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) ~ /^cgroup2?$/) print $5 }' /proc/self/mountinfo); do
      [ ! -e "$mnt/capsule/$id" ] || fail "cgroup $mnt/capsule/$id is left"
    done
    wait_for "! grep -qs '$id' /proc/[0-9]*/cgroup" 50
  done
  wait_for "! pgrep -f '^capsule-monitor $STORE ' >/dev/null" 50
}
