# The engine against a hostile container: CVE-2019-5736 through `capsule
# run`, which runs the runtime in-process.
source "$TOP/tests/engine/lib-engine.sh"

attack_entrypoint_proc_self_exe() {
  engine_setup
  # A copy of capsule that only this test runs, marked so that it matches
  # no other binary: the attack writes to it if it succeeds.
  local copy=$WORK/capsule-copy
  cp "$BIN/capsule" "$copy"
  echo "capsule-test-marker-$$-$RANDOM" >>"$copy"
  before=$(sha256sum <"$copy")
  # The container's pid 1 is capsule itself (/proc/self/exe), held reading
  # its stdin. Whoever opens its /proc/<pid>/exe now (a process of the
  # container, or one sharing its pid namespace) writes through that
  # descriptor once capsule no longer runs.
  # capsule is linked dynamically: the image gets its loader and libraries.
  mkdir "$WORK/rootfs"
  tar -C "$WORK/rootfs" -xf "$ENGINE_IMAGE_TAR"
  add_libraries_of "$BIN/capsule" "$WORK/rootfs"
  tar -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .
  cap import "$WORK/rootfs.tar" withlibc >/dev/null
  mkfifo "$WORK/stdin"
  # --rm: the in-process path (a container with a monitor is started by
  # capsule-monitor, which the library equally refuses to run unsealed).
  "$copy" --root "$STORE" --runroot "$RUNROOT" run --rm -i --name selfexe --entrypoint /proc/self/exe \
    withlibc import - x <"$WORK/stdin" >"$WORK/out" 2>&1 &
  local runner=$!
  exec 4>"$WORK/stdin"
  # Listed once its record exists; its runtime state comes a moment later.
  wait_for "[ -n \"\$(cap ps -q --no-trunc)\" ] && \"\$BIN/capsule-runtime\" --root \"\$RUNROOT\" state \"\$(cap ps -q --no-trunc)\"" 100
  id=$(cap ps -q --no-trunc)
  # ps says running once the run began; the runtime's state comes a moment later.
  wait_for "'$BIN/capsule-runtime' --root '$RUNROOT' state '$id'" 100
  pid=$("$BIN/capsule-runtime" --root "$RUNROOT" state "$id" | jq .pid)
  wait_for "tr '\\0' ' ' </proc/$pid/cmdline | grep -q import" 50
  # The root of a detached read-only bind of the binary, or a sealed memfd
  # copy where no mount can be made (forced by CAPSULE_SEAL_WITH_MEMFD).
  local want=/
  [ -z "${CAPSULE_SEAL_WITH_MEMFD:-}" ] || want="/memfd:capsule-copy (deleted)"
  assert_eq "$(readlink "/proc/$pid/exe")" "$want" "exe of the container's pid 1"
  exec 3<"/proc/$pid/exe"
  exec 4>&- # EOF on stdin: the import fails and pid 1 exits
  wait "$runner" || true
  wrote=no
  (echo pwned >>/proc/self/fd/3) 2>/dev/null && wrote=yes
  exec 3<&-
  assert_eq "$wrote" no "wrote through the container's /proc/1/exe"
  assert_eq "$(sha256sum <"$copy")" "$before" "capsule binary checksum"
}

test_cve_2019_5736_entrypoint_proc_self_exe_is_sealed() {
  attack_entrypoint_proc_self_exe
}

test_cve_2019_5736_entrypoint_proc_self_exe_is_sealed_memfd() {
  export CAPSULE_SEAL_WITH_MEMFD=1
  attack_entrypoint_proc_self_exe
}
