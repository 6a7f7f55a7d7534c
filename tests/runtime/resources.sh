# linux.resources and `update`, read back from the container's cgroup files
# (inside the container through its cgroup mount, and on the host through
# /proc/<init>/cgroup), and the limits' effects (fork and device refusals).
source "$TOP/tests/runtime/lib-runtime.sh"
source "$TOP/tests/runtime/lib-features.sh"

# The value of a cgroup file of the running container $ID.
cg_read() { # controller file
  cat "$(cg_dir "$1" "$PID")/$2"
}

# cpu.shares as cgroup v2's cpu.weight (docs/CGROUPS.md, "Conversions"):
# ceil(10^((l^2 + 125 l)/612 - 7/34)) with l = log2(shares).
shares_to_weight() {
  awk -v s="$1" 'BEGIN { l = log(s) / log(2); w = 10 ^ ((l * l + 125 * l) / 612 - 7 / 34)
                         printf "%d\n", (w == int(w)) ? w : int(w) + 1 }'
}

test_memory_limit_reservation_and_swap() {
  need_controller memory
  new_bundle
  cfg '.linux.resources.memory = {limit: 67108864, reservation: 33554432, swap: 134217728}'
  if cg_is_v1 memory; then
    [ -f /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting (memsw)"
    out=$(run_sh 'cd /sys/fs/cgroup/memory && cat memory.limit_in_bytes memory.soft_limit_in_bytes memory.memsw.limit_in_bytes')
    assert_eq "$(tr '\n' ' ' <<<"$out")" "67108864 33554432 134217728 " "limit, reservation, memsw"
  else
    # v2 limits swap alone: memory.swap.max = swap - limit.
    out=$(run_sh 'cd /sys/fs/cgroup && cat memory.max memory.low memory.swap.max')
    assert_eq "$(tr '\n' ' ' <<<"$out")" "67108864 33554432 67108864 " "memory.max, memory.low, memory.swap.max"
  fi
}

# The OCI validation's linux_cgroups_memory sets both: capsule refused the
# container (runc and crun start it, ignoring kernel; crun sets kernelTCP).
test_kernel_memory_is_ignored_and_kernel_tcp_set_on_v1() {
  need_controller memory
  new_bundle
  cfg '.linux.resources.memory = {limit: 67108864, kernel: 50593792, kernelTCP: 50593792}'
  if cg_is_v1 memory; then
    out=$(run_sh 'cd /sys/fs/cgroup/memory && cat memory.limit_in_bytes memory.kmem.tcp.limit_in_bytes')
    assert_eq "$(tr '\n' ' ' <<<"$out")" "67108864 50593792 " "limit, kmem.tcp limit"
  else
    assert_eq "$(run_sh 'cat /sys/fs/cgroup/memory.max')" 67108864 "memory.max"
  fi
  assert_no_leftovers
}

test_memory_limit_is_enforced() {
  need_controller memory
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
  need_controller memory
  new_bundle
  cfg '.linux.resources.memory = {limit: 16777216, swap: 8388608}'
  assert_run_refused "swap"
}

test_cpu_shares_quota_period() {
  need_controller cpu
  new_bundle
  cfg '.linux.resources.cpu = {shares: 512, quota: 25000, period: 50000}'
  if cg_is_v1 cpu; then
    out=$(run_sh 'cd /sys/fs/cgroup/cpu && cat cpu.shares cpu.cfs_quota_us cpu.cfs_period_us')
    assert_eq "$(tr '\n' ' ' <<<"$out")" "512 25000 50000 " "shares, quota, period"
  else
    out=$(run_sh 'cd /sys/fs/cgroup && cat cpu.weight cpu.max')
    assert_eq "$(tr '\n' ' ' <<<"$out")" "$(shares_to_weight 512) 25000 50000 " "cpu.weight, cpu.max"
  fi
}

test_cpuset_cpus_and_mems() {
  need_controller cpuset
  [ "$(nproc --all)" -ge 2 ] || skip "needs two CPUs"
  new_bundle
  cfg '.linux.resources.cpu = {cpus: "1", mems: "0"}'
  out=$(run_sh "cd $(cg_inside cpuset)"'; cat cpuset.cpus cpuset.mems
                grep ^Cpus_allowed_list: /proc/self/status | cut -f2; nproc')
  assert_eq "$(tr '\n' ' ' <<<"$out")" "1 0 1 1 " "cpuset.cpus, cpuset.mems, allowed cpus, nproc"
}

test_pids_limit_stops_forks() {
  need_controller pids
  new_bundle
  cfg '.linux.resources.pids = {limit: 8}'
  # busybox sh gives up at the first failed fork: an inner shell counts the
  # children it started, the outer one reports with builtins only.
  out=$(run_sh "cat $(cg_inside pids)/pids.max"'
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

# The block I/O controller: blkio in v1, io in the v2 tree.
io_controller() {
  if cg_is_v1 blkio; then echo blkio; else echo io; fi
}

# Whether group directory $1 has a weight file (CFQ or BFQ on v1; BFQ or
# iocost on v2): which one exists depends on the I/O scheduler and kernel.
has_io_weight() {
  local f
  for f in blkio.weight blkio.bfq.weight io.bfq.weight io.weight; do [ -f "$1/$f" ] && return 0; done
  return 1
}

# Group directory $1 has block I/O weight $2 (10..1000): as given in the v1
# and BFQ files, converted to 1..10000 in io.weight (docs/CGROUPS.md).
assert_io_weight() { # dir weight
  local f
  for f in blkio.weight blkio.bfq.weight io.bfq.weight; do
    [ -f "$1/$f" ] || continue
    assert_match "$(head -n 1 "$1/$f")" "(^| )$2$" "$f"
    return
  done
  assert_eq "$(head -n 1 "$1/io.weight")" "default $((1 + ($2 - 10) * 9999 / 990))" io.weight
}

test_blkio_weight() {
  local ctl
  ctl=$(io_controller)
  need_controller "$ctl"
  new_bundle sleep 30
  cfg '.linux.resources.blockIO = {weight: 300}'
  RC=0
  rt run -d --bundle "$BUNDLE" "$ID" 2>"$BUNDLE/err" || RC=$?
  if [ "$RC" -eq 0 ]; then
    PID=$(rt state "$ID" | jq -r .pid)
    assert_io_weight "$(cg_dir "$ctl" "$PID")" 300
    return
  fi
  # Refused: only right where the group has no weight file to write.
  assert_contains "$(cat "$BUNDLE/err")" "weight"
  assert_no_leftovers
  cfg 'del(.linux.resources.blockIO)'
  run_detached
  ! has_io_weight "$(cg_dir "$ctl" "$PID")" || fail "weight refused, yet the group has a weight file"
}

# Device rules: v1's devices controller, or an eBPF program on the v2 tree.
need_device_rules() {
  cg_is_v1 devices || [ -n "$(cg_v2_root)" ] || skip "no devices controller and no v2 tree here"
}

# /dev/kmsg (c 1:11) is on every kernel and outside the default devices.
# The kernel checks the device rules before the driver's own checks; the
# driver refuses nothing to a writer, and nothing to a reader holding
# CAP_SYSLOG, so each refusal below comes from the rules. (Redirections
# are tried in subshells: a failed one ends a non-interactive sh.)
test_device_rules_deny_unlisted_devices() {
  need_device_rules
  new_bundle
  mkdir -p "$BUNDLE/rootfs/opt/nodes"
  mknod -m 600 "$BUNDLE/rootfs/opt/nodes/kmsg" c 1 11
  cfg '.process.capabilities |= with_entries(.value += ["CAP_SYSLOG"])'
  # The default config denies every device, then allows the standard ones.
  assert_eq "$(jq -c '.linux.resources.devices[0]' "$BUNDLE/config.json")" \
    '{"allow":false,"access":"rwm"}' "the default config's first device rule"
  out=$(run_sh '(true >/opt/nodes/kmsg) 2>&1 && echo opened-for-writing
                (true </opt/nodes/kmsg) 2>&1 && echo opened-for-reading
                head -c 1 /dev/zero | wc -c')
  assert_eq "$out" $'sh: can\'t create /opt/nodes/kmsg: Operation not permitted\nsh: can\'t open /opt/nodes/kmsg: Operation not permitted\n1' \
    "a device outside the rules, and a default device"

  cfg '.linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 11, access: "r"}]'
  out=$(run_sh '(true </opt/nodes/kmsg) 2>&1 && echo opened-for-reading
                (true >/opt/nodes/kmsg) 2>&1 && echo opened-for-writing; true')
  assert_eq "$out" $'opened-for-reading\nsh: can\'t create /opt/nodes/kmsg: Operation not permitted' \
    "a device allowed for reading only"
  if cg_is_v1 devices; then
    assert_contains "$(run_sh 'cat /sys/fs/cgroup/devices/devices.list')" "c 1:11 r" devices.list
  fi
}

# As with runc, any node may be made ("m" for all), but not opened.
test_mknod_is_allowed_but_open_is_refused() {
  need_device_rules
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
  if cg_is_v1 hugetlb; then
    assert_eq "$(cg_read hugetlb hugetlb.2MB.limit_in_bytes)" 4194304 "hugetlb.2MB.limit_in_bytes"
  else
    assert_eq "$(cg_read hugetlb hugetlb.2MB.max)" 4194304 "hugetlb.2MB.max in the v2 tree"
  fi
}

# A file of the running container $ID's group: v1's name and value where
# the controller is in a v1 hierarchy, else v2's.
assert_cg() { # controller v1-file v1-value v2-file v2-value what
  if cg_is_v1 "$1"; then
    assert_eq "$(cg_read "$1" "$2")" "$3" "$6 ($2)"
  else
    assert_eq "$(cg_read "$1" "$4")" "$5" "$6 ($4)"
  fi
}

test_update_each_flag() {
  need_controller memory
  need_controller cpu
  need_controller pids
  new_bundle sleep 30
  cfg '.linux.resources.memory = {limit: 67108864, swap: 67108864}'
  run_detached
  rt update --memory 100m --memory-swap 200m "$ID"
  assert_cg memory memory.limit_in_bytes 104857600 memory.max 104857600 "--memory"
  # v2 limits swap alone: 200m of memory+swap is 100m of swap.
  assert_cg memory memory.memsw.limit_in_bytes 209715200 memory.swap.max 104857600 "--memory-swap"
  rt update --memory-reservation 50m "$ID"
  assert_cg memory memory.soft_limit_in_bytes 52428800 memory.low 52428800 "--memory-reservation"
  rt update --cpu-shares 300 "$ID"
  assert_cg cpu cpu.shares 300 cpu.weight "$(shares_to_weight 300)" "--cpu-shares"
  rt update --cpu-period 40000 "$ID"
  assert_cg cpu cpu.cfs_period_us 40000 cpu.max "max 40000" "--cpu-period"
  rt update --cpu-quota 20000 "$ID"
  assert_cg cpu cpu.cfs_quota_us 20000 cpu.max "20000 40000" "--cpu-quota"
  rt update --cpu-quota -1 "$ID"
  assert_cg cpu cpu.cfs_quota_us -1 cpu.max "max 40000" "--cpu-quota -1"
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
  local io
  io=$(cg_dir "$(io_controller)" "$PID")
  if has_io_weight "$io"; then
    rt update --blkio-weight 200 "$ID"
    assert_io_weight "$io" 200
  else
    assert_fails rt update --blkio-weight 200 "$ID"
    assert_contains "$ERR" "weight"
  fi
  # The container is still running and the limits are visible from inside.
  assert_eq "$(status_of)" running
}

# Changing a running container's device rules on v1 must not take away,
# even for a moment, a device the old and the new rules both allow: a
# loop inside opens /dev/zero without a pause while the rules are
# rewritten 150 times (writing "deny all" first, as at create, showed
# gaps here).
test_update_devices_leaves_no_gap() {
  cg_is_v1 devices || skip "no v1 devices controller (v2 replaces its eBPF program at once)"
  new_bundle sh -c 'exec 2>/tmp/errors; while :; do true </dev/zero || echo gap >>/tmp/gaps; done'
  mkdir -p "$BUNDLE/rootfs/opt/nodes"
  mknod -m 644 "$BUNDLE/rootfs/opt/nodes/kmsg" c 1 11
  cfg '.process.capabilities |= with_entries(.value += ["CAP_SYSLOG"])'
  run_detached
  local deny='{"allow":false,"access":"rwm"}'
  local keep='{"allow":true,"type":"c","major":1,"minor":5,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}'
  local kmsg='{"allow":true,"type":"c","major":1,"minor":11,"access":"r"}'
  echo "{\"devices\": [$deny,$keep,$kmsg]}" >"$BUNDLE/with-kmsg.json"
  echo "{\"devices\": [$deny,$keep]}" >"$BUNDLE/without.json"
  for _ in $(seq 75); do
    rt update --resources "$BUNDLE/with-kmsg.json" "$ID"
    rt update --resources "$BUNDLE/without.json" "$ID"
  done
  assert_eq "$(rt exec "$ID" sh -c 'cat /tmp/gaps 2>/dev/null | wc -l')" 0 \
    "opens of /dev/zero refused while the rules changed"
  assert_eq "$(rt exec "$ID" sort /sys/fs/cgroup/devices/devices.list)" $'c 1:3 rwm\nc 1:5 rwm' \
    "the rules after the last update"
  rt update --resources "$BUNDLE/with-kmsg.json" "$ID"
  assert_eq "$(rt exec "$ID" sh -c '(true </opt/nodes/kmsg) 2>&1 && echo readable')" readable \
    "a device the update allowed"
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
  need_controller memory
  need_controller cpu
  new_bundle sleep 30
  run_detached
  cat >"$BUNDLE/res.json" <<'EOF'
{"memory": {"limit": 94371840}, "cpu": {"shares": 700, "quota": 30000, "period": 60000},
 "pids": {"limit": 33}}
EOF
  rt update --resources "$BUNDLE/res.json" "$ID"
  assert_cg memory memory.limit_in_bytes 94371840 memory.max 94371840 "memory from the file"
  assert_cg cpu cpu.shares 700 cpu.weight "$(shares_to_weight 700)" "cpu shares from the file"
  assert_cg cpu cpu.cfs_quota_us 30000 cpu.max "30000 60000" "cpu quota from the file"
  assert_cg cpu cpu.cfs_period_us 60000 cpu.max "30000 60000" "cpu period from the file"
  assert_eq "$(cg_read pids pids.max)" 33 "pids from the file"
  echo '{"pids": {"limit": 44}, "memory": {"limit": 83886080}}' | rt update --resources - "$ID"
  assert_eq "$(cg_read pids pids.max)" 44 "pids from stdin"
  assert_cg memory memory.limit_in_bytes 83886080 memory.max 83886080 "memory from stdin"
  # Inside, the container sees the new limits.
  assert_eq "$(rt exec "$ID" cat "$(cg_inside pids)/pids.max")" 44 "pids.max inside"
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
  need_controller memory
  need_controller pids
  new_bundle sleep 30
  local path=/capsule-test-abs-$ID
  cfg ".linux.cgroupsPath = \"$path\" | .linux.resources.memory = {limit: 50331648}"
  run_detached
  local mem
  mem=$(cg_dir memory "$PID")
  assert_eq "$(cg_path_of memory "$PID")" "$path" "the init's memory group"
  assert_eq "$(cg_path_of pids "$PID")" "$path" "the init's pids group"
  assert_eq "$(cat "$mem/$(memory_limit_file)")" 50331648 "limit at the path"
  grep -qx "$PID" "$(cg_dir pids "$PID")/cgroup.procs" || fail "init not in the pids group"
  rt delete --force "$ID"
  [ ! -d "$mem" ] || fail "group left behind at $mem"
  assert_no_leftovers
}

test_cgroups_path_relative() {
  need_controller memory
  new_bundle sleep 30
  cfg ".linux.cgroupsPath = \"capsule-rel-$ID/inner\""
  run_detached
  local own want mem
  own=$(cg_path_of memory self)
  cg_is_v1 memory || own=${own%/*} # v2: from our group's parent (the test below)
  want="${own%/}/capsule-rel-$ID/inner"
  assert_eq "$(cg_path_of memory "$PID")" "$want" "the init's group, relative to the runtime's own"
  defer "find /sys/fs/cgroup -maxdepth 6 -type d -name 'capsule-rel-$ID' -exec rmdir {} + 2>/dev/null"
  mem=$(cg_dir memory "$PID")
  rt delete --force "$ID"
  [ ! -d "$mem" ] || fail "group left behind at $mem"
}

# A runtime in a group that holds processes (a shell in a systemd session
# scope, a service) on a v2 tree: that group cannot hand controllers to
# children, so a relative cgroupsPath starts from its parent, as runc does
# on v2, and the v2 limits apply. Set up here with a scope of our own.
test_relative_path_from_a_v2_group_with_processes() {
  local v2 ctl res file want
  v2=$(cg_v2_root)
  [ -n "$v2" ] || skip "no v2 tree on this v1 host"
  if grep -qw memory "$v2/cgroup.controllers"; then
    ctl=memory res='.linux.resources.memory = {limit: 33554432}' file=memory.max want=33554432
  elif grep -qw hugetlb "$v2/cgroup.controllers" && [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]; then
    ctl=hugetlb res='.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
    file=hugetlb.2MB.max want=4194304
  else
    skip "neither memory nor hugetlb in the v2 tree"
  fi
  local top=$v2/capsule-scope-$$-$RANDOM home
  home=$(cg_dir unified "$BASHPID")
  mkdir "$top" "$top/session.scope"
  defer "rmdir '$top/session.scope' '$top'"
  echo "+$ctl" >"$v2/cgroup.subtree_control"
  echo "+$ctl" >"$top/cgroup.subtree_control"
  echo "$BASHPID" >"$top/session.scope/cgroup.procs"
  defer "echo $BASHPID >'$home/cgroup.procs'"
  new_bundle sh -c "cat $(cg_inside "$ctl")/$file; sleep 30"
  cfg "$res"
  rt run -d --bundle "$BUNDLE" "$ID" >"$BUNDLE/out"
  PID=$(rt state "$ID" | jq -r .pid)
  assert_eq "$(cg_dir unified "$PID")" "$top/$ID" "the container's group in the v2 tree"
  wait_for "[ -s '$BUNDLE/out' ]" 50
  assert_eq "$(cat "$BUNDLE/out")" "$want" "$file read inside"
  rt delete --force "$ID"
  assert_no_leftovers
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

# linux.resources.unified: written into the v2 tree and read back inside
# (on a hybrid host that tree holds only what its controllers offer, hugetlb
# here, and a key for another controller is refused); refused on v1 alone.
test_unified() {
  case $(cgroup_layout) in
  hybrid)
    grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.subtree_control || skip "no hugetlb in the v2 tree"
    new_bundle cat /sys/fs/cgroup/unified/hugetlb.2MB.max
    cfg '.linux.resources.unified = {"hugetlb.2MB.max": "6291456"}'
    assert_eq "$(rt run --bundle "$BUNDLE" "$ID")" 6291456 "hugetlb.2MB.max inside"
    cfg '.linux.resources.unified = {"memory.high": "100000000"}'
    assert_run_refused "linux.resources.unified.memory.high" "not available"
    ;;
  v2)
    need_controller memory
    new_bundle cat /sys/fs/cgroup/memory.high /sys/fs/cgroup/pids.max
    cfg '.linux.resources.unified = {"memory.high": "104857600", "pids.max": "55"}'
    assert_eq "$(rt run --bundle "$BUNDLE" "$ID" | tr '\n' ' ')" "104857600 55 " "memory.high, pids.max inside"
    cfg '.linux.resources.unified = {"memory.nosuch": "1"}'
    assert_run_refused "linux.resources.unified.memory.nosuch"
    ;;
  v1)
    new_bundle
    cfg '.linux.resources.unified = {"memory.high": "104857600"}'
    assert_run_refused "linux.resources.unified" "needs cgroup v2"
    ;;
  esac
}
