# Interoperability with independent peers: podman save -> capsule load,
# capsule save -> podman load / skopeo inspect / umoci unpack, and
# OCI layouts written by umoci and skopeo loaded by capsule.
#
# podman runs in a private mount namespace whose /run is a fresh tmpfs that
# holds its config and store (vfs driver): nothing touches the host's podman
# state, and everything vanishes with the namespace.
source "$TOP/tests/image/lib-image.sh"

PM_DIR=/run/capsule-image-podman

podman_start() {
  command -v podman >/dev/null || skip "podman is not installed"
  PM_OUT=$(mktemp /tmp/capsule-image-podman.XXXXXX)
  unshare -m --propagation private sh -c '
    mount -t tmpfs -o mode=755 capsule-image-podman /run && mkdir -p "$1/tmp" &&
    echo ready && exec sleep infinity' holder "$PM_DIR" >"$PM_OUT" 2>&1 &
  PM_HOLDER=$!
  defer "kill $PM_HOLDER; wait $PM_HOLDER; rm -f '$PM_OUT'"
  wait_for "grep -qx ready '$PM_OUT'" 50
  local inside=/proc/$PM_HOLDER/root$PM_DIR
  cat >"$inside/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PM_DIR/events.log"
tmp_dir = "$PM_DIR/libpod"
image_copy_tmp_dir = "$PM_DIR/tmp"
CONF
  cat >"$inside/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$PM_DIR/graphroot"
runroot = "$PM_DIR/runroot"
CONF
  echo 'unqualified-search-registries = []' >"$inside/registries.conf"
}

# podman (or any command) inside the namespace; $WORK is visible there.
pm_ns() {
  nsenter -t "$PM_HOLDER" -m -- env CONTAINERS_CONF=$PM_DIR/containers.conf \
    CONTAINERS_STORAGE_CONF=$PM_DIR/storage.conf CONTAINERS_REGISTRIES_CONF=$PM_DIR/registries.conf \
    TMPDIR=$PM_DIR/tmp timeout -k 5 120 "$@"
}

busybox_sum() { sha256sum /bin/busybox | cut -c1-64; }

test_podman_save_capsule_load() {
  image_setup
  podman_start
  busybox_tar "$WORK/bb.tar"
  pm_ns podman import --change 'CMD ["/bin/sh"]' --change 'ENV FOO=bar' "$WORK/bb.tar" \
    localhost/pbox:1 >/dev/null
  pm_ns podman save -o "$WORK/p-docker.tar" localhost/pbox:1 2>/dev/null
  pm_ns podman save --format oci-archive -o "$WORK/p-oci.tar" localhost/pbox:1 2>/dev/null
  local pid format
  pid=$(pm_ns podman image inspect --format '{{.Id}}' localhost/pbox:1)
  for format in docker oci; do
    new_store
    assert_eq "$(cap load -i "$WORK/p-$format.tar")" "Loaded image: localhost/pbox:1" "$format load"
    assert_eq "$(cap images -q --no-trunc)" "sha256:$pid" "$format: same image ID as podman's"
    assert_eq "$(sha256sum "$(layer_dir localhost/pbox:1 0)/bin/busybox" | cut -c1-64)" "$(busybox_sum)" "$format: busybox in the layer"
    assert_eq "$(inspect_field localhost/pbox:1 "i['Config']['Env'], i['Config']['Cmd']")" "['FOO=bar'] ['/bin/sh']" "$format: config"
    assert_store_sound
  done
}

test_capsule_save_podman_load() {
  image_setup
  podman_start
  busybox_tar "$WORK/bb.tar"
  local id format mnt
  id=$(cap import --change 'CMD ["sh"]' "$WORK/bb.tar" example.com/cbox:2)
  for format in docker-archive oci-archive; do
    cap save --format "$format" -o "$WORK/c-$format.tar" example.com/cbox:2
    pm_ns podman load -q -i "$WORK/c-$format.tar" >/dev/null 2>&1 ||
      fail "podman load of $format: $(pm_ns podman load -i "$WORK/c-$format.tar" 2>&1 | tail -1)"
    assert_eq "$(pm_ns podman images --format '{{.Repository}}:{{.Tag}} {{.ID}}' example.com/cbox:2)" \
      "example.com/cbox:2 ${id:7:12}" "podman images after loading the $format"
    mnt=$(pm_ns podman image mount example.com/cbox:2)
    assert_eq "$(pm_ns sha256sum "$mnt/bin/busybox" | cut -c1-64)" "$(busybox_sum)" "busybox seen by podman ($format)"
    assert_eq "$(pm_ns readlink "$mnt/bin/sh")" busybox "bin/sh seen by podman ($format)"
    pm_ns podman image unmount example.com/cbox:2 >/dev/null
    pm_ns podman rmi -f example.com/cbox:2 >/dev/null 2>&1
  done
}

test_skopeo_inspects_capsule_archives() {
  command -v skopeo >/dev/null || skip "skopeo is not installed"
  image_setup
  busybox_tar "$WORK/bb.tar"
  local id digest
  id=$(cap import --change 'CMD ["sh"]' "$WORK/bb.tar" busybox:3)
  digest=$(inspect_field busybox:3 "i['Digest']")
  cap save --format oci-archive -o "$WORK/c.tar" busybox:3
  cap save -o "$WORK/d.tar" busybox:3
  assert_eq "$(skopeo inspect --format '{{.Digest}} {{.Architecture}}' "oci-archive:$WORK/c.tar")" "$digest amd64" "skopeo on the oci-archive"
  assert_eq "$(skopeo inspect --config "oci-archive:$WORK/c.tar" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['config']['Cmd'])")" "['sh']" "config via skopeo"
  assert_eq "$(skopeo inspect --format '{{.RepoTags}}' "docker-archive:$WORK/d.tar")" "[]" "skopeo on the docker-archive"
  assert_eq "$(skopeo inspect --raw --config "docker-archive:$WORK/d.tar" | sha256sum | cut -c1-64)" "${id:7}" "config digest via skopeo"
  # skopeo converts both ways; capsule loads what it writes.
  skopeo copy -q "docker-archive:$WORK/d.tar" "oci-archive:$WORK/s-oci.tar:example.com/s:1"
  skopeo copy -q "oci-archive:$WORK/c.tar" "docker-archive:$WORK/s-docker.tar:example.com/s:2"
  cap load -i "$WORK/s-oci.tar" >/dev/null
  cap load -i "$WORK/s-docker.tar" >/dev/null
  # (skopeo rewrites the config when it converts: compare layers and Cmd.)
  local want
  want=$(inspect_field busybox:3 "i['RootFS']['diff_ids'], i['Config']['Cmd']")
  assert_eq "$(inspect_field example.com/s:1 "i['RootFS']['diff_ids'], i['Config']['Cmd']")" "$want" "skopeo's oci-archive"
  assert_eq "$(inspect_field example.com/s:2 "i['RootFS']['diff_ids'], i['Config']['Cmd']")" "$want" "skopeo's docker-archive"
  assert_eq "$(ls "$ROOT/layers" | wc -l)" 1 "one layer for the three images"
}

test_umoci_round_trip() {
  command -v umoci >/dev/null || skip "umoci is not installed"
  image_setup
  busybox_tar "$WORK/bb.tar"
  cap import "$WORK/bb.tar" busybox:4 >/dev/null
  cap save --format oci-archive -o "$WORK/c.tar" busybox:4
  mkdir "$WORK/layout"
  tar -C "$WORK/layout" -xf "$WORK/c.tar"
  umoci unpack --image "$WORK/layout:docker.io/library/busybox:4" "$WORK/bundle" >/dev/null
  assert_eq "$(sha256sum "$WORK/bundle/rootfs/bin/busybox" | cut -c1-64)" "$(busybox_sum)" "busybox unpacked by umoci"
  # umoci builds an image (a layer on top of ours) and capsule loads it.
  echo added >"$WORK/bundle/rootfs/added"
  rm "$WORK/bundle/rootfs/bin/ls"
  umoci repack --image "$WORK/layout:child" "$WORK/bundle" >/dev/null
  umoci config --image "$WORK/layout:child" --config.cmd /bin/true
  tar -C "$WORK/layout" -cf "$WORK/u.tar" .
  new_store
  cap load -i "$WORK/u.tar" >"$WORK/out"
  assert_contains "$(cat "$WORK/out")" "Loaded image: busybox:4"
  # umoci's "child" ref is a bare tag: the image is loaded, untagged.
  local child
  child=$(grep "Loaded image ID" "$WORK/out" | cut -d' ' -f4)
  assert_eq "$(inspect_field "$child" "i['Config']['Cmd']")" "['/bin/true']" "umoci's config"
  assert_eq "$(inspect_field "$child" "i['Parent']")" "$(inspect_field busybox:4 "i['Id']")" "parent of umoci's image"
  local top
  top=$(layer_dir "$child" 1)
  assert_eq "$(cat "$top/added")" added "umoci's added file"
  assert_eq "$(stat -c '%F %t:%T' "$top/bin/ls")" "character special file 0:0" "umoci's whiteout"
}
