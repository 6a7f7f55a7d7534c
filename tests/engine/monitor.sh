# The monitor (capsule-monitor): a small process per container that
# outlives the command, holds its stdio and its log, and the truth after
# crashes: the monitor killed, the run directory wiped.

source "$TOP/tests/engine/lib-engine.sh"

monitor_of() { # name
  state_of "$1" monitorPid
}

test_monitor_is_detached_and_small() {
  engine_setup
  cap run -d --name m busybox sh -c 'echo hello; sleep 60' >/dev/null
  local pid rss
  pid=$(monitor_of m)
  [ "$pid" -gt 0 ] && [ -d "/proc/$pid" ] || fail "no monitor"
  assert_eq "$(cat /proc/$pid/comm)" capsule-monitor
  # Double fork: not our child, not a session leader, in a session of its
  # own; stdio on /dev/null.
  assert_ne "$(awk '{print $4}' /proc/$pid/stat)" "$$" "parent"
  assert_ne "$(awk '{print $6}' /proc/$pid/stat)" "$(awk '{print $6}' /proc/$$/stat)" "session"
  assert_ne "$(awk '{print $6}' /proc/$pid/stat)" "$pid" "session leader"
  assert_eq "$(readlink /proc/$pid/fd/1)" /dev/null "stdout"
  # The container's init is the monitor's child.
  assert_eq "$(awk '{print $4}' /proc/$(state_of m pid)/stat)" "$pid" "the init's parent"
  wait_for "cap logs m | grep -q hello" 30
  rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)
  echo "idle monitor: ${rss} kB resident" >&2
  [ "$rss" -lt 800 ] || fail "an idle monitor holds $rss kB"
  # Not dumpable: its /proc/PID/environ is root's only (mode of a dumpable
  # process' files would follow its uid).
  assert_eq "$(stat -c %U /proc/$pid/environ)" root
  cap rm -f m >/dev/null
}

test_monitor_killed() {
  engine_setup
  cap run -d --name k busybox sleep 60 >/dev/null
  local id pid init out
  id=$(readlink "$STORE/containers/names/k")
  pid=$(monitor_of k) init=$(state_of k pid)
  kill -9 "$pid"
  # The container still runs (its cgroup says so).
  assert_match "$(status_of k)" '^Up ' "ps after the monitor's death"
  kill -9 "$init"
  wait_for "[ -z \"\$(cap ps -q)\" ]" 50
  assert_match "$(status_of k)" '^Exited \(255\)' "ps -a once its process is gone too"
  out=$(cap system check)
  assert_contains "$out" "container k (${id:0:12}) is not running: removed its"
  assert_contains "$out" "mounted root, monitor socket"
  assert_contains "$out" "stale state (recorded as exited)"
  assert_eq "$(state_of k status)" exited
  # start works again, under a new monitor; then rm -f of a container whose
  # monitor was killed leaves nothing.
  cap start k >/dev/null
  assert_match "$(status_of k)" '^Up '
  kill -9 "$(monitor_of k)"
  cap rm -f k >/dev/null
  assert_engine_clean
  assert_no_trace "$id"
  assert_not_contains "$(cap system check)" repaired "a check after rm -f"
}

test_run_directory_wiped() {
  engine_setup
  local a b
  a=$(cap run -d busybox sleep 60)
  b=$(cap run -d --restart always busybox sleep 60)
  # As a reboot: its mounts (network namespaces) go too.
  # (--network none has none: the runtime's clone made them)
  { grep -o " $RUNROOT/[^ ]*" /proc/self/mountinfo || true; } | sort -r | xargs -r -n 1 umount -l
  rm -rf "$RUNROOT"
  # The processes still run: ps says so; never "running" for a dead one.
  assert_eq "$(cap ps -q | wc -l)" 2 "running after the wipe"
  cap stop -t 0 "$a" >/dev/null
  assert_match "$(cap ps -a | grep "${a:0:12}")" 'Exited \(137\) '
  cap rm -f "$a" "$b" >/dev/null
  assert_engine_clean
  assert_no_trace "$a" "$b"
}

test_attach_and_detach() {
  engine_setup
  command -v script >/dev/null || fail "script (util-linux) is needed to drive a terminal"
  cap run -d -it --name t busybox sh >/dev/null
  wait_for "[ \"\$(state_of t status)\" = running ]" 30
  # ctrl-p ctrl-q detaches: the container goes on.
  { sleep 0.5; printf 'echo hello-$((6*7))\r'; sleep 0.5; printf '\020\021'; sleep 0.3; } |
    timeout 10 script -qfec "$BIN/capsule --root $STORE --runroot $RUNROOT attach t" /dev/null \
      >"$WORK/attach.out" || fail "attach did not detach: $(cat -v "$WORK/attach.out")"
  assert_contains "$(cat "$WORK/attach.out")" hello-42 "output seen through attach"
  assert_match "$(status_of t)" '^Up ' "after detaching"
  assert_contains "$(cap logs t)" hello-42 "the log of a terminal"
  # An exit ends attach with the container's code.
  local rc=0
  { sleep 0.5; printf 'exit 5\r'; sleep 2; } |
    timeout 10 script -qfec "$BIN/capsule --root $STORE --runroot $RUNROOT attach t" /dev/null \
      >/dev/null || rc=$?
  assert_eq "$rc" 5 "attach's status when the container exits"
  assert_match "$(status_of t)" '^Exited \(5\) '
  assert_fails cap attach t
  assert_contains "$ERR" "start it first"
  cap rm t >/dev/null
}

test_logs_of_100_mb() {
  engine_setup
  local id pid rss max total
  id=$(cap run -d --log-opt max-size=2m --log-opt max-file=3 busybox \
    sh -c 'yes 0123456789012345678901234567890123456789012345678901234567890123456789 | head -c 100000000; echo; echo end')
  pid=$(jq -r .monitorPid "$STORE/containers/$id/state.json")
  max=0
  while [ -d "/proc/$pid" ] && [ "$(jq -r .status "$STORE/containers/$id/state.json")" = running ]; do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${rss:-0}" -le "$max" ] || max=$rss
    sleep 0.1
  done
  cap wait "$id" >/dev/null
  echo "monitor's largest resident size while logging 100 MB: $max kB" >&2
  [ "$max" -lt 4096 ] || fail "the monitor grew to $max kB"
  total=$(cat "$STORE/containers/$id"/container.log* | wc -c)
  [ "$total" -le $((3 * 2 * 1024 * 1024 + 65536)) ] || fail "the logs hold $total bytes"
  assert_eq "$(ls "$STORE/containers/$id" | grep -c '^container.log')" 3 "log files"
  assert_eq "$(cap logs --tail 1 "$id")" end "the last line"
  cap rm "$id" >/dev/null
}

test_50_containers_in_parallel() {
  engine_setup
  local i ids
  for i in $(seq 1 50); do
    cap run -d --name "p$i" busybox sleep 60 >/dev/null &
  done
  wait
  ids=$(cap ps -q --no-trunc)
  assert_eq "$(wc -l <<<"$ids")" 50 "running containers"
  for i in $(seq 1 50); do
    cap rm -f "p$i" >/dev/null &
  done
  wait
  assert_eq "$(cap ps -a -q)" "" "containers after rm -f"
  assert_engine_clean
  assert_no_trace $ids
}

# --detach-keys (docker's syntax) on run and attach; the default no longer
# detaches once others are chosen, and a partial sequence goes through.
test_detach_keys() {
  engine_setup
  local capsule="$BIN/capsule --root $STORE --runroot $RUNROOT"
  { sleep 0.5; printf '\001yone\r'; sleep 0.3; printf '\020\021'; sleep 0.3
    printf 'two\r'; sleep 0.3; printf '\001x'; sleep 1; } |
    timeout 10 script -qfec "$capsule run -it --name k --detach-keys ctrl-a,x busybox cat" \
      /dev/null >"$WORK/run.out" || fail "run did not detach: $(cat -v "$WORK/run.out")"
  assert_contains "$(cat -v "$WORK/run.out")" "^Ayone" "a partial sequence goes through"
  assert_contains "$(cat "$WORK/run.out")" two "ctrl-p ctrl-q went to the container"
  assert_match "$(status_of k)" '^Up ' "after detaching"
  { sleep 0.5; printf '\002'; sleep 1; } |
    timeout 10 script -qfec "$capsule attach --detach-keys ctrl-B k" /dev/null >/dev/null ||
    fail "attach --detach-keys ctrl-B did not detach"
  assert_match "$(status_of k)" '^Up ' "after detaching from attach"
  assert_fails cap attach --detach-keys ctrl-1 k
  assert_contains "$ERR" "invalid detach keys (ctrl-1)"
  cap rm -f k >/dev/null
  assert_engine_clean
}

# --sig-proxy: by default a signal to `capsule run` reaches the container
# (its trap runs, its status is run's); with false it ends only the client.
test_sig_proxy() {
  engine_setup
  local capsule="$BIN/capsule --root $STORE --runroot $RUNROOT" pid rc=0 c
  local script='trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done'
  $capsule run --network none --name sp busybox sh -c "$script" >"$WORK/sp.out" &
  pid=$!
  wait_for "grep -q ready '$WORK/sp.out'" 50
  kill -TERM $pid
  wait $pid || rc=$?
  assert_eq "$rc" 3 "run's status after the forwarded SIGTERM"
  assert_contains "$(cat "$WORK/sp.out")" got-term
  for c in sq:"" sr:--rm; do
    $capsule run --network none --name "${c%%:*}" ${c#*:} --sig-proxy=false busybox \
      sh -c "$script" >"$WORK/$c.out" &
    pid=$!
    wait_for "grep -q ready '$WORK/$c.out'" 50
    kill -TERM $pid
    rc=0
    wait $pid || rc=$?
    assert_eq "$rc" 143 "run --sig-proxy=false ${c#*:} killed by SIGTERM"
    assert_match "$(status_of "${c%%:*}")" '^Up ' "the container after its client's end"
  done
  cap stop -t 1 sq sr >/dev/null
  wait_for "[ -z \"\$(cap ps -a -q --filter name=sr)\" ]" 50 # --rm: its monitor removed it
  assert_fails cap run --sig-proxy=maybe busybox true
  cap rm sp sq >/dev/null
  assert_engine_clean
}
