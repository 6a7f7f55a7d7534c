# Helpers for the registry suites: a real docker-registry on 127.0.0.1 with
# its storage in a temp dir, optionally behind htpasswd or bearer-token auth,
# and test images built from a busybox-static rootfs and put there by skopeo.
# Everything started here is stopped by PID through `defer`.

REG_HELPERS=$TOP/tests/registry
REG_USER=tester
REG_PASS=s3cret-pass

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

need_registry_tools() {
  local t
  for t in docker-registry skopeo htpasswd openssl python3 busybox; do
    command -v "$t" >/dev/null || skip "$t not installed (scripts/install-deps)"
  done
}

# registry_start [plain|htpasswd|token]: sets REG (host:port), REG_DIR,
# REG_LOG (access log), TOKEN_LOG (token mode).
registry_start() {
  local mode=${1:-plain} port auth=""
  need_registry_tools
  REG_DIR=$(mktemp -d /tmp/capsule-registry.XXXXXX)
  defer "rm -rf '$REG_DIR'"
  port=$(free_port)
  REG=127.0.0.1:$port
  REG_LOG=$REG_DIR/registry.log
  case $mode in
  htpasswd)
    htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$REG_DIR/htpasswd"
    auth="auth:
  htpasswd:
    realm: capsule-test
    path: $REG_DIR/htpasswd"
    ;;
  token)
    token_server_start
    auth="auth:
  token:
    realm: http://127.0.0.1:$TOKEN_PORT/token
    service: capsule-test-registry
    issuer: capsule-test-issuer
    rootcertbundle: $REG_DIR/token.crt"
    ;;
  esac
  cat >"$REG_DIR/config.yml" <<CONF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  delete:
    enabled: true
http:
  addr: $REG
$auth
CONF
  docker-registry serve "$REG_DIR/config.yml" >"$REG_LOG" 2>&1 &
  local pid=$!
  defer "kill $pid; wait $pid"
  wait_for "curl -s -o /dev/null http://$REG/v2/" 100
}

token_server_start() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=capsule-test-token \
    -keyout "$REG_DIR/token.key" -out "$REG_DIR/token.crt" 2>/dev/null
  TOKEN_LOG=$REG_DIR/token.log
  : >"$TOKEN_LOG"
  python3 "$REG_HELPERS/token_server.py" "$REG_DIR/token.port" "$REG_DIR/token.key" \
    "$REG_DIR/token.crt" capsule-test-issuer "$REG_USER:$REG_PASS" "$TOKEN_LOG" \
    2>"$REG_DIR/token.err" &
  local pid=$!
  defer "kill $pid; wait $pid"
  wait_for "[ -s '$REG_DIR/token.port' ]" 100
  TOKEN_PORT=$(cat "$REG_DIR/token.port")
}

# A minimal busybox-static rootfs in $1.
make_rootfs() {
  local d=$1 c
  mkdir -p "$d/bin" "$d/etc" "$d/tmp"
  cp "$(command -v busybox)" "$d/bin/busybox"
  for c in sh ls cat echo true; do ln -sf busybox "$d/bin/$c"; done
  echo "capsule-test" >"$d/etc/hostname"
}

# mkimage LAYOUT TAG --platform OS/ARCH DIR... : an OCI layout (see mkimage.py).
mkimage() {
  python3 "$REG_HELPERS/mkimage.py" "$@"
}

# skopeo_put LAYOUT TAG NAME:TAG [skopeo flags]: copy every platform to $REG.
skopeo_put() {
  local layout=$1 tag=$2 dest=$3
  shift 3
  skopeo copy -q --all --dest-tls-verify=false "$@" "oci:$layout:$tag" "docker://$REG/$dest" >/dev/null
}

# Count access-log lines of the registry matching a regex ("POST /v2/x/blobs").
reg_requests() {
  grep -cE "$1" "$REG_LOG" || true
}
