# The store as users see it: import, images (and its formats), tag, rmi,
# inspect, history, prune; layers shared between images stored once.
source "$TOP/tests/image/lib-image.sh"

import_busybox() {
  busybox_tar "$WORK/bb.tar"
  cap import --change 'CMD ["sh"]' --change 'ENV A=1 B=two' --change 'WORKDIR /tmp' \
    --change 'USER nobody' --change 'EXPOSE 80' --change 'LABEL k=v' -m "the rootfs" \
    "$WORK/bb.tar" busybox:latest
}

test_import_and_images() {
  image_setup
  local id
  id=$(import_busybox)
  assert_match "$id" '^sha256:[0-9a-f]{64}$' "import output"
  assert_eq "$(cap images -q)" "${id:7:12}" "images -q"
  assert_eq "$(cap images -q --no-trunc)" "$id" "images -q --no-trunc"
  local out
  out=$(cap images)
  assert_match "$(head -1 <<<"$out")" '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$' "header"
  assert_match "$(tail -1 <<<"$out")" "^busybox +latest +${id:7:12} +(Less than a second|[0-9]+ seconds?) ago +[0-9.]+MB$" "row"
  assert_eq "$(cap images --format '{{.Repository}}:{{.Tag}} {{ .ID }}')" "busybox:latest ${id:7:12}" "--format"
  assert_eq "$(cap images --format '{{.Digest}}')" "$(inspect_field busybox "i['Digest']")" "{{.Digest}}"
  assert_match "$(cap images --digests | tail -1)" "^busybox +latest +sha256:[0-9a-f]{64} +${id:7:12}" "--digests"
  assert_match "$(cap images --format 'table {{.Repository}}\t{{.Size}}' | head -1)" '^REPOSITORY +SIZE$' "table header"
  # The config the engine will run from.
  assert_eq "$(inspect_field busybox "i['Config']['Cmd']")" "['sh']" "Cmd"
  assert_eq "$(inspect_field busybox "i['Config']['Env']")" "['A=1', 'B=two']" "Env"
  assert_eq "$(inspect_field busybox "i['Config']['WorkingDir'], i['Config']['User']")" "/tmp nobody" "WorkingDir, User"
  assert_eq "$(inspect_field busybox "list(i['Config']['ExposedPorts']), i['Config']['Labels']")" "['80/tcp'] {'k': 'v'}" "ports, labels"
  assert_eq "$(inspect_field busybox "i['Comment']")" "the rootfs" "comment"
  # The unpacked layer is the rootfs.
  local dir
  dir=$(layer_dir busybox 0)
  [ -x "$dir/bin/busybox" ] || fail "no bin/busybox in $dir"
  assert_eq "$(readlink "$dir/bin/sh")" busybox "bin/sh link"
  assert_eq "$(stat -c %a "$dir/tmp")" 1777 "tmp mode"
  assert_store_sound
}

test_import_from_stdin_compressed() {
  image_setup
  busybox_tar "$WORK/bb.tar"
  gzip -c "$WORK/bb.tar" >"$WORK/bb.tar.gz"
  zstd -q -c "$WORK/bb.tar" >"$WORK/bb.tar.zst"
  cap import - gz:1 <"$WORK/bb.tar.gz" >/dev/null
  cap import "$WORK/bb.tar.zst" zst:1 >/dev/null
  # The same content: one unpacked layer (keyed by its diff id), three blobs.
  assert_eq "$(inspect_field gz:1 "i['RootFS']['diff_ids']")" "$(inspect_field zst:1 "i['RootFS']['diff_ids']")" "diff ids"
  assert_eq "$(ls "$ROOT/layers" | wc -l)" 1 "layers"
  assert_eq "$(inspect_field gz:1 "i['Layers'][0]['Dir']")" "$(layer_dir zst:1 0)" "shared layer dir"
}

test_tag_and_rmi_like_docker() {
  image_setup
  local id
  id=$(import_busybox)
  cap tag busybox example.com/team/bb:1
  cap tag "${id:7:12}" other:2
  assert_eq "$(cap images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" "busybox:latest example.com/team/bb:1 other:2 " "tags"
  assert_eq "$(inspect_field busybox "sorted(i['RepoTags'])")" "['busybox:latest', 'example.com/team/bb:1', 'other:2']" "RepoTags"
  # By ID, an image in several repositories needs -f.
  assert_fails cap rmi "${id:7:12}"
  assert_one_line_error "referenced in several repositories"
  # By name, only that name goes.
  assert_eq "$(cap rmi other:2)" "Untagged: other:2" "rmi by name"
  assert_eq "$(cap rmi example.com/team/bb:1)" "Untagged: example.com/team/bb:1" "rmi by name"
  # The last name takes the image and its layer with it.
  assert_eq "$(cap rmi busybox | tr '\n' ' ')" "Untagged: busybox:latest Deleted: $id " "rmi of the last name"
  assert_eq "$(cap images -q)" "" "images after rmi"
  assert_nothing_left 0 0
}

test_rmi_force_by_id() {
  image_setup
  local id
  id=$(import_busybox)
  cap tag busybox x/y:1
  cap rmi -f "$id" >"$WORK/out"
  assert_contains "$(cat "$WORK/out")" "Untagged: x/y:1"
  assert_contains "$(cat "$WORK/out")" "Deleted: $id"
  assert_nothing_left 0 0
}

# Builds images with shared base layers: base (L1), child (L1 L2), two
# children of it sharing L1 L2, from a random 4 MB file so the sizes show.
make_family() {
  head -c 4000000 /dev/urandom >"$WORK/big"
  mkdir -p "$WORK/l1/data" "$WORK/l2" "$WORK/l3" "$WORK/l4"
  cp "$WORK/big" "$WORK/l1/data/big"
  echo two >"$WORK/l2/two"
  echo three >"$WORK/l3/three"
  echo four >"$WORK/l4/four"
  local i
  for i in 1 2 3 4; do tar -C "$WORK/l$i" -cf "$WORK/l$i.tar" .; done
  imgtool oci "$WORK/family.tar" "ref=base:1,layers=$WORK/l1.tar" \
    "ref=child:1,layers=$WORK/l1.tar:$WORK/l2.tar" \
    "ref=grandchild:a,layers=$WORK/l1.tar:$WORK/l2.tar:$WORK/l3.tar" \
    "ref=grandchild:b,layers=$WORK/l1.tar:$WORK/l2.tar:$WORK/l4.tar"
}

test_shared_layers_stored_once() {
  image_setup
  make_family
  imgtool oci "$WORK/alone.tar" "ref=alone:1,cmd=true,layers=$WORK/l1.tar"
  cap load -i "$WORK/alone.tar" >/dev/null
  local one four
  one=$(du -sk "$ROOT/layers" | cut -f1)
  cap load -i "$WORK/family.tar" >/dev/null
  four=$(du -sk "$ROOT/layers" | cut -f1)
  # Five images, four distinct layers: the 4 MB base is unpacked once.
  assert_eq "$(ls "$ROOT/layers" | wc -l)" 4 "layer dirs"
  [ "$one" -ge 3900 ] || fail "one image with the 4 MB layer takes only ${one} kB"
  [ $((four - one)) -lt 100 ] || fail "layers grew by $((four - one)) kB for images sharing the base (${one} kB -> ${four} kB)"
  echo "layers: ${one} kB for one image, ${four} kB for five sharing its base" >&2
  # The blob of the base layer is stored once too.
  assert_eq "$(ls "$ROOT/blobs/sha256" | wc -l)" $((4 + 5 * 2)) "blobs (4 layers, 5 configs and manifests)"
  assert_eq "$(layer_dir base:1 0)" "$(layer_dir grandchild:b 0)" "shared base dir"
}

test_parent_and_children() {
  image_setup
  make_family
  cap load -i "$WORK/family.tar" >/dev/null
  local base child ga gb
  base=$(inspect_field base:1 "i['Id']")
  child=$(inspect_field child:1 "i['Id']")
  ga=$(inspect_field grandchild:a "i['Id']")
  gb=$(inspect_field grandchild:b "i['Id']")
  assert_eq "$(inspect_field base:1 "i['Parent']")" "" "base's parent"
  assert_eq "$(inspect_field child:1 "i['Parent']")" "$base" "child's parent"
  assert_eq "$(inspect_field grandchild:a "i['Parent']")" "$child" "grandchild's parent"
  assert_eq "$(inspect_field child:1 "sorted(i['Children'])")" "$(printf "%s\n" "$ga" "$gb" | sort | "$PY" -c "import sys; print(sorted(sys.stdin.read().split()))")" "child's children"
  # history: newest first, each layer attributed to the image it tops.
  local ids
  ids=$(cap image history -q grandchild:a | tr '\n' ' ')
  assert_eq "$ids" "${ga:7:12} ${child:7:12} ${base:7:12} " "history IMAGE column"
  assert_contains "$(cap image history grandchild:a | head -2 | tail -1)" "imgtool layer 2" "history CREATED BY"
  assert_match "$(cap image history grandchild:a | tail -1)" "^${base:7:12} .* 4MB " "history SIZE of the base"
  # Removing the parent leaves its children whole (layers are counted).
  cap rmi child:1 >/dev/null
  assert_eq "$(ls "$ROOT/layers" | wc -l)" 4 "layers after removing the middle image"
  assert_eq "$(inspect_field grandchild:a "i['Parent']")" "$base" "new parent after rmi"
  cap rmi grandchild:a >/dev/null
  assert_eq "$(ls "$ROOT/layers" | wc -l)" 3 "layers after removing a leaf"
  assert_store_sound
}

test_prune() {
  image_setup
  make_family
  cap load -i "$WORK/family.tar" >/dev/null
  # Moving a tag away leaves the old image dangling.
  cap tag grandchild:a child:1
  assert_eq "$(cap images --format '{{.Repository}}:{{.Tag}}' | grep -c '<none>')" 1 "dangling images"
  local out
  out=$(cap image prune)
  assert_contains "$out" "Deleted: sha256:"
  assert_contains "$out" "Total reclaimed space: "
  assert_eq "$(cap images -q | wc -l)" 3 "images after prune"
  assert_eq "$(ls "$ROOT/layers" | wc -l)" 4 "layers after prune (all still used)"
  cap image prune -a >/dev/null
  assert_eq "$(cap images -q)" "" "images after prune -a"
  assert_nothing_left 0 0
}

test_resolve_by_id_prefix_and_digest() {
  image_setup
  local id digest
  id=$(import_busybox)
  digest=$(inspect_field busybox "i['Digest']")
  assert_eq "$(inspect_field "${id:7:6}" "i['Id']")" "$id" "by ID prefix"
  assert_eq "$(inspect_field "$id" "i['Id']")" "$id" "by full ID"
  assert_eq "$(inspect_field "$digest" "i['Id']")" "$id" "by manifest digest"
  assert_eq "$(inspect_field "busybox@$digest" "i['Id']")" "$id" "by name@digest"
  assert_eq "$(inspect_field "docker.io/library/busybox" "i['Id']")" "$id" "by normalised name"
}
