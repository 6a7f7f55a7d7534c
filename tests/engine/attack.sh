# The engine's new commands against hostile input: a user's flags that
# would take the host down, an image or a container that tries to reach
# the host's files, a container that floods what the engine keeps of it.
# Each test is a finding that once worked.
source "$TOP/tests/engine/lib-engine.sh"

# `capsule "$@"` in a network namespace of its own where 198.51.100.0/24
# is routed (to lo): the host's LAN, without touching the host's routes.
cap_with_lan() {
  unshare -n sh -c 'ip link set lo up && ip route add 198.51.100.0/24 dev lo && exec "$0" "$@"' \
    "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" "$@"
}

test_network_subnet_of_the_host_is_refused() {
  engine_setup
  # A bridge given the host's LAN takes the host's gateway address: the
  # host loses its network. Loopback and multicast make no network either.
  local sn
  for sn in 198.51.100.0/24 198.51.100.128/25 198.0.0.0/8 127.0.0.0/16 224.0.0.0/4; do
    RC=0; cap_with_lan network create --subnet "$sn" lan >/dev/null 2>"$WORK/err" || RC=$?
    assert_eq "$RC" 1 "network create --subnet $sn"
    assert_match "$(cat "$WORK/err")" "subnet $sn" "the error names the subnet"
  done
  assert_eq "$(cap network ls | grep -cw lan || true)" 0 "no network lan made"
  cap_with_lan network create --subnet 198.51.101.0/24 lan >/dev/null
  cap network rm lan >/dev/null
}

test_hostname_cannot_add_host_entries() {
  engine_setup
  # The hostname goes into the container's /etc/hosts: a newline in it
  # added entries (here: a name of the user's choosing for 6.6.6.6).
  RC=0; cap run --rm --network bridge --hostname $'x\n6.6.6.6 victim' busybox \
    cat /etc/hosts >"$WORK/out" 2>"$WORK/err" || RC=$?
  assert_eq "$RC" 125 "run --hostname with a newline"
  assert_eq "$(grep -c victim "$WORK/out" || true)" 0 "no injected /etc/hosts entry"
  assert_contains "$(cat "$WORK/err")" "invalid hostname" "the error"
  assert_eq "$(cap run --rm --hostname web.example-1 busybox hostname)" web.example-1 "a plain hostname"
  assert_engine_clean
}

test_no_mount_over_proc() {
  engine_setup
  # A volume over /proc or under it is the container's to fill: the
  # runtime's writes there (oomScoreAdj, sysctls) then follow its symlinks
  # (runc's CVE-2019-19921). Refused as runc does, lxcfs's files aside.
  mkdir "$WORK/d"
  echo "MemTotal: 1 kB" >"$WORK/meminfo"
  local spec
  for spec in "-v $WORK/d:/proc" "-v shared:/proc/sys" "-v $WORK/d:/tmp/../proc/sys/net" \
    "--mount type=volume,source=shared,target=/proc/sys/kernel" "--tmpfs /proc/sys"; do
    RC=0; cap run --rm $spec busybox true 2>"$WORK/err" || RC=$?
    assert_eq "$RC" 125 "run $spec"
    assert_contains "$(cat "$WORK/err")" "under /proc" "the error of $spec"
  done
  assert_eq "$(cap volume ls -q)" "" "no volume made"
  assert_eq "$(cap run --rm -v "$WORK/meminfo:/proc/meminfo:ro" busybox cat /proc/meminfo)" \
    "MemTotal: 1 kB" "an lxcfs file over /proc/meminfo"
  # An image's VOLUME there is passed over (as its VOLUME "/"), not made.
  cap import --change 'VOLUME ["/proc/sys", "/data"]' "$ENGINE_IMAGE_TAR" withvol >/dev/null
  cap run --name v withvol true
  assert_eq "$(cap inspect --format '{{range .Mounts}}{{.Destination}} {{end}}' v)" "/data " "mounts"
  cap rm -v v >/dev/null
  assert_engine_clean
}

# `capsule` with a time limit: what this suite attacks once hung it.
cap_within() {
  timeout "$1" "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" "${@:2}"
}

test_passwd_fifo_or_device_does_not_hang() {
  engine_setup
  # An image whose /etc/passwd is a FIFO (the open blocked) or /dev/zero
  # (read for ever, at 100% CPU): run hung, -u or not (the runtime looks
  # up HOME there), and so did exec -u once a container made it so.
  mkdir "$WORK/rootfs"
  tar -C "$WORK/rootfs" -xf "$ENGINE_IMAGE_TAR"
  rm "$WORK/rootfs/etc/passwd"
  mknod "$WORK/rootfs/etc/passwd" c 1 5
  tar -C "$WORK/rootfs" -cf "$WORK/zero.tar" .
  cap import "$WORK/zero.tar" zeropw >/dev/null
  RC=0; cap_within 10 run --rm -u nobody zeropw true 2>"$WORK/err" || RC=$?
  assert_eq "$RC" 125 "run -u nobody with /etc/passwd a char device"
  assert_contains "$(cat "$WORK/err")" "unable to find user nobody" "the error"
  assert_eq "$(cap_within 10 run --rm zeropw sh -c 'echo $HOME')" / "HOME without a passwd file"
  cap run -d --name c busybox sleep 30 >/dev/null
  cap exec c sh -c 'rm /etc/passwd && mkfifo /etc/passwd'
  RC=0; cap_within 10 exec -u nobody c true 2>/dev/null || RC=$?
  assert_eq "$RC" 125 "exec -u nobody with /etc/passwd a FIFO"
  assert_eq "$(cap_within 10 exec c sh -c 'echo $HOME')" / "exec's HOME with /etc/passwd a FIFO"
  cap rm -f c >/dev/null
  assert_engine_clean
}

test_internal_network_reaches_nothing_outside() {
  engine_setup
  defer 'cap rm -f srv peer >/dev/null 2>&1; cap network rm atk-in atk-out >/dev/null 2>&1'
  cap network create --internal atk-in >/dev/null
  cap network create atk-out >/dev/null
  local serve='while :; do echo hi | nc -l -p 8080; done'
  cap run -d --name srv --network atk-out busybox sh -c "$serve" >/dev/null
  cap run -d --name peer --network atk-in busybox sh -c "$serve" >/dev/null
  local ip_srv ip_peer
  ip_srv=$(cap inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' srv)
  ip_peer=$(cap inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' peer)
  # On an --internal network a container had a default route through the
  # host: it reached containers of other networks (and the outside, unNATed).
  out=$(cap run --rm --network atk-in busybox sh -c "ip route | grep -c default;
    nc -w 2 $ip_srv 8080 </dev/null 2>/dev/null || echo unreachable;
    nc -w 2 $ip_peer 8080 </dev/null" || true)
  assert_eq "$out" "$(printf '0\nunreachable\nhi')" "routes, another network, a peer on the internal one"
}

test_deep_tree_export_commit_cp() {
  engine_setup
  # A container's deep tree: the tar writer recursed with 10 kB a level and
  # export, commit and cp died of a stack overflow (SIGSEGV) from 700
  # levels on. Shown here with 300 levels on a 1 MB stack.
  cap run --name deep busybox sh -c 'mkdir -p /tmp/$(printf "d/%.0s" $(seq 300))' >/dev/null
  ulimit -s 1024
  assert_eq "$(cap_within 30 export deep | tar -t | grep -c '/d/$')" 300 "export: the directories"
  assert_eq "$(cap_within 30 cp deep:/tmp - | tar -t | grep -c '/d/$')" 300 "cp: the directories"
  cap_within 30 commit deep deepimg >/dev/null
  cap rm deep >/dev/null
  cap rmi deepimg >/dev/null
  assert_engine_clean
}

test_deep_tree_in_image_volume() {
  engine_setup
  # An image whose VOLUME holds a deep tree: copying it into the new volume
  # recursed with 4 kB a level and run crashed (SIGSEGV) from 2000 levels
  # on, leaving its container and a half copy behind. Shown here with 400
  # levels on a 1 MB stack (deep trees are slow to make).
  mkdir -p "$WORK/rootfs/data/$(printf 'd/%.0s' $(seq 400))"
  tar -C "$WORK/rootfs" -xf "$ENGINE_IMAGE_TAR"
  tar -C "$WORK/rootfs" -cf "$WORK/deep.tar" .
  cap import --change 'VOLUME /data' "$WORK/deep.tar" deepvol >/dev/null
  (ulimit -s 1024 && cap_within 30 run --rm -v dv:/data deepvol sh -c 'test -d /data/$(printf "d/%.0s" $(seq 400))')
  assert_eq "$(cap volume inspect --format '{{.Name}}' dv)" dv "the volume"
  assert_engine_clean
}
