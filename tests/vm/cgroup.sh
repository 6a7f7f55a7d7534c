# cgroup on the layouts this host does not have: the cgroup unit tests run in
# a VM booted with pure cgroup v2 and with v1 only (tests/vm/run-in-vm.sh).
# The hybrid layout is the dev host's own, covered by tests/unit/cgroup_host.

run_cgroup_tests_in_vm() { # mode
  [ -x "$BIN/tests/cgroup_host" ] || fail "$BIN/tests/cgroup_host is not built"
  local rc=0
  OUT=$(CAPSULE_EXPECT_CGROUP_MODE=$1 "$TOP/tests/vm/run-in-vm.sh" --cgroup "$1" -- \
    "$BIN/tests/cgroup_host" 2>&1) || rc=$?
  echo "$OUT"
  [ "$rc" -ne 77 ] || skip "no VM here: $(echo "$OUT" | tail -n 1)"
  assert_eq "$rc" 0 "exit status of cgroup_host in the $1 VM"
  assert_contains "$OUT" "cgroup mode: $1"
  assert_match "$OUT" "cgroup_host: [0-9]+ checks, 0 failed"
}

test_cgroup_pure_v2() {
  run_cgroup_tests_in_vm v2
}

test_cgroup_v1_only() {
  run_cgroup_tests_in_vm v1
}

# The harness itself: exit status, output and the layout it promises.
test_run_in_vm_reports_status_and_layout() {
  local rc=0
  OUT=$("$TOP/tests/vm/run-in-vm.sh" --cgroup v2 -- \
    sh -c 'stat -fc %T /sys/fs/cgroup; ls /sys/fs/cgroup/memory 2>&1 | head -n 1; pwd; exit 7' 2>&1) || rc=$?
  [ "$rc" -ne 77 ] || skip "no VM here: $OUT"
  assert_eq "$rc" 7 "exit status passed through"
  assert_contains "$OUT" "cgroup2fs"
  assert_contains "$OUT" "No such file" # no v1 hierarchy
  assert_contains "$OUT" "$PWD"
}

# A guest that overruns --timeout is stopped and reported (status 124).
test_run_in_vm_timeout_stops_the_guest() {
  local rc=0 start=$SECONDS
  OUT=$("$TOP/tests/vm/run-in-vm.sh" --timeout 2 -- sleep 600 2>&1) || rc=$?
  [ "$rc" -ne 77 ] || skip "no VM here: $OUT"
  assert_eq "$rc" 124 "exit status on timeout"
  assert_contains "$OUT" "timed out after 2s"
  [ $((SECONDS - start)) -lt 30 ] || fail "took $((SECONDS - start))s to give up"
}
