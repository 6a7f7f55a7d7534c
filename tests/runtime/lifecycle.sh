# The runc command lifecycle: create, start, state, kill, delete, run, list,
# ps, pause/resume, pid files, exit codes.
source "$TOP/tests/runtime/lib-runtime.sh"

test_run_foreground_exit_code() {
  new_bundle sh -c 'exit 3'
  RC=0
  rt run --bundle "$BUNDLE" "$ID" || RC=$?
  assert_eq "$RC" 3 "exit code of run"
  assert_no_leftovers
}

test_run_killed_by_signal_is_128_plus() {
  new_bundle sleep 30
  rt run --bundle "$BUNDLE" "$ID" &
  run_pid=$!
  wait_for "[ \$(rt state $ID | jq -r .status) = running ]" 50
  rt kill "$ID" KILL
  RC=0
  wait "$run_pid" || RC=$?
  assert_eq "$RC" 137 "exit code of a SIGKILLed container"
  assert_no_leftovers
}

test_run_forwards_signals() {
  new_bundle sh -c 'trap "exit 7" TERM; touch /tmp/ready; while :; do sleep 0.1; done'
  # The runtime itself, not a subshell, must get the signal.
  "$RT" --root "$STATE" run --bundle "$BUNDLE" "$ID" &
  run_pid=$!
  wait_for "[ -e '$BUNDLE/rootfs/tmp/ready' ]" 50 # the trap is set
  kill -TERM "$run_pid"
  RC=0
  wait "$run_pid" || RC=$?
  assert_eq "$RC" 7 "exit code after SIGTERM to the runtime"
  assert_no_leftovers
}

test_run_output_reaches_stdout() {
  new_bundle echo hello from the container
  out=$(rt run --bundle "$BUNDLE" "$ID")
  assert_eq "$out" "hello from the container"
}

test_create_start_state_delete() {
  new_bundle sh -c 'echo started > /tmp/marker; sleep 30'
  rt create --bundle "$BUNDLE" --pid-file "$BUNDLE/pid" "$ID"
  assert_eq "$(status_of)" created "status after create"
  pid=$(cat "$BUNDLE/pid")
  assert_eq "$(rt state "$ID" | jq -r .pid)" "$pid" "state pid = pid file"
  # The process has not run yet: the marker does not exist.
  [ ! -e "$BUNDLE/rootfs/tmp/marker" ] || fail "user process ran before start"
  rt start "$ID"
  assert_eq "$(status_of)" running "status after start"
  wait_for "[ -e '$BUNDLE/rootfs/tmp/marker' ]" 50
  state=$(rt state "$ID")
  assert_eq "$(jq -r .id <<<"$state")" "$ID" "state id"
  assert_eq "$(jq -r .bundle <<<"$state")" "$BUNDLE" "state bundle"
  assert_eq "$(jq -r .ociVersion <<<"$state")" 1.1.0 "state ociVersion"
  rt kill "$ID" KILL
  wait_for "[ \$(rt state $ID | jq -r .status) = stopped ]" 50
  rt delete "$ID"
  assert_no_leftovers
}

test_start_twice_is_refused() {
  new_bundle sleep 30
  rt create --bundle "$BUNDLE" "$ID"
  rt start "$ID"
  assert_fails rt start "$ID"
  assert_contains "$ERR" "running"
}

test_state_says_stopped_when_init_dies() {
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  pid=$(rt state "$ID" | jq -r .pid)
  kill -9 "$pid"
  wait_for "[ \$(rt state $ID | jq -r .status) = stopped ]" 50
  # A stopped container's pid is 0, as runc prints it (it used to be absent).
  assert_eq "$(rt state "$ID" | jq -r '.pid // "none"')" 0 "pid of a stopped container"
  rt delete "$ID"
  assert_no_leftovers
}

test_kill_by_name_and_number() {
  new_bundle sh -c 'trap "echo got-usr1 > /tmp/sig" USR1; touch /tmp/ready; while :; do sleep 0.1; done'
  rt run -d --bundle "$BUNDLE" "$ID"
  wait_for "[ -e '$BUNDLE/rootfs/tmp/ready' ]" 50 # the trap is set
  rt kill "$ID" USR1
  wait_for "grep -q got-usr1 '$BUNDLE/rootfs/tmp/sig'" 50
  rm "$BUNDLE/rootfs/tmp/sig"
  rt kill "$ID" SIGUSR1
  wait_for "grep -q got-usr1 '$BUNDLE/rootfs/tmp/sig'" 50
  rm "$BUNDLE/rootfs/tmp/sig"
  rt kill "$ID" 10
  wait_for "grep -q got-usr1 '$BUNDLE/rootfs/tmp/sig'" 50
  rt kill "$ID" 9
  wait_for "[ \$(rt state $ID | jq -r .status) = stopped ]" 50
}

test_kill_all_reaches_every_process() {
  new_bundle sh -c 'sleep 100 & sleep 100 & sleep 100'
  rt run -d --bundle "$BUNDLE" "$ID"
  wait_for "[ \$(rt ps --format json $ID | jq length) -ge 3 ]" 50
  rt kill --all "$ID" KILL
  wait_for "[ \$(rt ps --format json $ID | jq length) -eq 0 ]" 50
  wait_for "[ \$(rt state $ID | jq -r .status) = stopped ]" 50
  rt delete "$ID"
  assert_no_leftovers
}

# The container says which signal it got: any other signal than TERM (KILL
# included) leaves no /tmp/sig behind.
test_default_signal_is_term() {
  new_bundle sh -c 'trap "echo TERM > /tmp/sig; exit 42" TERM; touch /tmp/ready; while :; do sleep 0.1; done'
  rt create --bundle "$BUNDLE" "$ID"
  rt start "$ID"
  wait_for "[ -e '$BUNDLE/rootfs/tmp/ready' ]" 50 # the trap is set
  rt kill "$ID"
  wait_for "[ \$(rt state $ID | jq -r .status) = stopped ]" 50
  assert_eq "$(cat "$BUNDLE/rootfs/tmp/sig" 2>/dev/null)" TERM "signal the container got"
}

test_delete_running_needs_force() {
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  assert_fails rt delete "$ID"
  assert_contains "$ERR" "running"
  assert_eq "$(status_of)" running
  rt delete --force "$ID"
  assert_no_leftovers
}

test_delete_created_container() {
  new_bundle sleep 30
  rt create --bundle "$BUNDLE" "$ID"
  pid=$(rt state "$ID" | jq -r .pid)
  rt delete "$ID"
  assert_no_leftovers
  wait_for "! kill -0 $pid" 50
}

test_list_formats() {
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  id2=$ID-b
  rt create --bundle "$BUNDLE" "$id2"
  defer "'$RT' --root '$STATE' delete --force '$id2'"
  quiet=$(rt list -q | sort | tr '\n' ' ')
  assert_eq "$quiet" "$ID $id2 " "list -q"
  json=$(rt list --format json)
  assert_eq "$(jq -r ".[] | select(.id == \"$ID\") | .status" <<<"$json")" running
  assert_eq "$(jq -r ".[] | select(.id == \"$id2\") | .status" <<<"$json")" created
  table=$(rt list)
  assert_contains "$table" "STATUS"
  assert_match "$table" "$ID +[0-9]+ +running"
}

test_ps_lists_container_processes() {
  new_bundle sh -c 'sleep 100 & exec sleep 101'
  rt run -d --bundle "$BUNDLE" "$ID"
  wait_for "[ \$(rt ps --format json $ID | jq length) -eq 2 ]" 50
  init=$(rt state "$ID" | jq -r .pid)
  assert_contains "$(rt ps --format json "$ID")" "$init"
  table=$(rt ps "$ID")
  assert_contains "$table" "PID"
  assert_contains "$table" "sleep 100"
  assert_contains "$table" "sleep 101"
  assert_eq "$(grep -c sleep <<<"$table")" 2 "ps table rows"
}

test_pause_resume_freezes_processes() {
  # The counter file is replaced by rename, so it is never read half-written.
  new_bundle sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/c.new; mv /tmp/c.new /tmp/count; sleep 0.05; done'
  rt run -d --bundle "$BUNDLE" "$ID"
  wait_for "[ -s '$BUNDLE/rootfs/tmp/count' ]" 50
  rt pause "$ID"
  assert_eq "$(status_of)" paused
  # The kernel's freezer says so: v1's freezer.state, else v2's cgroup.freeze.
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  if cg_is_v1 freezer; then
    assert_eq "$(cat "$(cg_dir freezer "$pid")/freezer.state")" FROZEN freezer.state
  else
    assert_eq "$(cat "$(cg_dir unified "$pid")/cgroup.freeze")" 1 cgroup.freeze
    assert_contains "$(cat "$(cg_dir unified "$pid")/cgroup.events")" "frozen 1" cgroup.events
  fi
  a=$(cat "$BUNDLE/rootfs/tmp/count")
  # Not a wait for something: the window in which a running loop would have
  # counted ~10 times.
  sleep 0.5
  b=$(cat "$BUNDLE/rootfs/tmp/count")
  assert_eq "$b" "$a" "counter while paused"
  assert_fails rt pause "$ID"
  rt resume "$ID"
  assert_eq "$(status_of)" running
  if ! cg_is_v1 freezer; then
    assert_contains "$(cat "$(cg_dir unified "$pid")/cgroup.events")" "frozen 0" "cgroup.events after resume"
  fi
  wait_for "[ \$(cat '$BUNDLE/rootfs/tmp/count') -gt $b ]" 50 # counting again
  assert_fails rt resume "$ID"
  assert_contains "$ERR" "not paused"
}

test_delete_force_paused_container() {
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  rt pause "$ID"
  rt delete --force "$ID"
  assert_no_leftovers
}

test_pid_file_is_the_init() {
  new_bundle sleep 30
  rt run -d --pid-file "$BUNDLE/pidfile" --bundle "$BUNDLE" "$ID"
  pid=$(cat "$BUNDLE/pidfile")
  # The host sees the init as `sleep 30`, its pid namespace's pid 1.
  assert_eq "$(tr '\0' ' ' </proc/$pid/cmdline)" "sleep 30 " "cmdline of the pid file's process"
  assert_eq "$(awk '/^NSpid/ {print $3}' /proc/$pid/status)" 1 "pid inside the namespace"
}

test_state_survives_runtime_exit() {
  new_bundle sleep 30
  rt create --bundle "$BUNDLE" "$ID"
  # Another runtime process (a different invocation) starts and inspects it.
  "$RT" --root "$STATE" start "$ID"
  assert_eq "$("$RT" --root "$STATE" state "$ID" | jq -r .status)" running
}

test_concurrent_commands_on_one_container() {
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  for i in 1 2 3 4 5 6 7 8; do rt state "$ID" >/dev/null & done
  for i in 1 2 3 4; do (rt pause "$ID" && rt resume "$ID") 2>/dev/null & done
  wait
  st=$(status_of)
  [ "$st" = running ] || [ "$st" = paused ] || fail "status $st after concurrent commands"
  rt delete --force "$ID"
  assert_no_leftovers
}

test_runtime_killed_during_create_can_be_deleted() {
  new_bundle sleep 30
  cfg '.hooks = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "20"]}]}'
  "$RT" --root "$STATE" create --bundle "$BUNDLE" "$ID" &
  rpid=$!
  # The hook runs once the init and its cgroup exist: kill -9 the runtime then.
  wait_for "pgrep -P $rpid sleep" 50
  hook=$(pgrep -P "$rpid" sleep)
  defer "kill $hook"
  kill -9 "$rpid"
  wait "$rpid" || true
  [ -n "$(find /sys/fs/cgroup -maxdepth 5 -type d -name "$ID")" ] || fail "no cgroup to clean up: the crash came too late"
  # The init died with its runtime; the state says so.
  wait_for "[ \$(rt state $ID | jq -r .status) = stopped ]" 50
  rt delete --force "$ID"
  assert_no_leftovers
}

test_delete_force_without_state_file() {
  # A crash after the config was saved but before state.json: only the
  # config tells where the cgroup is.
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  pid=$(rt state "$ID" | jq -r .pid)
  rm "$STATE/$ID/state.json"
  kill -9 "$pid"
  assert_fails rt state "$ID"
  assert_contains "$ERR" "has no state"
  [ -n "$(find /sys/fs/cgroup -maxdepth 5 -type d -name "$ID")" ] || fail "no cgroup to test with"
  rt delete --force "$ID"
  assert_no_leftovers
}
