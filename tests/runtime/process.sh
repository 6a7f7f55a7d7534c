# config.json "process" (and the uts/personality settings it runs under),
# each observed from inside the container: args, env, cwd, user and groups,
# umask, the five capability sets, rlimits, no_new_privs, oom_score_adj,
# hostname, domainname, personality, HOME.
source "$TOP/tests/runtime/lib-runtime.sh"
source "$TOP/tests/runtime/lib-features.sh"

# Capability numbers (linux/capability.h) of the names these tests use.
declare -A CAP_NR=([CAP_CHOWN]=0 [CAP_DAC_OVERRIDE]=1 [CAP_FOWNER]=3 [CAP_KILL]=5
  [CAP_SETGID]=6 [CAP_SETUID]=7 [CAP_SETPCAP]=8 [CAP_NET_BIND_SERVICE]=10 [CAP_NET_RAW]=13
  [CAP_SYS_CHROOT]=18 [CAP_SYS_ADMIN]=21 [CAP_AUDIT_WRITE]=29)

# The /proc/<pid>/status form of a capability set: 16 hex digits.
capmask() { # NAME...
  local m=0 c
  for c in "$@"; do m=$((m | (1 << CAP_NR[$c]))); done
  printf '%016x' "$m"
}

# A JSON array of strings from the arguments.
json_list() {
  [ $# -eq 0 ] && { echo '[]'; return; }
  printf '%s\n' "$@" | jq -R . | jq -sc .
}

# The value of field $1 in the container's /proc/self/status lines in $2.
status_field() {
  awk -v f="$1:" '$1 == f {print $2}' <<<"$2"
}

test_args_env_and_a_created_cwd() {
  new_bundle
  cfg '.process.args = ["sh", "-c", "echo \"$0|$1|$FOO|$(pwd)\"", "first arg", "second"]
       | .process.env += ["FOO=a value with spaces"] | .process.cwd = "/work/not/yet"'
  [ ! -e "$BUNDLE/rootfs/work" ] || fail "the cwd exists before the test"
  out=$(rt run --bundle "$BUNDLE" "$ID")
  assert_eq "$out" "first arg|second|a value with spaces|/work/not/yet" "args, env and cwd"
  [ -d "$BUNDLE/rootfs/work/not/yet" ] || fail "the missing cwd was not created in the rootfs"
}

test_env_is_exactly_the_configured_one() {
  new_bundle env
  cfg '.process.env = ["PATH=/bin", "ONLY=this", "HOME=/custom"]'
  out=$(rt run --bundle "$BUNDLE" "$ID" | sort | tr '\n' ' ')
  assert_eq "$out" "HOME=/custom ONLY=this PATH=/bin " "environment (HOME kept as configured)"
}

# Socket activation: a caller's LISTEN_FDS=N hands the runtime fds 3..3+N-1
# (crun passes them on; runc too when LISTEN_PID is its own pid), which
# reach the process before the --preserve-fds ones, with LISTEN_FDS=N and
# LISTEN_PID the pid the process sees as its own (runc and crun write 1,
# which is wrong without a pid namespace). --preserve-fds alone sets neither.
test_socket_activation_fds_and_variables_reach_the_process() {
  new_bundle sh -c 'echo "$LISTEN_FDS $LISTEN_PID $$"; for fd in 3 4 5 6; do
    [ -e /proc/$$/fd/$fd ] && echo "fd $fd"; done; true'
  cfg '.process.env += ["LISTEN_PID=99"]'
  out=$(LISTEN_FDS=2 LISTEN_PID=1 rt run --preserve-fds 1 --bundle "$BUNDLE" "$ID" \
    3<"$BUNDLE/config.json" 4<"$BUNDLE/config.json" 5<"$BUNDLE/config.json" 6<"$BUNDLE/config.json" |
    tr '\n' ' ')
  assert_eq "$out" "2 1 1 fd 3 fd 4 fd 5 " "with a pid namespace: LISTEN_FDS LISTEN_PID \$\$, fds"
  cfg '.linux.namespaces |= map(select(.type != "pid"))'
  out=$(LISTEN_FDS=1 rt run --bundle "$BUNDLE" "$ID" 3<"$BUNDLE/config.json" 4<"$BUNDLE/config.json")
  read -r fds pid self rest <<<"$out"
  assert_eq "$fds $pid" "1 $self" "without a pid namespace: LISTEN_FDS LISTEN_PID (\$\$ is $self)"
  assert_eq "$rest" "" "extra words"
  assert_eq "$(sed 1d <<<"$out" | tr '\n' ' ')" "fd 3 " "fds"
  out=$(rt run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3<"$BUNDLE/config.json")
  out=${out%%$'\n'*}
  assert_eq "$out" " 99 ${out##* }" "--preserve-fds alone: the configured variables only"
  assert_no_leftovers
}

test_user_uid_gid_and_additional_gids() {
  new_bundle sh -c 'id -u; id -g; grep ^Groups: /proc/self/status; id -un'
  cfg '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [10, 20, 30]}'
  out=$(rt run --bundle "$BUNDLE" "$ID")
  assert_eq "$(sed -n 1p <<<"$out")" 1000 "uid"
  assert_eq "$(sed -n 2p <<<"$out")" 1001 "gid"
  assert_eq "$(sed -n 3p <<<"$out" | tr -s ' \t' ' ' | sed 's/ $//')" "Groups: 10 20 30" \
    "supplementary groups"
  assert_eq "$(sed -n 4p <<<"$out")" user "user name from the container's /etc/passwd"
}

test_no_additional_gids_means_no_groups() {
  new_bundle sh -c 'grep ^Groups: /proc/self/status'
  cfg '.process.user = {"uid": 1000, "gid": 1000}'
  out=$(rt run --bundle "$BUNDLE" "$ID" | tr -s ' \t' ' ' | sed 's/ $//')
  # The runtime's own groups must not leak in.
  assert_eq "$out" "Groups:" "supplementary groups"
}

test_umask_configured_and_default() {
  new_bundle sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f'
  cfg '.process.user.umask = 23' # 0027
  out=$(rt run --bundle "$BUNDLE" "$ID" | tr '\n' ' ')
  assert_eq "$out" "0027 640 " "umask 0027 and the mode of a new file"
  rm -f "$BUNDLE/rootfs/tmp/f"
  cfg 'del(.process.user.umask)'
  out=$(rt run --bundle "$BUNDLE" "$ID" | tr '\n' ' ')
  assert_eq "$out" "0022 644 " "default umask"
}

test_capabilities_of_root_are_the_configured_sets() {
  new_bundle grep ^Cap /proc/self/status
  local caps=(CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE CAP_AUDIT_WRITE)
  local list
  list=$(json_list "${caps[@]}")
  cfg ".process.capabilities = {bounding: $list, effective: $list, permitted: $list,
                                inheritable: [], ambient: []}"
  out=$(rt run --bundle "$BUNDLE" "$ID")
  want=$(capmask "${caps[@]}")
  assert_eq "$(status_field CapBnd "$out")" "$want" CapBnd
  assert_eq "$(status_field CapEff "$out")" "$want" CapEff
  assert_eq "$(status_field CapPrm "$out")" "$want" CapPrm
  assert_eq "$(status_field CapInh "$out")" 0000000000000000 CapInh
  assert_eq "$(status_field CapAmb "$out")" 0000000000000000 CapAmb
}

# For a non-root user the kernel keeps across execve() only what is ambient,
# so all five sets can be checked exactly, ambient included.
test_capabilities_of_a_user_with_ambient_set() {
  new_bundle grep ^Cap /proc/self/status
  local bnd=(CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE CAP_AUDIT_WRITE CAP_NET_RAW)
  local amb=(CAP_KILL CAP_NET_BIND_SERVICE)
  local b a
  b=$(json_list "${bnd[@]}")
  a=$(json_list "${amb[@]}")
  cfg ".process.user = {uid: 1000, gid: 1000}
       | .process.capabilities = {bounding: $b, effective: $a, permitted: $a, inheritable: $a,
                                  ambient: $a}"
  out=$(rt run --bundle "$BUNDLE" "$ID")
  assert_eq "$(status_field CapBnd "$out")" "$(capmask "${bnd[@]}")" CapBnd
  want=$(capmask "${amb[@]}")
  for set in CapEff CapPrm CapInh CapAmb; do
    assert_eq "$(status_field $set "$out")" "$want" "$set"
  done
}

test_dropped_capability_is_enforced() {
  new_bundle sh -c 'touch /tmp/f; chown 1000 /tmp/f && echo chowned || echo refused'
  cfg '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"],
                                permitted: ["CAP_KILL"]}'
  out=$(rt run --bundle "$BUNDLE" "$ID" 2>&1)
  assert_contains "$out" refused "chown without CAP_CHOWN"
  assert_eq "$(stat -c %u "$BUNDLE/rootfs/tmp/f")" 0 "owner of the file"
}

# The kernel raises an ambient capability only if it is also inheritable;
# as runc does (`runc spec` writes such configs), the others are skipped.
test_ambient_outside_inheritable_is_skipped() {
  new_bundle grep ^Cap /proc/self/status
  cfg '.process.user = {uid: 1000, gid: 1000}
       | .process.capabilities = {bounding: ["CAP_KILL", "CAP_CHOWN"], effective: ["CAP_KILL", "CAP_CHOWN"],
                                  permitted: ["CAP_KILL", "CAP_CHOWN"], inheritable: ["CAP_CHOWN"],
                                  ambient: ["CAP_KILL", "CAP_CHOWN"]}'
  out=$(rt run --bundle "$BUNDLE" "$ID")
  want=$(capmask CAP_CHOWN)
  for set in CapAmb CapEff CapPrm CapInh; do
    assert_eq "$(status_field $set "$out")" "$want" "$set"
  done
}

# `runc spec` lists its three capabilities as ambient but not inheritable,
# so none can be raised. As with runc, that config runs with nothing on
# stderr (runc-style tests compare it); the skip is a debug message. An
# ambient capability that is also permitted and inheritable is raised.
test_runc_spec_ambient_capabilities_run_quietly() {
  new_bundle grep ^CapAmb /proc/self/status
  local caps
  caps=$(json_list CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)
  cfg ".process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps, ambient: $caps}"
  rt run --bundle "$BUNDLE" "$ID" >"$BUNDLE/out" 2>"$BUNDLE/err"
  assert_eq "$(cat "$BUNDLE/err")" "" "stderr of the runc spec config"
  assert_eq "$(status_field CapAmb "$(cat "$BUNDLE/out")")" 0000000000000000 CapAmb
  rt --debug run --bundle "$BUNDLE" "$ID" 2>"$BUNDLE/err" >/dev/null
  assert_contains "$(cat "$BUNDLE/err")" "CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE skipped" \
    "--debug names the skipped ambient capabilities"
  cfg '.process.capabilities.inheritable = ["CAP_KILL"]'
  rt run --bundle "$BUNDLE" "$ID" >"$BUNDLE/out" 2>"$BUNDLE/err"
  assert_eq "$(cat "$BUNDLE/err")" "" "stderr with one raisable ambient capability"
  assert_eq "$(status_field CapAmb "$(cat "$BUNDLE/out")")" "$(capmask CAP_KILL)" CapAmb
}

test_unknown_capability_is_refused() {
  new_bundle true
  cfg '.process.capabilities.bounding += ["CAP_MAKE_COFFEE"]'
  assert_run_refused 'unknown capability "CAP_MAKE_COFFEE"'
}

test_rlimits_nofile_and_nproc() {
  new_bundle sh -c 'ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu'
  cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 512, hard: 1024},
                           {type: "RLIMIT_NPROC", soft: 300, hard: 400}]'
  out=$(rt run --bundle "$BUNDLE" "$ID" | tr '\n' ' ')
  assert_eq "$out" "512 1024 300 400 " "nofile soft/hard, nproc soft/hard"
}

# The runtime runs as root without CAP_SYS_RESOURCE on this host: a hard
# limit above its own cannot be set, and must not be silently lowered.
test_raising_a_hard_rlimit_fails_clearly() {
  local hard
  hard=$(ulimit -Hn)
  [ "$hard" != unlimited ] || skip "the runtime's RLIMIT_NOFILE hard limit is unlimited"
  ! has_cap_sys_resource || skip "the runtime has CAP_SYS_RESOURCE here: raising hard limits is allowed"
  new_bundle true
  cfg ".process.rlimits = [{type: \"RLIMIT_NOFILE\", soft: 1024, hard: $((hard + 1))}]"
  assert_run_refused "RLIMIT_NOFILE" "CAP_SYS_RESOURCE"
}

test_rlimit_soft_above_hard_is_refused() {
  new_bundle true
  cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 2048, hard: 1024}]'
  assert_run_refused "exceeds hard limit"
}

test_no_new_privileges() {
  new_bundle sh -c 'grep ^NoNewPrivs: /proc/self/status'
  cfg '.process.noNewPrivileges = true'
  out=$(rt run --bundle "$BUNDLE" "$ID" | tr -d ' \t')
  assert_eq "$out" "NoNewPrivs:1" "with noNewPrivileges true"
  cfg '.process.noNewPrivileges = false'
  out=$(rt run --bundle "$BUNDLE" "$ID" | tr -d ' \t')
  assert_eq "$out" "NoNewPrivs:0" "with noNewPrivileges false"
}

test_oom_score_adj() {
  new_bundle cat /proc/self/oom_score_adj
  cfg '.process.oomScoreAdj = 503'
  assert_eq "$(rt run --bundle "$BUNDLE" "$ID")" 503 "oom_score_adj"
  cfg '.process.oomScoreAdj = 1001'
  assert_run_refused "oomScoreAdj"
}

test_hostname_and_domainname() {
  new_bundle sh -c 'hostname; cat /proc/sys/kernel/domainname'
  cfg '.hostname = "box-one" | .domainname = "example.org"'
  out=$(rt run --bundle "$BUNDLE" "$ID" | tr '\n' ' ')
  assert_eq "$out" "box-one example.org " "hostname and domainname"
  assert_ne "$(hostname)" box-one "the host's hostname"
}

test_hostname_without_uts_namespace_is_refused() {
  new_bundle true
  cfg '.hostname = "box-one" | .linux.namespaces |= map(select(.type != "uts"))'
  assert_run_refused "uts namespace"
}

test_personality_linux32() {
  new_bundle uname -m
  cfg '.linux.personality = {domain: "LINUX32"}'
  assert_eq "$(rt run --bundle "$BUNDLE" "$ID")" i686 "uname -m under LINUX32"
  # A process exec'd into the container has its personality too.
  cfg '.process.args = ["sleep", "30"]'
  rt run -d --bundle "$BUNDLE" "$ID"
  assert_eq "$(rt exec "$ID" uname -m)" i686 "uname -m of an exec'd process"
  rt delete --force "$ID"
  cfg '.process.args = ["uname", "-m"] | .linux.personality = {domain: "LINUX"}'
  assert_eq "$(rt run --bundle "$BUNDLE" "$ID")" "$(uname -m)" "uname -m under LINUX"
  cfg '.linux.personality = {domain: "LINUX64"}'
  assert_run_refused 'unknown domain "LINUX64"'
}

test_home_from_etc_passwd() {
  new_bundle sh -c 'echo $HOME'
  cfg '.process.user = {uid: 1000, gid: 1000}'
  assert_eq "$(rt run --bundle "$BUNDLE" "$ID")" /home/user "HOME of uid 1000"
  cfg '.process.user = {uid: 0, gid: 0}'
  assert_eq "$(rt run --bundle "$BUNDLE" "$ID")" /root "HOME of root"
  cfg '.process.user = {uid: 4242, gid: 4242}'
  assert_eq "$(rt run --bundle "$BUNDLE" "$ID")" / "HOME of a uid without a passwd entry"
}

test_relative_cwd_is_refused() {
  new_bundle true
  cfg '.process.cwd = "tmp"'
  assert_run_refused "process.cwd" "not an absolute path"
}

test_missing_executable_is_a_clear_error() {
  new_bundle /bin/no-such-program
  assert_run_refused "no-such-program"
}
