# Races under load (issue 8): each test repeats a start a bounded number of
# times while every CPU runs a busy loop of our own, so that the runtime
# and the container's init are preempted at any point.

source "$TOP/tests/runtime/lib-runtime.sh"

# busy_cpus: one busy loop per CPU, each ending by itself after 90 s and
# killed (by its pid) at the end of the test.
busy_cpus() {
  local i pid
  for ((i = 0; i < $(nproc); i++)); do
    (
      end=$((SECONDS + 90))
      while [ $SECONDS -lt $end ]; do :; done
    ) &
    pid=$!
    defer kill "$pid"
  done
}

# repeat_under_load COUNT SECONDS FUNCTION: call FUNCTION I for I = 1..COUNT
# with the CPUs busy, stopping early after SECONDS; every call must succeed.
# Prints how many ran.
repeat_under_load() { # count seconds function
  local i end=$((SECONDS + $2))
  busy_cpus
  for ((i = 1; i <= $1 && SECONDS < end; i++)); do
    "$3" "$i" || fail "$3 $i failed"
  done
  echo "$3: $((i - 1)) runs under load in $((SECONDS - end + $2)) s"
}

# A container with device nodes of its own besides the default ones.
devices_bundle() {
  new_bundle true
  cfg '.linux.devices = ([{path: "/dev/fuse", major: 10, minor: 229},
                          {path: "/dev/net/tun", major: 10, minor: 200},
                          {path: "/dev/loop-control", major: 10, minor: 237}]
                         + [range(64) | {path: "/dev/ttyS\(.)", major: 4, minor: (64 + .)}])
                        | .linux.devices[] += {type: "c", fileMode: 438, uid: 0, gid: 0}
       | del(.mounts[] | select(.type == "cgroup"))'
}

run_with_devices() { # i
  if ! rt run --bundle "$BUNDLE" "$ID-$1" </dev/null 2>"$BUNDLE/err"; then
    cat "$BUNDLE/err" >&2
    return 1
  fi
}

# v1's devices controller is set by writing "a" to devices.deny, which
# drops every exception, and then one allow line per device: a group in
# between denies everything. The init makes its nodes only once the rules
# are complete (it used to race the parent's writes: mknod EPERM).
test_device_nodes_are_made_after_the_rules_are_complete() {
  devices_bundle
  repeat_under_load 300 25 run_with_devices
}
