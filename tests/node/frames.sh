# A node agent's listener faces anyone on the network: before the HELLO
# handshake proves the cluster key, nothing is buffered beyond a HELLO.

agent_up() { # dir port
  [ "$(id -u)" = 0 ] || skip "needs root (the agent reads cgroups)"
  "$TOP/build/capsule" --root "$1/lib" --runroot "$1/run" node init >/dev/null
  setsid "$TOP/build/capsule" --root "$1/lib" --runroot "$1/run" node run \
    --listen "127.0.0.1:$2" </dev/null >"$1/agent.log" 2>&1 &
  AGENT=$!
  defer kill "$AGENT"
  wait_for "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $2))' 2>/dev/null" 50
}

test_no_room_for_a_move_before_the_handshake() {
  local d port=47$((RANDOM % 900 + 100))
  d=$(mktemp -d /tmp/capsule-frames.XXXXXX)
  defer rm -rf "$d"
  agent_up "$d" "$port"
  # Four connections without the key, each a MOVE header announcing 256 MiB
  # and then data: the agent must drop them, not reserve a MOVE's room.
  python3 - "$port" <<'PY' >"$d/out" 2>&1 || true
import socket, struct, sys
socks = []
for _ in range(4):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.settimeout(3)
    s.sendall(struct.pack("<IBBHIIQ", 0x4e535043, 1, 5, 0, 256 << 20, 0, 0))
    socks.append(s)
try:
    for s in socks:
        for _ in range(8):
            s.sendall(b"\0" * (1 << 20))
    print("accepted")
except OSError as e:
    print("dropped", e.__class__.__name__)
PY
  local rss
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$AGENT/status")
  [ "$rss" -lt 65536 ] || fail "the agent holds $rss KiB after unauthenticated frames"
  assert_contains "$(cat "$d/out")" "dropped" "the keyless connections"
}
