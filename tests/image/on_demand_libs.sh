# libcurl and libarchive are opened only by the commands that need them
# (registry/curl_lib.h, image/archive_lib.h): without them every other
# command works, `capsule run` included, and the ones that need them fail
# with one line naming the library, leaving nothing behind.
source "$TOP/tests/image/lib-image.sh"

CURL_SO=libcurl.so.4
ARCHIVE_SO=libarchive.so.13

# Run ARGS in a private mount namespace where each library of SONAMES is
# covered by /dev/null, so that dlopen fails as if it were not installed.
without_libs() { # "SONAME..." ARGS...
  local sonames=$1 covers="" so path
  shift
  for so in $sonames; do
    path=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64/ {print $NF; exit}')
    [ -n "$path" ] || fail "$so is not installed"
    covers+="mount --bind /dev/null '$(readlink -f "$path")' && "
  done
  unshare -m --propagation private sh -c "${covers}exec \"\$@\"" sh "$@"
}

test_commands_that_need_neither_work_without_them() {
  image_setup
  busybox_tar "$WORK/busybox.tar" >/dev/null
  cap import "$WORK/busybox.tar" busybox:latest >/dev/null
  local run=(without_libs "$CURL_SO $ARCHIVE_SO")
  # The cover works: dlopen of it fails.
  assert_fails "${run[@]}" "$PY" -c "import ctypes; ctypes.CDLL('$CURL_SO')"
  assert_match "$("${run[@]}" "$CAPSULE" --version)" '^capsule version ' "--version"
  assert_contains "$("${run[@]}" "$CAPSULE" --root "$ROOT" images)" busybox "images"
  assert_eq "$("${run[@]}" "$CAPSULE" --root "$ROOT" image inspect busybox | "$PY" -c \
    'import json,sys; print(len(json.load(sys.stdin)[0]["Layers"]))')" 1 "inspect"
  mkdir "$WORK/run"
  defer "umount -R '$WORK/run' 2>/dev/null; true"
  assert_eq "$("${run[@]}" "$CAPSULE" --root "$ROOT" --runroot "$WORK/run" run --rm busybox \
    echo ran)" ran "run --rm"
  assert_eq "$(ls -A "$ROOT/containers" "$ROOT/containers/tmp" 2>/dev/null | grep -cE '^[0-9a-f]{64}$')" 0 "containers"
}

test_registry_commands_without_libcurl_fail_in_one_line() {
  image_setup
  assert_fails without_libs "$CURL_SO" "$CAPSULE" --root "$ROOT" pull 127.0.0.1:1/nothing:1
  assert_one_line_error "$CURL_SO"
  assert_contains "$ERR" "needed for registry access; install Debian's libcurl4" "stderr"
  assert_nothing_left 0 0
}

test_tar_commands_without_libarchive_fail_in_one_line() {
  image_setup
  busybox_tar "$WORK/busybox.tar" >/dev/null
  local run=(without_libs "$ARCHIVE_SO" "$CAPSULE" --root "$ROOT")
  assert_fails "${run[@]}" import "$WORK/busybox.tar" busybox:latest
  assert_one_line_error "$ARCHIVE_SO"
  assert_contains "$ERR" "needed for reading and writing tar archives; install Debian's libarchive13"
  assert_nothing_left 0 0
  assert_fails "${run[@]}" load -i "$WORK/busybox.tar"
  assert_one_line_error "$ARCHIVE_SO"
  assert_nothing_left 0 0
  # With the library, the same store takes the image; save without it fails
  # and writes no file.
  cap import "$WORK/busybox.tar" busybox:latest >/dev/null
  assert_fails "${run[@]}" save -o "$WORK/out.tar" busybox
  assert_one_line_error "$ARCHIVE_SO"
  [ ! -e "$WORK/out.tar" ] || fail "save left $WORK/out.tar"
}
