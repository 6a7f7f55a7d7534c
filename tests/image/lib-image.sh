# Helpers for the image suites (tests/image/*.sh), sourced by each suite
# after tests/lib.sh. Every test gets its own store (--root) and work dir,
# removed at the end.
#
#   image_setup            fresh $ROOT (store) and $WORK (scratch dir)
#   new_store              another fresh $ROOT
#   cap ARGS...            capsule --root $ROOT ARGS...
#   imgtool ARGS...        tests/image/imgtool.py (builds tars and archives)
#   busybox_tar FILE       the busybox rootfs tarball (scripts/make-busybox-rootfs)
#   layer_dir IMAGE N      the unpacked directory of layer N (0 = lowest) of IMAGE
#   assert_store_sound     system check finds nothing to repair, tmp/ is empty

CAPSULE=$BIN/capsule
PY=${PYTHON:-python3}

image_setup() {
  [ -x "$CAPSULE" ] || fail "capsule not built: $CAPSULE"
  ROOT=$(mktemp -d /tmp/capsule-image-root.XXXXXX)
  WORK=$(mktemp -d /tmp/capsule-image-work.XXXXXX)
  defer "rm -rf '$ROOT' '$WORK'"
}

# Another fresh store, same $WORK.
new_store() {
  ROOT=$(mktemp -d /tmp/capsule-image-root.XXXXXX)
  defer "rm -rf '$ROOT'"
}

cap() { "$CAPSULE" --root "$ROOT" "$@"; }

imgtool() { "$PY" "$TOP/tests/image/imgtool.py" "$@"; }

busybox_tar() {
  "$TOP/scripts/make-busybox-rootfs" "$1"
}

# A field of `capsule image inspect` (a Python expression on the object `i`).
inspect_field() { # image expression
  cap image inspect "$1" | "$PY" -c "import json,sys; i=json.load(sys.stdin)[0]; print($2)"
}

layer_dir() { # image index
  inspect_field "$1" "i['Layers'][$2]['Dir']"
}

assert_store_sound() {
  local out
  out=$(cap system check) || fail "system check failed: $out"
  assert_not_contains "$out" "repaired" "system check"
  assert_not_contains "$out" "problem" "system check"
  assert_eq "$(ls -A "$ROOT/tmp")" "" "leftovers in tmp/"
}

# Nothing of a failed command stayed: no temp files, no layer, no blob but
# those of the images already there (given as a count of blobs).
assert_nothing_left() { # blobs-expected layers-expected
  assert_eq "$(ls -A "$ROOT/tmp" 2>/dev/null)" "" "leftovers in tmp/"
  assert_eq "$(ls "$ROOT/blobs/sha256" 2>/dev/null | wc -l)" "$1" "blobs"
  assert_eq "$(ls "$ROOT/layers" 2>/dev/null | wc -l)" "$2" "layers"
  assert_eq "$(find "$ROOT" -maxdepth 1 -name '*.tmp*' | wc -l)" 0 "temp files in the root"
}

# One-line error on stderr, for commands run through assert_fails.
assert_one_line_error() { # expected-substring
  assert_eq "$(printf '%s\n' "$ERR" | wc -l)" 1 "lines on stderr ($ERR)"
  assert_contains "$ERR" "$1" "stderr"
}
