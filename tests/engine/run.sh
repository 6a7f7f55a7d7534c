# capsule run: containers from images, with an overlayfs copy-on-write root.
# Each test uses its own store (--root) and runtime state (--runroot).

source "$TOP/tests/engine/lib-engine.sh"

test_run_rm_prints_and_leaves_nothing() {
  engine_setup
  out=$(cap run --rm busybox echo hello from the image)
  assert_eq "$out" "hello from the image"
  assert_engine_clean
  # The image is no longer pinned: it can be removed.
  cap rmi busybox >/dev/null
}

test_image_config_env_cmd_and_overrides() {
  engine_setup
  assert_eq "$(cap run --rm busybox sh -c 'echo $GREETING')" hello "ENV from the image"
  assert_eq "$(cap run --rm -e GREETING=bye -e NEW=1 busybox sh -c 'echo $GREETING $NEW')" "bye 1" "-e"
  assert_eq "$(cap run --rm -w /tmp busybox pwd)" /tmp "-w"
  assert_eq "$(cap run --rm -u 65534 busybox id -u)" 65534 "-u uid"
  assert_eq "$(cap run --rm -u nobody busybox id -un)" nobody "-u name"
  assert_eq "$(cap run --rm --entrypoint /bin/echo busybox entry point)" "entry point" "--entrypoint"
  # With no command, the image's Cmd (/bin/sh) reads the script from stdin.
  assert_eq "$(echo 'echo from stdin' | cap run --rm -i busybox)" "from stdin" "image Cmd"
}

test_exit_codes() {
  engine_setup
  RC=0
  cap run --rm busybox sh -c 'exit 7' || RC=$?
  assert_eq "$RC" 7 "exit code"
  assert_engine_clean
}

test_changes_stay_in_the_container_layer() {
  engine_setup
  cap run --name keeper busybox sh -c 'echo data > /root/new-file; rm /bin/vi'
  id=$(cap ps -a -q --no-trunc)
  # The change is in the container's upper dir, the image layer is intact.
  [ -f "$STORE/containers/$id/upper/root/new-file" ] || fail "the new file is not in the upper dir"
  [ -c "$STORE/containers/$id/upper/bin/vi" ] || fail "the removal is not a whiteout in the upper dir"
  layer=$(ls -d "$STORE"/layers/*/diff | head -n 1)
  [ -e "$layer/bin/vi" ] || fail "the image layer lost /bin/vi"
  [ ! -e "$layer/root/new-file" ] || fail "the image layer got the container's file"
  # A new container from the image does not see them.
  assert_eq "$(cap run --rm busybox sh -c 'ls /root; test -e /bin/vi && echo vi-there')" vi-there
  cap rm keeper
  assert_engine_clean
}

test_ps_and_rm() {
  engine_setup
  id=$(cap run -d --name sleeper busybox sleep 60)
  assert_match "$id" '^[0-9a-f]{64}$' "printed id"
  out=$(cap ps)
  assert_contains "$out" sleeper
  assert_contains "$out" "Up "
  # Columns line up: STATUS starts at the same place in the header and the row.
  local head row
  head=$(sed -n 1p <<<"$out") row=$(grep sleeper <<<"$out")
  assert_eq "${row:$(( $(awk '{print index($0, "STATUS")}' <<<"$head") - 1 )):3}" "Up " "the STATUS column"
  assert_contains "$row" '"sleep 60"'
  assert_fails cap rm sleeper
  assert_contains "$ERR" "is running"
  cap rm -f sleeper
  assert_eq "$(cap ps -a -q)" "" "containers after rm -f"
  assert_engine_clean
}

test_resource_limits() {
  engine_setup
  out=$(cap run --rm -m 32m --pids-limit 20 busybox sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max')
  assert_eq "$(echo $out)" "33554432 20" "limits read inside"
}

test_default_security_profile() {
  engine_setup
  out=$(cap run --rm busybox sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; unshare -U true 2>&1; echo unshare=$?')
  assert_contains "$out" "Seccomp:	2"
  # No CAP_SYS_ADMIN in the default set (bit 21).
  caps=$(awk '/CapEff/ {print $2}' <<<"$out")
  (( (0x$caps >> 21 & 1) == 0 )) || fail "CAP_SYS_ADMIN granted by default"
  assert_contains "$out" "unshare=1"
}

test_volume_bind() {
  engine_setup
  mkdir "$WORK/vol"
  echo from-host >"$WORK/vol/file"
  assert_eq "$(cap run --rm -v "$WORK/vol:/data:ro" busybox cat /data/file)" from-host
  assert_fails cap run --rm -v "$WORK/vol:/data:ro" busybox sh -c 'echo x > /data/file'
}

test_bad_input() {
  engine_setup
  assert_fails cap run --rm --pull never nosuchimage true
  assert_contains "$ERR" "no such image"
  assert_fails cap run --rm -e =value busybox true
  assert_contains "$ERR" "invalid environment variable: =value"
  assert_fails cap run --rm -v bad/name:/x busybox true
  assert_contains "$ERR" "invalid characters for a local volume name"
  assert_fails cap run --rm busybox /no/such/program
  assert_contains "$ERR" "/no/such/program"
  assert_fails cap run --rm -u nosuchuser busybox true
  assert_contains "$ERR" "nosuchuser"
  assert_fails cap run --frobnicate busybox true
  assert_eq "$RC" 125 "usage error exit code"
  assert_fails cap rm nosuchcontainer
  assert_contains "$ERR" "no such container"
  cap run --name taken -d busybox sleep 30 >/dev/null
  assert_fails cap run --name taken busybox true
  assert_contains "$ERR" "already in use"
  cap rm -f taken >/dev/null
  assert_engine_clean
}

test_relative_root() {
  engine_setup
  out=$(cd "$WORK" && "$BIN/capsule" --root store --runroot run run --rm busybox echo ok)
  assert_eq "$out" ok "run with a relative --root"
  assert_engine_clean
}

test_names_and_id_prefixes() {
  engine_setup
  id=$(cap run -d --name first busybox sleep 30)
  assert_eq "$(cap ps -q --no-trunc)" "$id" "ps"
  # By name, full id and prefix; a name in use is refused until removed.
  assert_fails cap run --name first busybox true
  assert_contains "$ERR" "already in use"
  assert_fails cap rm "${id:0:3}"
  assert_contains "$ERR" "no such container"
  cap rm -f "${id:0:8}" >/dev/null
  cap run --rm --name first busybox true
  # A name left by a create that crashed (its container is gone) is reused.
  ln -s "$(printf 'f%.0s' $(seq 1 64))" "$STORE/containers/names/stale"
  cap run --rm --name stale busybox true
  assert_engine_clean
}
