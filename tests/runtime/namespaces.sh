# Namespaces: new ones, joined ones by path, user namespaces with id maps,
# cgroup and time namespaces. Observed from inside the container.
source "$TOP/tests/runtime/lib-runtime.sh"

ns_inode() { # pid type
  stat -L -c %i "/proc/$1/ns/$2"
}

# in_user_namespace HOST-UID HOST-GID: the bundle's container gets a new
# user namespace whose root is HOST-UID/HOST-GID, which own its rootfs
# (no cgroup or sysfs mounts: they need privileges over the host).
in_user_namespace() {
  cfg ".linux.namespaces += [{\"type\": \"user\"}]
       | .linux.uidMappings = [{\"containerID\": 0, \"hostID\": $1, \"size\": 65536}]
       | .linux.gidMappings = [{\"containerID\": 0, \"hostID\": $2, \"size\": 65536}]
       | .mounts = [.mounts[] | select(.type != \"cgroup\" and .type != \"sysfs\")]"
  chown -R "$1:$2" "$BUNDLE/rootfs"
  chmod 755 "$BUNDLE"
}

test_default_namespaces_are_new() {
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  pid=$(rt state "$ID" | jq -r .pid)
  for ns in pid net ipc uts mnt cgroup; do
    assert_ne "$(ns_inode "$pid" $ns)" "$(ns_inode $$ $ns)" "$ns namespace inode"
  done
  # Not asked for: shared with the host.
  assert_eq "$(ns_inode "$pid" user)" "$(ns_inode $$ user)" "user namespace inode"
}

test_pid_one_and_hostname_inside() {
  new_bundle
  cfg '.hostname = "box1" | .domainname = "example.org"'
  out=$(run_sh 'echo $$; hostname; cat /proc/sys/kernel/domainname; ls /proc | grep -c "^[0-9]"')
  assert_eq "$(sed -n 1p <<<"$out")" 1 "pid of the shell"
  assert_eq "$(sed -n 2p <<<"$out")" box1 "hostname"
  assert_eq "$(sed -n 3p <<<"$out")" example.org "domainname"
  # The shell and ls (and grep): nothing of the host is visible.
  [ "$(sed -n 4p <<<"$out")" -le 3 ] || fail "host processes visible: $(sed -n 4p <<<"$out")"
}

test_network_namespace_has_only_loopback() {
  new_bundle
  out=$(run_sh 'ls /sys/class/net | tr "\n" " "')
  assert_eq "$out" "lo " "network interfaces"
}

test_join_namespace_by_path() {
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  pid=$(rt state "$ID" | jq -r .pid)
  # A second container joins the first one's network and uts namespaces.
  b2=$(mktemp -d /tmp/capsule-rt.XXXXXX)
  defer "rm -rf --one-file-system '$b2'"
  cp -a "$BUNDLE/rootfs" "$b2/rootfs"
  jq --arg net "/proc/$pid/ns/net" --arg uts "/proc/$pid/ns/uts" \
    '.process.args = ["sh", "-c", "readlink /proc/self/ns/net; hostname"] | del(.hostname)
     | .linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = $net
       elif .type == "uts" then .path = $uts else . end]' "$BUNDLE/config.json" >"$b2/config.json"
  out=$(rt run --bundle "$b2" "$ID-2")
  assert_eq "$(sed -n 1p <<<"$out")" "$(readlink /proc/$pid/ns/net)" "joined network namespace"
  assert_eq "$(sed -n 2p <<<"$out")" capsule "hostname of the joined uts namespace"
}

test_join_pid_namespace() {
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  pid=$(rt state "$ID" | jq -r .pid)
  b2=$(mktemp -d /tmp/capsule-rt.XXXXXX)
  defer "rm -rf --one-file-system '$b2'"
  cp -a "$BUNDLE/rootfs" "$b2/rootfs"
  jq --arg p "/proc/$pid/ns/pid" '.process.args = ["sh", "-c", "echo $$; cat /proc/1/cmdline | tr \"\\\\0\" \" \""]
     | .linux.namespaces = [.linux.namespaces[] | if .type == "pid" then .path = $p else . end]' \
    "$BUNDLE/config.json" >"$b2/config.json"
  out=$(rt run --bundle "$b2" "$ID-2")
  # Not pid 1: the namespace's init is the first container's sleep.
  assert_ne "$(sed -n 1p <<<"$out")" 1 "pid in a joined pid namespace"
  assert_contains "$(sed -n 2p <<<"$out")" "sleep 30"
}

# A mount namespace joined by path (the OCI validation's linux_ns_path joins
# an unshare'd process's): the root is built in it, as runc does, so the
# container runs in that namespace on its own rootfs. The runtime's own
# namespace, or its pid 1's, is refused: pivot_root would move their root.
test_join_mount_namespace_by_path() {
  new_bundle
  unshare -m --propagation private sh -c "mount -t tmpfs holder-$ID /mnt && exec sleep 60" &
  local holder=$!
  defer "kill $holder"
  wait_for "grep -q holder-$ID /proc/$holder/mountinfo" 50
  cfg ".linux.namespaces |= map(if .type == \"mount\" then .path = \"/proc/$holder/ns/mnt\" else . end)"
  echo in-rootfs >"$BUNDLE/rootfs/marker"
  out=$(run_sh 'readlink /proc/self/ns/mnt; cat /marker')
  assert_eq "$out" "$(readlink /proc/$holder/ns/mnt)"$'\nin-rootfs' "namespace and root of the container"
  assert_no_leftovers
  for path in /proc/self/ns/mnt /proc/1/ns/mnt; do
    cfg ".linux.namespaces |= map(if .type == \"mount\" then .path = \"$path\" else . end)"
    assert_fails rt run --bundle "$BUNDLE" "$ID"
    # Where pid 1's namespace cannot even be opened (a sandbox), that is the error.
    [[ $path == /proc/1/* && $ERR == *"$path: Permission denied" ]] ||
      assert_contains "$ERR" "mount namespace $path is the runtime's own or its pid 1's"
    assert_eq "$(wc -l <<<"$ERR")" 1 "lines of error output"
    assert_no_leftovers
  done
  [ "$(stat -c %i /)" = "$(stat -c %i "/proc/$$/root/")" ] || fail "the test's root moved"
}

test_bad_namespace_path_fails_cleanly() {
  new_bundle
  cfg '.linux.namespaces += [] | .linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = "/proc/999999999/ns/net" else . end]'
  assert_fails rt run --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "/proc/999999999/ns/net"
  assert_no_leftovers
}

test_user_namespace_maps() {
  new_bundle
  in_user_namespace 100000 200000
  out=$(run_sh 'cat /proc/self/uid_map /proc/self/gid_map; id -u; grep CapEff /proc/self/status')
  assert_match "$(sed -n 1p <<<"$out")" "^ +0 +100000 +65536$" "uid_map"
  assert_match "$(sed -n 2p <<<"$out")" "^ +0 +200000 +65536$" "gid_map"
  assert_eq "$(sed -n 3p <<<"$out")" 0 "uid inside"
}

# In a user namespace the device nodes are binds of the host's: they are
# nosuid,noexec (as with crun; runc 1.1 keeps the host /dev's flags), and
# still work.
test_user_namespace_device_binds_are_nosuid_noexec() {
  new_bundle
  in_user_namespace 100000 200000
  out=$(run_sh 'for d in null zero full random urandom tty; do
                  awk -v mp=/dev/$d '"'"'$5 == mp { print mp, $6 }'"'"' /proc/self/mountinfo; done
                head -c 3 /dev/zero | wc -c')
  assert_eq "$(wc -l <<<"$out")" 7 "a mount per node, and the bytes read: $out"
  assert_eq "$(tail -1 <<<"$out")" 3 "bytes read from the bound /dev/zero"
  local mp opts
  while read -r mp opts; do
    assert_match "$opts" "(^|,)nosuid(,|$)" "options of $mp"
    assert_match "$opts" "(^|,)noexec(,|$)" "options of $mp"
  done < <(sed '$d' <<<"$out")
}

test_user_namespace_process_runs_as_host_uid() {
  new_bundle sleep 30
  in_user_namespace 100000 100000
  rt run -d --bundle "$BUNDLE" "$ID"
  pid=$(rt state "$ID" | jq -r .pid)
  # From the host, the container's root is uid 100000.
  assert_eq "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" 100000 "host uid of the container's root"
  # It is still in the container's cgroups (joined before the user namespace).
  assert_eq "$(cg_path_of pids "$pid")" "/$ID" "pids cgroup of a user-namespaced init"
}

test_cgroup_namespace_root() {
  need_controller memory
  new_bundle
  cfg '.linux.resources.memory.limit = 67108864'
  local limit=memory.max line="0::/"
  if cg_is_v1 memory; then limit=memory/memory.limit_in_bytes line=":memory:/"; fi
  out=$(run_sh "cat /proc/self/cgroup /sys/fs/cgroup/$limit")
  # Inside its cgroup namespace the container's group is the root.
  assert_contains "$out" "$line"
  assert_not_contains "$out" "$ID"
  assert_eq "$(tail -n 1 <<<"$out")" 67108864 "memory limit read from inside"
}

test_time_namespace_offsets() {
  [ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
  new_bundle
  cfg '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 86400000, "nanosecs": 0}}'
  host=$(cut -d. -f1 /proc/uptime)
  inside=$(run_sh 'cut -d. -f1 /proc/uptime')
  diff=$((inside - host))
  [ "$diff" -ge 86399000 ] && [ "$diff" -le 86401000 ] || fail "uptime offset $diff, want about 86400000"
}

test_ipc_namespace_is_private() {
  new_bundle
  out=$(run_sh 'readlink /proc/self/ns/ipc')
  assert_ne "$out" "$(readlink /proc/self/ns/ipc)" "ipc namespace"
}

test_namespaced_sysctls_are_set_inside_only() {
  # Only in the container's new network, ipc and uts namespaces: the
  # host's values must not move.
  local before
  before=$(cat /proc/sys/net/core/somaxconn /proc/sys/kernel/shmmni /proc/sys/fs/mqueue/msg_max \
    /proc/sys/kernel/domainname)
  new_bundle
  cfg '.linux.sysctl = {"net.core.somaxconn": "321", "kernel.shmmni": "1234",
       "fs.mqueue.msg_max": "17", "kernel/domainname": "sysctl.example"}'
  out=$(run_sh 'cat /proc/sys/net/core/somaxconn /proc/sys/kernel/shmmni \
    /proc/sys/fs/mqueue/msg_max /proc/sys/kernel/domainname | tr "\n" " "')
  assert_eq "$out" "321 1234 17 sysctl.example " "sysctls inside"
  assert_eq "$(cat /proc/sys/net/core/somaxconn /proc/sys/kernel/shmmni \
    /proc/sys/fs/mqueue/msg_max /proc/sys/kernel/domainname)" "$before" "the host's values"
}

test_net_sysctl_in_a_joined_network_namespace() {
  # Another container's network namespace is not the host's: accepted.
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  pid=$(rt state "$ID" | jq -r .pid)
  local host
  host=$(cat /proc/sys/net/core/somaxconn)
  b2=$(mktemp -d /tmp/capsule-rt.XXXXXX)
  defer "rm -rf --one-file-system '$b2'"
  cp -a "$BUNDLE/rootfs" "$b2/rootfs"
  jq --arg net "/proc/$pid/ns/net" \
    '.process.args = ["cat", "/proc/sys/net/core/somaxconn"] | .linux.sysctl = {"net.core.somaxconn": "99"}
     | .linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = $net else . end]' \
    "$BUNDLE/config.json" >"$b2/config.json"
  assert_eq "$(rt run --bundle "$b2" "$ID-2")" 99 "somaxconn in the joined namespace"
  assert_eq "$(nsenter -t "$pid" -n cat /proc/sys/net/core/somaxconn)" 99 "seen by the first container"
  assert_eq "$(cat /proc/sys/net/core/somaxconn)" "$host" "the host's somaxconn"
}

# Inside a container: lo's flags, then a line sent over TCP to 127.0.0.1
# (busybox nc; the listener, on IPv4 or IPv6, is waited for in /proc/net,
# and so is the line). The listener's stdin never ends: at its end busybox
# nc may close the connection before it has read the line.
loopback_probe() {
  run_sh 'ip -o link show lo | cut -d" " -f3
    (sleep 20 | timeout 10 nc -l -p 5599 >/tmp/got) &
    i=0
    until cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -qi ":15DF [0-9A-F]*:0000 0A"; do
      i=$((i + 1)); [ $i -lt 250 ] || exit 9; usleep 20000
    done
    echo over-lo | timeout 10 nc 127.0.0.1 5599
    i=0
    until grep -q over-lo /tmp/got; do
      i=$((i + 1)); [ $i -lt 250 ] || break; usleep 20000
    done
    cat /tmp/got'
}

test_new_network_namespace_has_loopback_up() {
  # As runc and crun do; podman's --network container: relies on it.
  new_bundle
  out=$(loopback_probe)
  assert_match "$(sed -n 1p <<<"$out")" "^<LOOPBACK,UP" "lo's flags"
  assert_eq "$(sed -n 2p <<<"$out")" over-lo "a line over 127.0.0.1"
  # In a user namespace too: the network namespace is its own.
  new_bundle
  in_user_namespace 100000 100000
  out=$(loopback_probe)
  assert_match "$(sed -n 1p <<<"$out")" "^<LOOPBACK,UP" "lo's flags in a user namespace"
  assert_eq "$(sed -n 2p <<<"$out")" over-lo "a line over 127.0.0.1 in a user namespace"
}
