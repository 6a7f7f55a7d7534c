# The engine with a real distribution, beside busybox: a Debian minbase
# image that mmdebstrap makes from this machine's own apt sources (no host
# name is written here), once per machine, then imported per test.
source "$TOP/tests/engine/lib-engine.sh"

DEBIAN_TAR=/var/cache/capsule-tests/debian-minbase.tar

# The host's apt sources, each file one mirror argument of mmdebstrap
# (a file is pasted into the image's sources as it is).
host_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && grep -q '^[^#]' "$f" && echo "$f"
  done
}

debian_setup() {
  engine_setup
  if [ ! -s "$DEBIAN_TAR" ]; then
    command -v mmdebstrap >/dev/null || fail "mmdebstrap is not installed (scripts/deps/engine.txt)"
    local suite sources
    suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
    mapfile -t sources < <(host_sources)
    [ ${#sources[@]} -gt 0 ] || fail "no apt sources on this machine to make the image from"
    mkdir -p "${DEBIAN_TAR%/*}"
    mmdebstrap --variant=minbase --format=tar --quiet "$suite" "$DEBIAN_TAR.tmp" "${sources[@]}" ||
      fail "mmdebstrap could not make the $suite image"
    mv "$DEBIAN_TAR.tmp" "$DEBIAN_TAR"
  fi
  cap import --change 'CMD ["bash"]' "$DEBIAN_TAR" debian:test >/dev/null
}

# A user's day with a distribution image (one test: the import of the
# 170 MB image is most of its time). Every file of every package is what
# dpkg installed (the layer was unpacked faithfully: checksums, hard links,
# modes); a user added and committed, the new image run as that user in
# its home; exec with bash and as another user, top, diff, cp, stop, rm,
# and nothing left.
test_debian_image_day_to_day() {
  debian_setup
  assert_eq "$(cap run --rm debian:test dpkg --verify)" "" "dpkg --verify inside"
  assert_eq "$(cap run --rm debian:test sh -c '. /etc/os-release; echo $ID')" debian "os-release"
  local n
  n=$(cap run --rm debian:test dpkg-query -W -f '${db:Status-Abbrev}\n' | grep -c '^ii')
  [ "$n" -gt 50 ] || fail "only $n packages installed in the image"
  assert_eq "$(cap run --rm debian:test stat -c %a /bin/su)" 4755 "mode of the setuid su"

  cap run --name setup debian:test useradd -m -u 1234 -s /bin/bash alice
  assert_contains "$(cap diff setup)" "C /etc/passwd" "diff after useradd"
  cap commit setup debian:alice >/dev/null
  cap rm setup >/dev/null
  assert_eq "$(cap run --rm -u alice -w /home/alice debian:alice sh -c 'id; pwd; touch f; stat -c %U f')" \
    $'uid=1234(alice) gid=1234(alice) groups=1234(alice)\n/home/alice\nalice' "run -u alice"

  cap run -d --name d debian:alice sleep 300 >/dev/null
  assert_eq "$(cap exec d bash -c 'echo ${BASH_VERSINFO[0]} $0')" "5 bash" "exec bash"
  assert_eq "$(cap exec -u alice d id -un)" alice "exec -u alice"
  assert_contains "$(cap top d)" "sleep 300" "top"
  echo "from the host" >"$WORK/note"
  cap cp "$WORK/note" d:/home/alice/note
  assert_eq "$(cap exec d cat /home/alice/note)" "from the host" "cp into the container"
  cap cp d:/etc/debian_version "$WORK/version"
  assert_eq "$(cat "$WORK/version")" "$(tar -xOf "$DEBIAN_TAR" ./etc/debian_version)" "cp out"
  cap stop -t 1 d >/dev/null
  cap rm d >/dev/null
  cap rmi debian:alice >/dev/null
  assert_engine_clean
}
