# exec: another process in a running container, with the runc flags, seen
# from inside (id, pwd, env, tty) and from the host (its cgroups and
# namespaces against the init's).
source "$TOP/tests/runtime/lib-runtime.sh"
source "$TOP/tests/runtime/lib-features.sh"

CONSOLE_RECEIVER=$BIN/tests/helpers/console_receiver

running_container() { # [config jq filter]
  new_bundle sleep 60
  [ $# -eq 0 ] || cfg "$1"
  run_detached
}

test_exec_args_and_output() {
  running_container
  assert_eq "$(rt exec "$ID" echo hello "two words")" "hello two words" "output of exec"
  assert_eq "$(rt exec "$ID" sh -c 'echo $0 $1' a b)" "a b" "arguments"
}

test_exec_exit_codes() {
  running_container
  RC=0
  rt exec "$ID" sh -c 'exit 7' || RC=$?
  assert_eq "$RC" 7 "exit code of the exec'd process"
  RC=0
  rt exec "$ID" sh -c 'kill -9 $$' || RC=$?
  assert_eq "$RC" 137 "exit code of a SIGKILLed exec'd process"
  rt exec "$ID" true
  assert_eq "$(status_of)" running "the container after the execs"
}

test_exec_env_cwd_and_user() {
  running_container '.process.env += ["FROM_CONFIG=yes"]'
  out=$(rt exec --env FOO=bar --env "SPACED=a b" "$ID" sh -c 'echo "$FOO|$SPACED|$FROM_CONFIG"')
  assert_eq "$out" "bar|a b|yes" "--env added to the container's env"
  # An --env of a configured variable replaces it, as in runc.
  out=$(rt exec --env FROM_CONFIG=overridden "$ID" env | grep ^FROM_CONFIG=)
  assert_eq "$out" FROM_CONFIG=overridden "the environment after --env of a configured variable"
  assert_eq "$(rt exec --cwd /tmp "$ID" pwd)" /tmp "--cwd"
  # As in runc, only create makes a missing cwd; exec reports it.
  assert_fails rt exec --cwd /new/dir "$ID" pwd
  assert_eq "$ERR" "capsule-runtime: process.cwd: chdir to /new/dir: No such file or directory" \
    "--cwd of a missing directory"
  assert_eq "$(rt exec --user 1000:1001 "$ID" sh -c 'echo $(id -u):$(id -g):$HOME')" \
    "1000:1001:/home/user" "--user uid:gid"
  assert_eq "$(rt exec --user 1000 "$ID" sh -c 'echo $(id -u):$(id -g)')" "1000:0" "--user uid"
  assert_fails rt exec --env NOEQUALS "$ID" true
  assert_contains "$ERR" "KEY=VALUE"
  assert_fails rt exec --user bob "$ID" true
  assert_contains "$ERR" "uid[:gid]"
}

test_exec_process_file_and_stdin() {
  running_container
  cat >"$BUNDLE/proc.json" <<'EOF'
{"args": ["sh", "-c", "echo $MSG; pwd; id -u; grep ^CapEff: /proc/self/status | cut -f2"],
 "env": ["MSG=from-file", "PATH=/bin"], "cwd": "/tmp",
 "user": {"uid": 1000, "gid": 1000},
 "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"],
                  "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}}
EOF
  out=$(rt exec --process "$BUNDLE/proc.json" "$ID")
  assert_eq "$out" $'from-file\n/tmp\n1000\n0000000000000020' "process from a file"
  out=$(jq '.env = ["MSG=from-stdin"] | .user = {uid: 0, gid: 0}' "$BUNDLE/proc.json" |
    rt exec --process - "$ID")
  assert_eq "$(head -n 2 <<<"$out")" $'from-stdin\n/tmp' "process from stdin"
  assert_fails rt exec --process "$BUNDLE/proc.json" "$ID" echo extra
  assert_contains "$ERR" "not both"
  echo '{"args": [], "cwd": "/", "user": {"uid": 0, "gid": 0}}' >"$BUNDLE/bad.json"
  assert_fails rt exec --process "$BUNDLE/bad.json" "$ID"
  assert_contains "$ERR" "args"
  assert_fails rt exec --process - "$ID" <<<'{"args": '
  assert_contains "$ERR" "invalid JSON"
  assert_eq "$(status_of)" running "the container after bad execs"
}

test_exec_detach_with_pid_file() {
  running_container
  rt exec --detach --pid-file "$BUNDLE/exec.pid" "$ID" sleep 30
  epid=$(cat "$BUNDLE/exec.pid")
  [ -d /proc/"$epid" ] || fail "the detached process $epid is not running"
  assert_eq "$(tr '\0' ' ' </proc/"$epid"/cmdline)" "sleep 30 " "command of the detached process"
  assert_contains "$(rt ps --format json "$ID")" "$epid" "ps lists the exec'd process"
}

# Short detached execs race the process's READY against the message with
# its pid; every one must succeed.
test_repeated_detached_execs() {
  running_container
  for i in $(seq 20); do
    rt exec -d --pid-file "$BUNDLE/exec.pid" "$ID" true || fail "detached exec $i failed"
    [ "$(cat "$BUNDLE/exec.pid")" -gt 0 ] || fail "no pid for detached exec $i"
  done
}

test_exec_joins_the_init_cgroups_and_namespaces() {
  running_container
  rt exec -d --pid-file "$BUNDLE/exec.pid" "$ID" sleep 30
  epid=$(cat "$BUNDLE/exec.pid")
  assert_eq "$(cat /proc/"$epid"/cgroup)" "$(cat /proc/"$PID"/cgroup)" "cgroups of exec and init"
  for ns in mnt pid net ipc uts cgroup user; do
    assert_eq "$(readlink /proc/"$epid"/ns/$ns)" "$(readlink /proc/"$PID"/ns/$ns)" "$ns namespace"
  done
  assert_ne "$(readlink /proc/"$epid"/ns/mnt)" "$(readlink /proc/self/ns/mnt)" "mount ns vs the host"
  # Inside, the exec'd shell sees the same pid namespace and cgroups as pid 1.
  out=$(rt exec "$ID" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; [ "$(cat /proc/self/cgroup)" = "$(cat /proc/1/cgroup)" ] && echo same-cgroups')
  assert_eq "$out" $'sleep 60 \nsame-cgroups' "pid 1 and cgroups seen by the exec'd process"
}

test_exec_gets_the_container_security_settings() {
  running_container '.process.noNewPrivileges = true | .process.rlimits = [{type: "RLIMIT_NOFILE", soft: 321, hard: 321}]'
  out=$(rt exec "$ID" sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status | tr -d "\t"; ulimit -n')
  assert_eq "$out" $'CapEff:0000000020000420\nCapBnd:0000000020000420\nNoNewPrivs:1\n321' \
    "capabilities, no_new_privs and rlimits of the exec'd process"
}

test_exec_preserve_fds() {
  running_container
  out=$(rt exec --preserve-fds 1 "$ID" sh -c 'cat <&3' 3<<<"through fd 3")
  assert_eq "$out" "through fd 3" "a preserved fd"
  out=$(rt exec "$ID" sh -c 'ls /proc/self/fd' 3<<<"x")
  assert_eq "$(tr '\n' ' ' <<<"$out")" "0 1 2 3 " "fds without --preserve-fds (3 is ls's directory)"
}

test_exec_into_stopped_or_paused_container_is_refused() {
  running_container
  rt pause "$ID"
  assert_fails rt exec "$ID" true
  assert_eq "$ERR" "capsule-runtime: cannot exec in container \"$ID\": it is paused (--ignore-paused execs all the same)" "error when paused"
  rt resume "$ID"
  rt kill "$ID" KILL
  wait_for "[ \$(rt state $ID | jq -r .status) = stopped ]" 50
  assert_fails rt exec "$ID" true
  assert_contains "$ERR" "cannot exec in container \"$ID\": it is stopped"
  new_bundle sleep 30
  rt create --bundle "$BUNDLE" "$ID"
  assert_fails rt exec "$ID" true
  assert_contains "$ERR" "it is created"
  assert_fails rt exec no-such-container true
  assert_contains "$ERR" "no-such-container"
}

test_exec_missing_program_is_a_clear_error() {
  running_container
  assert_fails rt exec "$ID" /bin/no-such-program
  assert_contains "$ERR" "no-such-program"
  assert_eq "$(wc -l <<<"$ERR")" 1 "lines of error output"
  assert_eq "$(status_of)" running "the container after a failed exec"
  assert_eq "$(rt ps --format json "$ID" | jq length)" 1 "processes left in the container"
}

# Every container process leads a session and process group of its own, as
# with runc: /proc/PID/stat fields 5 and 6 are its pid. Before, an exec'd
# process (and the init) stayed in the runtime caller's, which in a pid
# namespace reads as 0 (getpgrp() == 0).
test_exec_and_init_lead_their_own_session_and_process_group() {
  local show='echo $$ $(cut -d" " -f5,6 /proc/$$/stat)' out
  running_container
  out=$(rt exec "$ID" sh -c "$show")
  assert_match "$out" '^([0-9]+) \1 \1$' "exec'd process: pid pgrp sid"
  out=$(rt exec --cwd / "$ID" sh -c "$show" </dev/null)
  assert_match "$out" '^([0-9]+) \1 \1$' "exec'd process with stdin from /dev/null"
  out=$(script -qec "'$RT' --root '$STATE' exec --tty '$ID' sh -c '$show'" /dev/null </dev/null |
    tr -d '\r' | grep -o '[0-9].*')
  assert_match "$out" '^([0-9]+) \1 \1$' "exec'd process with a terminal"
  rt delete --force "$ID"
  assert_eq "$(run_sh "$show")" "1 1 1" "the init: pid pgrp sid"
  cfg '.linux.namespaces |= map(select(.type != "pid"))'
  out=$(run_sh "$show")
  assert_match "$out" '^([0-9]+) \1 \1$' "the init without a pid namespace"
  cfg '.process.args = ["sleep", "60"]'
  run_detached
  out=$(rt exec "$ID" sh -c "$show")
  assert_match "$out" '^([0-9]+) \1 \1$' "exec'd process without a pid namespace"
}

test_exec_tty_with_console_socket() {
  running_container
  "$CONSOLE_RECEIVER" -t 20 "$BUNDLE/console.sock" >"$BUNDLE/tty.out" 2>"$BUNDLE/recv.err" &
  recv=$!
  defer "kill $recv"
  wait_for "grep -q ready '$BUNDLE/recv.err'" 50
  rt exec --tty --console-socket "$BUNDLE/console.sock" "$ID" \
    sh -c 'tty; test -t 0 && test -t 1 && echo stdin-and-stdout-are-ttys; stty size'
  wait "$recv"
  out=$(tr -d '\r' <"$BUNDLE/tty.out")
  assert_match "$(head -n 1 <<<"$out")" "^/dev/pts/[0-9]+$" "tty of the exec'd process"
  assert_contains "$out" stdin-and-stdout-are-ttys
}

# As in runc, exec's terminal comes from --tty alone, not from the
# container's process.terminal (podman exec without -t relies on it).
test_exec_without_tty_in_a_terminal_container_has_no_tty() {
  new_bundle sleep 60
  cfg '.process.terminal = true'
  SOCK=$BUNDLE/console.sock
  "$CONSOLE_RECEIVER" -t 20 "$SOCK" >/dev/null 2>"$BUNDLE/recv.err" &
  defer "kill $!"
  wait_for "grep -q ready '$BUNDLE/recv.err'" 50
  rt run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  out=$(rt exec "$ID" sh -c 'tty || true' </dev/null)
  assert_eq "$out" "not a tty" "tty of an exec without --tty"
  out=$(rt exec -d "$ID" true 2>&1) || fail "exec -d without --tty failed: $out"
}

test_exec_tty_detached_needs_console_socket() {
  running_container
  assert_fails rt exec --tty --detach "$ID" true
  assert_contains "$ERR" "console-socket"
  assert_eq "$(rt ps --format json "$ID" | jq length)" 1 "processes left in the container"
}

test_exec_tty_foreground_relays_the_terminal() {
  running_container
  # script(1) writes a NUL to the terminal when its stdin ends, which the
  # pty may echo as "^@" first: only the line of tty's output counts.
  out=$(script -qec "stty rows 23 cols 45; '$RT' --root '$STATE' exec --tty '$ID' sh -c 'tty; stty size'" \
    /dev/null </dev/null | tr -d '\r')
  assert_match "$(grep -o '/dev/pts/.*' <<<"$out")" "^/dev/pts/[0-9]+$" "tty relayed through the runtime"
  assert_contains "$out" "23 45" "size of the runtime's terminal"
}
