# runc's command line where capsule lagged behind (issue 8): exec's
# --no-new-privs, --cap, --additional-gids, --cgroup and --ignore-paused,
# run --keep, events, the pid of a stopped container, namespace paths that
# are no namespace, and containers sharing a cgroup. Each is compared with
# what runc does in the comments.
source "$TOP/tests/runtime/lib-runtime.sh"
source "$TOP/tests/runtime/lib-features.sh"

running_container() { # [config jq filter]
  new_bundle sleep 60
  [ $# -eq 0 ] || cfg "$1"
  run_detached
}

# Bit N of a capability mask of /proc/self/status ("CapBnd:\t...").
has_cap_bit() { # mask bit
  (((16#$1 >> $2) & 1))
}

test_exec_no_new_privs_is_applied() {
  running_container '.process.noNewPrivileges = false'
  # runc: NoNewPrivs 0 without the flag, 1 with it.
  assert_eq "$(rt exec "$ID" grep NoNewPrivs /proc/self/status)" $'NoNewPrivs:\t0' "without the flag"
  assert_eq "$(rt exec --no-new-privs "$ID" grep NoNewPrivs /proc/self/status)" \
    $'NoNewPrivs:\t1' "exec --no-new-privs"
  jq '.process | .args = ["grep", "NoNewPrivs", "/proc/self/status"]' "$BUNDLE/config.json" \
    >"$BUNDLE/proc.json"
  assert_eq "$(rt exec --no-new-privs --process "$BUNDLE/proc.json" "$ID")" $'NoNewPrivs:\t1' \
    "exec --no-new-privs --process"
}

test_exec_cap_adds_a_capability() {
  running_container
  local bnd
  bnd=$(rt exec "$ID" awk '/^CapBnd/ {print $2}' /proc/self/status)
  ! has_cap_bit "$bnd" 21 || fail "CAP_SYS_ADMIN already in the config's bounding set: $bnd"
  # runc: CapPrm/CapEff/CapBnd 20000420 -> 20200420 with --cap CAP_SYS_ADMIN.
  out=$(rt exec --cap CAP_SYS_ADMIN -c CAP_NET_ADMIN "$ID" grep -E '^Cap(Bnd|Eff|Prm)' /proc/self/status)
  while read -r name mask; do
    has_cap_bit "$mask" 21 || fail "$name has no CAP_SYS_ADMIN: $mask"
    has_cap_bit "$mask" 12 || fail "$name has no CAP_NET_ADMIN: $mask"
  done <<<"$out"
  assert_eq "$(wc -l <<<"$out")" 3 "capability sets read"
  # runc only warns and drops an unknown name; capsule refuses it.
  assert_fails rt exec --cap CAP_BOGUS "$ID" true
  assert_eq "$ERR" 'capsule-runtime: exec: --cap "CAP_BOGUS": unknown capability (expected a name such as CAP_NET_ADMIN)'
}

test_exec_additional_gids() {
  running_container
  # runc: "Groups:	10 20".
  assert_eq "$(rt exec -g 10 --additional-gids 20 "$ID" sh -c 'id -G')" "0 10 20" "groups"
  assert_eq "$(rt exec --user 1000:1000 -g 10 "$ID" id -G)" "1000 10" "groups with --user"
  assert_fails rt exec -g abc "$ID" true
  assert_eq "$ERR" 'capsule-runtime: exec: --additional-gids "abc": expected a group id'
}

# The container's group directories, one per hierarchy.
container_cgroup_dirs() {
  find /sys/fs/cgroup -maxdepth 6 -type d -name "$ID" 2>/dev/null
}

test_exec_cgroup_runs_in_a_sub_group() {
  running_container
  local d
  for d in $(container_cgroup_dirs); do
    mkdir "$d/sub"
    # A new v1 cpuset group takes no process before it has cpus and mems.
    [ ! -e "$d/cpuset.cpus" ] || {
      cat "$d/cpuset.cpus" >"$d/sub/cpuset.cpus"
      cat "$d/cpuset.mems" >"$d/sub/cpuset.mems"
    }
  done
  out=$(rt exec --cgroup sub "$ID" cat /proc/self/cgroup)
  # Inside a cgroup namespace or not, every line ends in the sub-group.
  [ -n "$out" ] || fail "no /proc/self/cgroup"
  while IFS=: read -r _ ctrl path; do
    assert_match "$path" "/sub$" "group of hierarchy '$ctrl'"
  done <<<"$out"
  assert_fails rt exec --cgroup missing "$ID" true
  assert_contains "$ERR" "capsule-runtime: exec --cgroup: no group /sys/fs/cgroup/"
  assert_fails rt exec --cgroup ../x "$ID" true
  assert_eq "$ERR" 'capsule-runtime: exec --cgroup: ../x: "." and ".." are not allowed'
  if [ "$(cgroup_layout)" = v2 ]; then
    assert_fails rt exec --cgroup memory:sub "$ID" true
    assert_contains "$ERR" "cgroup v2 only"
    return 0
  fi
  # v1: per controller; the other hierarchies keep the container's group.
  out=$(rt exec --cgroup memory:sub "$ID" cat /proc/self/cgroup)
  assert_match "$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' <<<"$out")" "/sub$" "memory group"
  assert_match "$(grep -E '^[0-9]+:([^:]*,)?pids(,[^:]*)?:' <<<"$out")" "[^b]$" "pids group"
  assert_fails rt exec --cgroup sub --cgroup memory:sub "$ID" true
  assert_contains "$ERR" "cannot be combined"
  assert_fails rt exec --cgroup nosuch:sub "$ID" true
  assert_contains "$ERR" "no cgroup v1 hierarchy of the container has controller nosuch"
}

test_exec_ignore_paused() {
  running_container
  rt pause "$ID"
  defer rt --root "$STATE" resume "$ID"
  # runc: "cannot exec in a paused container (use --ignore-paused to override)".
  assert_fails rt exec "$ID" true
  assert_eq "$ERR" "capsule-runtime: cannot exec in container \"$ID\": it is paused (--ignore-paused execs all the same)"
  # As with runc, the process joins the frozen group and runs on resume.
  rt exec --ignore-paused "$ID" sh -c 'echo ran' >"$BUNDLE/out" &
  local exec_pid=$!
  # The exec'd process is in the container's group before it is resumed.
  wait_for "[ \$(rt ps -f json $ID | jq length) -ge 2 ]"
  assert_eq "$(cat "$BUNDLE/out")" "" "output while paused"
  rt resume "$ID"
  wait "$exec_pid"
  assert_eq "$(cat "$BUNDLE/out")" ran "output after resume"
}

test_run_keep_leaves_a_stopped_container() {
  new_bundle sh -c 'exit 3'
  # runc run --keep: exit code 3, then `state` says stopped with pid 0, and
  # `delete` removes it.
  RC=0
  rt run --keep --bundle "$BUNDLE" "$ID" </dev/null || RC=$?
  assert_eq "$RC" 3 "exit code of run --keep"
  state=$(rt state "$ID")
  assert_eq "$(jq -r .status <<<"$state")" stopped "status after run --keep"
  assert_eq "$(jq -r '.pid // "none"' <<<"$state")" 0 "pid of the stopped container"
  assert_eq "$(rt list -q)" "$ID" "list after run --keep"
  rt delete "$ID"
  assert_no_leftovers
  # Without --keep, nothing is left.
  rt run --bundle "$BUNDLE" "$ID" </dev/null || true
  assert_no_leftovers
}

test_namespace_path_that_is_no_namespace_is_refused() {
  new_bundle sleep 60
  mkfifo "$BUNDLE/fifo"
  touch "$BUNDLE/file"
  netns() { cfg '(.linux.namespaces[] | select(.type == "network")).path = "'"$1"'"'; }
  netns "$BUNDLE/fifo"
  # A FIFO made create block forever (open for reading waits for a writer).
  RC=0
  timeout -k 1 10 "$RT" --root "$STATE" create --bundle "$BUNDLE" "$ID" >/dev/null 2>"$BUNDLE/err" ||
    RC=$?
  [ "$RC" != 124 ] && [ "$RC" != 137 ] || fail "create blocked on a FIFO namespace path"
  assert_ne "$RC" 0 "exit code of create"
  assert_eq "$(cat "$BUNDLE/err")" "capsule-runtime: linux.namespaces: network namespace $BUNDLE/fifo is not a namespace file (a /proc/PID/ns file or a bind mount of one)"
  assert_no_leftovers
  netns "$BUNDLE/file"
  assert_fails rt create --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "$BUNDLE/file is not a namespace file"
  assert_no_leftovers
  # A namespace file of another kind.
  netns /proc/self/ns/uts
  assert_fails rt create --bundle "$BUNDLE" "$ID"
  assert_eq "$ERR" "capsule-runtime: linux.namespaces: network namespace /proc/self/ns/uts is a namespace of another kind"
  assert_no_leftovers
  # The host's own network namespace, by path, still works.
  netns /proc/$$/ns/net
  rt create --bundle "$BUNDLE" "$ID"
  rt delete --force "$ID"
}

test_containers_cannot_share_a_cgroup() {
  new_bundle sleep 60
  local shared=/capsule-test-shared-$ID first=$ID
  cfg ".linux.cgroupsPath = \"$shared\""
  rt run -d --bundle "$BUNDLE" "$first"
  local pid
  pid=$(rt state "$first" | jq -r .pid)
  # runc 1.1 warns ("container's cgroup is not empty: 1 process(es) found")
  # and starts it; deleting either then could kill the other's processes.
  ID=$first-2
  defer cleanup_bundle "$BUNDLE" "$ID"
  assert_fails rt run -d --bundle "$BUNDLE" "$ID"
  assert_eq "$ERR" "capsule-runtime: linux.cgroupsPath: cgroup $shared already holds 1 process (pid $pid): containers sharing a cgroup could kill each other's processes"
  [ ! -e "$STATE/$ID" ] || fail "state of the refused container left behind"
  assert_eq "$(status_of "$first")" running "the first container"
  # A stopped container still owns its group until it is deleted.
  rt kill "$first" KILL
  wait_for "[ \$(rt state $first | jq -r .status) = stopped ]"
  assert_fails rt run -d --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "cgroup $shared belongs to another container of $STATE (delete it first)"
  rt delete "$first"
  rt run -d --bundle "$BUNDLE" "$ID"
  assert_eq "$(status_of)" running "a container in the group once it is free"
  rt delete --force "$ID"
  assert_no_leftovers "$first"
  [ -z "$(find /sys/fs/cgroup -maxdepth 2 -name "${shared#/}")" ] || fail "cgroup $shared left behind"
}

test_events_stats_once() {
  need_controller memory
  running_container
  out=$(rt events --stats "$ID")
  assert_eq "$(wc -l <<<"$out")" 1 "lines of events --stats"
  # runc's format: {"type":"stats","id":...,"data":{cpu, cpuset, memory,
  # pids, blkio, hugetlb, intel_rdt, network_interfaces}} (the same members
  # as runc 1.1.5 prints for a container on this host).
  assert_eq "$(jq -r '[.type, .id] | join(" ")' <<<"$out")" "stats $ID" "type and id"
  assert_eq "$(jq -c '.data | keys' <<<"$out")" \
    '["blkio","cpu","cpuset","hugetlb","intel_rdt","memory","network_interfaces","pids"]' "members"
  [ "$(jq .data.cpu.usage.total <<<"$out")" -gt 0 ] || fail "no cpu usage: $out"
  [ "$(jq .data.memory.usage.usage <<<"$out")" -gt 0 ] || fail "no memory usage: $out"
  assert_eq "$(jq .data.pids.current <<<"$out")" 1 "pids"
  jq -e '.data.memory.usage | has("limit") and has("failcnt")' <<<"$out" >/dev/null
  jq -e '.data.cpu.usage | has("kernel") and has("user")' <<<"$out" >/dev/null
  rt kill "$ID" KILL
  wait_for "[ \$(rt state $ID | jq -r .status) = stopped ]"
  # runc: "container with id ... is not running"
  assert_fails rt events --stats "$ID"
  assert_eq "$ERR" "capsule-runtime: events: container \"$ID\" is not running"
  assert_fails rt events --interval 5 "$ID"
  assert_contains "$ERR" "expected a duration such as 5s"
}

test_events_stream_stats_and_oom_until_the_container_stops() {
  need_controller memory
  local memory='{limit: 33554432}'
  # With swap on the host, memory+swap must be limited too for the kernel to kill.
  [ "$(wc -l </proc/swaps)" -le 1 ] || memory='{limit: 33554432, swap: 33554432}'
  running_container ".linux.resources.memory = $memory"
  rt events --interval 100ms "$ID" >"$BUNDLE/events" &
  local events_pid=$!
  wait_for "[ \$(grep -c '\"type\":\"stats\"' '$BUNDLE/events') -ge 2 ]"
  # A process that wants 64 MiB in a 32 MiB group is killed by the kernel.
  rt exec "$ID" sh -c 'x=$(head -c 67108864 /dev/zero | tr "\0" a); echo survived' || true
  wait_for "grep -q '\"type\":\"oom\"' '$BUNDLE/events'"
  assert_eq "$(grep '"type":"oom"' "$BUNDLE/events" | head -n 1)" "{\"type\":\"oom\",\"id\":\"$ID\"}" \
    "the oom event (runc's form)"
  # When the container stops, events ends, with status 0.
  rt kill "$ID" KILL
  wait "$events_pid"
}

# crun's own test suite (tests/conformance/run) calls every runtime with
# `--cgroup-manager cgroupfs` and `run --config config.json`: every case
# failed on "unknown flag" before.
test_crun_cgroup_manager_and_config_flags() {
  new_bundle echo from-config
  jq '.process.args = ["echo", "from-other"]' "$BUNDLE/config.json" >"$BUNDLE/other.json"
  assert_eq "$(cd "$BUNDLE" && rt --cgroup-manager cgroupfs run --config config.json "$ID" </dev/null)" \
    from-config "run --config config.json"
  # Relative to the bundle, as crun reads it; the bundle's config.json is not read.
  assert_eq "$(rt run --bundle "$BUNDLE" --config other.json "$ID" </dev/null)" from-other \
    "run --config other.json"
  assert_eq "$(rt run --bundle "$BUNDLE" --config "$BUNDLE/other.json" "$ID" </dev/null)" from-other \
    "run --config with an absolute path"
  rt create --bundle "$BUNDLE" --config other.json "$ID"
  assert_eq "$(jq -c .process.args "$STATE/$ID/config.json")" '["echo","from-other"]' "saved config"
  rt delete --force "$ID"
  assert_fails rt run --bundle "$BUNDLE" --config missing.json "$ID"
  assert_contains "$ERR" "missing.json"
  assert_no_leftovers
  assert_fails rt --cgroup-manager disabled list
  assert_eq "$ERR" 'capsule-runtime: --cgroup-manager: expected cgroupfs or systemd, got "disabled"'
}
