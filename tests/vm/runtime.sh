# The runtime and the engine on the cgroup layouts this host does not have:
# a focused selection of the runtime's suites (tests/runtime/*.sh) and the
# engine's limits, run in a VM booted with pure cgroup v2 and with v1 only
# (tests/vm/run-in-vm.sh), one boot per layout. Together they follow a
# container's groups end to end: create, start, state, pause/resume through
# the layout's freezer, update, kill --all, delete leaving no group; limits,
# the cgroup mount and device rules seen from inside; exec joining the
# container's groups. The suites read v1's or v2's files as the layout
# they find requires (tests/runtime/lib-runtime.sh); the hybrid layout is
# this host's own, covered by running the suites here.

RUNTIME_VM_SUITES=(tests/runtime/lifecycle.sh tests/runtime/resources.sh tests/runtime/mounts.sh
  tests/runtime/namespaces.sh tests/runtime/exec.sh tests/engine/run.sh)
# "suite.test", the suite being the file's base name (tests/run's naming).
RUNTIME_VM_TESTS=(
  lifecycle.test_create_start_state_delete
  lifecycle.test_pause_resume_freezes_processes
  lifecycle.test_kill_all_reaches_every_process
  lifecycle.test_delete_force_paused_container
  lifecycle.test_delete_force_without_state_file
  resources.test_memory_limit_reservation_and_swap
  resources.test_memory_limit_is_enforced
  resources.test_cpu_shares_quota_period
  resources.test_pids_limit_stops_forks
  resources.test_device_rules_deny_unlisted_devices
  resources.test_update_each_flag
  resources.test_update_resources_file_and_stdin
  resources.test_cgroups_path_absolute
  resources.test_unified
  mounts.test_cgroup_mount_is_read_only_and_shows_own_limits
  mounts.test_cgroup_mount_without_cgroup_namespace_shows_own_limits
  namespaces.test_cgroup_namespace_root
  namespaces.test_user_namespace_process_runs_as_host_uid
  exec.test_exec_joins_the_init_cgroups_and_namespaces
  run.test_resource_limits
)

# Run in the guest: the layout it got, the selected tests, then every
# directory left under /sys/fs/cgroup besides the hierarchies' roots and the
# engine's shared /capsule parent (kept, as runc keeps its parents).
# $1 is the busybox image tarball made on the host, put where the engine's
# suite keeps it (tests/engine/run.sh): making it under emulation takes 45 s.
RUNTIME_VM_GUEST='
echo "cgroup layout: $(stat -f -c %T /sys/fs/cgroup)"
cp "$1" "/tmp/capsule-engine-busybox-$(id -u).tar"
shift
tests/run "$@"
rc=$?
find /sys/fs/cgroup -mindepth 1 -type d | while read -r d; do
  [ "$(stat -f -c %T "$d")" = "$(stat -f -c %T "${d%/*}")" ] || continue # a hierarchy root
  case $d in */capsule) [ -z "$(ls -d "$d"/*/ 2>/dev/null)" ] && continue ;; esac
  echo "cgroup left behind: $d"
done
exit $rc'

run_runtime_tests_in_vm() { # layout
  local t args=() rc=0
  for t in "${RUNTIME_VM_TESTS[@]}"; do args+=(-k "$t"); done
  [ -x "$BIN/capsule-runtime" ] && [ -x "$BIN/capsule" ] || fail "$BIN is not built"
  # Under the build tree, which the guest sees (not under /tmp, which it does not).
  local seed
  seed=$(mktemp -d "$BIN/vm-seed.XXXXXX")
  defer rm -rf "$seed"
  "$TOP/scripts/make-busybox-rootfs" "$seed/busybox.tar" >/dev/null
  OUT=$(cd "$TOP" && BUILD=$BUILD tests/vm/run-in-vm.sh --cgroup "$1" --mem 2048 --timeout 420 -- \
    bash -c "$RUNTIME_VM_GUEST" guest "$seed/busybox.tar" "${RUNTIME_VM_SUITES[@]}" "${args[@]}" 2>&1) || rc=$?
  echo "$OUT"
  [ "$rc" -ne 77 ] || skip "no VM here: $(echo "$OUT" | tail -n 1)"
  assert_eq "$rc" 0 "exit status of the runtime tests in the $1 VM"
  assert_contains "$OUT" "cgroup layout: $([ "$1" = v2 ] && echo cgroup2fs || echo tmpfs)"
  for t in "${RUNTIME_VM_TESTS[@]}"; do
    grep -q "^ok   $t (" <<<"$OUT" || fail "$t did not pass in the $1 VM"
  done
  assert_contains "$OUT" "== ${#RUNTIME_VM_TESTS[@]} passed, 0 failed, 0 skipped"
  assert_not_contains "$OUT" "cgroup left behind"
}

test_runtime_on_pure_v2() {
  run_runtime_tests_in_vm v2
}

test_runtime_on_v1_only() {
  run_runtime_tests_in_vm v1
}
