# capsule push to a real docker-registry; skopeo checks what capsule pushed.
source "$TOP/tests/registry/registry.bash"

# Put the whiteout image at $REG/test/src:v1 and pull it into the store.
pull_source() {
  build_images
  skopeo_put "$WORK/img/whiteout" v1 test/src:v1 "$@"
  capsule pull -q --tls-verify=false "${@/--dest-creds/--creds}" "$REG/test/src:v1" >/dev/null
}

blob_uploads() { # repo
  reg_requests "\"PUT /v2/$1/blobs/uploads/"
}

registry_digest() { # repo:tag at $REG, as skopeo sees it
  skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/$1"
}

test_push_roundtrip_verified_by_skopeo() {
  registry_start plain
  capsule_setup
  pull_source
  local src=$REG digest out
  digest=$(layout_digest "$WORK/img/whiteout")
  # A second registry holds nothing: every blob is uploaded.
  registry_start plain
  out=$(capsule push --tls-verify=false "$src/test/src:v1" "$REG/test/copy:v1")
  assert_contains "$out" "Digest: $digest"
  assert_eq "$(blob_uploads test/copy)" 3 "blob uploads (2 layers + config)"
  assert_eq "$(registry_digest test/copy:v1)" "$digest" "digest skopeo sees"
  # skopeo verifies every blob's digest as it copies.
  skopeo copy -q --src-tls-verify=false "docker://$REG/test/copy:v1" "oci:$WORK/back:v1"
  local m
  m=$(jq -r '.manifests[0].digest' "$WORK/back/index.json")
  assert_eq "$m" "$digest" "manifest digest after skopeo copy"
  cmp "$WORK/back/blobs/sha256/${m#sha256:}" "$WORK/img/whiteout/blobs/sha256/${m#sha256:}"
}

test_push_skips_blobs_the_registry_has() {
  registry_start plain
  capsule_setup
  pull_source
  local out uploads heads
  uploads=$(blob_uploads test/src)
  heads=$(reg_requests '"HEAD /v2/test/src/blobs/sha256:')
  capsule push -q --tls-verify=false "$REG/test/src:v1" "$REG/test/src:v2" >/dev/null
  assert_eq "$(blob_uploads test/src)" "$uploads" "uploads of blobs test/src already has"
  assert_eq "$(reg_requests '"HEAD /v2/test/src/blobs/sha256:')" "$((heads + 3))" "blob HEADs"
  out=$(capsule push --tls-verify=false "$REG/test/src:v1" "$REG/test/src:v2")
  assert_contains "$out" "already present"
  assert_eq "$(registry_digest test/src:v2)" "$(layout_digest "$WORK/img/whiteout")"
}

test_push_mounts_across_repositories() {
  registry_start plain
  capsule_setup
  pull_source
  local out
  out=$(capsule push --tls-verify=false "$REG/test/src:v1" "$REG/other/dst:v1")
  assert_contains "$out" "mounted"
  assert_eq "$(reg_requests '"POST /v2/other/dst/blobs/uploads/\?mount=sha256:[0-9a-f]+&from=test/src HTTP/1.1" 201')" \
    3 "cross-repository mounts"
  assert_eq "$(blob_uploads other/dst)" 0 "uploads"
  skopeo copy -q --src-tls-verify=false "docker://$REG/other/dst:v1" "oci:$WORK/back:v1"
}

test_push_bearer_token() {
  registry_start token
  capsule_setup
  pull_source --dest-creds "$REG_USER:$REG_PASS"
  assert_fails capsule push --tls-verify=false "$REG/test/src:v1" "$REG/test/anon:v1"
  assert_one_line_error "authentication required"
  : >"$TOKEN_LOG"
  capsule push -q --tls-verify=false --creds "$REG_USER:$REG_PASS" "$REG/test/src:v1" \
    "$REG/test/auth:v1" >/dev/null
  assert_contains "$(cat "$TOKEN_LOG")" "repository:test/auth:pull,push"
  assert_contains "$(cat "$TOKEN_LOG")" "repository:test/src:pull"
  assert_eq "$(reg_requests '"POST /v2/test/auth/blobs/uploads/\?mount=.* 201')" 3 "mounts with a token"
  skopeo inspect --tls-verify=false --creds "$REG_USER:$REG_PASS" "docker://$REG/test/auth:v1" \
    >/dev/null
}

test_push_bad_input() {
  registry_start plain
  capsule_setup
  assert_fails capsule push --tls-verify=false nothing-here "$REG/x:1"
  assert_one_line_error "no such image"
  [ ! -e "$ROOT" ] || fail "push of a missing image created $ROOT"
  pull_source
  assert_fails capsule push --tls-verify=false "$REG/test/src:v1" "$REG/UPPER:1"
  assert_one_line_error "lowercase"
  assert_fails capsule push --tls-verify=false "$REG/test/src:v1" nosuch.invalid/x:1
  assert_one_line_error "nosuch.invalid"
  assert_fails capsule push --tls-verify=false --nope "$REG/test/src:v1"
  assert_one_line_error "unknown flag --nope"
}

# A registry may answer the start of an upload 201 Created (the blob is
# complete): the push goes on without uploading it, once the blob is there.
test_push_upload_start_answered_created() {
  registry_start plain
  capsule_setup
  pull_source
  # The proxy hides each blob once, so capsule starts an upload of blobs that
  # test/src has: the 201 is true.
  odd_registry_start created,hide-once
  local out
  out=$(capsule push --tls-verify=false "$REG/test/src:v1" "$ODD/test/src:v2")
  assert_contains "$out" "already present"
  assert_eq "$(blob_uploads test/src)" 3 "uploads (those of skopeo only)"
  assert_eq "$(registry_digest test/src:v2)" "$(layout_digest "$WORK/img/whiteout")"
}

test_push_upload_start_created_without_the_blob() {
  registry_start plain
  capsule_setup
  pull_source
  odd_registry_start created
  assert_fails capsule push --tls-verify=false "$REG/test/src:v1" "$ODD/test/empty:v1"
  assert_one_line_error "answered 201 Created but has no blob sha256:"
  odd_registry_start created-noloc
  assert_fails capsule push --tls-verify=false "$REG/test/src:v1" "$ODD/test/empty:v1"
  assert_one_line_error "answered 201 without a Location"
}

# The layers of a layout's image (its manifest's layer digests), one a line.
layout_layers() { # layout
  local m
  m=$(layout_digest "$1")
  jq -r '.layers[].digest' "$1/blobs/sha256/${m#sha256:}"
}

# Layers stored as plain tars (a docker-archive load) are pushed gzip'd; the
# gzip blobs the store has for the same diff ids (the pulled image's) are
# sent as they are, and a second push sends the same manifest.
test_push_gzips_plain_tar_layers() {
  registry_start plain
  capsule_setup
  pull_source
  local src=$REG d n=0 tars="" out digest
  for d in $(layout_layers "$WORK/img/whiteout"); do
    n=$((n + 1))
    gzip -dc "$WORK/img/whiteout/blobs/sha256/${d#sha256:}" >"$WORK/l$n.tar"
    tars=${tars:+$tars:}$WORK/l$n.tar
  done
  python3 "$TOP/tests/image/imgtool.py" docker "$WORK/app.tar" "ref=local/app:1,cmd=/bin/true,layers=$tars"
  capsule load -q -i "$WORK/app.tar" >/dev/null
  assert_eq "$(capsule image inspect local/app:1 | jq -r '[.[0].Layers[]] | length')" 2 "layers loaded"
  registry_start plain
  out=$(capsule push --tls-verify=false local/app:1 "$REG/test/app:v1")
  digest=$(skopeo inspect --tls-verify=false --raw "docker://$REG/test/app:v1" | sha256sum | cut -d' ' -f1)
  assert_contains "$out" "Digest: sha256:$digest"
  skopeo inspect --tls-verify=false --raw "docker://$REG/test/app:v1" >"$WORK/pushed.json"
  assert_eq "$(jq -r '[.layers[].mediaType] | unique | join(",")' "$WORK/pushed.json")" \
    "application/vnd.oci.image.layer.v1.tar+gzip" "layer media types"
  assert_eq "$(jq -r '.layers[].digest' "$WORK/pushed.json")" "$(layout_layers "$WORK/img/whiteout")" \
    "layer digests (the pulled gzip blobs)"
  # Again, once the image the gzip blobs came from is gone: the same
  # manifest, nothing uploaded.
  capsule rmi "$src/test/src:v1" >/dev/null
  capsule image prune >/dev/null
  local uploads
  uploads=$(blob_uploads test/app)
  out=$(capsule push --tls-verify=false local/app:1 "$REG/test/app:v2")
  assert_contains "$out" "Digest: sha256:$digest"
  assert_eq "$(blob_uploads test/app)" "$uploads" "uploads of the second push"
  # Pulled back elsewhere: the layers unpack to the image's diff ids.
  ROOT=$WORK/back capsule pull -q --tls-verify=false "$REG/test/app:v1" >/dev/null
  assert_eq "$(ROOT=$WORK/back capsule image inspect "$REG/test/app:v1" | jq -c '.[0].RootFS')" \
    "$(capsule image inspect local/app:1 | jq -c '.[0].RootFS')" "diff ids pulled back"
}

# An imported layer has no gzip twin: one is made, kept with the image
# (system check and prune leave it), and sent again by the next push.
test_push_gzips_an_imported_layer() {
  registry_start plain
  capsule_setup
  mkdir -p "$WORK/rootfs"
  make_busybox_rootfs "$WORK/rootfs"
  tar -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .
  capsule import "$WORK/rootfs.tar" local/imp:1 >/dev/null
  local out digest size tar_size
  out=$(capsule push --tls-verify=false local/imp:1 "$REG/test/imp:v1")
  skopeo inspect --tls-verify=false --raw "docker://$REG/test/imp:v1" >"$WORK/pushed.json"
  digest=$(sha256sum <"$WORK/pushed.json" | cut -d' ' -f1)
  assert_contains "$out" "Digest: sha256:$digest"
  assert_eq "$(jq -r '.layers[0].mediaType' "$WORK/pushed.json")" \
    "application/vnd.oci.image.layer.v1.tar+gzip" "layer media type"
  size=$(jq -r '.layers[0].size' "$WORK/pushed.json")
  tar_size=$(stat -c %s "$WORK/rootfs.tar")
  [ "$size" -lt "$((tar_size / 2))" ] || fail "pushed layer $size bytes, the tar $tar_size"
  assert_eq "$(stat -c %s "$(reg_blob_path "$(jq -r '.layers[0].digest' "$WORK/pushed.json")")")" \
    "$size" "size of the blob in the registry"
  capsule system check >/dev/null
  capsule image prune >/dev/null
  [ -e "$ROOT/blobs/sha256/$(jq -r '.layers[0].digest' "$WORK/pushed.json" | cut -d: -f2)" ] ||
    fail "the gzip blob was not kept"
  out=$(capsule push --tls-verify=false local/imp:1 "$REG/test/imp:v2")
  assert_contains "$out" "Digest: sha256:$digest"
  assert_contains "$out" "already present"
  skopeo copy -q --src-tls-verify=false "docker://$REG/test/imp:v2" "oci:$WORK/back:v2"
  ROOT=$WORK/back-root capsule pull -q --tls-verify=false "$REG/test/imp:v1" >/dev/null
  assert_eq "$(ROOT=$WORK/back-root capsule image inspect "$REG/test/imp:v1" | jq -c '.[0].RootFS')" \
    "$(capsule image inspect local/imp:1 | jq -c '.[0].RootFS')" "diff ids pulled back"
}
