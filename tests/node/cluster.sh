# `capsule node` on a cluster of network-namespace hosts (scripts/cluster,
# docs/NODE.md): the ring forms, a host with the wrong key is refused, an
# overloaded host is relieved by a cold move, and an agent killed is
# skipped without any container being lost or run twice.

cluster_up() { # N
  [ "$(id -u)" = 0 ] || skip "needs root (network namespaces, cgroups)"
  command -v jq >/dev/null || skip "jq missing"
  export CLUSTER_NAME=capsule-cltest
  export CLUSTER_LIB=$(mktemp -d /tmp/capsule-cluster-lib.XXXXXX)
  export CLUSTER_RUN=$(mktemp -d /tmp/capsule-cluster-run.XXXXXX)
  rmdir "$CLUSTER_RUN"
  defer "$TOP/scripts/cluster" down
  "$TOP/scripts/cluster" up "$1"
}

cl() { "$TOP/scripts/cluster" exec "$@"; }

ring_size() { # hK
  cl "$1" capsule node status --format json | jq '.ring | length'
}

# Every container name running anywhere in the cluster, one a line, sorted.
running_everywhere() { # N
  local k
  for k in $(seq 1 "$1"); do cl "h$k" capsule ps --format '{{.Names}}'; done | sort
}

one_container_each() {
  local h
  for h in h1 h2 h3 h4; do [ "$(cl $h capsule ps -a -q | wc -l)" = 1 ] || return 1; done
}

test_ring_forms_and_a_wrong_key_is_refused() {
  cluster_up 4
  local k
  for k in 1 2 3 4; do wait_for "[ \"\$(ring_size h$k)\" = 4 ]" 100; done
  assert_eq "$(cl h3 capsule node status --format json | jq -r '[.ring[].slot] | sort | join(",")')" "1,2,3,4" "h3's ring"
  # Two overloads at once (h1 and h3, 0.6 CPU each on 0.5): two partitions
  # that must not wait on each other; each host ends with one container.
  local h n
  for h in h1 h3; do
    for n in 1 2; do
      cl $h capsule run -d --network none --cpus 0.3 --name "$h-$n" busybox sh -c 'while :; do :; done' >/dev/null
    done
  done
  wait_for one_container_each 400
  assert_eq "$(running_everywhere 4 | tr '\n' ' ')" "h1-1 h1-2 h3-1 h3-2 " "the containers, once each"
  for h in h1 h2 h3 h4; do cl $h capsule rm -f $(cl $h capsule ps -q) >/dev/null; done
  # h4 comes back with a key of its own: nobody lets it in, it lets nobody in.
  "$TOP/scripts/cluster" stop-agent h4
  assert_fails cl h4 capsule node init
  assert_contains "$ERR" "exists"
  rm "$CLUSTER_LIB/h4/node/key"
  cl h4 capsule node init >/dev/null
  "$TOP/scripts/cluster" start-agent h4
  wait_for "cl h1 capsule node events --format json | jq -e 'map(select(.type == \"peer-refused\" and (.peer | startswith(\"10.77.0.4\")))) | length > 0'" 100
  wait_for "[ \"\$(ring_size h1)\" = 3 ]" 100
  sleep 2
  assert_eq "$(ring_size h4)" 1 "the intruder's ring"
  assert_eq "$(ring_size h2)" 3 "h2's ring"
  # leave: the agent stops and the others drop it at once.
  cl h3 capsule node leave
  wait_for "[ \"\$(ring_size h1)\" = 2 ]" 20
  assert_fails cl h3 capsule node status
  "$TOP/scripts/cluster" down
  assert_eq "$(ip netns list | grep -c "^$CLUSTER_NAME-" || true)" 0 "namespaces left"
  assert_eq "$(find /sys/fs/cgroup -maxdepth 2 -name "$CLUSTER_NAME" | wc -l)" 0 "cgroups left"
  [ ! -e "$CLUSTER_LIB" ] && [ ! -e "$CLUSTER_RUN" ] || fail "cluster directories left"
}

test_overload_relieved_while_an_agent_is_dead() {
  cluster_up 4
  local k
  for k in 1 2 3 4; do wait_for "[ \"\$(ring_size h$k)\" = 4 ]" 100; done
  # h2 sits next to h1 on the ring and dies with a container of its own:
  # the token must go past it, and its container must stay.
  cl h2 capsule run -d --network none --cpus 0.1 --name idle2 busybox sleep 1000 >/dev/null
  kill -9 "$(cat "$CLUSTER_RUN/h2/agent.pid")"
  # h1: two busy containers of 0.3 CPU on 0.5: overloaded.
  local start=$SECONDS
  cl h1 capsule run -d --network none --cpus 0.3 --name b1 busybox sh -c 'while :; do :; done' >/dev/null
  cl h1 capsule run -d --network none --cpus 0.3 --name b2 busybox sh -c 'while :; do :; done' >/dev/null
  wait_for "[ \"\$(cl h1 capsule ps -q | wc -l)\" = 1 ] && [ \"\$(running_everywhere 4 | tr '\n' ' ')\" = 'b1 b2 idle2 ' ]" 300
  local took=$((SECONDS - start))
  echo "relieved in ${took}s" >&2
  local ev
  ev=$(cl h1 capsule node events --format json | jq -c '[.[] | select(.type == "migration" and .outcome == "ok")][0]')
  assert_ne "$ev" null "h1's migration event"
  local to
  to=$(jq -r .to <<<"$ev")
  assert_ne "$to" "10.77.0.2:7946" "the destination (h2's agent is dead)"
  # The moved container runs at its destination, as itself.
  local h=h${to#10.77.0.}
  h=${h%:7946}
  cl "$h" capsule ps --format '{{.Names}}' | grep -qx "b[12]" || fail "nothing arrived on $h"
  assert_eq "$(cl "$h" capsule exec "$(cl "$h" capsule ps -q | head -n 1)" cat /proc/1/cmdline | tr '\0' ' ')" "sh -c while :; do :; done " "the moved command"
  # Nothing stopped nor left behind on h1, nothing running twice.
  assert_eq "$(cl h1 capsule ps -a -q | wc -l)" 1 "h1's containers, stopped ones included"
  assert_eq "$(running_everywhere 4 | uniq -d)" "" "containers running twice"
  # The dead agent's host is skipped by the ring after the timeout.
  wait_for "[ \"\$(ring_size h1)\" = 3 ]" 100
  # h1's agent restarts: it keeps its container's VE id and finds its ring.
  local ve
  ve=$(cl h1 capsule node status --format json | jq -r '.containers[0].ve')
  "$TOP/scripts/cluster" stop-agent h1
  "$TOP/scripts/cluster" start-agent h1
  wait_for "[ \"\$(ring_size h1)\" = 3 ] && [ \"\$(cl h1 capsule node status --format json | jq -r '.containers[0].ve')\" = $ve ]" 100
}

test_moves_in_doubt_are_resolved_by_asking_the_destination() {
  cluster_up 3
  local k
  for k in 1 2 3; do wait_for "[ \"\$(ring_size h$k)\" = 3 ]" 100; done
  # A move from h2 to h3 whose answer never came: h3 does not run it, so
  # h2 starts its stopped copy again.
  local gone kept there ve
  gone=$(cl h2 capsule run -d --network none --name gone busybox sleep 1000)
  cl h2 capsule stop -t 0 gone >/dev/null
  echo "$gone 10.77.0.3:7946" >"$CLUSTER_LIB/h2/node/doubt/700"
  # Another one that did arrive: h3 runs it (under the VE id it got there),
  # so h2 removes its copy.
  there=$(cl h3 capsule run -d --network none --name there busybox sleep 1000)
  wait_for "cl h3 capsule node status --format json | jq -e '.containers[] | select(.id == \"$there\")'" 50
  ve=$(cl h3 capsule node status --format json | jq -r ".containers[] | select(.id == \"$there\") | .ve")
  kept=$(cl h2 capsule create --network none --name copy busybox sleep 1000)
  echo "$kept 10.77.0.3:7946" >"$CLUSTER_LIB/h2/node/doubt/$ve"
  wait_for "[ -z \"\$(ls $CLUSTER_LIB/h2/node/doubt)\" ]" 100
  assert_eq "$(cl h2 capsule ps --format '{{.Names}}')" gone "h2's running containers"
  assert_eq "$(cl h2 capsule ps -a --format '{{.Names}}')" gone "h2's containers"
  assert_eq "$(cl h2 capsule node events --format json | jq -r '[.[] | select(.type == "doubt-resolved") | .action] | sort | join(",")')" "removed,started"
}
