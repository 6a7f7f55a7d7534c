# capsule networks: lo up in every container, /etc/hosts, /etc/hostname and
# /etc/resolv.conf as docker writes them, user networks where containers
# reach each other by name, published ports (-p, -P, port), and nothing of
# a container's network left after it is gone (docs/NETWORK.md).
# Traffic stays on loopback and the test's own namespaces and bridges.

source "$TOP/tests/engine/lib-engine.sh"

# A host port nothing listens on, away from the ephemeral range.
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 10000))
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  fail "no free port found"
}

net_setup() {
  [ -x /usr/lib/cni/bridge ] || fail "the CNI plugins are missing (scripts/deps/network.txt)"
  engine_setup
  defer net_teardown
}

# The test's containers, then its networks with their bridges (runs before
# engine_teardown, which removes the store).
net_teardown() {
  local n
  for id in $(cap ps -a -q --no-trunc 2>/dev/null); do cap rm -f "$id" >/dev/null 2>&1 || true; done
  for n in $(cap network ls --format json 2>/dev/null | grep -o '"Name": "[^"]*"' | cut -d'"' -f4); do
    case "$n" in bridge | host | none) ;; *) cap network rm "$n" >/dev/null 2>&1 || true ;; esac
  done
}

# Nothing of container $1 (full id) with address $2 (may be empty) is left:
# no network namespace, state, port claim or lease, veth, iptables rule.
# ($2 only on a network of the test's own: other suites' containers on the
# default network may take a freed address at once.)
assert_network_gone() {
  local id=$1 ip=${2:-}
  assert_eq "$(find "$RUNROOT/.net/ns" "$RUNROOT/.net/state" "$RUNROOT/.net/ports" -mindepth 1 2>/dev/null | grep -c "$id")" 0 "netns, state or port claim of $id"
  ! grep -rqs "$id" "$RUNROOT/.net/ipam" /run/capsule-net/ipam || fail "an address lease of $id is left"
  ! iptables-save | grep -q "$id" || fail "an iptables rule naming $id is left"
  if [ -n "$ip" ]; then
    ! iptables-save | grep -q -- "$ip/32" || fail "an iptables rule for $ip is left"
  fi
  ! grep -q "$RUNROOT/.net/ns/$id" /proc/self/mountinfo || fail "the network namespace bind of $id is left"
}

# The host side of container $1's veth (from the bridge plugin's result).
host_veth() {
  grep -o '"name":"veth[0-9a-f]*"' "$RUNROOT/.net/state/$1.json" | head -1 | cut -d'"' -f4
}

test_loopback_and_etc_files_without_a_network() {
  net_setup
  # The default network is none: only lo, and it is up.
  out=$(cap run --rm busybox sh -c 'ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags')
  assert_eq "$(echo "$out" | head -1)" lo "interfaces with no network"
  assert_eq "$(echo "$out" | sed -n 2p | grep -c 'unknown')" 1 "lo operstate"
  assert_eq "$(( $(echo "$out" | sed -n 3p) & 1 ))" 1 "lo is up (IFF_UP)"
  assert_eq "$(echo "$out" | wc -l)" 3 "interfaces with no network"
  # 127.0.0.1 is reachable inside: an httpd there answers wget.
  out=$(cap run --rm --network none --hostname box1 busybox sh -c \
    'httpd -p 127.0.0.1:8080 -h /etc && wget -q -O- http://127.0.0.1:8080/hostname')
  assert_eq "$out" box1 "wget from an httpd on 127.0.0.1 inside, /etc/hostname"
  # /etc/hosts as docker writes it, --add-host lines before the own one.
  out=$(cap run --rm --hostname box2 --add-host db:10.1.2.3 --add-host v6:fd00::1 busybox cat /etc/hosts)
  assert_contains "$out" "$(printf '127.0.0.1\tlocalhost')" "hosts"
  assert_contains "$out" "$(printf '::1\tlocalhost ip6-localhost ip6-loopback')" "hosts"
  assert_contains "$out" "$(printf '10.1.2.3\tdb')" "--add-host"
  assert_contains "$out" "$(printf 'fd00::1\tv6')" "--add-host IPv6"
  assert_eq "$(cap run --rm --hostname box2 busybox hostname)" box2 "--hostname"
  # resolv.conf: --dns replaces the nameservers; without it the host's,
  # minus loopback ones the container cannot reach.
  out=$(cap run --rm --dns 9.9.9.9 --dns 1.1.1.1 busybox cat /etc/resolv.conf)
  assert_eq "$(echo "$out" | grep nameserver | tr '\n' ' ')" "nameserver 9.9.9.9 nameserver 1.1.1.1 " "--dns"
  out=$(cap run --rm busybox cat /etc/resolv.conf)
  expected=$(grep '^nameserver' /etc/resolv.conf | grep -v -E 'nameserver (127\.|::1$)' || true)
  [ -n "$expected" ] || expected=$(printf 'nameserver 8.8.8.8\nnameserver 8.8.4.4')
  assert_eq "$(echo "$out" | grep nameserver)" "$expected" "resolv.conf from the host's"
  # Bad values are refused before anything is made.
  RC=0; err=$(cap run --rm --add-host nocolon busybox true 2>&1) || RC=$?
  assert_eq "$RC" 125 "bad --add-host"
  assert_eq "$(echo "$err" | wc -l)" 1 "one line: $err"
  RC=0; cap run --rm --dns not-an-ip busybox true 2>/dev/null || RC=$?
  assert_eq "$RC" 125 "bad --dns"
  RC=0; err=$(cap run --rm --network nosuchnet busybox true 2>&1) || RC=$?
  assert_eq "$RC" 125 "unknown network"
  assert_contains "$err" "network nosuchnet not found"
  assert_engine_clean
  assert_eq "$(find "$RUNROOT/.net/ns" "$RUNROOT/.net/state" -mindepth 1 2>/dev/null | wc -l)" 0 "network state left"
}

test_host_network() {
  net_setup
  out=$(cap run --rm --network host busybox sh -c 'ls /sys/class/net | sort; hostname')
  assert_eq "$(echo "$out" | head -n -1)" "$(ls /sys/class/net | sort)" "the host's interfaces"
  assert_eq "$(echo "$out" | tail -1)" "$(hostname)" "the host's hostname"
  RC=0; err=$(cap run --rm --network host -p 8080:80 busybox true 2>&1) || RC=$?
  assert_eq "$RC" 125 "-p with --network host"
  assert_engine_clean
}

test_user_network_by_name_and_rm_in_use() {
  net_setup
  id=$(cap network create testnet)
  assert_match "$id" '^[0-9a-f]{64}$' "network id"
  RC=0; err=$(cap network create testnet 2>&1) || RC=$?
  assert_eq "$RC" 1 "name taken (docker's status for a failed network command)"
  assert_contains "$err" "already exists"
  assert_contains "$(cap network ls)" "testnet"
  subnet=$(cap network inspect testnet | grep -o '"Subnet": "[^"]*"' | cut -d'"' -f4)
  assert_match "$subnet" '^10\.78\.[0-9]+\.0/24$' "an automatic subnet"
  web=$(cap run -d --name web --network testnet busybox httpd -f -p 80 -h /etc)
  out=$(cap run --rm --name client --network testnet busybox sh -c \
    'for i in 1 2 3 4 5 6 7 8 9 10; do timeout 3 wget -O- http://web/hostname 2>/dev/null && break; sleep 0.2; done')
  # (busybox 1.35's wget -q and -T crash when it resolves a name through a
  # static glibc without NSS modules: hence neither, and stderr dropped.)
  assert_eq "$out" "${web:0:12}" "the client reached web by name"
  # A container started later is known to the earlier ones: web's
  # /etc/hosts gains it.
  cap run -d --name late --network testnet busybox sleep 30 >/dev/null
  assert_contains "$(cat "$STORE/containers/$web/hosts")" "$(printf '\tlate')" "web's /etc/hosts names late"
  assert_contains "$(cap network inspect testnet)" '"Name": "web"' "network inspect lists web"
  ip=$(cap network inspect testnet | grep -A4 '"Name": "web"' | grep -o '"IPv4Address": "[^/]*' | cut -d'"' -f4)
  assert_match "$ip" '^10\.78\.' "web's address"
  RC=0; err=$(cap network rm testnet 2>&1) || RC=$?
  assert_eq "$RC" 1 "network rm of a network in use"
  assert_eq "$(echo "$err" | wc -l)" 1 "one line: $err"
  assert_contains "$err" "has active endpoints"
  veth=$(host_veth "$web")
  ip link show "$veth" >/dev/null || fail "no veth $veth for web"
  cap rm -f web >/dev/null
  # The kernel frees a veth whose namespace went away asynchronously.
  wait_for "! ip link show '$veth' >/dev/null 2>&1" 30
  assert_network_gone "$web" "$ip"
  assert_not_contains "$(cat "$STORE/containers/$(cap ps -q --no-trunc)/hosts")" "$(printf '\tweb')" "late's /etc/hosts forgets web"
  cap rm -f late >/dev/null
  bridge=br-${id:0:12}
  cap network rm testnet >/dev/null
  ! ip link show "$bridge" >/dev/null 2>&1 || fail "the bridge $bridge is left"
  assert_eq "$(cap network ls -q | wc -l)" 3 "bridge, host and none remain"
  RC=0; cap network rm bridge 2>/dev/null || RC=$?
  assert_eq "$RC" 1 "the predefined network cannot be removed"
  assert_engine_clean
}

test_connect_disconnect_and_prune() {
  net_setup
  cap network create --subnet 10.79.201.0/24 --gateway 10.79.201.254 neta >/dev/null
  cap network create --internal netb >/dev/null
  RC=0; cap network create --subnet 10.79.201.128/25 overlapping 2>/dev/null || RC=$?
  assert_eq "$RC" 1 "an overlapping subnet is refused"
  a=$(cap run -d --name a --network neta busybox sleep 30)
  cap network connect netb a
  out=$(cap run --rm --network netb busybox sh -c 'grep -w a /etc/hosts')
  # netb is --internal: no outbound NAT for its containers.
  ! iptables-save -t nat | grep -- "$a" | grep 'name: \\"netb\\"' | grep -q MASQUERADE ||
    fail "a masquerade rule on the internal network netb"
  assert_match "$out" '^10\.78\.[0-9]+\.[0-9]+	a$' "a resolves on netb once connected"
  cap network disconnect netb a
  RC=0; cap run --rm --network netb busybox grep -w a /etc/hosts >/dev/null || RC=$?
  assert_eq "$RC" 1 "a is gone from netb"
  assert_contains "$(cap network inspect neta)" '"Gateway": "10.79.201.254"' "--gateway"
  out=$(cap network prune -f)
  assert_eq "$out" "$(printf 'Deleted Networks:\nnetb')" "prune removes the unused network only"
  cap rm -f a >/dev/null
  assert_network_gone "$a"
  # Disconnected from the network its ports were published on, a container
  # no longer holds them: another may publish them.
  port=$(free_port)
  b=$(cap run -d --network neta -p "127.0.0.1:$port:80" busybox sleep 30)
  cap network disconnect neta "$b"
  assert_eq "$(cap port "$b")" "" "no port after the disconnect"
  c=$(cap run -d -p "127.0.0.1:$port:80" busybox sleep 30)
  cap rm -f "$b" "$c" >/dev/null
  assert_network_gone "$b"
  assert_network_gone "$c"
}

test_publish_ports() {
  net_setup
  port=$(free_port)
  web=$(cap run -d --name web -p "127.0.0.1:$port:80" busybox httpd -f -p 80 -h /etc)
  wait_for "wget -q -T 2 -O /dev/null http://127.0.0.1:$port/hostname" 50
  assert_eq "$(wget -q -T 2 -O- "http://127.0.0.1:$port/hostname")" "${web:0:12}" "wget from the host"
  assert_eq "$(cap port web)" "80/tcp -> 127.0.0.1:$port" "port"
  assert_eq "$(cap port web 80)" "127.0.0.1:$port" "port CONTAINER 80"
  assert_contains "$(cap ps)" "127.0.0.1:$port->80/tcp" "ps PORTS"
  # Outbound NAT on the default bridge network: the bridge plugin's
  # masquerade chain for this container (no traffic leaves the host here).
  iptables-save -t nat | grep -- "$web" | grep -q MASQUERADE || fail "no outbound NAT for web"
  # The same host port again: refused in one line, nothing left.
  before=$(cap ps -a -q | wc -l)
  RC=0; err=$(cap run -d -p "127.0.0.1:$port:81" busybox true 2>&1) || RC=$?
  assert_eq "$RC" 125 "a port already published"
  assert_eq "$(echo "$err" | wc -l)" 1 "one line: $err"
  assert_contains "$err" "port is already allocated"
  assert_eq "$(cap ps -a -q | wc -l)" "$before" "no container left by the refused run"
  assert_eq "$(ls "$RUNROOT/.net/state" | wc -l)" 1 "no network state left by the refused run"
  # A port a host process listens on: refused too.
  held=$(free_port)
  busybox httpd -f -p "127.0.0.1:$held" -h "$WORK" &
  local holder=$!
  defer "kill $holder"
  wait_for "ss -Htln 'sport = :$held' | grep -q ." 50
  RC=0; err=$(cap run --rm -p "127.0.0.1:$held:80" busybox true 2>&1) || RC=$?
  assert_eq "$RC" 125 "a port a host process holds"
  assert_contains "$err" "port is already in use on the host"
  kill "$holder" 2>/dev/null || true
  # A bad spec: docker's words, status 125.
  for spec in 80x "$port:0" 99999:80 "1.2.3:$port:80" 80/sctp; do
    RC=0; err=$(cap run --rm -p "$spec" busybox true 2>&1) || RC=$?
    assert_eq "$RC" 125 "-p $spec"
    assert_match "$err" 'invalid (containerPort|hostPort|IP address|proto)' "-p $spec: $err"
  done
  assert_match "$(cap inspect --format '{{.NetworkSettings.IPAddress}}' web)" '^10\.77\.' "inspect's IPAddress"
  veth=$(host_veth "$web")
  cap rm -f web >/dev/null
  # The kernel frees a veth whose namespace went away asynchronously.
  wait_for "! ip link show '$veth' >/dev/null 2>&1" 30
  assert_network_gone "$web"
  ! iptables-save -t nat | grep -q -- "--dport $port" || fail "a DNAT rule for $port is left"
  ! wget -q -T 1 -O /dev/null "http://127.0.0.1:$port/" 2>/dev/null || fail "the port still answers"
  assert_engine_clean
}

test_publish_all_exposed_ports() {
  net_setup
  cap import --change 'CMD ["/bin/sh"]' --change 'EXPOSE 80 53/udp' "$ENGINE_IMAGE_TAR" exposing:latest >/dev/null
  web=$(cap run -d -P exposing httpd -f -p 80 -h /etc)
  out=$(cap port "$web")
  assert_eq "$(echo "$out" | wc -l)" 2 "two ports: $out"
  port=$(echo "$out" | grep '^80/tcp' | sed 's/.*://')
  assert_match "$(echo "$out" | grep '^80/tcp')" '^80/tcp -> 0\.0\.0\.0:[0-9]+$' "80/tcp"
  assert_match "$(echo "$out" | grep '^53/udp')" '^53/udp -> 0\.0\.0\.0:[0-9]+$' "53/udp"
  wait_for "wget -q -T 2 -O /dev/null http://127.0.0.1:$port/hostname" 50
  assert_eq "$(wget -q -T 2 -O- "http://127.0.0.1:$port/hostname")" "${web:0:12}" "wget the -P port"
  cap rm -f "$web" >/dev/null
  assert_network_gone "$web"
}

test_system_check_removes_the_network_of_a_dead_container() {
  net_setup
  port=$(free_port)
  id=$(cap run -d -p "127.0.0.1:$port:80" busybox sleep 60)
  [ -e "$RUNROOT/.net/ns/$id" ] || fail "no network namespace while it runs"
  # Its process killed behind the engine's back: its monitor undoes its
  # network (system check does when the monitor is gone too: monitor.sh).
  for f in /sys/fs/cgroup/pids/capsule/$id/cgroup.procs /sys/fs/cgroup/unified/capsule/$id/cgroup.procs /sys/fs/cgroup/capsule/$id/cgroup.procs; do
    [ -r "$f" ] && { kill -9 $(cat "$f") 2>/dev/null || true; break; }
  done
  wait_for "[ \"\$(jq -r .status '$STORE/containers/$id/state.json')\" = exited ]" 50
  assert_network_gone "$id"
  # A leftover no state accounts for (a lease, a claim) is swept too.
  mkdir -p "$RUNROOT/.net/ipam/bridge" "$RUNROOT/.net/ports"
  printf '%s\r\neth0' "$(printf 'f%.0s' $(seq 64))" > "$RUNROOT/.net/ipam/bridge/10.77.250.250"
  printf '%s' "$(printf 'e%.0s' $(seq 64))" > "$RUNROOT/.net/ports/tcp-1-0.0.0.0"
  out=$(cap system check)
  assert_contains "$out" "1 address lease, 1 port claim, 0 temp files"
  [ ! -e "$RUNROOT/.net/ipam/bridge/10.77.250.250" ] || fail "the lease is left"
  cap rm -f "$id" >/dev/null
  # A state cut short by a kill in its first write (no network yet): the
  # container's exited, check removes the state and the namespace.
  id=$(cap run -d busybox true)
  # Its monitor recorded the end and went (undoing the network first).
  wait_for "! pgrep -f 'capsule-monitor .* $id' >/dev/null" 50
  printf '{"root":"/' >"$RUNROOT/.net/state/$id.json"
  out=$(cap system check)
  assert_contains "$out" "network"
  assert_network_gone "$id"
  cap rm -f "$id" >/dev/null
  assert_engine_clean
}

# `capsule run -d -p` killed at points during its network set-up (CNI
# plugins running): system check then rm -f leave nothing of it.
test_kill_during_network_setup() {
  net_setup
  local ms id ids
  for ms in 30 80 130 180 240 300 400; do
    port=$(free_port)
    "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" run -d -p "127.0.0.1:$port:80" busybox sleep 60 >/dev/null 2>&1 &
    sleep "0.$(printf '%03d' "$ms")"
    kill -9 $! 2>/dev/null || true
    wait $! 2>/dev/null || true
    ids=$(ls "$RUNROOT/.net/state" 2>/dev/null | sed 's/\.json$//' || true)
    out=$(cap system check 2>&1) || fail "system check after a kill at $ms ms: $out"
    for id in $(cap ps -a -q --no-trunc); do cap rm -f "$id" >/dev/null; done
    for id in $ids; do assert_network_gone "$id"; done
    ! iptables-save -t nat | grep -q -- "--dport $port" || fail "a DNAT rule for $port is left (kill at $ms ms)"
    assert_engine_clean
  done
}

# A hung CNI plugin (a bridge that never answers ADD, from a directory
# first in CAPSULE_CNI_PATH) does not hang run: it is killed with what it
# started after CAPSULE_CNI_TIMEOUT_MS, its DEL runs, and run fails with one
# line and 125, leaving nothing.
test_hung_cni_plugin_times_out() {
  net_setup
  local plugins=$WORK/cni-hung pid start
  mkdir -p "$plugins"
  cat >"$plugins/bridge" <<PLUGIN
#!/bin/sh
cat >/dev/null
echo "\$CNI_COMMAND" >>"$plugins/commands"
[ "\$CNI_COMMAND" = ADD ] || exit 0
sleep 600 &
echo \$! >"$plugins/sleep.pid"
wait
PLUGIN
  chmod +x "$plugins/bridge"
  cap network create hungnet >/dev/null
  start=$SECONDS
  RC=0
  err=$(CAPSULE_CNI_PATH="$plugins:/usr/lib/cni" CAPSULE_CNI_TIMEOUT_MS=1500 \
    cap run --rm --network hungnet busybox true 2>&1 >/dev/null) || RC=$?
  assert_eq "$RC" 125 "run's exit status with a hung plugin"
  [ $((SECONDS - start)) -lt 20 ] || fail "run took $((SECONDS - start)) s with a 1.5 s plugin timeout"
  assert_eq "$(echo "$err" | wc -l)" 1 "lines of the error: $err"
  assert_contains "$err" "CNI plugin bridge ADD: no answer in 1500 ms"
  assert_eq "$(tr '\n' ' ' <"$plugins/commands")" "ADD DEL " "the plugin's commands"
  pid=$(cat "$plugins/sleep.pid")
  # Killed (SIGKILL lands in a moment; a zombie waits for init to reap it).
  wait_for "! grep -qv '^State:.*Z' <(grep ^State: /proc/$pid/status 2>/dev/null)" 20
  RC=0; CAPSULE_CNI_TIMEOUT_MS=soon cap ps >/dev/null 2>&1 || RC=$?
  assert_eq "$RC" 125 "an invalid CAPSULE_CNI_TIMEOUT_MS"
  assert_engine_clean
}

# The network follows the container's life under its monitor: gone when
# it stops (ports free for another), back when it starts again.
test_stop_and_start_take_the_network_down_and_up() {
  net_setup
  port=$(free_port)
  web=$(cap run -d --name web -p "127.0.0.1:$port:80" busybox httpd -f -p 80 -h /etc)
  wait_for "wget -q -T 2 -O /dev/null http://127.0.0.1:$port/hostname" 50
  cap stop -t 1 web >/dev/null
  assert_eq "$(cap port web)" "" "no port while stopped"
  assert_network_gone "$web"
  other=$(cap run -d -p "127.0.0.1:$port:80" busybox sleep 30)
  RC=0; cap start web 2>/dev/null || RC=$?
  assert_ne "$RC" 0 "start while another container holds the port"
  cap rm -f "$other" >/dev/null
  cap start web >/dev/null
  assert_eq "$(cap port web)" "80/tcp -> 127.0.0.1:$port" "port after start"
  wait_for "wget -q -T 2 -O /dev/null http://127.0.0.1:$port/hostname" 50
  assert_eq "$(wget -q -T 2 -O- "http://127.0.0.1:$port/hostname")" "${web:0:12}" "served again"
  cap rm -f web >/dev/null
  assert_network_gone "$web"
  assert_engine_clean
}

# Networks are isolated from each other, as docker's are: a container on
# one network (or on the default bridge) cannot reach a container's
# address on another, while its own network's peers can.
test_networks_are_isolated_from_each_other() {
  net_setup
  cap network create isoa >/dev/null
  cap network create isob >/dev/null
  web=$(cap run -d --name web --network isoa busybox httpd -f -p 80 -h /etc)
  ip=$(cap inspect --format '{{.NetworkSettings.Networks.isoa.IPAddress}}' web)
  assert_match "$ip" '^10\.' "web's address on isoa"
  fetch="for i in 1 2 3 4 5; do timeout 2 wget -O- http://$ip/hostname 2>/dev/null && break; sleep 0.2; done; true"
  assert_eq "$(cap run --rm --network isoa busybox sh -c "$fetch")" "${web:0:12}" "a peer on isoa reaches web"
  assert_eq "$(cap run --rm --network isob busybox sh -c "timeout 2 wget -O- http://$ip/hostname 2>/dev/null; true")" "" "isob reaches web on isoa"
  assert_eq "$(cap run --rm --network bridge busybox sh -c "timeout 2 wget -O- http://$ip/hostname 2>/dev/null; true")" "" "the default bridge reaches web on isoa"
}

# --dns-search and --dns-option replace the host's lines as docker does;
# --network-alias names a container on its user network, for its peers
# and itself (through /etc/hosts, as its name).
test_dns_search_options_and_aliases() {
  net_setup
  local out
  out=$(cap run --rm --dns-search a.test --dns-search b.test --dns-option ndots:5 \
    --dns-option timeout:2 busybox cat /etc/resolv.conf)
  assert_contains "$out" "search a.test b.test" "the search line"
  assert_contains "$out" "options ndots:5 timeout:2" "the options line"
  assert_eq "$(echo "$out" | grep -c '^search')" 1 "one search line"
  assert_not_contains "$(cap run --rm --dns-search . busybox cat /etc/resolv.conf)" search "--dns-search ."
  assert_fails cap run --rm --dns-search 'a b' busybox true
  assert_eq "$RC" 125
  assert_fails cap run --rm --network-alias www busybox true
  assert_contains "$ERR" "user-defined networks"
  cap network create aliasnet >/dev/null
  cap run -d --name web --network aliasnet --network-alias www --network-alias w2 busybox \
    httpd -f -p 80 -h /etc >/dev/null
  assert_contains "$(cap exec web cat /etc/hosts)" " web www w2" "web's own line"
  out=$(cap run --rm --network aliasnet busybox sh -c 'cat /etc/hosts
    for i in 1 2 3 4 5; do timeout 3 wget -O- http://w2/hostname 2>/dev/null && break; sleep 0.2; done')
  assert_contains "$out" "$(printf '\tweb www w2')" "a peer's line with the aliases"
  assert_contains "$out" "$(cap inspect --format '{{.Config.Hostname}}' web)" "a peer reaches web by its alias"
  assert_eq "$(cap inspect --format '{{json .HostConfig.DnsSearch}}' web)" "[]"
  cap rm -f web >/dev/null
  cap network rm aliasnet >/dev/null
  assert_engine_clean
}

# -p with port ranges (docker's "HOST-HOST:CONTAINER-CONTAINER"): one
# mapping per port, each reached from the host.
test_publish_port_ranges() {
  net_setup
  local port web
  port=$(free_port)
  web=$(cap run -d --name web -p "127.0.0.1:$port-$((port + 1)):80-81" busybox \
    sh -c 'httpd -p 80 -h /etc; exec httpd -f -p 81 -h /etc')
  wait_for "wget -q -T 2 -O /dev/null http://127.0.0.1:$((port + 1))/hostname" 50
  assert_eq "$(wget -q -T 2 -O- "http://127.0.0.1:$port/hostname")" "${web:0:12}" "the range's first port"
  assert_eq "$(cap port web | sort | tr '\n' ' ')" "80/tcp -> 127.0.0.1:$port 81/tcp -> 127.0.0.1:$((port + 1)) " "port"
  assert_fails cap run --rm -p 8000-8001:80-82 busybox true
  assert_eq "$RC" 125
  assert_contains "$ERR" "invalid ranges specified"
  cap rm -f web >/dev/null
  assert_engine_clean
}

# --ip: the container's address on its user network, as docker; taken,
# outside the subnet or on the default network: refused, nothing left.
test_ip_on_a_user_network() {
  net_setup
  cap network create --subnet 10.79.77.0/24 ipnet >/dev/null
  cap run -d --name a --network ipnet --ip 10.79.77.43 busybox sleep 30 >/dev/null
  assert_contains "$(cap exec a ip -4 addr show eth0)" "inet 10.79.77.43/24" "a's address"
  assert_eq "$(cap inspect --format '{{.NetworkSettings.Networks.ipnet.IPAddress}}' a)" 10.79.77.43
  assert_fails cap run --rm --network ipnet --ip 10.79.77.43 busybox true
  assert_eq "$RC" 125
  assert_contains "$ERR" "10.79.77.43 is not available"
  assert_fails cap run --rm --network ipnet --ip 10.79.78.3 busybox true
  assert_contains "$ERR" "no configured subnet contains"
  assert_fails cap run --rm --network bridge --ip 10.77.0.200 busybox true
  assert_contains "$ERR" "user defined networks only"
  assert_eq "$(cap ps -a -q | wc -l)" 1 "no container left by the refused runs"
  cap rm -f a >/dev/null
  assert_contains "$(cap run --rm --network ipnet --ip 10.79.77.43 busybox ip -4 addr show eth0)" \
    "inet 10.79.77.43/24" "the address, free again"
  cap network rm ipnet >/dev/null
  assert_engine_clean
}

# --network container:NAME: in the other's namespace (its lo, its address),
# with its hostname and /etc files; conflicting options and a stopped or
# unknown container refused; nothing left after either is removed.
test_network_container_mode() {
  net_setup
  local a
  a=$(cap run -d --name a busybox httpd -f -p 127.0.0.1:8080 -h /etc)
  assert_eq "$(cap run --rm --network container:a busybox sh -c \
    'for i in 1 2 3 4 5; do wget -O- http://127.0.0.1:8080/hostname 2>/dev/null && break; sleep 0.2; done')" \
    "${a:0:12}" "a's httpd on the shared lo"
  assert_eq "$(cap run --rm --network "container:${a:0:12}" busybox hostname)" "${a:0:12}" "a's hostname"
  cap network create joinnet >/dev/null
  cap run -d --name b --network joinnet busybox sleep 30 >/dev/null
  cap run -d --name c --network container:b busybox sleep 30 >/dev/null
  assert_eq "$(cap exec c ip -4 -o addr show eth0 | awk '{print $4}')" \
    "$(cap exec b ip -4 -o addr show eth0 | awk '{print $4}')" "c has b's address"
  assert_eq "$(cap inspect --format '{{.HostConfig.NetworkMode}}' c)" "container:$(cap inspect --format '{{.Id}}' b)"
  assert_eq "$(cap exec c cat /etc/hosts)" "$(cap exec b cat /etc/hosts)" "b's /etc/hosts"
  assert_fails cap run --rm --network container:a -p 80 busybox true
  assert_eq "$RC" 125
  assert_fails cap run --rm --network container:a --dns 1.1.1.1 busybox true
  assert_contains "$ERR" "conflicting options: dns"
  assert_fails cap run --rm --network container:nosuch busybox true
  assert_eq "$RC" 125
  cap stop -t 0 a >/dev/null
  assert_fails cap run --rm --network container:a busybox true
  assert_contains "$ERR" "cannot join network of a non running container"
  cap rm -f a c b >/dev/null
  cap network rm joinnet >/dev/null
  assert_engine_clean
}
