# The six hook kinds: order, the state JSON on stdin, args, env, the
# namespace each runs in, timeouts, and what a failing hook does.
source "$TOP/tests/runtime/lib-runtime.sh"
source "$TOP/tests/runtime/lib-features.sh"

# A hook that appends one line to the log named by its first argument:
#   KIND|OTHER-ARGS|HOOK_VAR|HOME|MOUNT-NS|STATE-JSON
# It uses shell builtins and /bin/readlink only, so the same script runs on
# the host and, for startContainer, inside the busybox rootfs.
write_recorder() { # path
  cat >"$1" <<'EOF'
#!/bin/sh
log=$1 kind=$2
shift 2
read -r state
echo "$kind|$*|${HOOK_VAR-unset}|${HOME-unset}|$(/bin/readlink /proc/self/ns/mnt)|$state" >>"$log"
EOF
  chmod 755 "$1"
}

# A bundle whose config has one recording hook of each kind. The host log
# is $LOG; startContainer runs in the container and logs to its /hook.log,
# which is the same file (bound from the host).
hooked_bundle() {
  new_bundle "$@"
  LOG=$BUNDLE/hook.log
  : >"$LOG"
  write_recorder "$BUNDLE/record"
  write_recorder "$BUNDLE/rootfs/record"
  local h='{path: $p, args: ["record", $log, $kind, "arg one", "arg2"], env: ["HOOK_VAR=\($kind)-env"]}'
  local host=$BUNDLE/record
  cfg ".hooks = {} | .annotations = {\"org.example.key\": \"a value\"}
       | .mounts += [{destination: \"/hook.log\", type: \"bind\", source: \"$LOG\", options: [\"bind\"]}]"
  for kind in prestart createRuntime createContainer poststart poststop; do
    cfg ".hooks.$kind = [$(jq -nc --arg p "$host" --arg log "$LOG" --arg kind "$kind" "$h")]"
  done
  cfg ".hooks.startContainer = [$(jq -nc --arg p /record --arg log /hook.log --arg kind startContainer "$h")]"
}

# Field N (1-based, |-separated) of the log line of hook KIND.
hook_field() { # kind n
  awk -F'|' -v k="$1" -v n="$2" '$1 == k { out = $n } END { print out }' "$LOG"
}
hook_state() { # kind jq-filter
  grep "^$1|" "$LOG" | cut -d'|' -f6- | jq -r "$2"
}

test_all_six_hooks_run_in_order_with_the_state() {
  hooked_bundle sleep 30
  rt create --bundle "$BUNDLE" --pid-file "$BUNDLE/pid" "$ID"
  pid=$(cat "$BUNDLE/pid")
  assert_eq "$(cut -d'|' -f1 "$LOG" | tr '\n' ' ')" "prestart createRuntime createContainer " \
    "hooks run by create"
  rt start "$ID"
  assert_eq "$(cut -d'|' -f1 "$LOG" | tr '\n' ' ')" \
    "prestart createRuntime createContainer startContainer poststart " "hooks run by start"
  rt kill "$ID" KILL
  wait_for "[ \$(rt state $ID | jq -r .status) = stopped ]" 50
  rt delete "$ID"
  assert_eq "$(cut -d'|' -f1 "$LOG" | tr '\n' ' ')" \
    "prestart createRuntime createContainer startContainer poststart poststop " "hooks after delete"
  for kind in prestart createRuntime createContainer startContainer poststart poststop; do
    assert_eq "$(hook_state $kind .id)" "$ID" "$kind: state id"
    assert_eq "$(hook_state $kind .bundle)" "$BUNDLE" "$kind: state bundle"
    assert_eq "$(hook_state $kind .ociVersion)" 1.1.0 "$kind: state ociVersion"
    assert_eq "$(hook_state $kind '.annotations["org.example.key"]')" "a value" "$kind: annotations"
  done
  for kind in prestart createRuntime createContainer startContainer poststart; do
    assert_eq "$(hook_state $kind .pid)" "$pid" "$kind: state pid (the init, as the host sees it)"
  done
  assert_eq "$(hook_state prestart .status)" creating "prestart: status"
  assert_eq "$(hook_state createRuntime .status)" creating "createRuntime: status"
  assert_eq "$(hook_state createContainer .status)" creating "createContainer: status"
  assert_eq "$(hook_state startContainer .status)" created "startContainer: status"
  assert_eq "$(hook_state poststart .status)" running "poststart: status"
  assert_eq "$(hook_state poststop .status)" stopped "poststop: status"
  assert_no_leftovers
}

test_hook_args_and_env() {
  hooked_bundle
  rt run --bundle "$BUNDLE" "$ID"
  for kind in prestart createRuntime createContainer startContainer poststart poststop; do
    assert_eq "$(hook_field $kind 2)" "arg one arg2" "$kind: arguments"
    assert_eq "$(hook_field $kind 3)" "$kind-env" "$kind: configured env"
    # Only the configured environment: nothing inherited from the runtime.
    assert_eq "$(hook_field $kind 4)" unset "$kind: HOME from the runtime"
  done
}

test_hooks_run_in_the_right_namespaces() {
  hooked_bundle
  rt run --bundle "$BUNDLE" "$ID"
  host_ns=$(readlink /proc/self/ns/mnt)
  for kind in prestart createRuntime poststart poststop; do
    assert_eq "$(hook_field $kind 5)" "$host_ns" "$kind: mount namespace (the runtime's)"
  done
  for kind in createContainer startContainer; do
    assert_ne "$(hook_field $kind 5)" "$host_ns" "$kind: mount namespace (the container's)"
  done
  assert_eq "$(hook_field createContainer 5)" "$(hook_field startContainer 5)" \
    "createContainer and startContainer share the container's mount namespace"
}

test_run_runs_hooks_in_order() {
  hooked_bundle
  rt run --bundle "$BUNDLE" "$ID"
  assert_eq "$(cut -d'|' -f1 "$LOG" | tr '\n' ' ')" \
    "prestart createRuntime createContainer startContainer poststart poststop " "hooks of run"
}

test_hook_timeout_kills_the_hook_and_fails_create() {
  new_bundle sleep 30
  local tag=30.$RANDOM
  cfg ".hooks.createRuntime = [{path: \"/bin/sleep\", args: [\"sleep\", \"$tag\"], timeout: 1}]"
  start=$(date +%s%N)
  assert_fails rt create --bundle "$BUNDLE" "$ID"
  ms=$((($(date +%s%N) - start) / 1000000))
  assert_contains "$ERR" "createRuntime hook /bin/sleep"
  assert_contains "$ERR" "timed out after 1 s"
  [ "$ms" -lt 5000 ] || fail "create took ${ms} ms with a 1 s hook timeout"
  ! pgrep -f "sleep $tag" >/dev/null || fail "the timed-out hook is still running"
  assert_no_leftovers
}

test_failing_create_runtime_hook_aborts_create() {
  new_bundle sleep 30
  cfg '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "exit 3"]}]'
  assert_fails rt create --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "createRuntime hook /bin/sh"
  assert_contains "$ERR" "exited with status 3"
  assert_eq "$(wc -l <<<"$ERR")" 1 "lines of error output"
  assert_no_leftovers
}

test_failing_prestart_and_create_container_hooks_abort() {
  new_bundle sleep 30
  cfg '.hooks.prestart = [{path: "/bin/false"}]'
  assert_fails rt run -d --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "prestart hook /bin/false"
  assert_no_leftovers
  cfg 'del(.hooks.prestart) | .hooks.createContainer = [{path: "/bin/sh", args: ["sh", "-c", "kill -9 $$"]}]'
  assert_fails rt run -d --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "createContainer hook /bin/sh"
  assert_contains "$ERR" "killed by signal 9"
  assert_no_leftovers
}

test_failing_start_container_hook_fails_start() {
  new_bundle sleep 30
  cfg '.hooks.startContainer = [{path: "/bin/false"}]'
  rt create --bundle "$BUNDLE" "$ID"
  assert_fails rt start "$ID"
  assert_contains "$ERR" "startContainer hook /bin/false"
  # The process never ran: the container is stopped and can be deleted.
  wait_for "[ \$(rt state $ID | jq -r .status) = stopped ]" 50
  rt delete "$ID"
  assert_no_leftovers
}

# The spec: a failing poststart or poststop hook is a warning, and the
# remaining hooks and the lifecycle go on (runc 1.1 fails `run` on a
# poststart failure and skips the remaining poststop hooks; crun goes on).
test_failing_poststart_hook_only_warns() {
  new_bundle sh -c 'echo container-ran'
  cfg ".hooks.poststart = [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"exit 4\"]},
                           {path: \"/bin/false\"},
                           {path: \"/bin/sh\", args: [\"sh\", \"-c\", \"echo next >$BUNDLE/next\"]}]"
  out=$(rt run --bundle "$BUNDLE" "$ID" 2>"$BUNDLE/err")
  assert_eq "$out" container-ran "the container's output"
  assert_contains "$(cat "$BUNDLE/err")" "poststart hook /bin/sh: exited with status 4"
  assert_contains "$(cat "$BUNDLE/err")" "poststart hook /bin/false: exited with status 1"
  assert_eq "$(cat "$BUNDLE/next" 2>/dev/null)" next "the hook after the failing ones ran"
  assert_no_leftovers
}

test_failing_poststop_hook_only_warns() {
  new_bundle true
  cfg ".hooks.poststop = [{path: \"/bin/false\"},
                          {path: \"/bin/sh\", args: [\"sh\", \"-c\", \"echo next >$BUNDLE/next\"]}]"
  rt run --bundle "$BUNDLE" "$ID" 2>"$BUNDLE/err"
  assert_contains "$(cat "$BUNDLE/err")" "poststop hook /bin/false"
  assert_eq "$(cat "$BUNDLE/next" 2>/dev/null)" next "the hook after the failing one ran"
  assert_no_leftovers
}

# A hook without `env` gets the runtime's environment (runc and crun give
# theirs), but none of capsule's private variables (the runtime, re-executed
# from its sealed copy, has _CAPSULE_SEALED_MOUNT); startContainer runs in
# the container as its process is about to, and gets the process's
# environment, as with runc and crun.
test_hooks_without_env_get_the_runtime_environment() {
  new_bundle
  printf '#!/bin/sh\nenv >"$1"\n' >"$BUNDLE/dump-env"
  chmod 755 "$BUNDLE/dump-env"
  cp "$BUNDLE/dump-env" "$BUNDLE/rootfs/dump-env"
  cfg '.hooks = {} | .process.env += ["HOOK_VAR=process"]'
  local kind env
  for kind in prestart createRuntime createContainer poststart poststop; do
    cfg ".hooks.$kind = [{path: \"$BUNDLE/dump-env\", args: [\"dump-env\", \"$BUNDLE/env.$kind\"]}]"
  done
  cfg '.hooks.startContainer = [{path: "/dump-env", args: ["dump-env", "/env.startContainer"]}]'
  HOOK_VAR=runtime _CAPSULE_TEST_SECRET=1 rt run --bundle "$BUNDLE" "$ID"
  for kind in prestart createRuntime createContainer poststart poststop; do
    env=$(cat "$BUNDLE/env.$kind")
    assert_contains "$env" "HOOK_VAR=runtime" "$kind's environment"
    assert_contains "$env" "PATH=$PATH" "$kind's environment"
    assert_not_contains "$env" "_CAPSULE_" "$kind's environment"
  done
  env=$(cat "$BUNDLE/rootfs/env.startContainer")
  assert_contains "$env" "HOOK_VAR=process" "startContainer's environment"
  assert_contains "$env" "HOME=/root" "startContainer's environment (HOME from /etc/passwd)"
  assert_not_contains "$env" "HOOK_VAR=runtime" "startContainer's environment"
  assert_not_contains "$env" "_CAPSULE_" "startContainer's environment"
  assert_no_leftovers
}

test_missing_hook_program_is_a_clear_error() {
  new_bundle true
  cfg '.hooks.prestart = [{path: "/no/such/hook"}]'
  assert_run_refused "/no/such/hook"
}

test_bad_hook_definitions_are_refused() {
  new_bundle true
  cfg '.hooks.prestart = [{path: "relative/hook"}]'
  assert_run_refused "hooks.prestart[0].path"
  cfg '.hooks.prestart = [{path: "/bin/true", timeout: 0}]'
  assert_run_refused "timeout"
  cfg '.hooks = {"preStart": [{path: "/bin/true"}]}'
  RC=0
  rt run --bundle "$BUNDLE" "$ID" 2>"$BUNDLE/err" || RC=$?
  assert_eq "$RC" 0 "an unknown hook kind is ignored, as the spec requires of unknown properties"
}
