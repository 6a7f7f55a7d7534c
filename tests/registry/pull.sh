# capsule pull against a real docker-registry, images put there by skopeo.
source "$TOP/tests/registry/registry.bash"

test_pull_layers_and_whiteouts() {
  registry_start plain
  capsule_setup
  build_images
  skopeo_put "$WORK/img/whiteout" v1 test/whiteout:v1
  local out config
  out=$(capsule pull --tls-verify=false "$REG/test/whiteout:v1")
  config=$(layout_digest "$WORK/img/whiteout" "" config)
  assert_eq "$(printf '%s\n' "$out" | tail -n1)" "${config#sha256:}" "printed image ID"
  assert_contains "$out" "Digest: $(layout_digest "$WORK/img/whiteout")"
  # Layer 2 carries the whiteouts as overlayfs expects them.
  local top base
  top=$(layer_with etc/conf.d/b) || fail "no unpacked layer has etc/conf.d/b"
  base=$(layer_with bin/busybox) || fail "no unpacked layer has bin/busybox"
  assert_ne "$top" "$base"
  [ -c "$top/etc/gone" ] || fail "etc/gone is not a whiteout device in the top layer"
  assert_eq "$(getfattr --only-values -n trusted.overlay.opaque "$top/etc/conf.d" 2>/dev/null)" y \
    "opaque xattr of etc/conf.d"
  # And take effect in a merged view.
  local merged
  merged=$(unshare -m --propagation private sh -c "
    mkdir -p '$WORK/merged'
    mount -t overlay overlay -o 'lowerdir=$top:$base' '$WORK/merged'
    ls '$WORK/merged/etc' '$WORK/merged/etc/conf.d'; cat '$WORK/merged/etc/added'")
  assert_not_contains "$merged" "gone"
  assert_not_contains "$merged" "keep"
  assert_contains "$merged" "b"
  assert_contains "$merged" "added"
  "$base/bin/busybox" true || fail "the unpacked busybox does not run"
  # The pulled image runs, and sees the same merged tree.
  merged=$(capsule run --rm "$REG/test/whiteout:v1" /bin/sh -c 'ls /etc /etc/conf.d; cat /etc/added')
  assert_not_contains "$merged" "gone"
  assert_not_contains "$merged" "keep"
  assert_contains "$merged" "added"
}

test_pull_by_digest_and_again() {
  registry_start plain
  capsule_setup
  build_images
  skopeo_put "$WORK/img/whiteout" v1 test/whiteout:v1
  local digest out
  digest=$(layout_digest "$WORK/img/whiteout")
  capsule pull -q --tls-verify=false "$REG/test/whiteout@$digest" >/dev/null
  # Everything is present now: a second pull downloads nothing.
  local before
  before=$(reg_requests "GET /v2/test/whiteout/blobs/")
  out=$(capsule pull --tls-verify=false "$REG/test/whiteout:v1" </dev/null)
  assert_eq "$(reg_requests "GET /v2/test/whiteout/blobs/")" "$before" "blob GETs on a second pull"
  assert_contains "$out" "already present"
}

test_pull_index_platforms() {
  registry_start plain
  capsule_setup
  build_images
  skopeo_put "$WORK/img/multi" v1 test/multi:v1
  local id
  id=$(capsule pull -q --tls-verify=false "$REG/test/multi:v1")
  assert_eq "$id" "$(layout_digest "$WORK/img/multi" amd64 config | cut -d: -f2)" "default platform"
  id=$(capsule pull -q --tls-verify=false --platform linux/arm64 "$REG/test/multi:v1")
  assert_eq "$id" "$(layout_digest "$WORK/img/multi" arm64 config | cut -d: -f2)" "--platform arm64"
  [ "$(cat "$(layer_with etc/arch)/etc/arch")" ] || fail "no arch marker unpacked"
  assert_fails capsule pull -q --tls-verify=false --platform linux/s390x "$REG/test/multi:v1"
  assert_one_line_error "s390x"
}

test_pull_basic_auth_and_login() {
  registry_start htpasswd
  capsule_setup
  build_images
  skopeo_put "$WORK/img/whiteout" v1 test/w:v1 --dest-creds "$REG_USER:$REG_PASS"
  assert_fails capsule pull --tls-verify=false "$REG/test/w:v1"
  assert_one_line_error "authentication required"
  assert_fails capsule pull --tls-verify=false --creds "$REG_USER:wrong" "$REG/test/w:v1"
  assert_one_line_error "invalid username or password"
  [ ! -e "$ROOT" ] || fail "a failed pull created $ROOT"
  assert_fails capsule login --tls-verify=false -u "$REG_USER" -p wrong "$REG"
  assert_one_line_error "invalid username or password"
  [ ! -e "$ROOT/auth.json" ] || fail "a failed login wrote the auth file"
  capsule pull -q --tls-verify=false --creds "$REG_USER:$REG_PASS" "$REG/test/w:v1" >/dev/null
  echo "$REG_PASS" | capsule login --tls-verify=false -u "$REG_USER" --password-stdin "$REG"
  assert_eq "$(stat -c %a "$ROOT/auth.json")" 600 "auth file mode"
  assert_eq "$(jq -r ".auths[\"$REG\"].auth" "$ROOT/auth.json" | base64 -d)" "$REG_USER:$REG_PASS"
  # The stored login serves later commands, here in a fresh store.
  "$BIN/capsule" --root "$WORK/root2" pull -q --tls-verify=false --authfile "$ROOT/auth.json" \
    "$REG/test/w:v1" >/dev/null
  capsule pull -q --tls-verify=false "$REG/test/w:v1" >/dev/null
  capsule logout "$REG"
  assert_fails capsule pull --tls-verify=false "$REG/test/w:v1"
  assert_one_line_error "authentication required"
  assert_fails capsule logout "$REG"
  assert_one_line_error "not logged in"
}

test_pull_bearer_token() {
  registry_start token
  capsule_setup
  build_images
  skopeo_put "$WORK/img/whiteout" v1 test/tok:v1 --dest-creds "$REG_USER:$REG_PASS"
  : >"$TOKEN_LOG"
  # Anonymous clients get pull tokens from this token server.
  capsule pull -q --tls-verify=false "$REG/test/tok:v1" >/dev/null
  assert_contains "$(cat "$TOKEN_LOG")" "user=- scope=repository:test/tok:pull"
  : >"$TOKEN_LOG"
  capsule login --tls-verify=false -u "$REG_USER" -p "$REG_PASS" "$REG" >/dev/null
  assert_contains "$(cat "$TOKEN_LOG")" "user=$REG_USER scope="
  : >"$TOKEN_LOG"
  REGISTRY_AUTH_FILE=$ROOT/auth.json "$BIN/capsule" --root "$WORK/root2" pull -q \
    --tls-verify=false "$REG/test/tok:v1" >/dev/null
  assert_contains "$(cat "$TOKEN_LOG")" "user=$REG_USER scope=repository:test/tok:pull"
  assert_fails capsule pull --tls-verify=false --creds "$REG_USER:nope" "$REG/test/tok:v1"
  assert_one_line_error "invalid username or password"
}

test_pull_digest_mismatch_leaves_nothing() {
  registry_start plain
  capsule_setup
  build_images
  skopeo_put "$WORK/img/whiteout" v1 test/bad:v1
  # Same size, other bytes: the registry serves them as they are.
  local layer blob
  layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][1]["digest"])' \
    "$WORK/img/whiteout/blobs/sha256/$(layout_digest "$WORK/img/whiteout" | cut -d: -f2)")
  blob=$(reg_blob_path "$layer")
  head -c "$(stat -c %s "$blob")" /dev/zero >"$blob"
  assert_fails capsule pull --tls-verify=false "$REG/test/bad:v1"
  assert_one_line_error "digest mismatch"
  assert_store_clean "$(layout_digest "$WORK/img/whiteout")"
  [ ! -e "$ROOT/blobs/sha256/${layer#sha256:}" ] || fail "the corrupt blob was stored"
}

test_pull_missing_blob() {
  registry_start plain
  capsule_setup
  build_images
  skopeo_put "$WORK/img/whiteout" v1 test/gap:v1
  local config
  config=$(layout_digest "$WORK/img/whiteout" "" config)
  rm -f "$(reg_blob_path "$config")"
  assert_fails capsule pull --tls-verify=false "$REG/test/gap:v1"
  assert_one_line_error "$config"
  assert_store_clean "$(layout_digest "$WORK/img/whiteout")"
}

test_pull_bad_input() {
  registry_start plain
  capsule_setup
  assert_fails capsule pull --tls-verify=false nosuch.invalid/x:1
  assert_one_line_error "nosuch.invalid"
  assert_fails capsule pull --tls-verify=false "$REG/Bad/Name"
  assert_one_line_error "lowercase"
  assert_fails capsule pull --tls-verify=false "$REG/x@sha256:1234"
  assert_one_line_error "invalid digest"
  assert_fails capsule pull --tls-verify=false "$REG/no/such:image"
  assert_one_line_error "manifest unknown"
  assert_fails capsule pull --tls-verify=false --bogus "$REG/x"
  assert_one_line_error "unknown flag --bogus"
  assert_eq "$RC" 125 "exit status of a usage error"
  assert_fails capsule pull --tls-verify=maybe "$REG/x"
  assert_one_line_error "--tls-verify"
  # A plain-http registry needs --tls-verify=false.
  assert_fails capsule pull "$REG/no/such:image"
  assert_one_line_error "use --tls-verify=false"
  [ ! -e "$ROOT" ] || fail "bad input created $ROOT"
}

# A layer past the decompression limit (docs/IMAGES.md) is refused while it
# streams; the pull leaves no layer, no blob, no image.
test_pull_decompression_bomb_leaves_nothing() {
  registry_start plain
  capsule_setup
  mkdir -p "$WORK/bomb"
  truncate -s 8M "$WORK/bomb/zeros"
  mkimage "$WORK/img/bomb" v1 --platform linux/amd64 "$WORK/bomb" >/dev/null
  skopeo_put "$WORK/img/bomb" v1 test/bomb:v1
  CAPSULE_LAYER_MAX_SIZE=1M assert_fails capsule pull --tls-verify=false "$REG/test/bomb:v1"
  assert_one_line_error "gzip data decompresses to more than 1048576 bytes"
  assert_store_clean "$(layout_digest "$WORK/img/bomb")"
  assert_eq "$(ls -A "$ROOT/layers" | wc -l) $(ls -A "$ROOT/blobs/sha256" | wc -l)" "0 0" \
    "layers and blobs left"
  capsule pull -q --tls-verify=false "$REG/test/bomb:v1" >/dev/null
}
