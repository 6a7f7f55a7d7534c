# The container lifecycle as a docker user drives it: run's exit codes,
# create/start/stop/kill/wait/restart, logs, restart policies, run -d --rm.
# Every detached container is watched by its monitor (capsule-monitor).

source "$TOP/tests/engine/lib-engine.sh"

test_run_exit_codes() {
  engine_setup
  local rc
  cap run --name ok busybox true || fail "run true"
  rc=0; cap run --name seven busybox sh -c 'echo out; exit 7' >/dev/null || rc=$?
  assert_eq "$rc" 7 "the container's code"
  assert_match "$(status_of seven)" '^Exited \(7\) ' "ps -a STATUS"
  assert_eq "$(state_of seven exitCode)" 7 "state.json exitCode"
  rc=0; cap run --rm nosuchimage true 2>/dev/null || rc=$?
  assert_eq "$rc" 125 "unknown image"
  rc=0; cap run --rm busybox /etc/passwd 2>/dev/null || rc=$?
  assert_eq "$rc" 126 "a command that cannot be invoked"
  rc=0; cap run busybox /no/such/command 2>/dev/null || rc=$?
  assert_eq "$rc" 127 "a command not found (with a monitor)"
  rc=0; cap run --rm busybox /no/such/command 2>/dev/null || rc=$?
  assert_eq "$rc" 127 "a command not found (--rm, in-process)"
  # Killed with SIGKILL while it runs in the foreground: 137.
  cap run --name victim busybox sleep 30 &
  local job=$!
  wait_for "[ \"\$(state_of victim status 2>/dev/null)\" = running ]" 50
  cap kill victim >/dev/null
  rc=0; wait "$job" || rc=$?
  assert_eq "$rc" 137 "run of a container killed with SIGKILL"
  assert_match "$(status_of victim)" '^Exited \(137\) '
}

test_create_start_stop_restart() {
  engine_setup
  local id t0 ms
  id=$(cap create --name c busybox sh -c 'echo started; trap "exit 143" TERM; while :; do sleep 0.1; done')
  assert_match "$id" '^[0-9a-f]{64}$' "create prints the id"
  assert_eq "$(status_of c)" Created "ps -a after create"
  assert_eq "$(cap ps -q)" "" "ps lists no created container"
  assert_eq "$(cap start c)" c "start prints the name"
  assert_match "$(status_of c)" '^Up ' "after start"
  assert_eq "$(cap start c)" c "start of a running container does nothing"
  wait_for "cap logs c | grep -q started" 30
  # The stop signal ends it with the code its trap gives (143 as SIGTERM's).
  t0=$(date +%s%N)
  cap stop c >/dev/null
  ms=$((($(date +%s%N) - t0) / 1000000))
  assert_match "$(status_of c)" '^Exited \(143\) '
  [ "$ms" -lt 3000 ] || fail "stop of a container that honours SIGTERM took $ms ms"
  cap restart c >/dev/null
  assert_match "$(status_of c)" '^Up '
  wait_for "[ \$(cap logs c | grep -c started) = 2 ]" 30
  # A pid 1 without a handler ignores SIGTERM: SIGKILL after -t.
  cap run -d --name s busybox sleep 60 >/dev/null
  t0=$(date +%s%N)
  cap stop -t 1 s >/dev/null
  ms=$((($(date +%s%N) - t0) / 1000000))
  assert_match "$(status_of s)" '^Exited \(137\) ' "stop -t 1 of a container ignoring SIGTERM"
  [ "$ms" -ge 900 ] && [ "$ms" -lt 4000 ] || fail "stop -t 1 took $ms ms"
  # --stop-signal, kept in the record for later stops.
  cap run -d --name u --stop-signal USR1 busybox sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done' >/dev/null
  sleep 0.3
  cap stop u >/dev/null
  assert_match "$(status_of u)" '^Exited \(42\) ' "--stop-signal USR1"
  assert_fails cap stop nosuch
  assert_contains "$ERR" "no such container"
  cap rm -f c s u >/dev/null
  assert_engine_clean
  assert_no_trace "$id"
}

test_kill_and_wait() {
  engine_setup
  cap run -d --name k busybox sh -c 'trap "exit 3" HUP; while :; do sleep 0.1; done' >/dev/null
  sleep 0.3
  cap wait k >"$WORK/wait.out" &
  local waiter=$!
  sleep 0.2
  assert_eq "$(cap kill -s HUP k)" k "kill prints the name"
  wait "$waiter"
  assert_eq "$(cat "$WORK/wait.out")" 3 "wait prints the exit code"
  assert_eq "$(cap wait k)" 3 "wait of an exited container"
  assert_fails cap kill k
  assert_contains "$ERR" "not running"
  cap rm k >/dev/null
}

test_logs() {
  engine_setup
  cap run -d --name l busybox sh -c 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; printf partial' >/dev/null
  cap wait l >/dev/null
  assert_eq "$(cap logs l 2>/dev/null)" "$(printf 'one\nthree\npartial')" "stdout"
  assert_eq "$(cap logs l 2>&1 >/dev/null)" two "stderr"
  assert_eq "$(cap logs --tail 2 l 2>&1)" "$(printf 'three\npartial')" "--tail 2"
  assert_match "$(cap logs -t l 2>/dev/null | head -n 1)" \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z one$' "-t"
  assert_eq "$(cap logs --since 1h l 2>/dev/null | head -n 1)" one "--since 1h"
  assert_eq "$(cap logs --until 1h l 2>&1)" "" "--until an hour ago"
  # The documented format: time, stream, F (a whole line) or P (partial).
  local id
  id=$(readlink "$STORE/containers/names/l")
  assert_match "$(sed -n 2p "$STORE/containers/$id/container.log")" '^[^ ]+Z stderr F two$'
  assert_match "$(tail -n 1 "$STORE/containers/$id/container.log")" '^[^ ]+Z stdout P partial$'
  # -f follows until the container ends.
  cap run -d --name f busybox sh -c 'for i in 1 2 3; do echo line$i; sleep 0.3; done' >/dev/null
  assert_eq "$(timeout 10 "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" logs -f f | tr '\n' ' ')" \
    "line1 line2 line3 " "logs -f"
  # A foreground run without --rm is logged too.
  cap run --name fg busybox echo foreground >/dev/null
  assert_eq "$(cap logs fg)" foreground "logs of a foreground run"
}

test_restart_policies() {
  engine_setup
  cap run -d --name of --restart on-failure:2 busybox sh -c 'echo ran; exit 3' >/dev/null
  wait_for "[ \"\$(state_of of status)\" = exited ] && [ \$(cap logs of | wc -l) = 3 ]" 50
  sleep 0.5 # no third restart
  assert_eq "$(cap logs of | wc -l)" 3 "on-failure:2 runs it three times"
  assert_eq "$(state_of of restartCount)" 2 "restartCount"
  assert_match "$(status_of of)" '^Exited \(3\) '
  cap run -d --name ok --restart on-failure busybox true >/dev/null
  cap run -d --name al --restart always busybox sh -c 'echo ran; sleep 0.1' >/dev/null
  wait_for "[ \$(cap logs al | wc -l) -ge 3 ]" 50
  assert_eq "$(state_of ok restartCount)" 0 "on-failure after a success"
  cap stop al >/dev/null
  local n
  n=$(cap logs al | wc -l)
  sleep 0.6
  assert_eq "$(cap logs al | wc -l)" "$n" "runs after stop"
  assert_match "$(status_of al)" '^Exited '
  assert_fails cap run --restart sometimes busybox true
  assert_eq "$RC" 125
  assert_contains "$ERR" "--restart sometimes"
  cap rm of ok al >/dev/null
  assert_engine_clean
}

test_run_detached_rm_and_start_attach() {
  engine_setup
  local id
  id=$(cap run -d --rm busybox sh -c 'sleep 0.2')
  wait_for "[ ! -e '$STORE/containers/$id' ]" 50
  assert_eq "$(cap ps -a -q)" "" "run -d --rm: gone once it exited"
  cap create --name a busybox sh -c 'echo attached; exit 4' >/dev/null
  local rc=0 out
  out=$(cap start -a a) || rc=$?
  assert_eq "$out" attached "start -a prints its output"
  assert_eq "$rc" 4 "start -a exits with the container"
  cap rm a >/dev/null
  assert_engine_clean
  assert_no_trace "$id"
}

test_init() {
  engine_setup
  local out rc=0
  # pid 1 is the tiny init; the command its child; orphans are reaped.
  out=$(cap run --rm --init busybox sh -c 'sh -c "sleep 0.1 &"; sleep 0.5; ps -o pid,stat,args') || rc=$?
  assert_match "$(sed -n 2p <<<"$out")" '^ +1 +[A-Z]+ +/sbin/capsule-init -- sh' "pid 1"
  assert_not_contains "$(awk '$2 ~ /Z/' <<<"$out")" sleep "a zombie left unreaped"
  rc=0; cap run --rm --init busybox sh -c 'exit 3' || rc=$?
  assert_eq "$rc" 3 "the command's status through the init"
  # It forwards the stop signal: a shell as the command stops at once.
  cap run -d --init --name i busybox sh -c 'sleep 1000 & sleep 1000' >/dev/null
  sleep 0.3
  local t0=$(date +%s%N)
  cap stop i >/dev/null
  [ $((($(date +%s%N) - t0) / 1000000)) -lt 3000 ] || fail "stop took the grace time: SIGTERM not forwarded"
  assert_match "$(status_of i)" '^Exited \(143\) '
  cap rm i >/dev/null
}

# docker's unless-stopped: like always, except for a container the user
# stopped, which the "daemon start" after a reboot (start --all with the
# policies, podman's restart service) leaves stopped; restart clears that.
test_unless_stopped_after_reboot() {
  engine_setup
  local c
  for c in al:always us:unless-stopped up:unless-stopped no:no; do
    cap run -d --network none --name "${c%%:*}" --restart "${c#*:}" busybox sleep 60 >/dev/null
  done
  cap stop -t 0 al us >/dev/null
  sleep 0.3
  assert_match "$(status_of us)" '^Exited \(137\) ' "unless-stopped after stop"
  # A reboot: every monitor and container process dies at once.
  for c in up no; do kill -9 "$(state_of $c monitorPid)" "$(state_of $c pid)"; done
  wait_for "[ \"\$(cap ps -q | wc -l)\" = 0 ]" 50
  assert_eq "$(cap start --all --filter restart-policy=always --filter restart-policy=unless-stopped | sort | tr '\n' ' ')" "al up " "started at boot"
  assert_eq "$(cap ps --format '{{.Names}}' | sort | tr '\n' ' ')" "al up " "running after boot"
  assert_fails cap start --all --filter status=exited
  assert_contains "$ERR" "invalid filter 'status=exited'"
  # restart after stop: the policy applies again, a crash restarts it.
  cap restart us >/dev/null
  kill -9 "$(state_of us pid)"
  wait_for "[ \"\$(state_of us restartCount)\" = 1 ] && [ \"\$(state_of us status)\" = running ]" 50
  assert_eq "$(state_of us manuallyStopped)" false "manuallyStopped after restart"
  cap rm -f al us up no >/dev/null
  assert_engine_clean
}
