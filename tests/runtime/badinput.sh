# Bad input: one clear line on stderr (JSON with --log-format json), a
# non-zero exit, and nothing left behind (state, cgroup, mount, process).
source "$TOP/tests/runtime/lib-runtime.sh"

# run_bad WHAT-TO-FIND ARGS...: the runtime must fail with one stderr line
# containing WHAT-TO-FIND and leave nothing behind.
run_bad() {
  local want=$1
  shift
  assert_fails rt "$@"
  assert_eq "$(printf '%s\n' "$ERR" | wc -l)" 1 "stderr lines (stderr: $ERR)"
  assert_contains "$ERR" "$want"
  assert_no_leftovers
  ! pgrep -f "$ID" >/dev/null || fail "a process of $ID is left"
}

test_malformed_json() {
  new_bundle
  echo '{"ociVersion": "1.1.0", "process": ' >"$BUNDLE/config.json"
  run_bad "invalid JSON" run --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "config.json"
}

test_missing_config() {
  new_bundle
  rm "$BUNDLE/config.json"
  run_bad "config.json" run --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "No such file"
}

test_missing_bundle() {
  new_bundle
  run_bad "/nonexistent-bundle" run --bundle /nonexistent-bundle "$ID"
}

test_wrong_types() {
  new_bundle
  cfg '.process.cwd = 42'
  run_bad "process.cwd: expected a string, got integer" run --bundle "$BUNDLE" "$ID"
  new_bundle
  cfg '.process.args = "sh"'
  run_bad "process.args: expected an array" run --bundle "$BUNDLE" "$ID"
  new_bundle
  cfg '.linux.resources.memory.limit = "lots"'
  run_bad "linux.resources.memory.limit" run --bundle "$BUNDLE" "$ID"
  new_bundle
  cfg '.mounts[0].options = [1, 2]'
  run_bad "mounts[0].options[0]: expected a string" run --bundle "$BUNDLE" "$ID"
}

test_missing_required_fields() {
  new_bundle
  cfg 'del(.ociVersion)'
  run_bad "ociVersion: required" run --bundle "$BUNDLE" "$ID"
  new_bundle
  cfg 'del(.process.cwd)'
  run_bad "process.cwd: required" run --bundle "$BUNDLE" "$ID"
  new_bundle
  cfg '.process.args = []'
  run_bad "process.args: required" run --bundle "$BUNDLE" "$ID"
  new_bundle
  cfg 'del(.root)'
  run_bad "root: required" run --bundle "$BUNDLE" "$ID"
  new_bundle
  cfg 'del(.process.user.uid)'
  run_bad "process.user.uid: required" run --bundle "$BUNDLE" "$ID"
}

test_unknown_values() {
  new_bundle
  cfg '.linux.namespaces += [{"type": "frobnicate"}]'
  run_bad 'unknown namespace type "frobnicate"' run --bundle "$BUNDLE" "$ID"
  new_bundle
  cfg '.process.capabilities.bounding += ["CAP_WORLD_DOMINATION"]'
  run_bad 'unknown capability "CAP_WORLD_DOMINATION"' run --bundle "$BUNDLE" "$ID"
  new_bundle
  cfg '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
  run_bad 'unknown rlimit "RLIMIT_BOGUS"' run --bundle "$BUNDLE" "$ID"
  new_bundle
  cfg '.ociVersion = "2.0.0"'
  run_bad 'unsupported version' run --bundle "$BUNDLE" "$ID"
}

test_unknown_fields_are_ignored() {
  # The spec: runtimes MUST ignore unknown properties.
  new_bundle echo fine
  cfg '.someFutureField = {"x": 1} | .process.anotherOne = true'
  assert_eq "$(rt run --bundle "$BUNDLE" "$ID")" fine
}

test_missing_rootfs() {
  new_bundle
  rm -rf "$BUNDLE/rootfs"
  run_bad "root.path" run --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "No such file"
}

test_missing_executable() {
  new_bundle /bin/no-such-program
  run_bad 'exec: "/bin/no-such-program": No such file or directory' run --bundle "$BUNDLE" "$ID"
  new_bundle no-such-program
  run_bad 'executable file not found in $PATH' run --bundle "$BUNDLE" "$ID"
}

test_duplicate_id() {
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  assert_fails rt run --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "already exists"
  # The first container is untouched.
  assert_eq "$(status_of)" running
}

test_unknown_id() {
  new_bundle
  for cmd in start state kill delete pause resume ps; do
    run_bad 'does not exist' "$cmd" nosuchcontainer
  done
  # As runc: what does not exist is deleted already.
  rt delete --force nosuchcontainer
  run_bad 'does not exist' exec nosuchcontainer true
  run_bad 'does not exist' update --memory 1m nosuchcontainer
}

test_bad_signal() {
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  assert_fails rt kill "$ID" SIGNOTASIGNAL
  assert_contains "$ERR" 'unknown signal "SIGNOTASIGNAL"'
  assert_fails rt kill "$ID" 99
  assert_contains "$ERR" 'unknown signal'
  assert_eq "$(status_of)" running
}

test_unreachable_console_socket() {
  new_bundle sh
  cfg '.process.terminal = true'
  run_bad "console socket" create --console-socket "$BUNDLE/no-such.sock" --bundle "$BUNDLE" "$ID"
  # A path that exists but is not a socket.
  touch "$BUNDLE/plain-file"
  run_bad "console socket" create --console-socket "$BUNDLE/plain-file" --bundle "$BUNDLE" "$ID"
}

test_terminal_without_console_socket_when_detached() {
  new_bundle sh
  cfg '.process.terminal = true'
  run_bad "console-socket" create --bundle "$BUNDLE" "$ID"
}

test_unknown_flags_and_commands() {
  new_bundle
  run_bad 'run: unknown flag --frobnicate' run --frobnicate --bundle "$BUNDLE" "$ID"
  run_bad 'unknown command "frobnicate"' frobnicate
  assert_fails "$RT" --frobnicate list
  assert_contains "$ERR" 'unknown flag --frobnicate'
  run_bad 'run: expected 1 argument, got 0' run --bundle "$BUNDLE"
  run_bad '--log-format' --log-format yaml list
}

test_json_log_format_error_line() {
  new_bundle
  cfg '.process.cwd = 42'
  assert_fails rt --log "$BUNDLE/runtime.log" --log-format json run --bundle "$BUNDLE" "$ID"
  assert_eq "$(printf '%s\n' "$ERR" | wc -l)" 1 "stderr lines"
  assert_eq "$(jq -r .level <<<"$ERR")" error "level in the JSON line"
  assert_contains "$(jq -r .msg <<<"$ERR")" "process.cwd"
  assert_eq "$(tail -n 1 "$BUNDLE/runtime.log" | jq -r .msg)" "$(jq -r .msg <<<"$ERR")" \
    "the --log file has the same error"
  assert_no_leftovers
}

test_invalid_resource_value_leaves_no_cgroup() {
  new_bundle
  cfg '.linux.resources.cpu = {"cpus": "0-999"}'
  run_bad "cpuset" run --bundle "$BUNDLE" "$ID"
}

test_rlimit_above_hard_limit_fails_cleanly() {
  new_bundle
  cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1048576, "hard": 1048576}]'
  hard=$(ulimit -Hn)
  [ "$hard" != unlimited ] && [ "$hard" -lt 1048576 ] || skip "the hard nofile limit is not below 1048576 here"
  ! has_cap_sys_resource || skip "the runtime has CAP_SYS_RESOURCE here: raising hard limits is allowed"
  run_bad "RLIMIT_NOFILE" run --bundle "$BUNDLE" "$ID"
}

test_failing_hook_leaves_nothing() {
  new_bundle
  cfg '.hooks = {"createRuntime": [{"path": "/bin/false"}]}'
  run_bad "createRuntime hook /bin/false" run --bundle "$BUNDLE" "$ID"
}

test_spec_refuses_to_overwrite() {
  new_bundle
  assert_fails "$RT" spec --bundle "$BUNDLE"
  assert_contains "$ERR" "already exists"
}

test_large_annotations_do_not_lock_the_container_in() {
  # 1.1 MB of annotations: whatever create accepts, state, kill and delete
  # must read back, or the container can never be deleted.
  new_bundle sleep 60
  head -c 1100000 /dev/zero | tr '\0' a >"$BUNDLE/big"
  jq --rawfile v "$BUNDLE/big" '.annotations = {"big": $v}' "$BUNDLE/config.json" >"$BUNDLE/c"
  mv "$BUNDLE/c" "$BUNDLE/config.json"
  rt create --bundle "$BUNDLE" "$ID"
  assert_eq "$(rt state "$ID" | jq -r '.annotations.big | length')" 1100000 "annotation read back"
  rt start "$ID"
  assert_eq "$(status_of)" running
  rt kill "$ID" KILL
  rt delete --force "$ID"
  assert_no_leftovers
}

test_delete_force_removes_a_container_whose_state_is_damaged() {
  new_bundle sleep 60
  rt run -d --bundle "$BUNDLE" "$ID"
  pid=$(rt state "$ID" | jq .pid)
  echo '{"broken' >"$STATE/$ID/state.json"
  assert_fails rt state "$ID"
  rt delete --force "$ID"
  assert_no_leftovers
  wait_for "! kill -0 $pid" 50
}

# delete --force of what is not an id deletes nothing, least of all a
# directory outside the state root that the "id" leads to.
test_delete_force_of_a_path_deletes_nothing() {
  new_bundle
  mkdir -p "$STATE" "$BUNDLE/victim"
  echo precious >"$BUNDLE/victim/file"
  assert_fails rt delete --force ../victim
  assert_contains "$ERR" "invalid container id"
  assert_eq "$(cat "$BUNDLE/victim/file")" precious "the directory the path led to"
}

# --- sysctls outside the container's own namespaces ---
# Every value below is the host's current one: should the runtime wrongly
# write it, the host stays as it was.

# sysctl_bad KEY JQ-FILTER WHAT-TO-FIND: a fresh bundle whose config (edited
# by JQ-FILTER) sets KEY to the host's value must be refused at create.
sysctl_bad() { # key filter want
  new_bundle
  local v
  v=$(jq -n --arg v "$(cat "/proc/sys/${1//.//}")" '$v')
  cfg ".linux.sysctl = {\"$1\": $v} | $2"
  run_bad "$3" run --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "\"$1\""
}

test_sysctl_not_namespaced_is_refused() {
  sysctl_bad vm.swappiness . "is not namespaced"
  sysctl_bad kernel.panic . "is not namespaced"
}

test_sysctl_of_a_namespace_the_container_shares_is_refused() {
  local no_net='.linux.namespaces |= map(select(.type != "network"))'
  local no_ipc='.linux.namespaces |= map(select(.type != "ipc"))'
  sysctl_bad net.core.somaxconn "$no_net" "needs the container's own network namespace"
  # Joined by path, the runtime's own network namespace is still the host's.
  sysctl_bad net.core.somaxconn \
    ".linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/$$/ns/net\" else . end)" \
    "needs the container's own network namespace"
  sysctl_bad kernel.shmmni "$no_ipc" "needs the container's own ipc namespace"
  sysctl_bad fs.mqueue.msg_max "$no_ipc" "needs the container's own ipc namespace"
  sysctl_bad kernel.domainname 'del(.hostname) | .linux.namespaces |= map(select(.type != "uts"))' \
    "needs the container's own uts namespace"
}

test_sysctl_kernel_hostname_is_refused() {
  # Even with its own uts namespace: the hostname field sets it.
  sysctl_bad kernel.hostname . "set the hostname field instead"
}

test_delete_keeps_the_state_while_the_cgroup_cannot_go() {
  # A process the runtime does not own (moved in from the host) holds the
  # container's pids group: the group cannot be removed, so the state that
  # finds it again must stay until a later delete succeeds.
  need_controller pids
  new_bundle sleep 60
  rt run -d --bundle "$BUNDLE" "$ID"
  pid=$(rt state "$ID" | jq .pid)
  group=$(cg_dir pids "$pid")
  sleep 60 &
  local intruder=$!
  defer "kill $intruder"
  echo "$intruder" >"$group/cgroup.procs"
  assert_fails rt delete --force "$ID"
  assert_contains "$ERR" "its state is kept"
  [ -d "$STATE/$ID" ] || fail "the state went while the cgroup stays: $group"
  kill "$intruder"
  wait "$intruder" 2>/dev/null || true
  rt delete --force "$ID"
  assert_no_leftovers
}

test_device_file_mode_contradicting_its_type() {
  new_bundle
  # 060666: the type bits say block device, the type says char.
  cfg '.linux.devices = [{path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 25014}]'
  run_bad "linux.devices[0].fileMode" run --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "block device"
}
