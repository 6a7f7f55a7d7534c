# podman from Debian's packages runs containers with the runtime under test
# ($RUNTIME, default build/capsule-runtime): `podman run` in the foreground.
source "$TOP/tests/podman/podman-env.sh"

test_info_and_run_use_the_given_runtime() {
  podman_env_start
  local path version
  path=$(pm info --format '{{.Host.OCIRuntime.Path}}')
  assert_eq "$path" "$RUNTIME" "OCI runtime path in podman info"
  version=$(pm info --format '{{.Host.OCIRuntime.Version}}')
  assert_contains "$version" "$("$RUNTIME" --version | head -n 1)" "runtime version in podman info"
  assert_eq "$(pm run --rm "$PODMAN_IMAGE" echo hello from podman)" "hello from podman"
  # The container ran under the runtime: its init is pid 1 of its own pid
  # namespace, in a cgroup under the parent podman gave it.
  assert_eq "$(pm run --rm "$PODMAN_IMAGE" sh -c 'echo $$')" 1 "pid of the container's init"
  assert_contains "$(pm run --rm "$PODMAN_IMAGE" cat /proc/self/cgroup)" \
    "$PODMAN_CGROUP_PARENT/libpod-" "container cgroup"
}

test_env_and_workdir() {
  podman_env_start
  local out
  out=$(pm run --rm -e FOO=bar -e 'SPACED=a b  c' -w /tmp "$PODMAN_IMAGE" \
    sh -c 'echo "$FOO|$SPACED|$(pwd)"')
  assert_eq "$out" "bar|a b  c|/tmp"
  assert_eq "$(pm run --rm -w /root "$PODMAN_IMAGE" pwd)" /root
  # The image's environment reaches the process too.
  assert_contains "$(pm run --rm "$PODMAN_IMAGE" sh -c 'echo $PATH')" /bin "PATH"
}

test_user_and_groups() {
  podman_env_start
  local out
  out=$(pm run --rm -u 1000:1000 "$PODMAN_IMAGE" sh -c 'echo $(id -u):$(id -g):$(id -G)')
  assert_eq "$out" "1000:1000:1000" "uid:gid:groups"
  out=$(pm run --rm -u 1000:1000 --group-add 2000 "$PODMAN_IMAGE" id -G)
  assert_eq "$out" "1000 2000" "supplementary groups"
  # A non-root user has no effective capabilities; root keeps podman's set.
  out=$(pm run --rm -u 1000:1000 "$PODMAN_IMAGE" grep CapEff /proc/self/status)
  assert_match "$out" '^CapEff:[[:space:]]+0+$' "non-root CapEff"
  out=$(pm run --rm "$PODMAN_IMAGE" grep CapEff /proc/self/status)
  assert_match "$out" '^CapEff:[[:space:]]+0*[1-9a-f][0-9a-f]*$' "root CapEff"
}

test_exit_codes() {
  podman_env_start
  RC=0
  pm run --rm "$PODMAN_IMAGE" sh -c 'exit 3' || RC=$?
  assert_eq "$RC" 3 "exit code of exit 3"
  pm run --rm "$PODMAN_IMAGE" true
  assert_fails pm run --rm "$PODMAN_IMAGE" false
  assert_eq "$RC" 1 "exit code of false"
  # A container killed from outside by SIGKILL (podman kill): 128 + 9.
  pm run --rm --name victim "$PODMAN_IMAGE" sleep 300 &
  local fg=$!
  wait_for "[ \"\$(pm inspect --format '{{.State.Status}}' victim)\" = running ]" 100
  pm kill victim >/dev/null
  RC=0
  wait "$fg" || RC=$?
  assert_eq "$RC" 137 "exit code of a container killed by SIGKILL"
}

test_missing_command_reaches_the_user() {
  podman_env_start
  assert_fails pm run --rm "$PODMAN_IMAGE" /no/such/cmd
  assert_eq "$RC" 127 "exit code for a missing command"
  assert_contains "$ERR" /no/such/cmd "error message"
  assert_eq "$(printf '%s\n' "$ERR" | grep -c .)" 1 "lines of error output"
  assert_fails pm run --rm "$PODMAN_IMAGE" nosuchcommand
  assert_eq "$RC" 127 "exit code for a command not in PATH"
  assert_contains "$ERR" nosuchcommand "error message"
  # A directory is not executable: 126.
  assert_fails pm run --rm "$PODMAN_IMAGE" /bin
  assert_eq "$RC" 126 "exit code for a command that cannot run"
  assert_contains "$ERR" "permission denied" "error message"
  # Nothing is left of the failed containers.
  assert_eq "$(pm ps -a -q)" "" "containers after failed runs"
}

test_tty() {
  podman_env_start
  local out
  out=$(pm run --rm -t "$PODMAN_IMAGE" sh -c 'tty; test -t 0 && echo stdin-tty; test -t 1 && echo stdout-tty' | tr -d '\r')
  assert_match "$(sed -n 1p <<<"$out")" '^/dev/pts/[0-9]+$' "tty"
  assert_eq "$(sed -n 2,3p <<<"$out" | tr '\n' ' ')" "stdin-tty stdout-tty " "terminal tests"
  # stdin, stdout and stderr are all that one terminal.
  out=$(pm run --rm -t "$PODMAN_IMAGE" sh -c 'for fd in 0 1 2; do readlink /proc/self/fd/$fd; done' | tr -d '\r' | sort -u)
  assert_match "$out" '^/dev/pts/[0-9]+$' "stdio of a -t container"
  # Without -t there is no terminal.
  out=$(pm run --rm "$PODMAN_IMAGE" sh -c 'tty; test -t 0 || echo no-tty')
  assert_eq "$out" "not a tty
no-tty" "without -t"
}

test_run_rm_leaves_nothing_behind() {
  podman_env_start
  local inside id mounts_before
  inside=/proc/$PODMAN_HOLDER/root
  mounts_before=$(podman_ns cat /proc/self/mountinfo | wc -l)
  pm run --rm --cidfile "$PODMAN_DIR/cid" --memory 64m --pids-limit 50 "$PODMAN_IMAGE" \
    sh -c 'sleep 0.2 & wait'
  id=$(cat "$inside$PODMAN_DIR/cid")
  assert_match "$id" '^[0-9a-f]{64}$' "container id"
  assert_eq "$(pm ps -a -q)" "" "containers after run --rm"
  assert_no_trace_of "$id"
  assert_eq "$(podman_ns cat /proc/self/mountinfo | wc -l)" "$mounts_before" "mount count in podman's namespace"
  wait_for "[ -z \"\$(private_env_processes $PODMAN_HOLDER $PODMAN_CGROUP_PARENT)\" ]" 50
}

test_device_and_privileged() {
  # podman gives each device's fileMode with its type bits (020666).
  podman_env_start
  assert_eq "$(pm run --rm --device /dev/kmsg "$PODMAN_IMAGE" stat -c '%F %t:%T' /dev/kmsg)" \
    "character special file 1:b" "/dev/kmsg from --device"
  # --privileged passes every host device the same way, and all capabilities.
  local out
  out=$(pm run --rm --privileged "$PODMAN_IMAGE" sh -c 'stat -c "%F %t:%T" /dev/kmsg; grep CapEff /proc/self/status')
  assert_eq "$(sed -n 1p <<<"$out")" "character special file 1:b" "/dev/kmsg with --privileged"
  assert_eq "$(sed -n 2p <<<"$out" | cut -f2)" "$(awk '/^CapBnd:/ {print $2}' /proc/self/status)" \
    "--privileged has every capability"
}
