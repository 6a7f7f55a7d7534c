# podman container checkpoint / restore (and --export / --import) with
# capsule-runtime as its runtime: podman calls `checkpoint --image-path
# --work-path ID`, then conmon `restore --detach --bundle --pid-file ...`.
source "$TOP/tests/podman/podman-env.sh"

# Skip (saying why) where CRIU cannot be used: the runtime's own verdict.
# podman itself looks for `criu` in PATH: the one scripts/deps/criu built.
need_criu_for_podman() {
  local out
  out=$("$RUNTIME" --root /nonexistent checkpoint --image-path /nonexistent capsule-probe 2>&1 || true)
  case $out in *checkpoint/restore:*) skip "$out" ;; esac
  [ -x /usr/local/lib/capsule/criu/sbin/criu ] && export PATH=/usr/local/lib/capsule/criu/sbin:$PATH
  return 0
}

# The numbers a counter logged must be 1..N without a gap or a repeat:
# each restore went on from where the checkpoint stopped it.
assert_counted_through() { # container
  local logs n
  logs=$(pm logs "$1")
  n=$(tail -n 1 <<<"$logs")
  assert_eq "$logs" "$(seq 1 "$n")" "the counter's log"
}

logged() { pm logs "$1" | tail -n 1; }

test_checkpoint_restore_export_import() {
  need_criu_for_podman
  podman_env_start
  local id at
  id=$(pm run -d "$PODMAN_IMAGE" sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done')
  wait_for "[ \"\$(logged $id)\" -ge 3 ]" 50
  pm container checkpoint "$id" >/dev/null
  assert_eq "$(pm inspect --format '{{.State.Status}}' "$id")" exited "status after checkpoint"
  at=$(logged "$id")
  sleep 0.3
  assert_eq "$(logged "$id")" "$at" "the counter while checkpointed"
  pm container restore "$id" >/dev/null
  assert_eq "$(pm inspect --format '{{.State.Status}}' "$id")" running "status after restore"
  wait_for "[ \"\$(logged $id)\" -gt $((at + 2)) ]" 50
  assert_counted_through "$id"

  # Moved through an archive: the container is removed, then imported.
  local archive=$PODMAN_DIR/checkpoint.tar.gz
  pm container checkpoint --export "$archive" "$id" >/dev/null
  at=$(logged "$id")
  pm rm -f "$id" >/dev/null
  assert_eq "$(pm ps -a -q)" "" "containers after rm"
  pm container restore --import "$archive" >/dev/null
  assert_eq "$(pm inspect --format '{{.State.Status}}' "$id")" running "status after import"
  wait_for "[ \"\$(logged $id)\" -gt $((at + 2)) ]" 50
  assert_counted_through "$id"
  pm rm -f "$id" >/dev/null
  assert_no_trace_of "$id"
}
