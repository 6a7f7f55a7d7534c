# Volumes: named and anonymous ones, docker's copy-up, -v/--mount/--tmpfs,
# in-use refusals, rm -v, prune, hostile symlinks, and what a crash leaves.
# Each test uses its own store (--root) and runtime state (--runroot).

source "$TOP/tests/engine/lib-engine.sh"

volumes_left() {
  ls -A "$STORE/volumes" 2>/dev/null | grep -v '^\.tmp$' | wc -l
}

# An image made from busybox's tree plus `$1` (a function that adds to the
# directory given), tagged $2.
image_from() { # add-function tag [--change ...]
  local fn=$1 tag=$2 dir=$WORK/rootfs-$2
  shift 2
  mkdir -p "$dir"
  tar -C "$dir" -xf "$ENGINE_IMAGE_TAR"
  "$fn" "$dir"
  tar -C "$dir" --numeric-owner --xattrs --xattrs-include='*' -cf "$WORK/$tag.tar" .
  cap import --change 'CMD ["/bin/sh"]' "$@" "$WORK/$tag.tar" "$tag:latest" >/dev/null
}

test_named_volume_persists_and_copies_the_image_up() {
  engine_setup
  # A fresh volume over /etc gets the image's /etc (docker's copy-up).
  out=$(cap run --rm -v data:/etc busybox sh -c 'cat /etc/passwd | head -n 1; echo mine >/etc/mine')
  assert_eq "$out" "root:x:0:0:root:/root:/bin/sh" "the image's file, through the volume"
  out=$(cap run --rm -v data:/v busybox sh -c 'cat /v/mine; ls /v | grep -c passwd')
  assert_eq "$out" "mine
1" "a second container sees the first one's data and the copy"
  # A volume that is not empty is never copied into again.
  cap run --rm -v data:/etc busybox rm /etc/group
  assert_eq "$(cap run --rm -v data:/etc busybox ls /etc/group 2>&1 | grep -c 'No such')" 1 "copy-up again"
  assert_eq "$(cap volume ls -q)" data
  assert_eq "$(cap volume ls | head -n 1)" "DRIVER    VOLUME NAME" "ls header"
  mp=$(cap volume inspect data | grep '"Mountpoint"')
  assert_contains "$mp" "$STORE/volumes/data/_data"
  assert_contains "$(cap volume inspect data)" '"Driver": "local"'
  # Volumes outlive containers: nothing else of them is left.
  assert_engine_clean
  cap volume rm data >/dev/null
  assert_eq "$(volumes_left)" 0 "volumes after rm"
}

add_rich_data() {
  mkdir -p "$1/data/sub"
  echo one >"$1/data/f"
  ln "$1/data/f" "$1/data/hardlink"
  ln -s ../f "$1/data/sub/link"
  chown 65534:65534 "$1/data/sub"
  chmod 0750 "$1/data/sub"
  chmod 4755 "$1/data/f"
  chmod 0711 "$1/data"
  setfattr -n user.origin -v image "$1/data/f" 2>/dev/null || true
}

test_copy_up_keeps_owner_mode_links_and_xattrs() {
  engine_setup
  image_from add_rich_data rich
  cap volume create fresh >/dev/null
  out=$(cap run --rm -v fresh:/data rich sh -c 'cd /data; stat -c "%n %a %u" . sub; stat -c "%n %a %h %i" f hardlink | cut -d" " -f1-3; readlink sub/link
    [ "$(stat -c %i f)" = "$(stat -c %i hardlink)" ] && echo same-inode')
  assert_eq "$out" ". 711 0
sub 750 65534
f 4755 2
hardlink 4755 2
../f
same-inode" "the copy as seen inside"
  if getfattr -n user.origin "$STORE/volumes/fresh/_data/f" >/dev/null 2>&1; then
    assert_contains "$(getfattr -n user.origin "$STORE/volumes/fresh/_data/f" 2>/dev/null)" image
  fi
}

test_readonly_volume_refuses_writes() {
  engine_setup
  cap volume create ro >/dev/null
  assert_fails cap run --rm -v ro:/d:ro busybox touch /d/x
  assert_contains "$ERR" "Read-only file system"
  assert_fails cap run --rm --mount type=volume,src=ro,dst=/d,readonly busybox touch /d/x
  assert_contains "$ERR" "Read-only file system"
  cap run --rm -v ro:/d busybox touch /d/x
}

test_volume_in_use_cannot_be_removed() {
  engine_setup
  id=$(cap run -d -v busy:/d busybox sleep 60)
  assert_fails cap volume rm busy
  assert_eq "$RC" 1 "exit status (docker's for volume rm)"
  assert_eq "$(echo "$ERR" | wc -l)" 1 "one line"
  assert_contains "$ERR" "volume is in use"
  assert_contains "$ERR" "$id"
  cap rm -f "$id" >/dev/null
  # A stopped container uses its volumes too.
  cap run --name stopped -v busy:/d busybox true
  assert_fails cap volume rm busy
  assert_contains "$ERR" "volume is in use"
  assert_eq "$(cap volume ls -q)" busy "the volume is still there"
  cap rm stopped >/dev/null
  cap volume rm busy >/dev/null
  assert_fails cap volume rm busy
  assert_contains "$ERR" "no such volume"
  cap volume rm -f busy >/dev/null
}

test_rm_v_removes_anonymous_volumes_only() {
  engine_setup
  cap run --name c1 -v /anon -v kept:/kept busybox sh -c 'echo x >/anon/f'
  anon=$(cap volume ls -q | grep -E '^[0-9a-f]{64}$')
  [ -n "$anon" ] || fail "no anonymous volume"
  cap rm -v c1 >/dev/null
  assert_eq "$(cap volume ls -q)" kept "after rm -v"
  # --rm removes them too (detached: when the container exits); rm without -v keeps them.
  cap run --rm -v /anon busybox true
  assert_eq "$(cap volume ls -q)" kept "after run --rm"
  cap run -d --rm -v /anon busybox true >/dev/null
  wait_for '[ "$(cap ps -a -q)" = "" ]' 50
  assert_eq "$(cap volume ls -q)" kept "after run -d --rm"
  cap run --name c2 -v /anon busybox true
  cap rm c2 >/dev/null
  assert_eq "$(cap volume ls -q | wc -l)" 2 "rm without -v"
}

test_image_volume_is_an_anonymous_volume_with_the_image_content() {
  engine_setup
  cap import --change 'CMD ["/bin/sh"]' --change 'VOLUME ["/etc"]' "$ENGINE_IMAGE_TAR" withvol:latest >/dev/null
  out=$(cap run --name w withvol sh -c 'grep -c root /etc/passwd; grep " /etc " /proc/mounts | wc -l')
  assert_eq "$out" "1
1" "the image's /etc, mounted from a volume"
  assert_match "$(cap volume ls -q)" '^[0-9a-f]{64}$'
  # A user's mount at the same place replaces it.
  cap run --rm -v over:/etc withvol true
  assert_eq "$(cap volume ls -q | wc -l)" 2 "no second anonymous volume"
  cap rm -v w >/dev/null
  assert_eq "$(cap volume ls -q)" over
}

test_prune() {
  engine_setup
  cap volume create --label keep=yes named >/dev/null
  cap volume create other >/dev/null
  cap run --name c -v /anon busybox true
  cap rm c >/dev/null
  cap run -d --name user -v inuse:/d busybox sleep 60 >/dev/null
  out=$(cap volume prune -f)
  assert_contains "$out" "Deleted Volumes:"
  assert_eq "$(cap volume ls -q | tr '\n' ' ')" "inuse named other " "prune: anonymous ones only"
  assert_eq "$(cap volume ls -q --filter label=keep=yes)" named "ls --filter label"
  assert_eq "$(cap volume ls -q --filter dangling=false)" inuse "ls --filter dangling"
  cap volume prune -a -f --filter label=keep >/dev/null
  assert_eq "$(cap volume ls -q | tr '\n' ' ')" "inuse other " "prune --all --filter"
  cap volume prune -a -f >/dev/null
  assert_eq "$(cap volume ls -q)" inuse "a volume in use survives"
  cap rm -f user >/dev/null
}

test_mount_and_tmpfs_forms() {
  engine_setup
  mkdir "$WORK/host"
  echo from-host >"$WORK/host/file"
  out=$(cap run --rm --mount type=bind,source="$WORK/host",target=/b,readonly \
    --mount type=volume,src=mv,dst=/m --mount type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770 \
    --tmpfs /run/x:size=2m,exec busybox sh -c 'cat /b/file; touch /b/no 2>/dev/null || echo ro;
      echo v >/m/f; grep -E " /(t|run/x) " /proc/mounts | sort')
  assert_contains "$out" "from-host"
  assert_contains "$out" "ro"
  local t x
  x=$(grep " /run/x " <<<"$out") t=$(grep " /t " <<<"$out")
  assert_contains "$x" "size=2048k" "--tmpfs size"
  assert_not_contains "$x" "noexec" "--tmpfs exec"
  assert_contains "$x" "nosuid" "--tmpfs defaults"
  assert_contains "$t" "size=1024k" "--mount tmpfs-size"
  assert_contains "$t" "mode=1770" "--mount tmpfs-mode"
  assert_contains "$t" "noexec" "--mount tmpfs defaults"
  assert_eq "$(cap run --rm -v mv:/m busybox cat /m/f)" v "the --mount volume"
  # A relative host path starting with '.' is a bind (docker's rule).
  assert_eq "$(cd "$WORK" && "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" run --rm -v ./host:/h busybox cat /h/file)" from-host
}

test_bad_specs_are_one_line_and_leave_nothing() {
  engine_setup
  local spec
  for spec in "-v bad/name:/x" "-v vol:relative" "-v vol:/" "-v va:/x:bogus" "-v $WORK/none:/x" \
    "--mount type=bind,target=/x" "--mount type=nfs,target=/x" "--mount target" \
    "--mount type=tmpfs,src=x,target=/x" "-v va:/x -v vb:/x" "--tmpfs relative"; do
    # shellcheck disable=SC2086
    assert_fails cap run --rm $spec busybox true
    assert_eq "$RC" 125 "exit status of $spec"
    assert_eq "$(echo "$ERR" | wc -l)" 1 "one line for $spec: $ERR"
  done
  assert_fails cap run --rm -v va:/x -v vb:/x busybox true
  assert_contains "$ERR" "Duplicate mount point: /x"
  assert_fails cap run --rm -v "$WORK/none:/x" busybox true
  assert_contains "$ERR" "bind source path does not exist"
  assert_eq "$(volumes_left)" 0 "volumes made by a failed run"
  assert_engine_clean
  # Names are names: never paths.
  for spec in ../x .hidden a/b x; do
    assert_fails cap volume create "$spec"
    assert_contains "$ERR" "invalid characters"
  done
  assert_fails cap volume inspect ../../etc
  assert_contains "$ERR" "no such volume"
}

add_escape_link() {
  ln -s "$WORK/outside" "$1/data"
}

test_symlinks_in_the_image_never_lead_out_of_the_root() {
  engine_setup
  mkdir "$WORK/outside" "$WORK/hostdir"
  echo secret >"$WORK/outside/secret"
  image_from add_escape_link evil
  # The target /data is a symlink to a host path: resolved inside the root,
  # neither the mount nor the copy-up reaches the host's directory.
  cap run --rm -v vol:/data evil sh -c 'echo in >/data/written'
  [ ! -e "$WORK/outside/written" ] || fail "the volume was mounted on the host's directory"
  [ ! -e "$STORE/volumes/vol/_data/secret" ] || fail "the host's files were copied into the volume"
  [ -e "$STORE/volumes/vol/_data/written" ] || fail "the write did not reach the volume"
  cap run --rm -v "$WORK/hostdir:/data" evil sh -c 'echo in >/data/bound'
  [ ! -e "$WORK/outside/bound" ] || fail "the bind went to the host's directory"
  [ -e "$WORK/hostdir/bound" ] || fail "the bind did not work"
  ! grep -q "$WORK/outside" /proc/self/mountinfo || fail "a mount is left on the host's directory"
}

test_system_check_removes_half_made_volumes() {
  engine_setup
  cap volume create whole >/dev/null
  # What a kill -9 leaves: a volume being made, a copy-up, a removal.
  mkdir -p "$STORE/volumes/.tmp/new-0123/_data" "$STORE/volumes/.tmp/copy-4567/etc" "$STORE/volumes/.tmp/rm-89ab"
  out=$(cap system check)
  assert_contains "$out" "repaired: removed what an interrupted command left of a volume: new-0123"
  assert_contains "$out" "copy-4567"
  assert_eq "$(ls -A "$STORE/volumes/.tmp")" "" "left under .tmp"
  assert_eq "$(cap volume ls -q)" whole
  # A run killed after its record named a volume, before the volume existed.
  cap run --name c -v named:/d -v /anon busybox true
  rm -rf "$STORE/volumes/named" "$STORE/volumes/$(cap volume ls -q | grep -E '^[0-9a-f]{64}$')"
  out=$(cap system check)
  assert_contains "$out" "repaired: made volume named of container c"
  assert_eq "$(cap run --rm -v named:/d busybox ls /d)" "" "the volume made again"
  cap rm -v c >/dev/null
  assert_eq "$(cap volume ls -q | tr '\n' ' ')" "named whole " "the anonymous one made again is anonymous"
  # A directory that is no volume of ours is reported, not deleted.
  mkdir "$STORE/volumes/stray"
  assert_fails cap system check
  assert_contains "$OUT" "problem: volume stray"
  [ -d "$STORE/volumes/stray" ] || fail "the stray directory was removed"
}

test_kill_9_during_copy_up_leaves_a_whole_volume_or_none() {
  engine_setup
  local i pid v
  for i in 1 2 3 4 5 6; do
    # capsule itself, not a subshell running it: $! is its pid.
    "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" run --rm -v "cv$i:/etc" busybox true >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf %03d $((RANDOM % 60)))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  cap system check >/dev/null || true
  assert_eq "$(ls -A "$STORE/volumes/.tmp" 2>/dev/null)" "" "left under .tmp after system check"
  for v in "$STORE"/volumes/cv*; do
    [ -e "$v" ] || continue
    [ -f "$v/volume.json" ] || fail "$v has no metadata"
    # Empty (killed before the copy's rename) or whole, never half a copy.
    # (The engine may add the files it mounts over, such as /etc/hostname.)
    [ -z "$(ls -A "$v/_data")" ] ||
      [ "$(ls "$v/_data" | grep -cxE 'group|hosts|passwd|resolv.conf')" = 4 ] ||
      fail "$v holds half a copy: $(ls "$v/_data" | tr '\n' ' ')"
  done
}

# docker's local driver options: a tmpfs volume (type=tmpfs, device=tmpfs,
# o=mount options), mounted as a tmpfs for each container that uses it.
test_tmpfs_volume_options() {
  engine_setup
  cap volume create -o type=tmpfs -o device=tmpfs -o o=size=2m,uid=1000 tv >/dev/null
  assert_eq "$(cap volume inspect --format '{{.Options.type}} {{.Options.device}} {{.Options.o}}' tv)" \
    "tmpfs tmpfs size=2m,uid=1000"
  out=$(cap run --rm -v tv:/data busybox sh -c 'grep " /data " /proc/mounts; stat -c %u /data; echo x > /data/f')
  assert_match "$out" '^tmpfs /data tmpfs rw,.*size=2048k' "a tmpfs of 2 MiB at /data"
  assert_contains "$out" 1000 "owned by uid 1000"
  assert_eq "$(ls -A "$STORE/volumes/tv/_data")" "" "nothing written to the volume's directory"
  assert_fails cap volume create -o type=nfs -o device=:/srv other
  assert_contains "$ERR" "type=tmpfs is the only type"
  assert_fails cap volume create -o colour=red other
  assert_contains "$ERR" "invalid option 'colour=red'"
  assert_eq "$(cap volume ls -q)" tv "no volume left by the refused creates"
  cap volume rm tv >/dev/null
  assert_engine_clean
}
