# podman driving the runtime under CPU load and across containers: issue 8's
# flakes, and what containers joining each other's namespaces rely on.
source "$TOP/tests/podman/podman-env.sh"

# --network container:A joins A's network namespace, which the runtime made
# (netns "none": lo only) and whose lo it brought up: a server on A's
# 127.0.0.1 answers a client in B.
test_network_container_reaches_the_other_on_loopback() {
  podman_env_start
  local a out
  a=$(pm run -d "$PODMAN_IMAGE" sh -c 'ip link show lo >/tmp/lo; echo hello | nc -l -p 8080 127.0.0.1')
  wait_for "pm exec $a sh -c 'netstat -ltn | grep -q 127.0.0.1:8080'" 100
  assert_contains "$(pm exec "$a" cat /tmp/lo)" "UP" "lo in A's network namespace"
  out=$(pm run --rm --network "container:$a" "$PODMAN_IMAGE" sh -c 'nc 127.0.0.1 8080 </dev/null')
  assert_eq "$out" hello "what B read from A's server on 127.0.0.1"
  pm rm -f -t 0 "$a" >/dev/null
  assert_no_trace_of "$a"
}

# A memory-limited run, PODMAN_LOAD_RUNS times (default 200) with every CPU
# busy: each must succeed (under load the runtime used to lose the init's
# error or race its device rules).
test_memory_limited_runs_under_load() {
  podman_env_start
  local i n=${PODMAN_LOAD_RUNS:-200} start=$SECONDS
  busy_cpus 300
  for ((i = 1; i <= n; i++)); do
    out=$(pm run --rm -m 64m "$PODMAN_IMAGE" echo "run $i" 2>&1) || fail "run $i: $out"
    assert_eq "$out" "run $i" "output of run $i"
  done
  echo "$n memory-limited runs under load in $((SECONDS - start)) s"
}
