# Hostile layer archives, built at test time with python's tarfile: each is
# refused with one clear line, writes nothing outside the layer, and leaves
# no half-unpacked layer, blob or temp file behind.
source "$TOP/tests/image/lib-image.sh"

hostile_setup() {
  image_setup
  OUTSIDE=$WORK/outside
  mkdir -p "$OUTSIDE"
}

# Import the layer built from SPECs; it must fail naming `reason`.
refuse() { # reason spec...
  local reason=$1
  shift
  imgtool tar "$WORK/evil.tar" "$@"
  assert_fails cap import "$WORK/evil.tar" evil:1
  assert_one_line_error "$reason"
  assert_nothing_left 0 0
  assert_eq "$(ls -A "$OUTSIDE")" "" "files written outside the layer"
}

test_dotdot_path() {
  hostile_setup
  refuse "path with '..' refused" "f:../../../../../../../..$OUTSIDE/pwned:x"
  refuse "path with '..' refused" "d:a" "f:a/../../pwned:x"
}

test_absolute_path() {
  hostile_setup
  refuse "absolute path refused" "f:$OUTSIDE/pwned:x"
}

test_write_through_symlink() {
  hostile_setup
  refuse "goes through the symlink" "l:evil:$OUTSIDE" "f:evil/pwned:x"
  refuse "goes through the symlink" "l:evil:../../../../../../../..$OUTSIDE" "f:evil/pwned:x"
  # Even a symlink that stays inside is not walked through.
  refuse "goes through the symlink" "d:real" "l:alias:real" "f:alias/file:x"
}

test_parent_replaced_by_symlink() {
  hostile_setup
  refuse "goes through the symlink" "d:d" "f:d/a:1" "l:d:$OUTSIDE" "f:d/b:2"
}

test_hardlink_out_of_the_layer() {
  hostile_setup
  local links
  links=$(stat -c %h /etc/passwd)
  refuse "absolute path refused" "h:passwd:/etc/passwd"
  refuse "path with '..' refused" "h:passwd:../../../../../../../../etc/passwd"
  refuse "goes through the symlink" "l:etc:/etc" "h:passwd:etc/passwd"
  refuse "is not in the layer" "h:passwd:etc/passwd"
  assert_eq "$(stat -c %h /etc/passwd)" "$links" "links of /etc/passwd"
}

test_write_through_hardlink_stays_inside() {
  hostile_setup
  # A regular file replacing a hardlink gets a new inode: its twin keeps
  # the old content (tar semantics), nothing is written through the link.
  imgtool tar "$WORK/ok.tar" "f:a:original" "h:b:a" "f:b:replaced"
  cap import "$WORK/ok.tar" ok:1 >/dev/null
  local dir
  dir=$(layer_dir ok:1 0)
  assert_eq "$(cat "$dir/a")" original "a"
  assert_eq "$(cat "$dir/b")" replaced "b"
}

test_replacing_entries_is_fine() {
  hostile_setup
  # Later entries replace earlier ones (tar semantics): a directory by a
  # symlink (not written through), a file by a directory, a file by a file.
  imgtool tar "$WORK/ok.tar" "d:d" "f:d/a:1" "l:d:$OUTSIDE" "f:f:1" "d:f" "f:f/in:2" "f:g:1" "f:g:2"
  cap import "$WORK/ok.tar" ok:1 >/dev/null
  local dir
  dir=$(layer_dir ok:1 0)
  assert_eq "$(readlink "$dir/d")" "$OUTSIDE" "d became a symlink"
  assert_eq "$(cat "$dir/f/in") $(cat "$dir/g")" "2 2" "replaced file and directory"
  assert_eq "$(ls -A "$OUTSIDE")" "" "files written outside the layer"
}

test_overlay_xattrs_refused() {
  hostile_setup
  refuse "steer overlayfs" "x:f:data:trusted.overlay.redirect=/etc"
  refuse "steer overlayfs" "x:f:data:user.overlay.metacopy=y"
}

test_bad_whiteouts() {
  hostile_setup
  refuse "invalid whiteout" "f:.wh..:"
  refuse "would replace the layer's root" "l:.:$OUTSIDE"
}

# GNU tar itself can write '..' members (--absolute-names keeps them).
test_gnu_tar_dotdot() {
  hostile_setup
  mkdir -p "$WORK/src/in"
  echo x >"$WORK/src/x"
  (cd "$WORK/src/in" && tar --absolute-names -cf "$WORK/evil.tar" ../x)
  assert_eq "$(tar -tf "$WORK/evil.tar")" "../x" "member name"
  assert_fails cap import "$WORK/evil.tar"
  assert_one_line_error "../x: path with '..' refused"
  assert_nothing_left 0 0
}

# The same refusals apply to layers coming in through load (and pull).
test_hostile_layer_in_an_archive() {
  hostile_setup
  imgtool tar "$WORK/evil.tar" "l:evil:$OUTSIDE" "f:evil/pwned:x"
  imgtool oci "$WORK/evil-oci.tar" "ref=evil:1,layers=$WORK/evil.tar"
  assert_fails cap load -i "$WORK/evil-oci.tar"
  assert_one_line_error "evil/pwned: goes through the symlink evil (refused)"
  assert_nothing_left 0 0
  assert_eq "$(ls -A "$OUTSIDE")" "" "files written outside the layer"
}

# Member names longer than PATH_MAX, as pax and GNU tar write them, are
# refused by name, never cut (a cut name is another file).
test_names_longer_than_path_max() {
  hostile_setup
  local format
  for format in PAX GNU; do
    "$PY" - "$WORK/long.tar" "$format" <<'PY'
import io, sys, tarfile
tar = tarfile.open(sys.argv[1], "w", format=getattr(tarfile, sys.argv[2] + "_FORMAT"))
name = "/".join(["d" * 200] * 25) + "/file"
info = tarfile.TarInfo(name)
info.size = 1
tar.addfile(info, io.BytesIO(b"x"))
tar.close()
PY
    assert_fails cap import "$WORK/long.tar" long:1
    assert_one_line_error "path too long"
    assert_nothing_left 0 0
  done
  # In an archive's index: a symlink whose target is longer than PATH_MAX.
  "$PY" - "$WORK/long-link.tar" <<'PY'
import sys, tarfile
tar = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
info = tarfile.TarInfo("manifest.json")
info.type, info.linkname = tarfile.SYMTYPE, "/".join(["x" * 200] * 45)
tar.addfile(info)
tar.close()
PY
  assert_fails cap load -i "$WORK/long-link.tar"
  assert_one_line_error "link target too long"
  assert_nothing_left 0 0
}

# Decompression bombs: a layer may not decompress to more than
# CAPSULE_LAYER_MAX_SIZE bytes, nor to more than CAPSULE_LAYER_MAX_RATIO
# (default 1100) times its compressed size; refused, nothing left behind.
test_decompression_bombs() {
  hostile_setup
  mkdir -p "$WORK/zeros"
  truncate -s 8M "$WORK/zeros/z"
  tar -C "$WORK/zeros" -cf - z | gzip -9 >"$WORK/bomb.tar.gz"
  CAPSULE_LAYER_MAX_SIZE=1M assert_fails cap import "$WORK/bomb.tar.gz" bomb:1
  assert_one_line_error "gzip data decompresses to more than 1048576 bytes (the limit, CAPSULE_LAYER_MAX_SIZE)"
  assert_nothing_left 0 0
  # The same layer in an archive, through load.
  imgtool oci "$WORK/bomb-oci.tar" "ref=bomb:1,layers=$WORK/bomb.tar.gz"
  CAPSULE_LAYER_MAX_SIZE=1M assert_fails cap load -i "$WORK/bomb-oci.tar"
  assert_one_line_error "decompresses to more than 1048576 bytes"
  assert_nothing_left 0 0
  CAPSULE_LAYER_MAX_SIZE=1x assert_fails cap import "$WORK/bomb.tar.gz" bomb:1
  assert_one_line_error "CAPSULE_LAYER_MAX_SIZE=1x: expected a number"
  # By default: 8 MiB from 8 KiB of gzip is fine (deflate stays under 1032:1)...
  cap import "$WORK/bomb.tar.gz" bomb:1 >/dev/null
  cap rmi bomb:1 >/dev/null
  # ...but 300 MiB of zeros in a few KiB of zstd is past 1100:1.
  truncate -s 300M "$WORK/zeros/z"
  tar -C "$WORK/zeros" -cf - z | zstd -q -3 >"$WORK/bomb.tar.zst"
  rm -rf "$WORK/zeros"
  assert_fails cap import "$WORK/bomb.tar.zst" bomb:2
  assert_one_line_error "zstd data decompresses to more than 1100 times its size"
  assert_nothing_left 0 0
  CAPSULE_LAYER_MAX_RATIO=0 cap import "$WORK/bomb.tar.zst" bomb:2 >/dev/null
}
