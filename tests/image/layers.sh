# Layer contents: OCI whiteouts become overlayfs ones (checked through a real
# overlay mount), metadata is kept, tar / tar+gzip / tar+zstd all unpack.
source "$TOP/tests/image/lib-image.sh"

# Base: a/keep, a/gone, d/old, top-level file; top: whiteout a/gone, opaque d
# with d/new, a replaced file.
make_whiteout_image() {
  imgtool tar "$WORK/base.tar" "d:a" "f:a/keep:k" "f:a/gone:g" "d:d" "f:d/old:o" "f:file:v1"
  imgtool tar "$WORK/top.tar" "d:a" "f:a/.wh.gone:" "d:d" "f:d/.wh..wh..opq:" "f:d/new:n" \
    "f:file:v2"
  imgtool oci "$WORK/wh.tar" "ref=wh:1,layers=$WORK/base.tar:$WORK/top.tar"
  cap load -i "$WORK/wh.tar" >/dev/null
}

test_whiteouts_on_disk() {
  image_setup
  make_whiteout_image
  local top
  top=$(layer_dir wh:1 1)
  assert_eq "$(stat -c '%F %t:%T' "$top/a/gone")" "character special file 0:0" "whiteout a/gone"
  assert_eq "$(getfattr --only-values -n trusted.overlay.opaque "$top/d" 2>/dev/null)" y "opaque d"
  assert_eq "$(find "$top" -name '.wh.*' | wc -l)" 0 "OCI whiteout files left in the layer"
  assert_eq "$(getfattr --only-values -n trusted.overlay.opaque "$(layer_dir wh:1 0)/d" 2>/dev/null || true)" "" "base d not opaque"
}

test_overlay_mount_sees_the_image() {
  image_setup
  make_whiteout_image
  local lower
  lower=$(inspect_field wh:1 "i['GraphDriver']['Data']['LowerDir']")
  mkdir "$WORK/merged"
  # A private mount namespace: the mount vanishes with it, even on failure.
  unshare -m --propagation private sh -c '
    mount -t overlay overlay -o "lowerdir=$1" "$2" &&
    cd "$2" && find . | sort | tr "\n" " " && cat file' \
    sh "$lower" "$WORK/merged" >"$WORK/view"
  assert_eq "$(cat "$WORK/view")" ". ./a ./a/keep ./d ./d/new ./file v2" "merged view"
}

test_metadata_kept() {
  image_setup
  mkdir -p "$WORK/src/dir"
  echo secret >"$WORK/src/secret"
  chown 1234:5678 "$WORK/src/secret"
  chmod 0640 "$WORK/src/secret"
  echo run >"$WORK/src/suid"
  chmod 4755 "$WORK/src/suid"
  chmod 1777 "$WORK/src/dir"
  ln "$WORK/src/secret" "$WORK/src/hardlink"
  ln -s /nowhere/target "$WORK/src/symlink"
  mknod "$WORK/src/null" c 1 3
  mknod "$WORK/src/block" b 7 0
  mkfifo "$WORK/src/fifo"
  setfattr -n user.color -v blue "$WORK/src/secret"
  setfattr -n security.capability -v 0sAQAAAgAgAAAAAAAAAAAAAAAAAAA= "$WORK/src/suid"
  touch -h -d '2001-02-03 04:05:06' "$WORK/src/secret" "$WORK/src/dir" "$WORK/src/symlink"
  tar --xattrs --xattrs-include='*' -C "$WORK/src" -cf "$WORK/meta.tar" .
  cap import "$WORK/meta.tar" meta:1 >/dev/null
  local d
  d=$(layer_dir meta:1 0)
  assert_eq "$(stat -c '%u:%g %a' "$d/secret")" "1234:5678 640" "owner and mode"
  assert_eq "$(stat -c '%a' "$d/suid" "$d/dir" | tr '\n' ' ')" "4755 1777 " "setuid and sticky bits"
  assert_eq "$(stat -c %i "$d/hardlink")" "$(stat -c %i "$d/secret")" "hardlink inode"
  assert_eq "$(readlink "$d/symlink")" /nowhere/target "symlink target"
  assert_eq "$(stat -c '%F %t:%T' "$d/null" "$d/block" | tr '\n' ' ')" "character special file 1:3 block special file 7:0 " "devices"
  assert_eq "$(stat -c '%F' "$d/fifo")" "fifo" "fifo"
  assert_eq "$(getfattr --only-values -n user.color "$d/secret")" blue "user xattr"
  assert_eq "$(getfattr -e base64 -n security.capability "$d/suid" 2>/dev/null | grep =)" "security.capability=0sAQAAAgAgAAAAAAAAAAAAAAAAAAA=" "file capability"
  assert_eq "$(stat -c %Y "$d/secret" "$d/dir" | tr '\n' ' ')" "$(stat -c %Y "$WORK/src/secret" "$WORK/src/dir" | tr '\n' ' ')" "mtimes"
  assert_eq "$(stat -c %Y "$d/symlink")" "$(stat -c %Y "$WORK/src/symlink")" "symlink mtime"
}

test_sparse_file() {
  image_setup
  mkdir "$WORK/src"
  truncate -s 64M "$WORK/src/sparse"
  echo end >>"$WORK/src/sparse"
  tar --sparse -C "$WORK/src" -cf "$WORK/sparse.tar" .
  cap import "$WORK/sparse.tar" sparse:1 >/dev/null
  local f
  f=$(layer_dir sparse:1 0)/sparse
  assert_eq "$(stat -c %s "$f")" "$(stat -c %s "$WORK/src/sparse")" "size"
  [ "$(du -k "$f" | cut -f1)" -lt 1024 ] || fail "the sparse file takes $(du -k "$f" | cut -f1) kB"
  assert_eq "$(tail -c 4 "$f")" end "content at the end"
}

test_compressions() {
  image_setup
  imgtool tar "$WORK/a.tar" "f:plain:1"
  imgtool tar "$WORK/b.tar" "f:gzipped:2"
  imgtool tar "$WORK/c.tar" "f:zstded:3"
  gzip -n "$WORK/b.tar"
  zstd -q --rm "$WORK/c.tar"
  imgtool oci "$WORK/img.tar" "ref=comp:1,layers=$WORK/a.tar:$WORK/b.tar.gz:$WORK/c.tar.zst"
  cap load -i "$WORK/img.tar" >/dev/null
  assert_eq "$(cat "$(layer_dir comp:1 0)/plain" "$(layer_dir comp:1 1)/gzipped" "$(layer_dir comp:1 2)/zstded")" "123" "contents"
  # The media type is not trusted: a gzip blob declared as plain tar still unpacks.
  imgtool tar "$WORK/d.tar" "f:lying:4"
  gzip -n "$WORK/d.tar"
  imgtool docker "$WORK/docker.tar" "ref=lie:1,layers=$WORK/d.tar.gz"
  cap load -i "$WORK/docker.tar" >/dev/null
  assert_eq "$(cat "$(layer_dir lie:1 0)/lying")" 4 "content of a compressed docker-archive layer"
  assert_store_sound
}

test_corrupt_layers() {
  image_setup
  imgtool tar "$WORK/a.tar" "f:file:$(head -c 3000 /dev/urandom | base64 -w0)"
  gzip -n -c "$WORK/a.tar" >"$WORK/a.tar.gz"
  # Flip bytes in the middle of the gzip stream.
  local size
  size=$(stat -c %s "$WORK/a.tar.gz")
  printf 'XXXXXXXX' | dd of="$WORK/a.tar.gz" bs=1 seek=$((size / 2)) conv=notrunc status=none
  assert_fails cap import "$WORK/a.tar.gz"
  assert_one_line_error "corrupt gzip data"
  assert_nothing_left 0 0
  head -c 5000 /dev/urandom >"$WORK/noise"
  assert_fails cap import "$WORK/noise"
  assert_one_line_error "not a tar archive"
  assert_nothing_left 0 0
  printf '\xfd7zXZ\x00rest' >"$WORK/xz"
  assert_fails cap import "$WORK/xz"
  assert_one_line_error "xz-compressed data is not supported"
  assert_nothing_left 0 0
}
