# Races under load (issue 8): each test repeats a start a bounded number of
# times while every CPU runs a busy loop of our own, so that the runtime
# and the container's init are preempted at any point.

source "$TOP/tests/runtime/lib-runtime.sh"

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

# run_fails_with I: the container of $BUNDLE fails to start, and the one
# line on stderr names $CAUSE: the init's own error, never the lost
# handshake ("sync with container init: Broken pipe" when the init was gone
# before the runtime wrote to it, "Connection reset by peer" when it went
# with a message unread).
run_fails_with() { # i
  local rc=0
  rt run --bundle "$BUNDLE" "$ID-$1" </dev/null >/dev/null 2>"$BUNDLE/err" || rc=$?
  local err
  err=$(cat "$BUNDLE/err")
  [ "$rc" -ne 0 ] || { echo "run $1 succeeded" >&2; return 1; }
  [ "$(wc -l <"$BUNDLE/err")" = 1 ] || { echo "run $1: not one line: $err" >&2; return 1; }
  case $err in *"$CAUSE"*) ;; *) echo "run $1: '$err' does not name '$CAUSE'" >&2; return 1 ;; esac
}

# Without a cgroup mount (whose making waits for the runtime's limits) the
# init reaches its error while the runtime still writes the limits, before
# it writes "cgroup done" or before the init reads it.
init_fails_under_load() { # cause jq-filter [runs]
  CAUSE=$1
  new_bundle true
  cfg "$2"' | del(.mounts[] | select(.type == "cgroup"))
           | .linux.resources += {memory: {limit: 268435456}, pids: {limit: 100},
                                  cpu: {shares: 512, quota: 50000, period: 100000}}'
  repeat_under_load "${3:-40}" 6 run_fails_with
  assert_no_leftovers "$ID-1"
}

test_init_error_bad_device_reaches_the_user() {
  init_fails_under_load "something other than the character device 1:3" \
    '.linux.devices = [{path: "/etc/passwd", type: "c", major: 1, minor: 3, fileMode: 438}]'
}

test_init_error_bad_mount_reaches_the_user() {
  init_fails_under_load "No such device" \
    '.mounts += [{destination: "/mnt", type: "nosuchfs", source: "none"}]'
}

test_init_error_bad_cwd_reaches_the_user() {
  init_fails_under_load "process.cwd" '.process.cwd = "/etc/passwd"'
}

test_init_error_rlimit_reaches_the_user() {
  has_cap_sys_resource && skip "the runtime may raise hard rlimits here (CAP_SYS_RESOURCE)"
  init_fails_under_load "RLIMIT_NOFILE" \
    ".process.rlimits = [{type: \"RLIMIT_NOFILE\", hard: $(($(ulimit -Hn) + 1)), soft: 1024}]"
}

test_init_error_seccomp_reaches_the_user() {
  init_fails_under_load "Operation not permitted" \
    '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
                       syscalls: [{names: ["execve"], action: "SCMP_ACT_ERRNO"}]}'
}

# An init that dies without a word (here a createContainer hook, its child,
# SIGKILLs it; the OOM killer does the same) is reported with how it ended.
test_init_killed_during_create_is_reported_with_its_signal() {
  new_bundle true
  cfg 'del(.linux.namespaces[] | select(.type == "pid"))
       | .hooks.createContainer = [{path: "/bin/sh", args: ["sh", "-c", "kill -9 $PPID"]}]'
  assert_fails rt run --bundle "$BUNDLE" "$ID" </dev/null
  assert_eq "$ERR" "capsule-runtime: container init exited before it was ready (killed by signal 9, Killed)" \
    "the error of a run whose init was killed"
  assert_no_leftovers
}

# A frozen task takes no signal, not even SIGKILL: an init that someone
# moved into a frozen freezer group of their own stays, and its groups
# cannot be removed (EBUSY). delete --force thaws it where it is.
test_delete_force_of_an_init_frozen_in_another_group() {
  local freezer
  if cg_is_v1 freezer; then
    freezer=/sys/fs/cgroup/freezer/capsule-test-other-$$
  else
    [ -n "$(cg_v2_root)" ] || skip "no freezer here"
    freezer=$(cg_v2_root)/capsule-test-other-$$
  fi
  # Deferred steps run last first: thaw, delete the container, rmdir.
  mkdir "$freezer"
  defer "rmdir $freezer"
  new_bundle sleep 60
  rt run -d --bundle "$BUNDLE" "$ID" </dev/null
  pid=$(rt state "$ID" | jq -r .pid)
  if cg_is_v1 freezer; then
    defer "echo THAWED >$freezer/freezer.state"
    echo "$pid" >"$freezer/cgroup.procs"
    echo FROZEN >"$freezer/freezer.state"
    wait_for "grep -qx FROZEN $freezer/freezer.state" 50
  else
    defer "echo 0 >$freezer/cgroup.freeze"
    echo "$pid" >"$freezer/cgroup.procs"
    echo 1 >"$freezer/cgroup.freeze"
    wait_for "grep -qx 'frozen 1' $freezer/cgroup.events" 50
  fi
  assert_eq "$(status_of)" running "status of a container frozen elsewhere"
  rt delete --force "$ID"
  [ ! -e /proc/"$pid" ] || [ "$(awk '{print $3}' /proc/"$pid"/stat)" = Z ] || fail "the init lives on"
  assert_no_leftovers
}

# kill -9 right after start, then delete without --force once the init is
# reaped, as containerd's shim does (tests/helpers/shim_loop.py, the child
# subreaper): the delete must find the container stopped.
test_kill_right_after_start_then_delete() {
  new_bundle sleep 60
  busy_cpus
  python3 "$TOP/tests/helpers/shim_loop.py" "$RT" "$STATE" "$BUNDLE" "$ID" 150 15
}
