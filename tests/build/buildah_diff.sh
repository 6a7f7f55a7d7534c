# The differential test against buildah (Debian's `buildah bud`): every
# Containerfile under tests/build/files/ is built by both from the same
# busybox image; the image configs (Env, Cmd, Entrypoint, WorkingDir, User,
# ExposedPorts, Labels, Volumes, StopSignal) and the root filesystems, file
# by file (path, type, mode, owner, size, content hash, symlink target), must
# be equal, but for the differences docs/BUILD.md lists with their reasons
# (its "Differences from buildah" table: file and a regular expression for
# the difference line). buildah runs privately: its own store, a tmpfs on
# /run in a mount namespace of its own, private config files.

source "$TOP/tests/engine/lib-engine.sh"

FILES=$TOP/tests/build/files

# What the test compares of a config ("config" object), normalised: empty
# members are absent, buildah's version label goes (see docs/BUILD.md).
CONFIG_FILTER='{Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Labels: ((.Labels // {}) | del(."io.buildah.version")), Volumes, StopSignal} | with_entries(select(.value != null and .value != {} and .value != [] and .value != ""))'

# One line per entry under a root: path type mode owner size hash-or-target,
# and a file's link count (hard links kept or not).
listing() { # dir
  (cd "$1" && find . -mindepth 1 -printf '%P\t%y\t%m\t%U:%G\t%s\t%n\t%l\n' | LC_ALL=C sort) |
    while IFS=$'\t' read -r p y m o s n l; do
      case $y in
        f) h=$(sha256sum <"$1/$p" | cut -c1-16) ;;
        d) s=- h=- n= ;;
        l) h=$l n= ;;
        *) h=- n= ;;
      esac
      printf '%s %s %s %s %s %s%s\n' "$p" "$y" "$m" "$o" "$s" "$h" "${n:+ links=$n}"
    done
}

# Build every file with buildah, inside a private mount namespace; the
# listings and configs go to $WORK/buildah/NAME.{list,config}.
buildah_side() {
  local conf=$WORK/bconf
  mkdir -p "$conf" "$WORK/buildah"
  printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' >"$conf/containers.conf"
  printf 'unqualified-search-registries = ["docker.io"]\n' >"$conf/registries.conf"
  printf '[storage]\ndriver = "overlay"\n' >"$conf/storage.conf"
  cap save -o "$WORK/base.tar" busybox
  WORK=$WORK CONFIG_FILTER=$CONFIG_FILTER unshare -m --propagation private bash -c "
    set -e
    $(declare -f listing)
    mount -t tmpfs tmpfs /run
    export CONTAINERS_CONF=$conf/containers.conf CONTAINERS_REGISTRIES_CONF=$conf/registries.conf \
      CONTAINERS_STORAGE_CONF=$conf/storage.conf
    b() { buildah --root \$WORK/bstore --runroot /run/bstore --storage-driver overlay \"\$@\"; }
    b pull -q docker-archive:\$WORK/base.tar >/dev/null
    for d in \$WORK/ctx/*/; do
      n=\$(basename \$d)
      b bud -q --isolation chroot --layers=false -t \$n \$d >/dev/null 2>\$WORK/buildah/\$n.err ||
        { echo \"buildah failed on \$n: \$(tail -1 \$WORK/buildah/\$n.err)\"; continue; }
      b inspect --type image \$n | jq -S \".OCIv1.config | \$CONFIG_FILTER\" >\$WORK/buildah/\$n.config
      c=\$(b from -q \$n)
      listing \$(b mount \$c) >\$WORK/buildah/\$n.list
      b umount \$c >/dev/null
    done
    b rm -a >/dev/null
    b rmi -a -f >/dev/null 2>&1 || true
    umount -l /run
  "
}

capsule_side() {
  mkdir -p "$WORK/capsule" "$WORK/root"
  local d n id
  for d in "$WORK"/ctx/*/; do
    n=$(basename "$d")
    cap build -q -t "$n" "$d" >"$WORK/capsule/$n.id" 2>"$WORK/capsule/$n.err" ||
      { echo "capsule failed on $n: $(tail -1 "$WORK/capsule/$n.err")"; continue; }
    id=$(cat "$WORK/capsule/$n.id")
    jq -S ".config | $CONFIG_FILTER" "$STORE/blobs/sha256/$id" >"$WORK/capsule/$n.config"
    cap create --name "x-$n" "$n" true >/dev/null
    rm -rf "$WORK/root/$n" && mkdir "$WORK/root/$n"
    cap export "x-$n" | tar -x -C "$WORK/root/$n" --numeric-owner -p
    cap rm "x-$n" >/dev/null
    listing "$WORK/root/$n" >"$WORK/capsule/$n.list"
  done
}

# The differences docs/BUILD.md explains: "NAME<TAB>REGEX" lines.
known_differences() {
  sed -n '/^<!-- buildah-differences -->/,/^<!-- end -->/p' "$TOP/docs/BUILD.md" |
    awk -F'|' 'NF > 3 && $2 ~ /`/ { gsub(/^ *`|` *$/, "", $2); gsub(/^ *`|` *$/, "", $3); print $2 "\t" $3 }'
}

# One side's config then files, each line saying which.
sides() { # prefix
  sed 's/^/config /' "$1.config"
  sed 's/^/file /' "$1.list"
}

test_containerfiles_match_buildah() {
  command -v buildah >/dev/null || skip "buildah is not installed (scripts/deps/build-peers.txt)"
  engine_setup
  # The base both build on: busybox with a PATH (buildah adds one to an
  # image that has none).
  cap import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
    "$ENGINE_IMAGE_TAR" busybox:latest >/dev/null
  mkdir -p "$WORK/ctx"
  local d n
  for d in "$FILES"/*/; do
    n=$(basename "$d")
    cp -a "$d" "$WORK/ctx/$n"
    [ ! -f "$WORK/ctx/$n/prepare" ] || (cd "$WORK/ctx/$n" && bash prepare && rm prepare)
  done
  local failures
  local t0=$SECONDS
  failures=$(buildah_side) || fail "buildah side: $failures"
  echo "buildah: $((SECONDS - t0)) s"; t0=$SECONDS
  failures+=$(capsule_side) || fail "capsule side: $failures"
  echo "capsule: $((SECONDS - t0)) s"
  [ -z "$failures" ] || fail "$failures"
  known_differences >"$WORK/known"
  local diffs="" line kn re unexplained=""
  for d in "$WORK"/ctx/*/; do
    n=$(basename "$d")
    diffs+=$(diff <(sides "$WORK/buildah/$n") <(sides "$WORK/capsule/$n") |
             grep '^[<>]' | sed "s/^</$n: buildah:/; s/^>/$n: capsule:/" || true)$'\n'
  done
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    n=${line%%:*}
    while IFS=$'\t' read -r kn re; do
      { [ "$kn" = "$n" ] || [ "$kn" = "*" ]; } && grep -qE -- "$re" <<<"$line" && continue 2
    done <"$WORK/known"
    unexplained+="$line"$'\n'
  done <<<"$diffs"
  echo "differences found (explained or not): $(grep -c . <<<"$diffs" || true)"
  [ -z "$unexplained" ] || fail "differences from buildah not listed in docs/BUILD.md:
$unexplained"
  assert_engine_clean
}
