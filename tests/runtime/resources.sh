# linux.resources and `update`, read back from the container's cgroup files
# (inside the container through its cgroup mount, and on the host through
# /proc/<init>/cgroup), and the limits' effects (fork and device refusals).
source "$TOP/tests/runtime/lib-runtime.sh"
source "$TOP/tests/runtime/lib-features.sh"

# The host directory of the container's group in the hierarchy holding
# controller $1 ("unified" for the v2 tree), found from /proc/$2/cgroup.
cg_dir() { # controller pid
  local ctl=$1 pid=$2 line
  if [ "$ctl" = unified ]; then
    line=$(grep '^0::' /proc/"$pid"/cgroup)
    echo "/sys/fs/cgroup/unified${line#0::}"
    return
  fi
  line=$(awk -F: -v c="$ctl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $2 ":" $3 }' \
    /proc/"$pid"/cgroup)
  [ -n "$line" ] || fail "no $ctl hierarchy in /proc/$pid/cgroup"
  echo "/sys/fs/cgroup/${line%%:*}${line#*:}"
}

# The value of a cgroup file of the running container $ID.
cg_read() { # controller file
  cat "$(cg_dir "$1" "$PID")/$2"
}

need_v1() {
  [ -d /sys/fs/cgroup/"$1" ] && [ "$(stat -f -c %T /sys/fs/cgroup/"$1")" = cgroupfs ] ||
    skip "no cgroup v1 $1 hierarchy on this host"
}

test_memory_limit_reservation_and_swap() {
  need_v1 memory
  [ -f /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting (memsw)"
  new_bundle
  cfg '.linux.resources.memory = {limit: 67108864, reservation: 33554432, swap: 134217728}'
  out=$(run_sh 'cd /sys/fs/cgroup/memory && cat memory.limit_in_bytes memory.soft_limit_in_bytes memory.memsw.limit_in_bytes')
  assert_eq "$(tr '\n' ' ' <<<"$out")" "67108864 33554432 134217728 " "limit, reservation, memsw"
}

test_memory_limit_is_enforced() {
  need_v1 memory
  new_bundle dd if=/dev/zero of=/dev/null bs=64M count=1
  cfg '.linux.resources.memory = {limit: 16777216, swap: 16777216}'
  RC=0
  rt run --bundle "$BUNDLE" "$ID" 2>/dev/null || RC=$?
  assert_eq "$RC" 137 "exit code of a process over its memory limit (OOM kill)"
  cfg '.linux.resources.memory = {limit: 134217728, swap: 134217728}'
  rt run --bundle "$BUNDLE" "$ID" 2>/dev/null
  assert_no_leftovers
}

test_swap_below_the_memory_limit_is_refused() {
  need_v1 memory
  new_bundle
  cfg '.linux.resources.memory = {limit: 16777216, swap: 8388608}'
  assert_run_refused "swap"
}

test_cpu_shares_quota_period() {
  need_v1 cpu
  new_bundle
  cfg '.linux.resources.cpu = {shares: 512, quota: 25000, period: 50000}'
  out=$(run_sh 'cd /sys/fs/cgroup/cpu && cat cpu.shares cpu.cfs_quota_us cpu.cfs_period_us')
  assert_eq "$(tr '\n' ' ' <<<"$out")" "512 25000 50000 " "shares, quota, period"
}

test_cpuset_cpus_and_mems() {
  need_v1 cpuset
  [ "$(nproc --all)" -ge 2 ] || skip "needs two CPUs"
  new_bundle
  cfg '.linux.resources.cpu = {cpus: "1", mems: "0"}'
  out=$(run_sh 'cat /sys/fs/cgroup/cpuset/cpuset.cpus /sys/fs/cgroup/cpuset/cpuset.mems
                grep ^Cpus_allowed_list: /proc/self/status | cut -f2; nproc')
  assert_eq "$(tr '\n' ' ' <<<"$out")" "1 0 1 1 " "cpuset.cpus, cpuset.mems, allowed cpus, nproc"
}

test_pids_limit_stops_forks() {
  need_v1 pids
  new_bundle
  cfg '.linux.resources.pids = {limit: 8}'
  # busybox sh gives up at the first failed fork: an inner shell counts the
  # children it started, the outer one reports with builtins only.
  out=$(run_sh '
    cat /sys/fs/cgroup/pids/pids.max
    sh -c "i=0; while [ \$i -lt 20 ]; do sleep 5 & i=\$((i + 1)); echo \$i >/tmp/n; done" 2>/tmp/err
    echo "exit $?"
    read -r n </tmp/n; read -r err </tmp/err
    echo "started $n: $err"')
  assert_eq "$(sed -n 1p <<<"$out")" 8 pids.max
  assert_eq "$(sed -n 2p <<<"$out")" "exit 2" "exit status of the forking shell"
  # The two shells and six children make eight.
  assert_eq "$(sed -n 3p <<<"$out")" "started 6: sh: can't fork: Resource temporarily unavailable" \
    "children started under a limit of 8"
}

# Whether a new group in the blkio hierarchy has a weight file.
host_has_blkio_weight() {
  local probe=/sys/fs/cgroup/blkio/capsule-probe-$$ r=1
  mkdir "$probe" 2>/dev/null || return 1
  [ -f "$probe/blkio.weight" ] || [ -f "$probe/blkio.bfq.weight" ] && r=0
  rmdir "$probe"
  return $r
}

test_blkio_weight() {
  need_v1 blkio
  new_bundle
  cfg '.linux.resources.blockIO = {weight: 300}'
  if host_has_blkio_weight; then
    out=$(run_sh 'cd /sys/fs/cgroup/blkio; cat blkio.weight 2>/dev/null || cat blkio.bfq.weight')
    assert_match "$out" "(^| )300$" "blkio weight"
  else
    # This host's block scheduler has no weights: the runtime must say so.
    assert_run_refused "weight"
  fi
}

test_device_rules_deny_unlisted_devices() {
  need_v1 devices
  [ -b /dev/loop0 ] || skip "no /dev/loop0 on the host"
  new_bundle
  mkdir -p "$BUNDLE/rootfs/opt/nodes"
  mknod -m 600 "$BUNDLE/rootfs/opt/nodes/loop0" b 7 0
  # The default config denies every device, then allows the standard ones.
  assert_eq "$(jq -c '.linux.resources.devices[0]' "$BUNDLE/config.json")" \
    '{"allow":false,"access":"rwm"}' "the default config's first device rule"
  out=$(run_sh 'head -c 1 /opt/nodes/loop0 >/dev/null 2>/tmp/err && echo opened || cat /tmp/err
                head -c 1 /dev/zero | wc -c')
  assert_contains "$out" "Operation not permitted" "opening a device not in the rules"
  assert_eq "$(tail -n 1 <<<"$out")" 1 "a default device still works"

  cfg '.linux.resources.devices += [{allow: true, type: "b", major: 7, minor: 0, access: "r"}]'
  out=$(run_sh 'head -c 1 /opt/nodes/loop0 >/dev/null && echo opened
                echo x 2>/dev/null >/opt/nodes/loop0 && echo wrote || echo write-refused')
  assert_eq "$out" $'opened\nwrite-refused' "a device allowed for reading only"
  assert_contains "$(run_sh 'cat /sys/fs/cgroup/devices/devices.list')" "b 7:0 r" devices.list
}

# As with runc, any node may be made ("m" for all), but not opened.
test_mknod_is_allowed_but_open_is_refused() {
  need_v1 devices
  new_bundle
  cfg '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
  out=$(run_sh 'mknod /tmp/loop b 7 0 && echo made
                head -c 1 /tmp/loop 2>&1 >/dev/null; true')
  assert_contains "$out" "made" "mknod of a block device"
  assert_contains "$out" "Operation not permitted" "opening it"
}

test_hugepage_limits() {
  [ -f /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages ] || skip "no 2MB huge pages"
  grep -qw hugetlb /proc/cgroups || skip "no hugetlb controller"
  new_bundle sleep 30
  cfg '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
  run_detached
  if grep -q '^[0-9]*:hugetlb:' /proc/"$PID"/cgroup; then
    assert_eq "$(cg_read hugetlb hugetlb.2MB.limit_in_bytes)" 4194304 "hugetlb.2MB.limit_in_bytes"
  else
    assert_eq "$(cg_read unified hugetlb.2MB.max)" 4194304 "hugetlb.2MB.max in the v2 tree"
  fi
}

test_update_each_flag() {
  need_v1 memory
  new_bundle sleep 30
  cfg '.linux.resources.memory = {limit: 67108864, swap: 67108864}'
  run_detached
  rt update --memory 100m --memory-swap 200m "$ID"
  assert_eq "$(cg_read memory memory.limit_in_bytes)" 104857600 "memory after --memory"
  assert_eq "$(cg_read memory memory.memsw.limit_in_bytes)" 209715200 "memsw after --memory-swap"
  rt update --memory-reservation 50m "$ID"
  assert_eq "$(cg_read memory memory.soft_limit_in_bytes)" 52428800 "--memory-reservation"
  rt update --cpu-shares 300 "$ID"
  assert_eq "$(cg_read cpu cpu.shares)" 300 "--cpu-shares"
  rt update --cpu-period 40000 "$ID"
  assert_eq "$(cg_read cpu cpu.cfs_period_us)" 40000 "--cpu-period"
  rt update --cpu-quota 20000 "$ID"
  assert_eq "$(cg_read cpu cpu.cfs_quota_us)" 20000 "--cpu-quota"
  rt update --cpu-quota -1 "$ID"
  assert_eq "$(cg_read cpu cpu.cfs_quota_us)" -1 "--cpu-quota -1"
  rt update --pids-limit 42 "$ID"
  assert_eq "$(cg_read pids pids.max)" 42 "--pids-limit"
  rt update --pids-limit -1 "$ID"
  assert_eq "$(cg_read pids pids.max)" max "--pids-limit -1"
  if [ "$(nproc --all)" -ge 2 ]; then
    rt update --cpuset-cpus 0 --cpuset-mems 0 "$ID"
    assert_eq "$(cg_read cpuset cpuset.cpus)" 0 "--cpuset-cpus"
    assert_eq "$(cg_read cpuset cpuset.mems)" 0 "--cpuset-mems"
    assert_eq "$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/"$PID"/status)" 0 "the init's cpus"
  fi
  if host_has_blkio_weight; then
    rt update --blkio-weight 200 "$ID"
    local d
    d=$(cg_dir blkio "$PID")
    assert_match "$(cat "$d/blkio.weight" 2>/dev/null || cat "$d/blkio.bfq.weight")" "(^| )200$" \
      "--blkio-weight"
  else
    assert_fails rt update --blkio-weight 200 "$ID"
    assert_contains "$ERR" "weight"
  fi
  # The container is still running and the limits are visible from inside.
  assert_eq "$(status_of)" running
}

test_update_with_bad_values_is_refused() {
  new_bundle sleep 30
  run_detached
  assert_fails rt update --memory lots "$ID"
  assert_contains "$ERR" "--memory"
  assert_fails rt update --cpu-period 0 "$ID"
  assert_contains "$ERR" "--cpu-period"
  assert_fails rt update "$ID"
  assert_contains "$ERR" "nothing to update"
  assert_fails rt update --pids-limit 5 no-such-container
  assert_contains "$ERR" "no-such-container"
}

test_update_resources_file_and_stdin() {
  need_v1 memory
  new_bundle sleep 30
  run_detached
  cat >"$BUNDLE/res.json" <<'EOF'
{"memory": {"limit": 94371840}, "cpu": {"shares": 700, "quota": 30000, "period": 60000},
 "pids": {"limit": 33}}
EOF
  rt update --resources "$BUNDLE/res.json" "$ID"
  assert_eq "$(cg_read memory memory.limit_in_bytes)" 94371840 "memory from the file"
  assert_eq "$(cg_read cpu cpu.shares)" 700 "cpu shares from the file"
  assert_eq "$(cg_read cpu cpu.cfs_quota_us)" 30000 "cpu quota from the file"
  assert_eq "$(cg_read cpu cpu.cfs_period_us)" 60000 "cpu period from the file"
  assert_eq "$(cg_read pids pids.max)" 33 "pids from the file"
  echo '{"pids": {"limit": 44}, "memory": {"limit": 83886080}}' | rt update --resources - "$ID"
  assert_eq "$(cg_read pids pids.max)" 44 "pids from stdin"
  assert_eq "$(cg_read memory memory.limit_in_bytes)" 83886080 "memory from stdin"
  # Inside, the container sees the new limits.
  assert_eq "$(rt exec "$ID" cat /sys/fs/cgroup/pids/pids.max)" 44 "pids.max inside"
  assert_fails rt update --resources - "$ID" <<<'{"pids": '
  assert_contains "$ERR" "invalid JSON"
  echo '{"pids": {"limit": "many"}}' >"$BUNDLE/bad.json"
  assert_fails rt update --resources "$BUNDLE/bad.json" "$ID"
  assert_contains "$ERR" "pids.limit"
  assert_fails rt update --resources "$BUNDLE/res.json" --pids-limit 3 "$ID"
  assert_contains "$ERR" "not both"
  assert_eq "$(cg_read pids pids.max)" 44 "pids after refused updates"
}

test_cgroups_path_absolute() {
  need_v1 memory
  new_bundle sleep 30
  local path=/capsule-test-abs-$ID
  cfg ".linux.cgroupsPath = \"$path\" | .linux.resources.memory = {limit: 50331648}"
  run_detached
  [ -d /sys/fs/cgroup/memory$path ] || fail "no group at /sys/fs/cgroup/memory$path"
  assert_eq "$(cat /sys/fs/cgroup/memory$path/memory.limit_in_bytes)" 50331648 "limit at the path"
  assert_eq "$(awk -F: '$2 == "memory" {print $3}' /proc/"$PID"/cgroup)" "$path" "the init's group"
  grep -qx "$PID" /sys/fs/cgroup/pids$path/cgroup.procs || fail "init not in the pids group"
  rt delete --force "$ID"
  [ ! -d /sys/fs/cgroup/memory$path ] || fail "group left behind at $path"
  assert_no_leftovers
}

test_cgroups_path_relative() {
  need_v1 memory
  new_bundle sleep 30
  cfg ".linux.cgroupsPath = \"capsule-rel-$ID/inner\""
  run_detached
  own=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
  want="${own%/}/capsule-rel-$ID/inner"
  assert_eq "$(awk -F: '$2 == "memory" {print $3}' /proc/"$PID"/cgroup)" "$want" \
    "the init's group, relative to the runtime's own"
  defer "find /sys/fs/cgroup -maxdepth 6 -type d -name 'capsule-rel-$ID' -exec rmdir {} + 2>/dev/null"
  rt delete --force "$ID"
  [ ! -d "/sys/fs/cgroup/memory$want" ] || fail "group left behind at $want"
}

test_bad_cgroups_path_is_refused() {
  new_bundle
  cfg '.linux.cgroupsPath = "/a/../../escape"'
  assert_run_refused "cgroupsPath"
}

test_bad_resource_values_are_refused() {
  new_bundle
  cfg '.linux.resources.cpu = {shares: "lots"}'
  assert_run_refused "linux.resources.cpu.shares"
  cfg '.linux.resources.cpu = {cpus: "0-999"}'
  assert_run_refused "cpus"
}

# On a hybrid host the v2 tree holds only what its controllers offer
# (hugetlb here): a unified key for it is written, another one refused.
test_unified_on_a_hybrid_host() {
  [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] || skip "not a hybrid host"
  grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.subtree_control || skip "no hugetlb in the v2 tree"
  new_bundle cat /sys/fs/cgroup/unified/hugetlb.2MB.max
  cfg '.linux.resources.unified = {"hugetlb.2MB.max": "6291456"}'
  assert_eq "$(rt run --bundle "$BUNDLE" "$ID")" 6291456 "hugetlb.2MB.max inside"
  cfg '.linux.resources.unified = {"memory.high": "100000000"}'
  assert_run_refused "linux.resources.unified.memory.high" "not available"
}
