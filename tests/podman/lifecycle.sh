# podman drives detached containers through the runtime under test: exec,
# logs, stop (SIGTERM, then SIGKILL), pause/unpause, top.
source "$TOP/tests/podman/podman-env.sh"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

pm_status() { pm inspect --format '{{.State.Status}}' "$1"; }

test_detached_exec_logs_stop() {
  podman_env_start
  local id out start elapsed
  id=$(pm run -d "$PODMAN_IMAGE" sh -c 'trap "echo got TERM; exit 7" TERM; echo started; while :; do sleep 0.1; done')
  assert_match "$id" '^[0-9a-f]{64}$' "container id"
  assert_eq "$(pm_status "$id")" running "status"
  assert_eq "$(pm ps -q --no-trunc)" "$id" "running containers"

  assert_eq "$(pm exec "$id" echo hi from exec)" "hi from exec" "exec output"
  RC=0
  pm exec "$id" sh -c 'exit 5' || RC=$?
  assert_eq "$RC" 5 "exit code of exec"
  assert_eq "$(pm exec -e X=y -w /tmp "$id" sh -c 'echo $X $(pwd)')" "y /tmp" "exec env and cwd"
  assert_eq "$(pm exec -u 1000:1000 "$id" id -u)" 1000 "exec user"
  # exec joins the container: same pid namespace, where init is pid 1.
  assert_contains "$(pm exec "$id" cat /proc/1/cmdline | tr '\0' ' ')" "sh -c trap" "pid 1 seen by exec"
  assert_fails pm exec "$id" /no/such/cmd
  assert_eq "$RC" 127 "exit code of exec of a missing command"

  wait_for "pm logs $id | grep -qx started" 50
  start=$(now_ms)
  pm stop -t 10 "$id" >/dev/null
  elapsed=$(($(now_ms) - start))
  [ "$elapsed" -lt 5000 ] || fail "stop of a container that exits on SIGTERM took ${elapsed} ms"
  assert_eq "$(pm_status "$id")" exited "status after stop"
  assert_eq "$(pm inspect --format '{{.State.ExitCode}}' "$id")" 7 "exit code after SIGTERM"
  out=$(pm logs "$id")
  assert_eq "$out" "started
got TERM" "logs"
  pm rm "$id" >/dev/null
  assert_eq "$(pm ps -a -q)" "" "containers after rm"
  assert_no_trace_of "$id"
}

test_stop_falls_back_to_sigkill() {
  podman_env_start
  local id start elapsed
  id=$(pm run -d "$PODMAN_IMAGE" sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done')
  wait_for "pm logs $id | grep -qx ready" 50
  start=$(now_ms)
  pm stop -t 2 "$id" >/dev/null 2>&1
  elapsed=$(($(now_ms) - start))
  [ "$elapsed" -ge 2000 ] || fail "stop returned after ${elapsed} ms, before its 2 s timeout"
  [ "$elapsed" -lt 8000 ] || fail "stop took ${elapsed} ms after a 2 s timeout"
  assert_eq "$(pm_status "$id")" exited "status after stop"
  assert_eq "$(pm inspect --format '{{.State.ExitCode}}' "$id")" 137 "exit code after SIGKILL"
}

# The last number a counting loop has logged.
last_count() { pm logs "$1" | tail -n 1; }

test_pause_unpause() {
  podman_env_start
  local id freezer a b
  id=$(pm run -d "$PODMAN_IMAGE" sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done')
  wait_for "[ \"\$(last_count $id)\" -ge 3 ]" 50
  pm pause "$id" >/dev/null
  assert_eq "$(pm_status "$id")" paused "status after pause"
  freezer=$(pm_cgroup_dir "$id" freezer)
  if [ -f "$freezer/freezer.state" ]; then
    assert_eq "$(cat "$freezer/freezer.state")" FROZEN "freezer.state"
  else
    assert_eq "$(cat "$freezer/cgroup.freeze")" 1 "cgroup.freeze"
  fi
  a=$(last_count "$id")
  sleep 0.6
  b=$(last_count "$id")
  assert_eq "$b" "$a" "count while paused"

  pm unpause "$id" >/dev/null
  assert_eq "$(pm_status "$id")" running "status after unpause"
  wait_for "[ \"\$(last_count $id)\" -gt $b ]" 50
  pm stop -t 0 "$id" >/dev/null 2>&1
}

test_top() {
  podman_env_start
  local id out
  id=$(pm run -d "$PODMAN_IMAGE" sh -c 'sleep 1000 & sleep 2000 & wait')
  wait_for "pm top $id pid,args | grep -q 'sleep 2000'" 50
  out=$(pm top "$id" pid,args)
  assert_match "$(sed -n 1p <<<"$out")" '^PID +COMMAND' "top header"
  assert_match "$out" $'\n1 +sh -c sleep 1000' "pid 1 in top"
  assert_contains "$out" "sleep 1000" "top"
  assert_eq "$(grep -c sleep <<<"$out")" 3 "processes in top"
  pm stop -t 0 "$id" >/dev/null 2>&1
}
