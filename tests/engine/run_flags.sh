# run's flags for devices, environment, labels, the read-only root,
# capabilities, --privileged, --security-opt, --ulimit, --cidfile and
# --pull, each observed from inside the container.

source "$TOP/tests/engine/lib-engine.sh"

# A capability's bit in the CapEff mask printed by `grep CapEff`.
cap_bit() { # status-line bit
  local mask=${1##*:}
  mask=${mask//[[:space:]]/}
  echo $(((0x$mask >> $2) & 1))
}

test_device() {
  engine_setup
  out=$(cap run --rm --device /dev/null:/dev/mynull busybox sh -c 'echo x >/dev/mynull && stat -c "%F %t:%T" /dev/mynull')
  assert_eq "$out" "character special file 1:3"
  # A directory: the device nodes under it (docker's rule).
  mkdir -p "$WORK/devdir/sub"
  mknod "$WORK/devdir/sub/zero" c 1 5
  echo not-a-device >"$WORK/devdir/file"
  out=$(cap run --rm --device "$WORK/devdir:/dev/mine" busybox sh -c 'head -c 3 /dev/mine/sub/zero | od -An -c; ls /dev/mine')
  assert_eq "$(echo $out)" '\0 \0 \0 sub' "a directory of devices"
  echo data >"$WORK/regular"
  assert_fails cap run --rm --device "$WORK/regular" busybox true
  assert_eq "$RC" 125 "exit status"
  assert_contains "$ERR" "not a device node"
  assert_fails cap run --rm --device /dev/null:/dev/x:rwz busybox true
  assert_contains "$ERR" "invalid device specification"
  assert_engine_clean
}

test_env_file_and_env_from_the_caller() {
  engine_setup
  printf '# a comment\nFROM_FILE=1\n\nOVERRIDDEN=file\nCALLER_VAR\n' >"$WORK/env"
  out=$(CALLER_VAR=from-caller ONLY_E=e-caller "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" \
    run --rm --env-file "$WORK/env" -e OVERRIDDEN=flag -e ONLY_E -e NOT_SET_ANYWHERE busybox \
    sh -c 'echo $FROM_FILE $OVERRIDDEN $CALLER_VAR $ONLY_E; env | grep -c NOT_SET_ANYWHERE || true')
  assert_eq "$out" "1 flag from-caller e-caller
0"
  assert_fails cap run --rm --env-file "$WORK/missing" busybox true
  assert_contains "$ERR" "--env-file"
}

test_labels() {
  engine_setup
  printf 'from.file=1\n# comment\nempty\n' >"$WORK/labels"
  id=$(cap run -d -l a=b --label c=d --label-file "$WORK/labels" busybox sleep 30)
  record=$(cat "$STORE/containers/$id/container.json")
  assert_contains "$record" '"a": "b"'
  assert_contains "$record" '"c": "d"'
  assert_contains "$record" '"from.file": "1"'
  assert_contains "$record" '"empty": ""'
  assert_eq "$(cap ps -q --no-trunc --filter label=a=b)" "$id" "ps --filter label="
  assert_eq "$(cap ps -q --filter label=a=other)" "" "ps --filter label= of another value"
  cap rm -f "$id" >/dev/null
}

test_read_only_root() {
  engine_setup
  out=$(cap run --rm --read-only busybox sh -c 'touch /x 2>&1; touch /tmp/x 2>&1; echo done')
  assert_contains "$out" "touch: /x: Read-only file system"
  assert_contains "$out" "touch: /tmp/x: Read-only file system"
  assert_eq "$(cap run --rm --read-only --tmpfs /tmp busybox sh -c 'touch /tmp/x && echo writable')" writable
}

test_capabilities() {
  engine_setup
  base=$(cap run --rm busybox grep CapEff /proc/self/status)
  added=$(cap run --rm --cap-add NET_ADMIN --cap-drop chown busybox grep CapEff /proc/self/status)
  assert_eq "$(cap_bit "$base" 12)" 0 "NET_ADMIN by default"
  assert_eq "$(cap_bit "$added" 12)" 1 "--cap-add NET_ADMIN"
  assert_eq "$(cap_bit "$base" 0)" 1 "CHOWN by default"
  assert_eq "$(cap_bit "$added" 0)" 0 "--cap-drop chown"
  none=$(cap run --rm --cap-drop ALL --cap-add CAP_KILL busybox grep CapEff /proc/self/status)
  assert_eq "${none##*:}" "$(printf '\t0000000000000020')" "--cap-drop ALL --cap-add KILL"
  # ALL: every capability the engine holds itself (the host's bounding set).
  all=$(cap run --rm --cap-add ALL busybox grep CapEff /proc/self/status)
  assert_eq "${all##*:}" "$(sed -n 's/CapBnd://p' /proc/self/status)" "--cap-add ALL"
  assert_fails cap run --rm --cap-add NOT_A_CAP busybox true
  assert_eq "$RC" 125 "exit status"
  assert_contains "$ERR" 'unknown capability: "NOT_A_CAP"'
}

test_privileged() {
  engine_setup
  out=$(cap run --rm --privileged busybox sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; grep " /sys " /proc/mounts; ls /dev | grep -c .')
  assert_eq "$(sed -n 's/CapEff://p' <<<"$out")" "$(sed -n 's/CapBnd://p' /proc/self/status)" "every capability"
  assert_contains "$out" "Seccomp:	0"
  assert_match "$(grep ' /sys ' <<<"$out")" ' rw,' "/sys writable"
  (( $(tail -n 1 <<<"$out") > 15 )) || fail "the host's devices are missing: $(tail -n 1 <<<"$out") entries in /dev"
}

test_security_opts() {
  engine_setup
  assert_contains "$(cap run --rm busybox grep NoNewPrivs /proc/self/status)" "NoNewPrivs:	0"
  assert_contains "$(cap run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status)" "NoNewPrivs:	1"
  assert_contains "$(cap run --rm --security-opt no-new-privileges:true busybox grep NoNewPrivs /proc/self/status)" "NoNewPrivs:	1"
  assert_contains "$(cap run --rm --security-opt seccomp=unconfined busybox grep Seccomp: /proc/self/status)" "Seccomp:	0"
  # docker's profile format: mkdir refused by the profile, the rest allowed.
  cat >"$WORK/profile.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
             {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": []}],
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
              {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}
EOF
  out=$(cap run --rm --security-opt seccomp="$WORK/profile.json" busybox sh -c 'mkdir /tmp/d 2>&1; rmdir /tmp 2>&1; grep Seccomp: /proc/self/status')
  assert_contains "$out" "Operation not permitted"
  assert_contains "$out" "Seccomp:	2"
  assert_not_contains "$out" "rmdir: '/tmp': Operation not permitted" "a rule for CAP_SYS_ADMIN only"
  cap run --rm --security-opt apparmor=unconfined --security-opt label:disable busybox true
  assert_fails cap run --rm --security-opt apparmor=x busybox true
  assert_eq "$RC" 125 "exit status"
  assert_contains "$ERR" "invalid --security-opt"
  assert_fails cap run --rm --security-opt seccomp="$WORK/none.json" busybox true
  assert_contains "$ERR" "seccomp profile"
}

test_ulimit() {
  engine_setup
  assert_eq "$(cap run --rm --ulimit nofile=123:456 busybox sh -c 'ulimit -n; ulimit -Hn')" "123
456"
  assert_eq "$(cap run --rm --ulimit nproc=77 busybox sh -c 'ulimit -u; ulimit -Hu')" "77
77"
  assert_fails cap run --rm --ulimit nofile=10:5 busybox true
  assert_contains "$ERR" "soft limit"
  assert_fails cap run --rm --ulimit bogus=1 busybox true
  assert_eq "$RC" 125 "exit status"
  assert_contains "$ERR" "invalid ulimit type: bogus"
}

test_cidfile() {
  engine_setup
  cap run --rm --cidfile "$WORK/cid" busybox true
  assert_match "$(cat "$WORK/cid")" '^[0-9a-f]{64}$' "the id"
  id=$(cap run -d --cidfile "$WORK/cid2" busybox sleep 30)
  assert_eq "$(cat "$WORK/cid2")" "$id"
  assert_fails cap run -d --cidfile "$WORK/cid2" busybox sleep 30
  assert_eq "$RC" 125 "exit status"
  assert_contains "$ERR" "container ID file found"
  assert_eq "$(cap ps -a -q | wc -l)" 1 "containers made by the refused run"
  # A run that fails leaves no file.
  assert_fails cap run --rm --cidfile "$WORK/cid3" busybox /no/such/program
  [ ! -e "$WORK/cid3" ] || fail "the cidfile of a failed run is left"
  cap rm -f "$id" >/dev/null
}

test_pull_policies() {
  engine_setup
  assert_fails cap run --rm --pull never nosuchimage:latest true
  assert_eq "$RC" 125 "exit status"
  assert_eq "$(echo "$ERR" | wc -l)" 1 "one line: $ERR"
  assert_contains "$ERR" "no such image"
  assert_fails cap run --rm --pull sometimes busybox true
  assert_contains "$ERR" "invalid pull option"
  assert_eq "$(cap run --rm --pull never busybox echo present)" present
  assert_eq "$(cap run --rm --pull missing busybox echo present)" present
}

test_stop_signal_and_timeout() {
  engine_setup
  id=$(cap run -d --stop-signal SIGUSR1 --stop-timeout 3 busybox sh -c 'trap "echo got-usr1; exit 0" USR1; while :; do sleep 0.1; done')
  record=$(cat "$STORE/containers/$id/container.json")
  assert_contains "$record" '"stopSignal": 10'
  assert_contains "$record" '"stopTimeout": 3'
  # stop sends it.
  cap stop "$id" >/dev/null
  assert_contains "$(cap logs "$id")" got-usr1
  cap rm -f "$id" >/dev/null
  assert_fails cap run --rm --stop-signal NOSUCH busybox true
  assert_eq "$RC" 125 "exit status"
  assert_contains "$ERR" "--stop-signal NOSUCH: unknown signal"
}
