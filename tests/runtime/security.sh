# The runtime's security properties: runc's CVE classes and container ids.
#   CVE-2019-5736: a container overwriting the runtime binary through
#                  /proc/<runtime pid>/exe
#   CVE-2024-21626: a host fd leaked into the container, used as its cwd
#   mount targets that escape the rootfs through symlinks
source "$TOP/tests/runtime/lib-runtime.sh"

# An attacker inside the container: for every process whose exe is not
# busybox, record the link and try to open the binary for writing.
ATTACKER='while :; do
  for d in /proc/[0-9]*; do
    l=$(readlink $d/exe 2>/dev/null) || continue
    case "$l" in */busybox) continue ;; esac
    echo "seen $l" >> /tmp/attack.log
    if (echo pwned >> $d/exe) 2>/dev/null; then echo "WROTE $l" >> /tmp/attack.log; fi
  done
done'

# A copy of the runtime that only this test runs, marked so that it matches
# no other binary: the attacks below write to it if they succeed.
runtime_copy() {
  RT_COPY=$BUNDLE/capsule-runtime-copy
  cp "$RT" "$RT_COPY"
  echo "capsule-test-marker-$$-$RANDOM" >>"$RT_COPY"
  RT=$RT_COPY
}

add_caps() { # CAP...
  local c
  for c in "$@"; do
    cfg ".process.capabilities.bounding += [\"$c\"] | .process.capabilities.effective += [\"$c\"]
         | .process.capabilities.permitted += [\"$c\"]"
  done
}

# The link /proc/<pid>/exe shows for the sealed binary: the root of the
# detached read-only bind (the default), or the memfd copy made where no
# mount can be made (forced by CAPSULE_SEAL_WITH_MEMFD).
sealed_link() {
  if [ -n "${CAPSULE_SEAL_WITH_MEMFD:-}" ]; then echo "/memfd:$(basename "$RT") (deleted)"; else echo /; fi
}

# Run `exec` with every execve delayed by strace, so that the runtime's own
# process sits inside the container, before its execve, long enough for
# the attacker to find it every time.
exec_slowly() {
  # (LeakSanitizer cannot run under ptrace: leak checks are off for this run.)
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -o /dev/null -e trace=execve,execveat -e inject=execve,execveat:delay_enter=700ms \
    "$RT" --root "$STATE" exec "$ID" true
}

attack_exec_held_by_strace() {
  command -v strace >/dev/null || skip "strace is needed to hold exec inside the container"
  new_bundle sh -c "$ATTACKER"
  runtime_copy
  # CAP_SYS_PTRACE defeats the non-dumpable defence, so what is left to
  # stop the attacker is the sealed copy the runtime runs from.
  add_caps CAP_SYS_PTRACE CAP_DAC_OVERRIDE
  before=$(sha256sum <"$RT")
  rt run -d --bundle "$BUNDLE" "$ID"
  exec_slowly
  exec_slowly
  log=$(cat "$BUNDLE/rootfs/tmp/attack.log" 2>/dev/null || true)
  # The window was hit: the attacker saw the runtime's process...
  assert_contains "$log" "seen " "attacker log"
  # ...and what it saw was the sealed copy, never the file.
  assert_not_contains "$log" "seen $RT"
  assert_contains "$log" "seen $(sealed_link)"
  assert_not_contains "$log" "WROTE"
  assert_eq "$(sha256sum <"$RT")" "$before" "runtime binary checksum"
}

test_cve_2019_5736_exec_cannot_overwrite_runtime() {
  attack_exec_held_by_strace
}

test_cve_2019_5736_exec_cannot_overwrite_runtime_memfd() {
  export CAPSULE_SEAL_WITH_MEMFD=1
  attack_exec_held_by_strace
}

test_cve_2019_5736_non_dumpable_hides_exe() {
  command -v strace >/dev/null || skip "strace is needed to hold exec inside the container"
  new_bundle sh -c "$ATTACKER"
  before=$(sha256sum <"$RT")
  rt run -d --bundle "$BUNDLE" "$ID"
  exec_slowly
  log=$(cat "$BUNDLE/rootfs/tmp/attack.log" 2>/dev/null || true)
  # Without CAP_SYS_PTRACE the attacker cannot even read the link.
  assert_not_contains "$log" "capsule-runtime"
  assert_not_contains "$log" "WROTE"
  assert_eq "$(sha256sum <"$RT")" "$before" "runtime binary checksum"
}

test_cve_2024_21626_no_host_fd_leaks_in() {
  new_bundle sh -c 'ls -l /proc/self/fd/ | grep -- "->" | sed "s/.*-> //"'
  exec 7</tmp 8</etc 9<"$RT"
  out=$(rt run --bundle "$BUNDLE" "$ID")
  exec 7<&- 8<&- 9<&-
  # Only stdio (and ls's own directory handle) may be open.
  n=$(wc -l <<<"$out")
  [ "$n" -le 4 ] || fail "unexpected open fds in the container: $out"
  assert_not_contains "$out" "/etc"
  assert_not_contains "$out" "capsule-runtime"
}

test_cve_2024_21626_cwd_through_leaked_fd_is_refused() {
  new_bundle sh -c 'ls / > /tmp/listing'
  mkdir -p /tmp/capsule-host-secret-$$
  defer "rm -rf /tmp/capsule-host-secret-$$"
  exec 7</tmp/capsule-host-secret-$$
  cfg '.process.cwd = "/proc/self/fd/7"'
  assert_fails rt run --bundle "$BUNDLE" "$ID"
  exec 7<&-
  assert_contains "$ERR" "cwd"
  [ ! -e "$BUNDLE/rootfs/tmp/listing" ] || fail "the process ran"
  assert_no_leftovers
}

test_cve_2024_21626_exec_cwd_through_leaked_fd_is_refused() {
  new_bundle sleep 30
  rt run -d --bundle "$BUNDLE" "$ID"
  exec 7</tmp
  assert_fails rt exec --cwd /proc/self/fd/7 "$ID" pwd
  exec 7<&-
  assert_contains "$ERR" "cwd"
}

test_preserve_fds_passes_exactly_those() {
  new_bundle sh -c 'cat <&3; ls -l /proc/self/fd/ | grep -- "->" | sed "s/.*-> //"'
  echo "through fd 3" >"$BUNDLE/msg"
  out=$(rt run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3<"$BUNDLE/msg" 4</etc)
  assert_contains "$out" "through fd 3"
  assert_not_contains "$out" "/etc"
}

test_mount_target_symlink_cannot_escape_rootfs() {
  victim=/tmp/capsule-escape-victim-$$
  mkdir -p "$victim"
  defer "umount '$victim/sub' 2>/dev/null; rm -rf '$victim'"
  new_bundle sh -c 'ls -d /escape/sub && awk "\$5 ~ /\/sub\$/" /proc/self/mountinfo | wc -l'
  # Followed on the host, this link would lead to $victim.
  ln -s "../../../../../../../..$victim" "$BUNDLE/rootfs/escape"
  cfg ".mounts += [{\"destination\": \"/escape/sub\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"
  out=$(rt run --bundle "$BUNDLE" "$ID")
  [ ! -e "$victim/sub" ] || fail "the mount target was created on the host: $victim/sub"
  ! grep -q "$victim" /proc/self/mountinfo || fail "something was mounted on the host at $victim"
  # Inside, the link resolved within the root and the tmpfs is there.
  assert_eq "$(tail -n 1 <<<"$out")" 1 "tmpfs mounted at /escape/sub inside"
  [ -d "$BUNDLE/rootfs$victim/sub" ] || fail "the target was not created inside the rootfs"
}

test_bind_target_symlink_to_host_etc_stays_inside() {
  new_bundle cat /etc/hostname-marker
  ln -s /etc "$BUNDLE/rootfs/hostetc"
  echo marker >"$BUNDLE/marker"
  cfg ".mounts += [{\"destination\": \"/hostetc/hostname-marker\", \"type\": \"bind\", \"source\": \"$BUNDLE/marker\", \"options\": [\"bind\", \"ro\"]}]"
  out=$(rt run --bundle "$BUNDLE" "$ID")
  assert_eq "$out" marker
  [ ! -e /etc/hostname-marker ] || fail "the bind target was created in the host's /etc"
}

test_invalid_container_ids_are_refused() {
  new_bundle
  for bad in "../escape" "a/b" ".hidden" "-dash" "sp ace" "semi;colon" "$(printf 'x%.0s' $(seq 1 1100))"; do
    assert_fails rt run --bundle "$BUNDLE" -- "$bad"
    assert_contains "$ERR" "invalid container id"
  done
  [ ! -e "$STATE" ] || [ -z "$(ls -A "$STATE")" ] || fail "state was created for an invalid id"
  [ ! -e "$BUNDLE/escape" ] || fail "an id escaped the state root"
}

test_host_mounts_not_visible_after_pivot() {
  new_bundle cat /proc/self/mountinfo
  out=$(rt run --bundle "$BUNDLE" "$ID")
  # Field 5 is where each mount is seen: nothing of the host's tree remains.
  points=$(awk '{print $5}' <<<"$out")
  assert_not_contains "$points" "$BUNDLE"
  assert_not_contains "$points" "/work"
  assert_eq "$(head -n 1 <<<"$points")" / "first mount point"
}

test_no_pivot_chroots() {
  new_bundle sh -c 'ls /; cat /proc/self/mountinfo | wc -l'
  out=$(rt run --no-pivot --bundle "$BUNDLE" "$ID")
  assert_contains "$out" "bin"
}

attack_entrypoint_proc_self_exe() {
  # The container's own entrypoint is the runtime (/proc/self/exe), held on
  # a FIFO at start-up and then on a second one after it has re-run itself.
  # An exec'd process holds /proc/1/exe and writes through it as soon as
  # the binary is no longer busy. CAP_SYS_PTRACE defeats non-dumpable, so
  # only the sealed copy stands in the way.
  new_bundle /proc/self/exe --log /log.fifo exec --process /process.fifo x
  runtime_copy
  add_libraries_of "$RT" "$BUNDLE/rootfs"
  add_caps CAP_SYS_PTRACE CAP_DAC_OVERRIDE
  mkfifo "$BUNDLE/rootfs/log.fifo" "$BUNDLE/rootfs/process.fifo"
  before=$(sha256sum <"$RT")
  rt run -d --bundle "$BUNDLE" "$ID"
  out=$(rt exec "$ID" sh -c '
    exec 3</proc/1/exe || { echo NOOPEN; exit 0; }
    echo "held $(readlink /proc/1/exe)"
    cat /log.fifo >/dev/null &
    i=0
    while [ $i -lt 30 ]; do
      if (echo pwned >>/proc/self/fd/3) 2>/dev/null; then echo WROTE; break; fi
      sleep 0.1; i=$((i + 1))
    done
    grep -q "^State:.*S" /proc/1/status && echo "init still up"')
  assert_not_contains "$out" "NOOPEN"
  assert_contains "$out" "held $(sealed_link)
"
  assert_contains "$out" "init still up"
  assert_not_contains "$out" "WROTE"
  assert_eq "$(sha256sum <"$RT")" "$before" "runtime binary checksum"
}

attack_shared_pid_namespace_scanner() {
  # Container B's entrypoint is the runtime; container A shares the host's
  # pid namespace, finds B's init by content, holds its exe and writes
  # through it once B has exited.
  new_bundle /proc/self/exe --log /log.fifo state x
  runtime_copy
  add_libraries_of "$RT" "$BUNDLE/rootfs"
  local b_bundle=$BUNDLE b_id=$ID
  mkfifo "$b_bundle/rootfs/log.fifo"
  new_bundle sh -c '
    while [ ! -e /tmp/held ]; do
      for d in /proc/[0-9]*; do
        # (`command`: a failed redirection of a plain exec ends the shell.)
        if cmp -s $d/exe /ref 2>/dev/null && command exec 3<$d/exe 2>/dev/null; then
          readlink $d/exe >/tmp/held; break
        fi
      done
    done
    i=0
    while [ $i -lt 50 ]; do
      if (echo pwned >>/proc/self/fd/3) 2>/dev/null; then echo WROTE >>/tmp/held; break; fi
      sleep 0.1; i=$((i + 1))
    done
    echo done >>/tmp/held'
  add_caps CAP_SYS_PTRACE CAP_DAC_OVERRIDE
  cfg 'del(.linux.namespaces[] | select(.type == "pid"))'
  cp "$RT_COPY" "$BUNDLE/rootfs/ref"
  before=$(sha256sum <"$RT_COPY")
  rt run -d --bundle "$BUNDLE" "$ID"
  "$RT" --root "$b_bundle/state" run -d --bundle "$b_bundle" "$b_id"
  wait_for "[ -s '$BUNDLE/rootfs/tmp/held' ]" 300
  cat "$b_bundle/rootfs/log.fifo" >/dev/null
  wait_for "grep -q done '$BUNDLE/rootfs/tmp/held'" 100
  log=$(cat "$BUNDLE/rootfs/tmp/held")
  assert_eq "$(head -n 1 <<<"$log")" "$(sealed_link)" "the link the attacker held"
  assert_not_contains "$log" "WROTE"
  assert_eq "$(sha256sum <"$RT_COPY")" "$before" "runtime binary checksum"
}

test_cve_2019_5736_proc_self_exe_entrypoint_is_sealed() {
  attack_entrypoint_proc_self_exe
}

test_cve_2019_5736_proc_self_exe_entrypoint_is_sealed_memfd() {
  export CAPSULE_SEAL_WITH_MEMFD=1
  attack_entrypoint_proc_self_exe
}

test_cve_2019_5736_shared_pid_namespace_scanner_cannot_write() {
  attack_shared_pid_namespace_scanner
}

test_cve_2019_5736_shared_pid_namespace_scanner_cannot_write_memfd() {
  export CAPSULE_SEAL_WITH_MEMFD=1
  attack_shared_pid_namespace_scanner
}

# With no tmpfs on /dev, the image's own /dev entries are what the runtime
# finds there. A /dev/null that links elsewhere once turned a masked path
# (/proc/keys) into a writable bind of the link's target.
test_cve_2025_31133_dev_null_link_in_image_is_refused() {
  new_bundle cat /proc/keys
  cfg 'del(.mounts[] | select(.destination == "/dev"))'
  echo SECRET >"$BUNDLE/rootfs/victim"
  ln -s /victim "$BUNDLE/rootfs/dev/null"
  assert_fails rt run --bundle "$BUNDLE" "$ID"
  assert_not_contains "$OUT" SECRET "container output"
  assert_contains "$ERR" "/dev/null: the root filesystem has something other than the character device 1:3 there (a symbolic link)"
  assert_eq "$(printf '%s\n' "$ERR" | wc -l)" 1 "stderr lines"
  assert_eq "$(cat "$BUNDLE/rootfs/victim")" SECRET "the link's target"
  assert_no_leftovers
}

test_dev_entries_of_the_wrong_kind_are_refused() {
  new_bundle true
  cfg 'del(.mounts[] | select(.destination == "/dev"))'
  echo data >"$BUNDLE/rootfs/dev/zero"
  assert_fails rt run --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "/dev/zero: the root filesystem has something other than the character device 1:5 there (a regular file)"
  assert_no_leftovers
  # The right node from an earlier run is kept.
  rm "$BUNDLE/rootfs/dev/zero"
  mknod -m 666 "$BUNDLE/rootfs/dev/zero" c 1 5
  rt run --bundle "$BUNDLE" "$ID"
}

test_masked_files_are_bound_from_the_null_device_only() {
  # A config may give /dev/null another device number: masking with it
  # would show that device's data in place of the masked file.
  # (head: the zero device never ends.)
  new_bundle head -c 16 /proc/keys
  cfg '.linux.devices = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 5, "fileMode": 438}]'
  assert_fails rt run --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "linux.maskedPaths: the container's /dev/null is a character device, not the null device 1:3"
  assert_no_leftovers
  # Masked files read as empty with the real one.
  cfg 'del(.linux.devices)'
  assert_eq "$(rt run --bundle "$BUNDLE" "$ID" | wc -c)" 0 "bytes read from masked /proc/keys"
}
