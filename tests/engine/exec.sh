# capsule exec, top, stats, pause/unpause, events: a running container's
# processes and usage, seen as a docker user sees them, from inside the
# container where possible.

source "$TOP/tests/engine/lib-engine.sh"

# A container that runs until removed.
sleeper() { # name [run options...]
  cap run -d --name "$1" "${@:2}" busybox sleep 1000 >/dev/null
}

test_exec_output_and_exit_codes() {
  engine_setup
  sleeper box
  assert_eq "$(cap exec box echo hello from exec)" "hello from exec" "output"
  cap exec box true
  RC=0
  cap exec box sh -c 'exit 3' || RC=$?
  assert_eq "$RC" 3 "the command's exit code"
  assert_fails cap exec box no-such-command
  assert_eq "$RC" 127 "not found"
  assert_contains "$ERR" '"no-such-command": executable file not found'
  assert_fails cap exec box /etc/passwd
  assert_eq "$RC" 126 "cannot invoke (not executable)"
  assert_fails cap exec box /etc
  assert_eq "$RC" 126 "cannot invoke (a directory)"
  # stdin reaches the command only with -i
  assert_eq "$(echo piped | cap exec -i box cat)" piped "-i"
  assert_eq "$(echo piped | cap exec box cat)" "" "no -i: no stdin"
  # Not running: the engine's own error.
  cap run --name done busybox true
  assert_fails cap exec done true
  assert_eq "$RC" 125 "exec into a stopped container"
  assert_contains "$ERR" "container done is not running"
  assert_fails cap exec nosuch true
  assert_eq "$RC" 125 "exec into no container"
  assert_contains "$ERR" "no such container"
  # Each exec is an event: created, started, died with its code.
  out=$(cap events --since 0 --until "$(date +%s.%N)" --filter event=exec_die \
    --format '{{.Action}} {{.Actor.Attributes.exitCode}}')
  assert_contains "$out" "exec_die 3"
  assert_contains "$(cap events --since 0 --until "$(date +%s.%N)" --filter event=exec_start \
    --format '{{.Action}}')" "exec_start: sh -c exit 3" "exec_start names the command"
}

test_exec_env_workdir_user() {
  engine_setup
  sleeper box -e FROM_RUN=run -w /var -u 65534:65534
  # The container's own settings, unless overridden.
  assert_eq "$(cap exec box sh -c 'echo $FROM_RUN $GREETING; pwd; id -u')" "$(printf 'run hello\n/var\n65534')"
  assert_eq "$(cap exec -e FROM_RUN=exec -e NEW=1 box sh -c 'echo $FROM_RUN $NEW')" "exec 1" "-e"
  assert_eq "$(FROM_CALLER=yes cap exec -e FROM_CALLER box sh -c 'echo $FROM_CALLER')" yes "-e NAME"
  printf '# comment\nFILE_VAR=from file\n\nFROM_RUN=file\n' >"$WORK/env"
  assert_eq "$(cap exec --env-file "$WORK/env" -e FROM_RUN=flag box sh -c 'echo $FILE_VAR/$FROM_RUN')" \
    "from file/flag" "--env-file, then -e"
  assert_eq "$(cap exec -w /tmp box pwd)" /tmp "-w"
  assert_fails cap exec -w relative box pwd
  assert_contains "$ERR" "absolute path"
  assert_eq "$(cap exec -u root box id -u)" 0 "-u name"
  assert_eq "$(cap exec -u 1000:1001 box id)" "uid=1000 gid=1001" "-u uid:gid"
  assert_eq "$(cap exec -u nobody box id -un)" nobody "-u name"
  assert_fails cap exec -u nosuchuser box true
  assert_eq "$RC" 125 "unknown user"
  assert_contains "$ERR" "unable to find user nosuchuser"
}

test_exec_user_lookup_stays_in_the_container() {
  engine_setup
  sleeper box
  # A hostile /etc/passwd, a link to a host file: the lookup resolves it
  # inside the container (no such file there), never on the host.
  echo 'hostonly:x:4242:4242::/:/bin/sh' >"$WORK/host-passwd"
  cap exec box ln -sf "$WORK/host-passwd" /etc/passwd
  assert_fails cap exec -u hostonly box id -u
  assert_contains "$ERR" "unable to find user hostonly"
}

test_exec_tty() {
  engine_setup
  sleeper box
  out=$(cap exec -t box sh -c 'test -t 0 && test -t 1 && echo tty')
  assert_eq "${out%$'\r'}" tty "-t gives a terminal"
  assert_eq "$(cap exec box sh -c 'test -t 0 || echo no-tty')" no-tty "no terminal without -t"
}

test_exec_detach_and_top() {
  engine_setup
  sleeper box
  # -d returns at once, its process runs on (and holds no pipe of ours).
  start=$(date +%s%N)
  out=$(cap exec -d box sleep 77)
  assert_eq "$out" "" "-d prints nothing"
  (( $(date +%s%N) - start < 5000000000 )) || fail "exec -d waited for its process"
  top=$(cap top box)
  assert_match "$(head -n 1 <<<"$top")" '^UID +PID +PPID +C +STIME +TTY +TIME +CMD$' "ps -ef titles"
  assert_contains "$top" "sleep 77"
  assert_contains "$top" "sleep 1000"
  assert_eq "$(wc -l <<<"$top")" 3 "the container's processes only"
  # ps options as given; the last column keeps its spaces.
  top=$(cap top box -o pid,args)
  assert_match "$(head -n 1 <<<"$top")" '^PID +COMMAND$'
  assert_match "$top" '[0-9]+ +sleep 77'
  cap run --name done busybox true
  assert_fails cap top done
  assert_contains "$ERR" "container done is not running"
}

test_exec_privileged() {
  engine_setup
  sleeper box
  # every capability we have ourselves (root here may lack some)
  full=$(awk '/^CapEff/ {print $2}' /proc/self/status)
  normal=$(cap exec box awk '/^CapEff/ {print $2}' /proc/self/status)
  assert_ne "$normal" "$full" "a plain exec has the container's set"
  assert_eq "$(cap exec --privileged box awk '/^CapEff/ {print $2}' /proc/self/status)" "$full" \
    "--privileged: every capability"
}

test_stats_memory_and_limit() {
  engine_setup
  # 20 MiB in a tmpfs is charged to the container and cannot be dropped.
  id=$(cap run -d -m 64m --name hog busybox sh -c 'head -c 20971520 /dev/zero >/dev/shm/fill; sleep 1000')
  wait_for "cap exec hog test -s /dev/shm/fill" 50
  wait_for "[ \$(cap exec hog stat -c %s /dev/shm/fill) = 20971520 ]" 50
  line=$(cap stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}} {{.CPUPerc}}' hog)
  read -r name used _ limit pids cpu <<<"$line"
  assert_eq "$name" hog
  assert_eq "$limit" 64MiB "the -m limit"
  assert_match "$used" '^[0-9.]+MiB$' "usage in MiB"
  assert_match "$cpu" '^[0-9]+\.[0-9]{2}%$' "CPU %"
  assert_eq "$pids" 1 "PIDs"
  # Consistent with the cgroup: at least the tmpfs file, at most all the
  # group charges (v1 memory.usage_in_bytes, or v2 memory.current).
  cg=/sys/fs/cgroup/memory/capsule/$id/memory.usage_in_bytes
  [ -f "$cg" ] || cg=/sys/fs/cgroup/capsule/$id/memory.current
  charged=$(cat "$cg")
  mib=${used%MiB}
  awk -v u="$mib" -v c="$charged" 'BEGIN {exit !(u >= 20 && u * 1048576 <= c * 1.05)}' ||
    fail "stats says $used, the cgroup charges $charged bytes"
  # The default table and --format '{{json .}}'
  out=$(cap stats --no-stream)
  assert_match "$(head -n 1 <<<"$out")" '^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$'
  assert_contains "$out" "${id:0:12}"
  assert_eq "$(cap stats --no-stream --format '{{json .}}' hog | jq -r .MemUsage | cut -d' ' -f3)" 64MiB
  # Without --no-stream: a new sample every second until interrupted.
  timeout -s INT 2.7 "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" stats --format '{{.Name}}' hog >"$WORK/stream" || true
  assert_eq "$(sort -u "$WORK/stream")" hog "streamed rows"
  (( $(wc -l <"$WORK/stream") >= 2 )) || fail "stats did not stream: $(cat "$WORK/stream")"
  assert_fails cap stats --no-stream nosuch
  assert_contains "$ERR" "no such container"
}

test_pause_freezes_and_unpause_resumes() {
  engine_setup
  id=$(cap run -d --name counter busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n; usleep 20000; done')
  n=$STORE/containers/$id/merged/tmp/n
  wait_for "[ -s '$n' ]" 50
  assert_eq "$(cap pause counter)" counter
  assert_match "$(cap ps | grep counter)" "[Pp]aused" "ps shows it paused"
  a=$(cat "$n"); sleep 0.4; b=$(cat "$n")
  assert_eq "$b" "$a" "the counter stopped while paused"
  assert_fails cap exec counter true
  assert_contains "$ERR" "is paused"
  assert_fails cap pause counter
  assert_contains "$ERR" "already paused"
  assert_eq "$(cap unpause counter)" counter
  sleep 0.3
  c=$(cat "$n")
  (( c > b )) || fail "the counter did not resume ($b then $c)"
  assert_fails cap unpause counter
  assert_contains "$ERR" "is not paused"
  out=$(cap events --since 0 --until "$(date +%s.%N)" --filter container=counter --format '{{.Action}}')
  assert_contains "$out" "$(printf 'pause\nunpause')"
}

test_events_run_rm_cycle_in_order() {
  engine_setup
  since=$(date +%s.%N)
  cap run --name cycle busybox sh -c 'exit 4' || true
  cap rm cycle >/dev/null
  cap run --rm --name other busybox true
  until=$(date +%s.%N)
  out=$(cap events --since "$since" --until "$until" --filter container=cycle \
    --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}')
  # (a missing attribute prints as Go's <no value>, as with docker)
  assert_eq "$out" "$(printf 'create cycle <no value>\nstart cycle <no value>\ndie cycle 4\ndestroy cycle <no value>')"
  # docker's default line: time, type, action, id, sorted attributes
  line=$(cap events --since "$since" --until "$until" --filter event=die --filter container=cycle)
  assert_match "$line" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}(Z|[+-][0-9]{2}:[0-9]{2}) container die [0-9a-f]{64} \(exitCode=4, image=busybox, name=cycle\)$'
  assert_eq "$(cap events --since "$since" --until "$until" --filter event=destroy --format '{{.Actor.Attributes.name}}')" \
    "$(printf 'cycle\nother')" "one filter key, every container"
  # JSON lines as docker's {{json .}}
  assert_eq "$(cap events --since "$since" --until "$until" --format '{{json .}}' | jq -r 'select(.Action == "start") | .Type' | head -n 1)" container
  assert_fails cap events --filter colour=red
  assert_contains "$ERR" "invalid filter"
  assert_fails cap events --since yesterday
  assert_contains "$ERR" "yesterday"
}

# As docker, a container's labels are in its events' attributes, and
# --filter label=K[=V] selects on them.
test_events_filter_label() {
  engine_setup
  since=$(date +%s.%N)
  cap run --rm --name lw -l app=web -l tier=front busybox true
  cap run --rm --name ld -l app=db busybox true
  cap run --rm --name ln busybox true
  until=$(date +%s.%N)
  ev() { cap events --since "$since" --until "$until" --filter event=die "$@" --format '{{.Actor.Attributes.name}}' | tr '\n' ' '; }
  assert_eq "$(ev --filter label=app=web)" "lw " "label=app=web"
  assert_eq "$(ev --filter label=app)" "lw ld " "label=app"
  assert_eq "$(ev --filter label=app=web --filter label=app=db)" "lw ld " "two values of label"
  assert_eq "$(ev --filter label=tier --filter container=ld)" "" "keys must all match"
  assert_eq "$(cap events --since "$since" --until "$until" --filter event=die --filter label=app=web --format '{{.Actor.Attributes.tier}}')" front
}

test_events_streams_new_events() {
  engine_setup
  # Without --since or --until: what happens from now on, until interrupted.
  cap run --rm --name before busybox true
  # (the binary itself in the background, not the cap function: $! must be
  # the process the kills below end, not a subshell that leaves it behind)
  "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" events \
    --format '{{.Action}} {{.Actor.Attributes.name}}' >"$WORK/stream" &
  pid=$!
  defer "kill $pid 2>/dev/null || true"
  sleep 0.3
  cap run --rm --name during busybox true
  wait_for "grep -q 'destroy during' '$WORK/stream'" 30
  kill "$pid"
  assert_eq "$(cat "$WORK/stream")" "$(printf 'create during\nstart during\ndie during\ndestroy during')"
  # With --until in the future: the stream ends by itself then.
  start=$(date +%s.%N)
  "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" events --since "$start" --until "$(awk -v s="$start" 'BEGIN {printf "%.3f", s + 1.5}')" \
    --format '{{.Action}}' >"$WORK/until" &
  pid=$!
  cap run --rm busybox true
  wait_for "! kill -0 $pid 2>/dev/null" 40
  wait "$pid" || fail "events --until failed"
  assert_eq "$(head -n 1 "$WORK/until")" create
}

test_info_and_version() {
  engine_setup
  sleeper up
  cap run --name down busybox true
  out=$(cap info)
  assert_contains "$out" "$(printf 'Server:\n Containers: 2\n  Running: 1\n  Paused: 0\n  Stopped: 1\n Images: 1')"
  assert_contains "$out" " Storage Driver: overlay2"
  assert_eq "$(cap info --format '{{.NCPU}} {{.ContainersRunning}} {{.DockerRootDir}}')" "$(nproc) 1 $STORE"
  assert_eq "$(cap info --format '{{json .}}' | jq -r .OSType)" linux
  assert_eq "$(cap version --format '{{.Client.Version}}')" "$("$BIN/capsule" --version | cut -d' ' -f3)"
  assert_contains "$(cap version)" "$(printf 'Client:\n Version:')"
  assert_fails cap info --format '{{.NCPU'
  assert_contains "$ERR" "format"
}

test_stats_net_io() {
  engine_setup
  sleeper web --network bridge
  # A connection attempt to the gateway: bytes out (and a reset back).
  gw=$(cap exec web ip route | awk '/^default/ {print $3}')
  cap exec web wget -q -T 1 -O /dev/null "http://$gw:9/" 2>/dev/null || true
  io=$(cap stats --no-stream --format '{{.NetIO}}' web)
  assert_match "$io" '^[0-9.]+k?B / [0-9.]+k?B$' "NET I/O"
  [ "${io##* / }" != 0B ] || fail "no bytes sent counted: $io"
  assert_eq "$(cap stats --no-stream --format '{{.NetIO}}' "$(sleeper quiet --network none; echo quiet)")" "0B / 0B" "no network: lo is not counted"
}
