# podman's --memory and --pids-limit, applied by the runtime under test and
# observed from inside the container's cgroup (cgroup v1, hybrid or v2).
source "$TOP/tests/podman/podman-env.sh"

# The value of a cgroup file as the container sees it: the v1 controller's
# file if that hierarchy is mounted, else the v2 one.
read_cgroup='if [ -e "/sys/fs/cgroup/$1/$2" ]; then cat "/sys/fs/cgroup/$1/$2"; else cat "/sys/fs/cgroup/$3"; fi'

test_memory_limit() {
  podman_env_start
  local out id dir
  out=$(pm run --rm --memory 64m "$PODMAN_IMAGE" sh -c "$read_cgroup" sh memory memory.limit_in_bytes memory.max)
  assert_eq "$out" 67108864 "memory limit inside the container"
  # The same limit from the host, on the container's own cgroup.
  id=$(pm run -d --memory 64m "$PODMAN_IMAGE" sleep 1000)
  dir=$(pm_cgroup_dir "$id" memory)
  assert_contains "$dir" "$id" "container cgroup"
  if [ -f "$dir/memory.limit_in_bytes" ]; then
    assert_eq "$(cat "$dir/memory.limit_in_bytes")" 67108864 "memory.limit_in_bytes on the host"
  else
    assert_eq "$(cat "$dir/memory.max")" 67108864 "memory.max on the host"
  fi
  pm rm -f -t 0 "$id" >/dev/null
  # The limit holds: touching 64 MiB under a 32 MiB limit gets the
  # container OOM-killed (podman reports 128 + SIGKILL).
  assert_fails pm run --rm --memory 32m "$PODMAN_IMAGE" dd if=/dev/zero of=/dev/null bs=64M count=1
  assert_eq "$RC" 137 "exit code of a container over its memory limit"
  # Without a limit the same command succeeds.
  pm run --rm "$PODMAN_IMAGE" dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null
}

# A fork loop: a child shell starts up to 100 sleeps, until fork fails,
# recording how many it got in $forked.
fork_loop='sh -c "i=0; while [ \$i -lt 100 ]; do sleep 60 & i=\$((i+1)); echo \$i >/tmp/forked; done" 2>/dev/null
  read forked </tmp/forked'

test_pids_limit() {
  podman_env_start
  local out forked procs
  out=$(pm run --rm --pids-limit 32 "$PODMAN_IMAGE" sh -c "$read_cgroup" sh pids pids.max pids.max)
  assert_eq "$out" 32 "pids.max inside the container"
  # After the loop, the container's shell counts processes with builtins
  # only, as it cannot fork either.
  out=$(pm run --rm --pids-limit 32 "$PODMAN_IMAGE" sh -c "$fork_loop"'; set -- /proc/[0-9]*; echo "$forked $#"')
  echo "forked, processes: $out"
  forked=${out% *}
  procs=${out#* }
  [ "$forked" -lt 100 ] || fail "all 100 forks succeeded under --pids-limit 32"
  [ "$forked" -ge 20 ] || fail "only $forked forks succeeded under --pids-limit 32"
  [ "$procs" -le 32 ] || fail "$procs processes under --pids-limit 32"
  # Without the limit, the same loop forks all 100.
  out=$(pm run --rm "$PODMAN_IMAGE" sh -c "$fork_loop"'; echo "$forked"')
  assert_eq "$out" 100 "forks without a limit"
}
