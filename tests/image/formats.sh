# Image formats: OCI layouts (flat and nested indexes, platforms), Docker
# schema2 manifests and manifest lists, docker-archive, save/load round
# trips, and malformed archives.
source "$TOP/tests/image/lib-image.sh"

two_layers() {
  imgtool tar "$WORK/l1.tar" "f:base:b"
  imgtool tar "$WORK/l2.tar" "f:top:t"
  imgtool tar "$WORK/arm.tar" "f:arch:arm64"
}

test_index_platform_choice() {
  image_setup
  two_layers
  imgtool oci "$WORK/multi.tar" "ref=multi:1,platform=linux/amd64,layers=$WORK/l1.tar:$WORK/l2.tar" \
    "ref=multi:1,platform=linux/arm64/v8,layers=$WORK/arm.tar"
  assert_eq "$(cap load -i "$WORK/multi.tar")" "Loaded image: multi:1" "load"
  assert_eq "$(inspect_field multi:1 "i['Architecture']")" amd64 "architecture"
  new_store
  cap load --platform linux/arm64 -i "$WORK/multi.tar" >/dev/null
  assert_eq "$(inspect_field multi:1 "i['Architecture'], i['Variant']")" "arm64 v8" "architecture"
  assert_eq "$(cat "$(layer_dir multi:1 0)/arch")" arm64 "content"
  new_store
  assert_fails cap load --platform linux/s390x -i "$WORK/multi.tar"
  assert_one_line_error "no image for linux/s390x in the index (it offers linux/amd64, linux/arm64/v8)"
  assert_nothing_left 0 0
  assert_fails cap load --platform linux -i "$WORK/multi.tar"
  assert_one_line_error "invalid platform 'linux'"
}

test_nested_index_and_docker_types() {
  image_setup
  two_layers
  local flavour
  for flavour in "" --docker-media-types; do
    imgtool oci "$WORK/list.tar" --index-in-index $flavour \
      "ref=example.com/list:1,platform=linux/arm64,layers=$WORK/arm.tar" \
      "ref=example.com/list:1,platform=linux/amd64,layers=$WORK/l1.tar:$WORK/l2.tar"
    cap load -i "$WORK/list.tar" >/dev/null
    assert_eq "$(cat "$(layer_dir example.com/list:1 1)/top")" t "content"
    # The index it was chosen from is the image's repo digest, as after a pull.
    local index
    index=$(tar -xOf "$WORK/list.tar" index.json | "$PY" -c "import json,sys; print(json.load(sys.stdin)['manifests'][0]['digest'])")
    assert_eq "$(cap images --format '{{.Digest}}' example.com/list)" "$index" "digest shown"
    assert_eq "$(inspect_field example.com/list:1 "i['RepoDigests']")" "['example.com/list@$index']" "RepoDigests"
    assert_eq "$(inspect_field "example.com/list@$index" "i['Architecture']")" amd64 "by index digest"
  done
  assert_eq "$(inspect_field example.com/list:1 "i['ManifestMediaType']")" \
    application/vnd.docker.distribution.manifest.v2+json "manifest media type"
  assert_store_sound
}

test_docker_archive() {
  image_setup
  two_layers
  imgtool docker "$WORK/d.tar" "ref=dock:1,layers=$WORK/l1.tar:$WORK/l2.tar" "layers=$WORK/l1.tar"
  cap load -i "$WORK/d.tar" >"$WORK/out"
  assert_eq "$(head -1 "$WORK/out")" "Loaded image: dock:1" "tagged"
  assert_match "$(tail -1 "$WORK/out")" "^Loaded image ID: sha256:[0-9a-f]{64}$" "untagged"
  assert_eq "$(cat "$(layer_dir dock:1 1)/top")" t "content"
  # Compressed as a whole, as docker load accepts it too.
  new_store
  gzip -c "$WORK/d.tar" >"$WORK/d.tar.gz"
  cap load <"$WORK/d.tar.gz" >/dev/null
  assert_eq "$(cap images -q | wc -l)" 2 "images from a gzipped archive"
}

test_save_load_round_trip() {
  image_setup
  busybox_tar "$WORK/bb.tar"
  local id format
  id=$(cap import --change 'CMD ["sh"]' "$WORK/bb.tar" busybox:1)
  two_layers
  imgtool oci "$WORK/two.tar" "ref=two:1,layers=$WORK/l1.tar:$WORK/l2.tar"
  cap load -i "$WORK/two.tar" >/dev/null
  local first=$ROOT
  for format in oci-archive docker-archive; do
    ROOT=$first
    cap save --format "$format" -o "$WORK/$format.tar" busybox:1 two:1
    new_store
    assert_eq "$(cap load -i "$WORK/$format.tar" | tr '\n' ' ')" "Loaded image: busybox:1 Loaded image: two:1 " "$format load"
    assert_eq "$(inspect_field busybox:1 "i['Id']")" "$id" "$format keeps the image ID"
    assert_eq "$(inspect_field busybox:1 "i['Config']['Cmd']")" "['sh']" "$format keeps the config"
    diff -r "$(layer_dir busybox:1 0)" "$(ROOT=$first layer_dir busybox:1 0)" >/dev/null ||
      fail "$format: the rootfs differs after the round trip"
    assert_store_sound
  done
  # Through stdout and stdin.
  ROOT=$first cap save busybox:1 | cap load >/dev/null
}

test_save_failures_leave_nothing() {
  image_setup
  two_layers
  imgtool oci "$WORK/two.tar" "ref=two:1,layers=$WORK/l1.tar:$WORK/l2.tar"
  cap load -i "$WORK/two.tar" >/dev/null
  assert_fails cap save -o "$WORK/out.tar" two:1 nosuch:1
  assert_one_line_error "no such image: nosuch:1"
  assert_eq "$(ls "$WORK" | grep -c out.tar || true)" 0 "partial archive"
  assert_fails cap save -o "$WORK/no/dir/out.tar" two:1
  assert_one_line_error "No such file or directory"
  assert_fails cap save --format tarball two:1
  assert_one_line_error "unknown format 'tarball'"
  assert_fails cap save -o "$WORK" two:1
  assert_one_line_error "$WORK is a directory"
  # A device or a fifo is written into, never replaced.
  mkfifo "$WORK/fifo"
  sha256sum <"$WORK/fifo" >"$WORK/fifo.sum" &
  cap save -o "$WORK/fifo" two:1
  wait $!
  assert_eq "$(stat -c %F "$WORK/fifo")" fifo "the fifo after save"
  assert_eq "$(cut -c1-64 "$WORK/fifo.sum")" "$(cap save two:1 | sha256sum | cut -c1-64)" "archive through the fifo"
  assert_eq "$(ls "$WORK" | grep -c 'fifo.tmp' || true)" 0 "temp files beside the fifo"
  # A terminal is refused (script gives the command one).
  if command -v script >/dev/null; then
    script -qec "$CAPSULE --root $ROOT save two:1" /dev/null >"$WORK/tty.out" || true
    assert_contains "$(cat "$WORK/tty.out")" "refusing to write an archive to a terminal"
  fi
}

test_malformed_archives() {
  image_setup
  two_layers
  assert_fails cap load -i "$WORK/missing.tar"
  assert_one_line_error "open $WORK/missing.tar: No such file or directory"
  head -c 2000 /dev/urandom >"$WORK/noise"
  assert_fails cap load -i "$WORK/noise"
  assert_one_line_error "not a tar archive"
  assert_fails cap load -i "$WORK/l1.tar"
  assert_one_line_error "not an image archive"
  # A blob whose content does not match its name.
  imgtool oci "$WORK/good.tar" "ref=x:1,layers=$WORK/l1.tar"
  mkdir "$WORK/x" && tar -C "$WORK/x" -xf "$WORK/good.tar"
  local layer
  layer=$(tar -tf "$WORK/good.tar" | grep "$(sha256sum "$WORK/l1.tar" | cut -c1-64)")
  cp "$WORK/l2.tar" "$WORK/x/$layer"
  tar -C "$WORK/x" -cf "$WORK/bad-digest.tar" .
  assert_fails cap load -i "$WORK/bad-digest.tar"
  assert_one_line_error "digest mismatch"
  assert_nothing_left 0 0
  # A docker-archive naming a layer it does not hold.
  imgtool docker "$WORK/d.tar" "ref=d:1,layers=$WORK/l1.tar"
  mkdir "$WORK/d" && tar -C "$WORK/d" -xf "$WORK/d.tar"
  rm -r "$WORK/d/$(sha256sum "$WORK/l1.tar" | cut -c1-64)"
  tar -C "$WORK/d" -cf "$WORK/d-missing.tar" .
  assert_fails cap load -i "$WORK/d-missing.tar"
  assert_one_line_error "is not in the archive"
  assert_nothing_left 0 0
  # A layer whose content is not what the config's diff id says.
  rm -rf "$WORK/d" && mkdir "$WORK/d" && tar -C "$WORK/d" -xf "$WORK/d.tar"
  cp "$WORK/l2.tar" "$WORK/d/$(sha256sum "$WORK/l1.tar" | cut -c1-64)/layer.tar"
  tar -C "$WORK/d" -cf "$WORK/d-wrong.tar" .
  assert_fails cap load -i "$WORK/d-wrong.tar"
  assert_one_line_error "the image config says"
  assert_nothing_left 0 0
  # A truncated archive.
  head -c 3000 "$WORK/good.tar" >"$WORK/short.tar"
  assert_fails cap load -i "$WORK/short.tar"
  assert_nothing_left 0 0
}
