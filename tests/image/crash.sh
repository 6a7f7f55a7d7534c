# Crash safety and concurrency: kill -9 at random points of load, import and
# rmi, then `system check` must pass (saying what it repaired), a second
# check must find nothing, every image listed must be whole (save re-reads
# and re-verifies all its layers), and the interrupted command must succeed
# when run again. Concurrent commands must all succeed and leave a sound store.
source "$TOP/tests/image/lib-image.sh"

KILLS=${CRASH_KILLS:-8}

# An archive big enough to be caught in the middle: busybox plus two layers
# of random data, so that hashing, unpacking and syncing take a while.
make_big_archive() {
  busybox_tar "$WORK/bb.tar"
  mkdir -p "$WORK/r1" "$WORK/r2/sub"
  head -c 24000000 /dev/urandom >"$WORK/r1/blob"
  local i
  for i in $(seq 200); do echo "$i" >"$WORK/r2/sub/f$i"; done
  head -c 8000000 /dev/urandom >"$WORK/r2/blob2"
  tar -C "$WORK/r1" -czf "$WORK/r1.tar.gz" .
  tar -C "$WORK/r2" -cf "$WORK/r2.tar" .
  imgtool oci "$WORK/big.tar" "ref=big:1,layers=$WORK/bb.tar:$WORK/r1.tar.gz:$WORK/r2.tar"
}

# Milliseconds a command takes when left alone.
time_ms() {
  local start
  start=$(date +%s%N)
  "$@" >/dev/null
  echo $((($(date +%s%N) - start) / 1000000))
}

# Start a command, kill -9 it after a random part of `ms` milliseconds (the
# sleep is the random crash point, not a wait for anything).
kill_randomly() { # ms command...
  local ms=$1 delay pid
  shift
  delay=$((RANDOM % (ms + 1)))
  "$@" >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '0.%03d' "$delay")"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# After a crash: check repairs, a second check is clean, listed images are whole.
assert_recovers() {
  local out img
  out=$(cap system check) || fail "system check after a crash failed: $out"
  assert_contains "$out" "ok: "
  assert_store_sound
  for img in $(cap images -q --no-trunc); do
    cap save -o "$WORK/whole.tar" "$img" || fail "image $img is listed but not whole"
  done
  rm -f "$WORK/whole.tar"
}

test_kill_during_load() {
  image_setup
  make_big_archive
  local ms i
  ms=$(time_ms cap load -i "$WORK/big.tar")
  echo "an uninterrupted load takes $ms ms" >&2
  for i in $(seq "$KILLS"); do
    new_store
    kill_randomly "$ms" "$CAPSULE" --root "$ROOT" load -i "$WORK/big.tar"
    assert_recovers
    cap load -i "$WORK/big.tar" >/dev/null
    assert_eq "$(cap images --format '{{.Repository}}:{{.Tag}}')" "big:1" "image after the retried load"
  done
}

test_kill_during_import() {
  image_setup
  make_big_archive
  cat "$WORK/bb.tar" >"$WORK/rootfs.tar"
  tar -C "$WORK/r1" -rf "$WORK/rootfs.tar" .
  local ms i
  ms=$(time_ms cap import "$WORK/rootfs.tar" imp:1)
  echo "an uninterrupted import takes $ms ms" >&2
  for i in $(seq "$KILLS"); do
    new_store
    kill_randomly "$ms" "$CAPSULE" --root "$ROOT" import "$WORK/rootfs.tar" imp:1
    assert_recovers
    cap import "$WORK/rootfs.tar" imp:1 >/dev/null
  done
}

test_kill_during_rmi() {
  image_setup
  make_big_archive
  imgtool oci "$WORK/small.tar" "ref=small:1,layers=$WORK/bb.tar"
  local ms i
  cap load -i "$WORK/big.tar" >/dev/null
  ms=$(time_ms cap rmi big:1)
  echo "an uninterrupted rmi takes $ms ms" >&2
  for i in $(seq "$KILLS"); do
    new_store
    cap load -i "$WORK/big.tar" >/dev/null
    cap load -i "$WORK/small.tar" >/dev/null
    kill_randomly "$((ms + 20))" "$CAPSULE" --root "$ROOT" rmi big:1
    assert_recovers
    # Either it went, or it is whole (assert_recovers saved it) and goes now.
    cap rmi big:1 >/dev/null 2>&1 || true
    assert_eq "$(cap images --format '{{.Repository}}')" small "images left"
    assert_eq "$(ls "$ROOT/layers" | wc -l)" 1 "layers left (small's base, shared with big)"
  done
}

test_check_repairs_damage() {
  image_setup
  make_big_archive
  cap load -i "$WORK/big.tar" >/dev/null
  local blob layer out
  # A corrupt blob, a layer that lost its directory, leftovers of a crash.
  blob=$(ls "$ROOT/blobs/sha256" | head -1)
  layer=$(basename "$(dirname "$(layer_dir big:1 2)")")
  mkdir -p "$ROOT/tmp/layer-999-0-dead/diff" "$ROOT/layers/0000"
  rm -rf "$ROOT/layers/$layer"
  echo junk >"$WORK/junk"
  cp "$WORK/junk" "$ROOT/blobs/sha256/$(sha256sum "$WORK/junk" | cut -c1-64)"
  out=$(cap system check)
  assert_contains "$out" "repaired: removed 1 leftover of interrupted commands"
  assert_contains "$out" "repaired: removed incomplete or damaged layer 0000"
  assert_contains "$out" "repaired: image big:1: unpacked missing layer sha256:$layer again"
  assert_contains "$out" "repaired: removed 1 orphan blob and 0 orphan layers"
  assert_contains "$out" "ok: 1 image, 3 layers, 5 blobs verified"
  assert_store_sound
  printf 'X' | dd of="$ROOT/blobs/sha256/$blob" bs=1 seek=0 conv=notrunc status=none
  assert_fails cap system check
  assert_contains "$OUT" "repaired: removed corrupt blob sha256:$blob"
  assert_contains "$OUT" "problem: image big:1: "
  assert_one_line_error "1 problem left"
}

test_concurrent_commands() {
  image_setup
  make_big_archive
  imgtool oci "$WORK/small.tar" "ref=small:1,layers=$WORK/bb.tar"
  local pids=() i rc=0
  # Two loads of the same archive race for the same layers; imports and
  # removals run beside them.
  cap load -i "$WORK/big.tar" >"$WORK/o1" 2>&1 & pids+=($!)
  cap load -i "$WORK/big.tar" >"$WORK/o2" 2>&1 & pids+=($!)
  for i in 1 2 3; do
    cap import "$WORK/bb.tar" "imp:$i" >"$WORK/o3$i" 2>&1 & pids+=($!)
  done
  (for i in 1 2 3 4; do cap load -i "$WORK/small.tar" && cap rmi small:1; done) >"$WORK/o4" 2>&1 &
  pids+=($!)
  for i in "${pids[@]}"; do wait "$i" || rc=$?; done
  [ "$rc" = 0 ] || fail "a concurrent command failed: $(cat "$WORK"/o*)"
  assert_eq "$(cap images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" "big:1 imp:1 imp:2 imp:3 " "images"
  assert_store_sound
  assert_eq "$(ls "$ROOT/layers" | wc -l)" 3 "layers (busybox shared by all)"
}

# Removal waits for a command adding to the store (it could free what that
# command has not recorded yet); a writer killed with -9 holds no lock after.
test_gc_waits_for_writers_and_no_stale_lock() {
  image_setup
  busybox_tar "$WORK/bb.tar"
  cap import "$WORK/bb.tar" keep:1 >/dev/null
  mkfifo "$WORK/fifo"
  # An import reading from a pipe that stays open: it holds the store.
  "$CAPSULE" --root "$ROOT" import - slow:1 <"$WORK/fifo" >/dev/null 2>&1 &
  local writer=$!
  exec 7>"$WORK/fifo"
  head -c 4096 "$WORK/bb.tar" >&7
  wait_for "ls '$ROOT/tmp' | grep -q blob" 50 # it has the store and is writing
  "$CAPSULE" --root "$ROOT" rmi keep:1 >"$WORK/rmi.out" 2>&1 &
  local rmi=$!
  # The kernel lists a process blocked in flock() as a waiter ("->") in /proc/locks.
  wait_for "grep -Eq '^[0-9]+: -> FLOCK +ADVISORY +WRITE +$rmi ' /proc/locks || ! kill -0 $rmi" 50
  kill -0 "$rmi" 2>/dev/null || fail "rmi did not wait for the import: $(cat "$WORK/rmi.out")"
  # Readers are not blocked by the writer.
  assert_eq "$(cap images --format '{{.Repository}}')" keep "images during an import"
  kill -9 "$writer"
  wait "$writer" 2>/dev/null || true
  exec 7>&-
  wait_for "! kill -0 $rmi" 50
  wait "$rmi" || fail "rmi failed after the writer died: $(cat "$WORK/rmi.out")"
  assert_contains "$(cat "$WORK/rmi.out")" "Untagged: keep:1"
  assert_store_sound
  assert_nothing_left 0 0
}
