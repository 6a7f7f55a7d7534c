# kill -9 during pull: the store stays consistent and the next pull succeeds.
source "$TOP/tests/registry/registry.bash"

# An image of 3 layers of 6 MB of incompressible data each, so a pull takes
# long enough to be killed in the middle of downloads and unpacks.
build_big_image() {
  local i
  for i in 1 2 3; do
    mkdir -p "$WORK/big/$i/data"
    head -c 6000000 /dev/urandom >"$WORK/big/$i/data/blob$i"
    for f in $(seq 1 200); do echo "$i.$f" >"$WORK/big/$i/data/small$i.$f"; done
  done
  mkimage "$WORK/img/big" v1 --platform linux/amd64 "$WORK/big/1" "$WORK/big/2" "$WORK/big/3" \
    >/dev/null
}

test_kill9_during_pull() {
  registry_start plain
  capsule_setup
  build_big_image
  skopeo_put "$WORK/img/big" v1 test/big:v1
  local i delay pid killed=0
  for i in 1 2 3 4 5 6; do
    capsule rmi -f "$REG/test/big:v1" >/dev/null 2>&1 || true
    capsule image prune -a >/dev/null 2>&1 || true
    capsule pull -q --tls-verify=false "$REG/test/big:v1" >/dev/null 2>&1 &
    pid=$!
    delay=$(awk -v r="$RANDOM" 'BEGIN{printf "%.3f", (r % 250) / 1000}')
    sleep "$delay"
    if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
    wait "$pid" 2>/dev/null || true
    capsule system check >"$WORK/check.$i" 2>&1 || fail "system check after kill at ${delay}s: $(cat "$WORK/check.$i")"
  done
  [ "$killed" -gt 0 ] || fail "no pull was killed in flight"
  local id
  id=$(capsule pull -q --tls-verify=false "$REG/test/big:v1")
  assert_eq "$id" "$(layout_digest "$WORK/img/big" "" config | cut -d: -f2)"
  cmp "$(layer_with data/blob3)/data/blob3" "$WORK/big/3/data/blob3"
  capsule system check >/dev/null
}
