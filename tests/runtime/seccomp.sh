# linux.seccomp: actions, errno values, argument filters, flags and
# architectures, seen from the syscalls a busybox command makes inside the
# container; exec'd processes; bad profiles refused before anything exists.
source "$TOP/tests/runtime/lib-runtime.sh"
source "$TOP/tests/runtime/lib-features.sh"

# A profile allowing everything but `names`, which get ACTION (+ extra JSON
# merged into the rule, e.g. {errnoRet: 36}).
deny_profile() { # action names-json [extra-rule-json]
  jq -nc --arg a "$1" --argjson n "$2" --argjson x "${3:-{\}}" \
    '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: $n, action: $a} + $x]}'
}

set_seccomp() { # profile-json
  cfg ".linux.seccomp = $1"
}

MKDIR='["mkdir", "mkdirat"]'

test_errno_action_blocks_one_syscall() {
  new_bundle
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR")"
  out=$(run_sh 'mkdir /tmp/d 2>&1; touch /tmp/f && echo touched; grep -E "^Seccomp(_filters)?:" /proc/self/status')
  assert_contains "$out" "Operation not permitted" "mkdir under the filter"
  assert_contains "$out" touched "other syscalls"
  assert_match "$out" $'Seccomp:\t2' "seccomp mode in /proc/self/status"
  assert_match "$out" $'Seccomp_filters:\t1' "number of filters"
  [ ! -d "$BUNDLE/rootfs/tmp/d" ] || fail "mkdir succeeded"
}

test_no_seccomp_without_a_profile() {
  new_bundle grep "^Seccomp:" /proc/self/status
  cfg 'del(.linux.seccomp)'
  assert_eq "$(rt run --bundle "$BUNDLE" "$ID")" $'Seccomp:\t0' "seccomp mode without a profile"
}

test_errno_ret_sets_the_error() {
  new_bundle
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR" '{"errnoRet": 36}')"
  out=$(run_sh 'mkdir /tmp/d 2>&1 || true')
  assert_contains "$out" "File name too long" "mkdir with errnoRet 36 (ENAMETOOLONG)"
}

# defaultErrnoRet: a deny-by-default profile that allows every syscall this
# architecture's header names, except mkdir (left to the default) and rmdir
# (a rule without errnoRet, which means EPERM whatever the default's errno).
test_default_errno_ret() {
  local hdr=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
  [ "$(uname -m)" = x86_64 ] && [ -f "$hdr" ] || skip "needs x86_64 and $hdr for the syscall list"
  new_bundle
  names=$(awk '$1 == "#define" && $2 ~ /^__NR_/ { sub(/^__NR_/, "", $2); print $2 }' "$hdr" |
    grep -vxE 'mkdir|mkdirat|rmdir' | jq -R . | jq -sc .)
  set_seccomp "$(jq -nc --argjson n "$names" '{defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 36,
    architectures: ["SCMP_ARCH_X86_64"], syscalls: [{names: $n, action: "SCMP_ACT_ALLOW"},
                                                    {names: ["rmdir"], action: "SCMP_ACT_ERRNO"}]}')"
  mkdir "$BUNDLE/rootfs/tmp/existing"
  out=$(run_sh 'mkdir /tmp/d 2>&1; rmdir /tmp/existing 2>&1; echo still-running')
  assert_eq "$out" "mkdir: can't create directory '/tmp/d': File name too long
rmdir: '/tmp/existing': Operation not permitted
still-running" "mkdir denied by default (errno 36), rmdir by a rule (EPERM)"
}

test_errno_values_where_the_action_has_none_are_refused() {
  new_bundle
  set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 5}'
  assert_run_refused "defaultErrnoRet"
  set_seccomp "$(deny_profile SCMP_ACT_KILL_PROCESS "$MKDIR" '{"errnoRet": 5}')"
  assert_run_refused "errnoRet"
}

# personality(PER_LINUX32) is refused, personality(PER_LINUX) is not: one
# rule on the first argument, one call that matches and one that does not.
test_argument_filter() {
  new_bundle
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO '["personality"]' \
    '{"args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}')"
  out=$(run_sh 'linux32 uname -m 2>&1; linux64 uname -m')
  assert_eq "$(sed -n 1p <<<"$out")" "linux32: personality(0x8): Operation not permitted" \
    "personality(PER_LINUX32)"
  assert_eq "$(sed -n 2p <<<"$out")" x86_64 "personality(PER_LINUX)"
}

test_masked_argument_filter() {
  new_bundle
  # Any personality with the PER_LINUX32 bit (0x8) set is refused.
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO '["personality"]' \
    '{"args": [{"index": 0, "value": 8, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]}')"
  out=$(run_sh 'linux32 true 2>&1 || echo refused32; linux64 true && echo allowed64')
  assert_eq "$out" $'linux32: personality(0x8): Operation not permitted\nrefused32\nallowed64' \
    "masked comparison"
}

# Two comparisons on one argument are ORed (separate rules), as in runc.
test_two_comparisons_on_one_argument() {
  new_bundle
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO '["personality"]' \
    '{"args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}')"
  out=$(run_sh 'linux32 true 2>/dev/null || echo refused32; linux64 true 2>/dev/null || echo refused64')
  assert_eq "$out" $'refused32\nrefused64' "both values refused"
}

test_kill_process_action() {
  new_bundle mkdir /tmp/d
  set_seccomp "$(deny_profile SCMP_ACT_KILL_PROCESS "$MKDIR")"
  run_status
  assert_eq "$RC" 159 "exit code of a process killed by SIGSYS"
  assert_no_leftovers
}

test_trap_and_log_actions() {
  new_bundle mkdir /tmp/d
  set_seccomp "$(deny_profile SCMP_ACT_TRAP "$MKDIR")"
  run_status
  assert_eq "$RC" 159 "exit code of a process trapped with SIGSYS"
  set_seccomp "$(deny_profile SCMP_ACT_LOG "$MKDIR")"
  rt run --bundle "$BUNDLE" "$ID"
  [ -d "$BUNDLE/rootfs/tmp/d" ] || fail "SCMP_ACT_LOG must let mkdir through"
}

test_flags() {
  new_bundle
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR" | jq -c '.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]')"
  out=$(run_sh 'mkdir /tmp/d 2>&1 || true')
  assert_contains "$out" "Operation not permitted" "mkdir under a filter with flags"
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR" | jq -c '.flags = ["SECCOMP_FILTER_FLAG_WHATEVER"]')"
  assert_run_refused 'linux.seccomp.flags: unknown flag "SECCOMP_FILTER_FLAG_WHATEVER"'
}

test_architectures() {
  new_bundle
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR" |
    jq -c '.architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]')"
  out=$(run_sh 'mkdir /tmp/d 2>&1 || true')
  assert_contains "$out" "Operation not permitted" "mkdir with three architectures"
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR" | jq -c '.architectures = ["SCMP_ARCH_VAX"]')"
  assert_run_refused 'unknown architecture "SCMP_ARCH_VAX"'
}

test_unknown_syscall_names_are_skipped() {
  new_bundle
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO '["mkdir", "mkdirat", "no_such_syscall_2099"]')"
  out=$(run_sh 'mkdir /tmp/d 2>&1 || true')
  assert_contains "$out" "Operation not permitted"
}

test_exec_process_is_filtered_too() {
  new_bundle sleep 30
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR" '{"errnoRet": 36}')"
  rt run -d --bundle "$BUNDLE" "$ID"
  out=$(rt exec "$ID" sh -c 'mkdir /tmp/d 2>&1; grep "^Seccomp:" /proc/self/status' || true)
  assert_contains "$out" "File name too long" "mkdir in an exec'd process"
  assert_contains "$out" $'Seccomp:\t2'
}

# Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: the runtime
# keeps it until the filter is in place, and it must be gone afterwards.
test_non_root_user_without_no_new_privileges() {
  new_bundle
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR")"
  cfg '.process.user = {uid: 1000, gid: 1000} | .process.noNewPrivileges = false'
  out=$(run_sh 'mkdir /tmp/d 2>&1; grep -E "^(Seccomp|NoNewPrivs|CapEff|CapPrm|CapBnd):" /proc/self/status')
  assert_contains "$out" "Operation not permitted"
  assert_match "$out" $'Seccomp:\t2'
  assert_match "$out" $'NoNewPrivs:\t0'
  assert_match "$out" $'CapEff:\t0000000000000000' "no capability left for uid 1000"
  assert_match "$out" $'CapPrm:\t0000000000000000'
  assert_match "$out" $'CapBnd:\t0000000020000420' "bounding set of the default config"
}

# Without a capabilities object, setuid() takes the effective set away
# before the filter is loaded.
test_non_root_user_without_capabilities_object() {
  new_bundle
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR")"
  cfg '.process.user = {uid: 1000, gid: 1000} | .process.noNewPrivileges = false
       | del(.process.capabilities)'
  out=$(run_sh 'mkdir /tmp/d 2>&1; grep -E "^(Seccomp|CapEff|CapPrm):" /proc/self/status')
  assert_contains "$out" "Operation not permitted"
  assert_match "$out" $'Seccomp:\t2'
  assert_match "$out" $'CapEff:\t0000000000000000'
  assert_match "$out" $'CapPrm:\t0000000000000000'
}

test_exec_as_non_root_without_no_new_privileges() {
  new_bundle sleep 30
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR")"
  cfg '.process.noNewPrivileges = false'
  run_detached
  out=$(rt exec --user 1000:1000 "$ID" sh -c 'mkdir /tmp/d 2>&1; grep -E "^(Seccomp|CapEff):" /proc/self/status')
  assert_contains "$out" "Operation not permitted"
  assert_match "$out" $'Seccomp:\t2'
  assert_match "$out" $'CapEff:\t0000000000000000' "no capability left for uid 1000"
}

test_root_without_no_new_privileges_does_not_keep_sys_admin() {
  new_bundle
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR")"
  cfg '.process.noNewPrivileges = false'
  out=$(run_sh 'mkdir /tmp/d 2>&1; grep -E "^Cap(Eff|Prm|Bnd):" /proc/self/status')
  assert_contains "$out" "Operation not permitted"
  # CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE: no CAP_SYS_ADMIN (bit 21).
  for set in CapEff CapPrm CapBnd; do
    assert_match "$out" "$set:"$'\t'"0000000020000420" "$set"
  done
}

test_bad_profiles_are_refused_before_anything_exists() {
  new_bundle
  local bad
  for bad in \
    '{"defaultAction": "SCMP_ACT_EXPLODE"}|unknown seccomp action "SCMP_ACT_EXPLODE"' \
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}|unknown seccomp action "SCMP_ACT_NOPE"' \
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_SORTOF"}]}]}|unknown operator "SCMP_CMP_SORTOF"' \
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}|index' \
    '{"syscalls": []}|defaultAction: required' \
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO"}]}|names' \
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}|listenerPath' \
    '{"defaultAction": 7}|defaultAction'; do
    set_seccomp "${bad%%|*}"
    assert_run_refused "${bad#*|}" linux.seccomp
  done
}

# SCMP_ACT_NOTIFY: the listener at listenerPath gets the notify fd and the
# container process state, and decides the syscalls (here: ENAMETOOLONG).
start_listener() { # socket state-file errno
  "$BIN/tests/helpers/seccomp_listener" "$1" "$2" "$3" &
  LISTENER=$!
  defer "kill $LISTENER"
  wait_for "[ -S '$1' ]" 50
}

test_notify_hands_the_fd_to_the_listener() {
  new_bundle
  start_listener "$BUNDLE/listener.sock" "$BUNDLE/state.json" 36
  set_seccomp "$(deny_profile SCMP_ACT_NOTIFY "$MKDIR" | jq -c \
    --arg p "$BUNDLE/listener.sock" '.listenerPath = $p | .listenerMetadata = "hello-listener"')"
  out=$(run_sh 'mkdir /tmp/d 2>&1; touch /tmp/f && echo touched')
  assert_contains "$out" "File name too long" "mkdir answered by the listener"
  assert_contains "$out" touched "other syscalls"
  state=$(cat "$BUNDLE/state.json")
  assert_eq "$(jq -c .fds <<<"$state")" '["seccompFd"]' "fds"
  assert_eq "$(jq -r .metadata <<<"$state")" hello-listener "metadata"
  assert_eq "$(jq -r .state.id <<<"$state")" "$ID" "state.id"
  [ "$(jq -r .pid <<<"$state")" -gt 1 ] || fail "pid in the state: $(jq -r .pid <<<"$state")"
  wait "$LISTENER"
}

test_notify_for_an_exec_process() {
  new_bundle sleep 30
  set_seccomp "$(deny_profile SCMP_ACT_NOTIFY "$MKDIR" | jq -c --arg p "$BUNDLE/listener.sock" '.listenerPath = $p')"
  # The init's own filter goes to a first listener...
  start_listener "$BUNDLE/listener.sock" "$BUNDLE/state-init.json" 36
  rt run -d --bundle "$BUNDLE" "$ID"
  wait_for "[ -s '$BUNDLE/state-init.json' ]" 50
  # ...and the exec'd process's to the next one at the same path.
  rm "$BUNDLE/listener.sock"
  start_listener "$BUNDLE/listener.sock" "$BUNDLE/state-exec.json" 40
  out=$(rt exec "$ID" sh -c 'mkdir /tmp/e 2>&1; echo done')
  assert_contains "$out" "Too many levels of symbolic links" "mkdir answered by the exec's listener"
  assert_eq "$(jq -r .state.status "$BUNDLE/state-exec.json")" running "status in the exec's state"
}

test_notify_without_reachable_listener_fails_cleanly() {
  new_bundle
  set_seccomp "$(deny_profile SCMP_ACT_NOTIFY "$MKDIR" | jq -c --arg p "$BUNDLE/nobody.sock" '.listenerPath = $p')"
  assert_run_refused "listenerPath" "nobody.sock"
}

test_compiled_profiles_are_cached() {
  new_bundle
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR")"
  run_sh 'mkdir /tmp/a 2>&1 || true' >/dev/null
  assert_eq "$(ls "$STATE/.seccomp" | wc -l)" 1 "cache entries after one profile"
  # The cached program is the same filter.
  out=$(run_sh 'mkdir /tmp/b 2>&1 || true')
  assert_contains "$out" "Operation not permitted" "mkdir under the cached filter"
  # Another profile is another entry; a bad profile is still refused.
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO '["rmdir"]')"
  run_sh 'true'
  assert_eq "$(ls "$STATE/.seccomp" | wc -l)" 2 "cache entries after two profiles"
  set_seccomp '{"defaultAction": "SCMP_ACT_FROBNICATE"}'
  assert_run_refused "SCMP_ACT_FROBNICATE"
  # A lost cache is rebuilt.
  rm -rf "$STATE/.seccomp"
  set_seccomp "$(deny_profile SCMP_ACT_ERRNO "$MKDIR")"
  assert_contains "$(run_sh 'mkdir /tmp/c 2>&1 || true')" "Operation not permitted"
}
