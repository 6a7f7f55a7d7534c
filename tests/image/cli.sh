# Bad input everywhere: one clear line on stderr, a non-zero exit, and
# nothing left in the store (no temp file, no blob, no layer, no lock held).
source "$TOP/tests/image/lib-image.sh"

# The command fails with exit `rc`, one stderr line containing `msg`, and
# the store is as empty as before.
refused() { # rc msg command...
  local rc=$1 msg=$2
  shift 2
  assert_fails "$@"
  assert_eq "$RC" "$rc" "exit code of: $*"
  assert_one_line_error "$msg"
  assert_nothing_left 0 0
}

test_usage_errors() {
  image_setup
  refused 125 "capsule images: unknown flag --bogus (see 'capsule images --help')" cap images --bogus
  refused 125 "unknown flag -z" cap rmi -z x
  refused 125 "capsule tag: expected 2 arguments, got 1" cap tag x
  refused 125 "expected at most 2 arguments" cap import a b c
  refused 125 "flag --format needs a value" cap save --format
  refused 125 "unknown command 'frobnicate'" cap frobnicate
  refused 125 "unknown command 'image frob'" cap image frob
  refused 125 "unknown flag --nope" "$CAPSULE" --nope images
  refused 125 "--root needs a value" "$CAPSULE" --root
  # script gives load a terminal as stdin: refused rather than waiting.
  assert_contains "$(script -qec "$CAPSULE --root $ROOT load" /dev/null)" "no input: use -i FILE"
  assert_eq "$("$CAPSULE" --version)" "capsule version $("$CAPSULE" version --format '{{.Client.Version}}')" "--version"
  assert_contains "$(cap images --help)" "Usage: capsule images [OPTIONS] [REPOSITORY[:TAG]]"
  assert_contains "$(cap image inspect --help)" "Usage: capsule image inspect [OPTIONS] IMAGE..."
  assert_contains "$("$CAPSULE" --help)" "system check"
}

test_bad_references() {
  image_setup
  busybox_tar "$WORK/bb.tar"
  # Refused before any byte is read or stored.
  refused 1 "UPPER:case: repository name must be lowercase" cap import "$WORK/bb.tar" UPPER:case
  refused 1 "a::b" cap import "$WORK/bb.tar" a::b
  refused 1 "invalid tag" cap import "$WORK/bb.tar" "x:-tag"
  refused 1 "invalid digest" cap image inspect "x@sha256:1234"
  refused 1 "empty image reference" cap image inspect ""
  cap import "$WORK/bb.tar" ok:1 >/dev/null
  assert_fails cap tag ok:1 UPPER:case
  assert_one_line_error "repository name must be lowercase"
  assert_fails cap tag ok:1 "a::b"
  assert_eq "$(cap images --format '{{.Repository}}:{{.Tag}}')" "ok:1" "images after refused tags"
}

test_unknown_images() {
  image_setup
  refused 1 "no such image: nosuch:1" cap rmi nosuch:1
  refused 1 "no such image: nosuch" cap image history nosuch
  refused 1 "no such image: nosuch" cap tag nosuch x:1
  refused 1 "no such image: nosuch" cap save -o "$WORK/x.tar" nosuch
  refused 1 "no such image: 0123abcd" cap image inspect 0123abcd
  assert_eq "$(cap image inspect nosuch 2>/dev/null || true)" "[]" "inspect output for nothing"
}

test_bad_files() {
  image_setup
  refused 1 "open $WORK/none.tar: No such file or directory" cap import "$WORK/none.tar"
  refused 1 "open $WORK/none.tar: No such file or directory" cap load -i "$WORK/none.tar"
  : >"$WORK/empty"
  refused 1 "not a tar archive" cap load -i "$WORK/empty"
  refused 1 "not a tar archive" cap import - <"$WORK/empty"
  mkdir "$WORK/dir"
  refused 1 "Is a directory" cap import "$WORK/dir"
  echo '{}' | gzip >"$WORK/json.gz"
  refused 1 "not a tar archive" cap import "$WORK/json.gz"
}

test_bad_changes() {
  image_setup
  busybox_tar "$WORK/bb.tar"
  refused 1 "--change 'FROM x': unsupported instruction" cap import --change 'FROM x' "$WORK/bb.tar"
  refused 1 "expected a JSON array of strings" cap import --change 'CMD ["a", 1]' "$WORK/bb.tar"
  refused 1 "invalid port 'http'" cap import --change 'EXPOSE http' "$WORK/bb.tar"
  refused 1 "expected KEY=VALUE" cap import --change 'LABEL novalue' "$WORK/bb.tar"
  refused 1 "expected INSTRUCTION VALUE" cap import --change '["x"]' "$WORK/bb.tar"
  # The forms that work, as podman import takes them.
  cap import -c 'CMD /bin/sh -c "echo hi"' -c 'ENTRYPOINT=["/bin/env"]' -c 'ENV PATH /bin' \
    -c 'VOLUME ["/data", "/logs"]' -c 'WORKDIR /srv' -c 'WORKDIR app' -c 'STOPSIGNAL SIGINT' \
    "$WORK/bb.tar" ch:1 >/dev/null
  assert_eq "$(inspect_field ch:1 "i['Config']['Cmd']")" "['/bin/sh', '-c', '/bin/sh -c \"echo hi\"']" "shell-form CMD"
  assert_eq "$(inspect_field ch:1 "i['Config']['Entrypoint'], i['Config']['Env']")" "['/bin/env'] ['PATH=/bin']" "Entrypoint, Env"
  assert_eq "$(inspect_field ch:1 "sorted(i['Config']['Volumes']), i['Config']['WorkingDir'], i['Config']['StopSignal']")" "['/data', '/logs'] /srv/app SIGINT" "Volumes, WorkingDir, StopSignal"
}

test_bad_formats_and_platforms() {
  image_setup
  refused 1 "unknown field .Nope (known: .Repository .Tag .ID" cap images --format '{{.Nope}}'
  refused 1 "unclosed {{" cap images --format '{{.ID'
  refused 1 "unknown function \"nosuch\"" cap images --format '{{nosuch .}}'
  refused 1 "invalid platform 'linux/'" cap load --platform linux/ -i /dev/null
  refused 1 "unknown format 'zip'" cap save --format zip x
}

test_bad_root() {
  image_setup
  assert_fails "$CAPSULE" --root /proc/capsule-nope images
  assert_one_line_error "store /proc/capsule-nope: mkdir /proc/capsule-nope"
  echo file >"$WORK/file"
  assert_fails "$CAPSULE" --root "$WORK/file" images
  assert_one_line_error "store $WORK/file"
  assert_fails "$CAPSULE" --root "" images
  assert_one_line_error "--root: empty path"
}
