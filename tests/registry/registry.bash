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
  [ -x "$BIN/capsule" ] || skip "capsule not built"
  for t in docker-registry skopeo htpasswd openssl python3 busybox curl; do
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

# odd_registry_start MODES: a proxy in front of $REG whose answers the MODES
# change (see odd_registry.py); sets ODD (host:port).
odd_registry_start() {
  python3 "$REG_HELPERS/odd_registry.py" "$REG_DIR/odd.port" "$REG" "$1" 2>"$REG_DIR/odd.err" &
  local pid=$!
  defer "kill $pid; wait $pid"
  wait_for "[ -s '$REG_DIR/odd.port' ]" 100
  ODD=127.0.0.1:$(cat "$REG_DIR/odd.port")
  rm -f "$REG_DIR/odd.port"
}

# The capsule under test, on a store that does not exist until a command
# creates it (so tests can check that bad input creates nothing).
capsule_setup() {
  WORK=$(mktemp -d /tmp/capsule-regtest.XXXXXX)
  defer "rm -rf '$WORK'"
  ROOT=$WORK/root
}
capsule() {
  "$BIN/capsule" --root "$ROOT" "$@"
}

# The test images, as OCI layouts under $WORK/img:
#   whiteout: linux/amd64, layer 1 a busybox rootfs with /etc/gone and
#             /etc/conf.d/{a,keep}; layer 2 deletes /etc/gone (.wh.gone),
#             makes /etc/conf.d opaque (.wh..wh..opq) with only b, adds /etc/added
#   multi:    an index: linux/arm64 (layer 1 + /etc/arch=arm64) and
#             linux/amd64 (layer 1 + /etc/arch=amd64)
build_images() {
  local l=$WORK/layers
  mkdir -p "$l/base/etc/conf.d" "$l/top/etc/conf.d" "$l/arm/etc" "$l/amd/etc"
  make_busybox_rootfs "$l/base"
  echo gone >"$l/base/etc/gone"
  echo a >"$l/base/etc/conf.d/a"
  echo keep >"$l/base/etc/conf.d/keep"
  : >"$l/top/etc/.wh.gone"
  : >"$l/top/etc/conf.d/.wh..wh..opq"
  echo b >"$l/top/etc/conf.d/b"
  echo added >"$l/top/etc/added"
  echo arm64 >"$l/arm/etc/arch"
  echo amd64 >"$l/amd/etc/arch"
  mkimage "$WORK/img/whiteout" v1 --platform linux/amd64 "$l/base" "$l/top" >/dev/null
  mkimage "$WORK/img/multi" v1 --platform linux/arm64 "$l/base" "$l/arm" \
    --platform linux/amd64 "$l/base" "$l/amd" >/dev/null
}

# layout_digest LAYOUT [ARCH] [config]: the manifest digest of the layout's
# image (the ARCH entry of an index), or its config digest.
layout_digest() {
  python3 - "$@" <<'PY'
import json, sys
layout, arch = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
want_config = len(sys.argv) > 3
blob = lambda d: json.load(open("%s/blobs/sha256/%s" % (layout, d.split(":")[1])))
top = json.load(open(layout + "/index.json"))["manifests"][0]
if top["mediaType"].endswith("index.v1+json"):
    top = [m for m in blob(top["digest"])["manifests"] if m["platform"]["architecture"] == arch][0]
print(blob(top["digest"])["config"]["digest"] if want_config else top["digest"])
PY
}

# The unpacked layer directory (in $ROOT) that holds PATH.
layer_with() {
  local d
  for d in "$ROOT"/layers/*/diff; do
    if [ -e "$d/$1" ] || [ -L "$d/$1" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
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

# The file a blob is served from in the registry's storage.
reg_blob_path() {
  local hex=${1#sha256:}
  echo "$REG_DIR/data/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

# Assert that a failed pull of the image whose manifest is $1 left no temp
# files, did not store the manifest (stored only when the image is recorded)
# and recorded no image.
assert_store_clean() {
  [ ! -d "$ROOT" ] && return 0
  local left
  left=$(find "$ROOT/tmp" -mindepth 1 2>/dev/null | head -3)
  [ -z "$left" ] || fail "temp files left in the store: $left"
  [ ! -e "$ROOT/blobs/sha256/${1#sha256:}" ] || fail "the manifest $1 was stored"
  if left=$(capsule images -q 2>/dev/null); then
    [ -z "$left" ] || fail "an image was recorded: $left"
  fi
}

# One line on stderr, non-zero exit (after assert_fails), mentioning $1.
assert_one_line_error() {
  assert_contains "$ERR" "$1" "stderr"
  [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "stderr has more than one line: $ERR"
}
