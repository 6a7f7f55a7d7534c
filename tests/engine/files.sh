# A container's files from the host: cp (both ways, running or stopped,
# tar streams, hostile symlinks), diff, commit, export, rename.

source "$TOP/tests/engine/lib-engine.sh"

test_cp_with_a_stopped_container() {
  engine_setup
  cap run --name box busybox sh -c 'mkdir -p /srv/data/sub; echo one > /srv/data/a; echo two > /srv/data/sub/b'
  mkdir "$WORK/in" "$WORK/out"
  echo from-host >"$WORK/in/f"
  mkdir -p "$WORK/in/tree/deep" && echo deep >"$WORK/in/tree/deep/x"
  # File into a directory, file to a new name, directory to a new name,
  # directory into a directory.
  cap cp "$WORK/in/f" box:/root
  cap cp "$WORK/in/f" box:/root/renamed
  cap cp "$WORK/in/tree" box:/newtree
  cap cp "$WORK/in/tree" box:/srv
  # Out again: a file, a directory, a directory's contents ("/.").
  cap cp box:/root/f "$WORK/out/f"
  cap cp box:/root/renamed "$WORK/out/"
  cap cp box:/srv/data "$WORK/out/data"
  mkdir "$WORK/out/contents"
  cap cp box:/srv/data/. "$WORK/out/contents"
  cap cp box:/newtree/deep/x "$WORK/out/x1"
  cap cp box:/srv/tree/deep/x "$WORK/out/x2"
  assert_eq "$(cat "$WORK/out/f" "$WORK/out/renamed")" "from-host
from-host"
  assert_eq "$(cat "$WORK/out/data/a" "$WORK/out/data/sub/b")" "one
two" "a directory"
  assert_eq "$(cd "$WORK/out/contents" && find . | sort | tr '\n' ' ')" ". ./a ./sub ./sub/b " "DIR/. copies the contents"
  assert_eq "$(cat "$WORK/out/x1" "$WORK/out/x2")" "deep
deep" "trees copied in"
  # Files copied in belong to root in the container (docker's default);
  # -a keeps their owner. A symlink is copied as one, -L follows it.
  echo owned >"$WORK/in/owned" && chown 1234:4321 "$WORK/in/owned"
  ln -s f "$WORK/in/link"
  cap cp "$WORK/in/owned" box:/root/plain
  cap cp -a "$WORK/in/owned" box:/root/kept
  cap cp "$WORK/in/link" box:/root/link
  cap cp -L "$WORK/in/link" box:/root/followed
  assert_eq "$(cap cp box:/root/plain - | tar tvf - | awk '{print $2}')" "0/0" "owner in the container"
  assert_eq "$(cap cp box:/root/kept - | tar tvf - | awk '{print $2}')" "1234/4321" "-a"
  assert_eq "$(cap cp box:/root/link - | tar tvf - | cut -c1)" l "a symlink stays one"
  assert_eq "$(cap cp box:/root/followed - | tar xOf -)" from-host "-L"
  # The container's own view: a new container from a commit sees them.
  cap commit box files:1 >/dev/null
  assert_eq "$(cap run --rm files:1 cat /root/f /newtree/deep/x)" "from-host
deep"
  cap rm box >/dev/null
  assert_engine_clean
}

test_cp_with_a_running_container() {
  engine_setup
  # The container waits for a file, then answers with what it read.
  cap run -d --name live busybox sh -c 'while [ ! -f /tmp/in ]; do sleep 0.05; done; tr a-z A-Z < /tmp/in > /tmp/out; sleep 60' >/dev/null
  echo hello >"$WORK/in"
  cap cp "$WORK/in" live:/tmp/in
  wait_for "cap cp live:/tmp/out '$WORK/out' 2>/dev/null" 100
  assert_eq "$(cat "$WORK/out")" HELLO "read and written by the container"
  # The kernel's views in it are mount points only; /proc/kmsg would block.
  assert_eq "$(timeout 10 "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" cp live:/proc - | tar tf -)" proc/ "/proc as a tar"
  assert_fails timeout 10 "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" cp live:/proc/kmsg "$WORK/kmsg"
  assert_contains "$ERR" "kernel file system"
  cap rm -f live >/dev/null
  assert_engine_clean
}

test_cp_with_the_volumes_of_a_stopped_container() {
  engine_setup
  cap run --name vols -v cpvol:/data -v cpro:/ro:ro busybox sh -c 'echo in-volume > /data/old'
  echo new >"$WORK/new"
  cap cp "$WORK/new" vols:/data/new
  cap cp vols:/data/old "$WORK/old"
  assert_eq "$(cat "$WORK/old")" in-volume "read from the volume"
  assert_eq "$(cap run --rm -v cpvol:/data busybox cat /data/new)" new "written into the volume"
  assert_fails cap cp "$WORK/new" vols:/ro/
  assert_contains "$ERR" "Read-only"
  # Mounted for the command alone: nothing is left on the host.
  ! grep -q "$WORK" /proc/self/mountinfo || fail "a mount is left"
  cap rm vols >/dev/null
  cap volume rm cpvol cpro >/dev/null
  assert_engine_clean
}

test_cp_through_hostile_symlinks_stays_in_the_container() {
  engine_setup
  local host=$WORK/hostdir
  mkdir "$host" && echo host-secret >"$host/secret"
  # Links that lead to $host if resolved on the host: absolute, and up
  # through more ".." than the container's root has.
  cap run --name evil busybox sh -c "
    mkdir -p /tmp/hostdir && echo container-file > /tmp/hostdir/secret
    ln -s $host /etc/abs
    ln -s ../../../../../../../..$host /etc/rel
    ln -s /root/../../../../etc /etc/evil"
  for link in abs rel; do
    assert_fails cap cp "evil:/etc/$link/secret" "$WORK/read-$link"
    [ ! -e "$WORK/read-$link" ] || fail "read through /etc/$link: $(cat "$WORK/read-$link")"
    echo planted >"$WORK/plant"
    cap cp "$WORK/plant" "evil:/etc/$link/planted-$link" 2>/dev/null || true
    [ ! -e "$host/planted-$link" ] || fail "wrote through /etc/$link onto the host"
  done
  # /etc/evil is the container's own /etc: read and written there.
  cap cp evil:/etc/evil/passwd "$WORK/passwd"
  assert_contains "$(cat "$WORK/passwd")" "root:x:0:0" "the container's /etc/passwd"
  cap cp "$WORK/plant" evil:/etc/evil/
  assert_eq "$(cap cp evil:/etc/plant - | tar xOf -)" planted "written in the container's /etc"
  [ ! -e /etc/plant ] || fail "wrote into the host's /etc"
  assert_eq "$(cat "$host/secret")" host-secret "the host's file"
  assert_eq "$(ls "$host")" secret "the host's directory"
  cap rm evil >/dev/null
}

test_cp_out_drops_what_a_container_could_plant_on_the_host() {
  engine_setup
  cap run --name planter busybox sh -c 'cp /bin/busybox /tmp/suid && chmod 4755 /tmp/suid'
  # A privileged container could make a device node; put one in its layer.
  mknod "$STORE/containers/$(cap ps -a -q --no-trunc)/upper/tmp/disk" b 8 0
  cap cp planter:/tmp/suid "$WORK/suid"
  assert_eq "$(stat -c %a "$WORK/suid")" 755 "setuid bit dropped"
  assert_fails cap cp planter:/tmp/disk "$WORK/disk"
  assert_contains "$ERR" "device node"
  [ ! -e "$WORK/disk" ] || fail "a device node was made on the host"
  cap rm planter >/dev/null
}

test_cp_tar_streams() {
  engine_setup
  cap run --name tarbox busybox true
  mkdir -p "$WORK/src/d" && echo a >"$WORK/src/d/a" && echo b >"$WORK/src/b"
  tar -C "$WORK/src" -cf - . | cap cp - tarbox:/tmp
  assert_eq "$(cap cp tarbox:/tmp - | tar tf - | sort | tr '\n' ' ')" "tmp/ tmp/b tmp/d/ tmp/d/a " "the directory as a tar"
  assert_eq "$(cap cp tarbox:/tmp/d/a - | tar tf -)" a "one file as a tar"
  assert_eq "$(cap cp tarbox:/tmp/. - | tar tf - | sort | tr '\n' ' ')" "b d/ d/a " "contents as a tar"
  # Into a file, or a missing directory: refused.
  assert_fails sh -c "tar -C '$WORK/src' -cf - . | '$BIN/capsule' --root '$STORE' --runroot '$RUNROOT' cp - tarbox:/tmp/b"
  assert_contains "$ERR" "not a directory"
  # A stream that tries to leave the directory is refused.
  python3 -c '
import io, sys, tarfile
t = tarfile.open(fileobj=sys.stdout.buffer, mode="w|")
i = tarfile.TarInfo("../../escaped"); i.size = 1
t.addfile(i, io.BytesIO(b"x")); t.close()' >"$WORK/evil.tar"
  assert_fails cap cp - tarbox:/tmp <"$WORK/evil.tar"
  assert_contains "$ERR" ".."
  cap rm tarbox >/dev/null
}

test_cp_errors() {
  engine_setup
  cap run --name errbox busybox true
  assert_fails cap cp nosuch:/etc "$WORK/x"
  assert_eq "$RC" 1 "exit code (docker's)"
  assert_contains "$ERR" "no such container"
  assert_fails cap cp errbox:/nonexistent "$WORK/x"
  assert_contains "$ERR" "No such file"
  assert_fails cap cp "$WORK" errbox:/etc/passwd
  assert_contains "$ERR" "cannot copy a directory to a file"
  assert_fails cap cp /etc/hostname errbox:/no/such/dir/
  assert_fails cap cp /etc/hostname "$WORK/y"
  assert_contains "$ERR" "CONTAINER:PATH"
  [ ! -e "$WORK/x" ] || fail "a failed cp left a file"
  cap rm errbox >/dev/null
  assert_engine_clean
}

test_diff_lists_additions_changes_deletions() {
  engine_setup
  cap run --name d busybox sh -c 'echo new > /root/new; rm /bin/vi; echo x >> /etc/passwd; mkdir -p /tmp/a/b'
  assert_eq "$(cap diff d)" "C /bin
D /bin/vi
C /etc/passwd
C /root
A /root/new
C /tmp
A /tmp/a
A /tmp/a/b"
  # A directory removed and made again hides the image's: shown deleted,
  # its new entries added (as podman 4.3 shows it).
  cap run --name o busybox sh -c 'rm -rf /usr/sbin; mkdir /usr/sbin; touch /usr/sbin/z'
  assert_eq "$(cap container diff o)" "C /usr
D /usr/sbin
A /usr/sbin/z" "an opaque directory"
  # What is made only to mount over (a volume's directory, /etc/hostname)
  # is not the container's change.
  cap run --name m -v mvol:/newdir busybox true
  assert_eq "$(cap diff m)" "" "mount points"
  cap rm d o m >/dev/null
}

test_commit_makes_an_image_that_runs() {
  engine_setup
  cap run --name c busybox sh -c 'echo committed > /root/new; rm /bin/vi'
  id=$(cap commit -m "my message" -a "Jane <j@x>" -c 'CMD ["cat", "/root/new"]' -c 'ENV MODE=committed' -c 'LABEL k=v' c mine:1)
  assert_match "$id" '^sha256:[0-9a-f]{64}$' "printed id"
  assert_eq "$(cap run --rm mine:1)" committed "the new CMD sees the change"
  assert_eq "$(cap run --rm mine:1 sh -c 'test -e /bin/vi && echo there || echo gone; echo $MODE $GREETING')" "gone
committed hello" "a deletion stays deleted; ENV added, the image's kept"
  inspect=$(cap image inspect mine:1)
  assert_contains "$inspect" '"Author": "Jane <j@x>"'
  assert_contains "$inspect" '"Comment": "my message"'
  assert_contains "$inspect" '"k": "v"'
  assert_contains "$inspect" "\"Parent\": \"sha256:$(cap image inspect busybox | sed -n 's/.*"Id": "sha256:\([0-9a-f]*\)".*/\1/p')\""
  assert_eq "$(cap image history -q mine:1 | wc -l)" 2 "history: the image's step and the commit"
  # Without a name: a dangling image; bad instructions fail before anything.
  assert_match "$(cap commit c)" '^sha256:'
  assert_fails cap commit -c 'FROM x' c bad:1
  assert_contains "$ERR" "unsupported instruction"
  assert_fails cap image inspect bad:1
  cap rm c >/dev/null
}

test_commit_pauses_a_running_container() {
  engine_setup
  cap run -d --name r busybox sh -c 'echo up > /tmp/up; sleep 60' >/dev/null
  wait_for "cap diff r | grep -q /tmp/up" 50
  cap commit r running:1 >/dev/null
  assert_eq "$(cap run --rm running:1 cat /tmp/up)" up
  cap commit --pause=false r >/dev/null
  assert_contains "$(cap ps --format '{{.State}}')" running "still running after the commit"
  cap rm -f r >/dev/null
  assert_engine_clean
}

test_export() {
  engine_setup
  cap run --name e busybox sh -c 'echo data > /root/exported; rm /bin/vi'
  list=$(cap export e | tar tf -)
  assert_contains "$list" "root/exported"
  assert_contains "$list" "bin/sh"
  assert_not_contains "$list" "bin/vi"
  cap export -o "$WORK/e.tar" e
  assert_eq "$(tar xOf "$WORK/e.tar" root/exported)" data
  cap export -o "$WORK/e.tar" e # replaced whole
  assert_eq "$(tar xOf "$WORK/e.tar" root/exported)" data
  cap export -o /dev/null e # written into, never replaced
  [ -c /dev/null ] || fail "export -o /dev/null replaced it"
  assert_eq "$(ls "$WORK" | grep -c tmp-)" 0 "temporary files left"
  assert_fails cap export -o "$WORK/nope.tar" nosuch
  [ -z "$(ls "$WORK" | grep nope)" ] || fail "a failed export left a file"
  cap rm e >/dev/null
  assert_engine_clean
}

test_rename() {
  engine_setup
  cap run --name first busybox true
  cap run --name other busybox true
  cap rename first second
  assert_contains "$(cap ps -a)" second
  assert_not_contains "$(cap ps -a)" first
  assert_fails cap rename second other
  assert_contains "$ERR" "already in use"
  assert_fails cap rename second 'bad/name'
  cap rm second other >/dev/null
  assert_engine_clean
}
