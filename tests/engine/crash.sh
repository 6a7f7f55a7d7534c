# Crash safety of containers: kill -9 at random points of `capsule run -d`,
# `capsule run --rm`, `capsule rm`, `capsule rm -f` and of `capsule system
# check` itself. After each kill, `system check` must succeed and repair what
# the kill left, a second check must find nothing to repair, a container the
# kill left running must still run, every container `ps -a` lists must go
# with `rm -f`, and then nothing of any container may remain: no container
# directory or name, no pin of the image, no runtime state, no cgroup (in
# every v1 hierarchy and the v2 tree), no mount under the test's roots, no
# process. Then: rm -f whatever the runtime's state says, damage done by hand,
# and a run root shared by two stores.
#
# The kill delays are spread over the command's measured duration (one
# random point in each of n equal slots, plus a margin past its end). The
# seed is printed: CRASH_SEED=N replays the same delays (the machine's timing
# decides the rest). CRASH_RUN_KILLS and the like change the counts.
source "$TOP/tests/engine/lib-engine.sh"

RUN_KILLS=${CRASH_RUN_KILLS:-14}
RM_KILLS=${CRASH_RM_KILLS:-8}
RMF_KILLS=${CRASH_RMF_KILLS:-10}
CHECK_KILLS=${CRASH_CHECK_KILLS:-6}
RUN_RM_KILLS=${CRASH_RUN_RM_KILLS:-6}

crash_setup() {
  engine_setup
  SEED=${CRASH_SEED:-$(($(date +%s%N) / 1000 % 1000000007))}
  RANDOM=$SEED
  echo "seed $SEED (replay the delays with CRASH_SEED=$SEED)" >&2
  CAPSULE=("$BIN/capsule" --root "$STORE" --runroot "$RUNROOT")
  CGROUP_MOUNTS=$(awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) ~ /^cgroup2?$/) print $5 }' \
    /proc/self/mountinfo)
  [ -n "$CGROUP_MOUNTS" ] || skip "no cgroup hierarchy mounted"
}

# Milliseconds a command takes, the median of five runs (the machine is
# shared: one slow run must not push most kills past the command's end);
# `undo` (a command) runs after each, untimed.
time_ms() { # undo command...
  local undo=$1 start i times=()
  shift
  for i in 1 2 3 4 5; do
    start=$(date +%s%N)
    "$@" >/dev/null || fail "$* failed while being timed"
    times+=($((($(date +%s%N) - start) / 1000000)))
    eval "$undo"
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p
}

# DELAY: for kill `i` of `n` over `ms`, a random point of the i-th slot.
# (Not a $(...) subshell: RANDOM must advance here for the seed to replay.)
slot_delay() { # i n ms
  local slot=$((($3 + $2 - 1) / $2))
  DELAY=$(($1 * slot + RANDOM % (slot + 1)))
}

# Start the command (not a shell function: $! must be its pid), kill -9 it
# after `ms` milliseconds.
kill_after() { # ms command...
  local ms=$1 pid
  shift
  "$@" >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Every id a trial may have left something for (each trial starts from
# nothing): names' links, container directories (also half-made or
# half-removed ones, wherever they are), the runtime's state.
trial_ids() {
  {
    find "$STORE/containers/names" -type l -printf '%l\n' 2>/dev/null || true
    find "$STORE/containers" "$RUNROOT" -maxdepth 2 2>/dev/null | grep -oE '[0-9a-f]{64}' || true
  } | sort -u
}

# A container's init whose `capsule run -d` was killed before the init was
# ready exits at its next step, finding nobody to talk to: wait until every
# process in the trial's cgroups has become the container's command (or a
# zombie, or is gone), so that what the checks see is settled.
settle() {
  local ids f pid comm stat i unsettled
  ids=$(trial_ids | paste -sd '|')
  [ -n "$ids" ] || return 0
  for ((i = 0; i < 100; i++)); do
    unsettled=0
    # A monitor that a killed run -d spawned still starts its container.
    ! pgrep -f "^capsule-monitor $STORE [^ ]+ start " >/dev/null || unsettled=1
    for f in $(grep -lE "$ids" /proc/[0-9]*/cgroup 2>/dev/null); do
      pid=${f#/proc/} pid=${pid%/cgroup}
      read -r comm <"/proc/$pid/comm" 2>/dev/null || continue
      read -r stat <"/proc/$pid/stat" 2>/dev/null || continue
      stat=${stat##*) }
      [ "${stat%% *}" = Z ] || [ "$comm" = sleep ] || unsettled=1
    done
    [ "$unsettled" = 1 ] || return 0
    sleep 0.02
  done
  fail "processes of a killed run did not settle: $(grep -lE "$ids" /proc/[0-9]*/cgroup 2>/dev/null)"
}

running_ids() {
  cap ps -q --no-trunc | sort
}

# After a kill: check repairs, a second check is clean, a live container is
# left alone, rm -f removes what ps -a lists, and then nothing is left.
REPAIRS=0
assert_recovers() { # what
  local ids live out id
  settle
  ids=$(trial_ids)
  live=$(running_ids)
  out=$(cap system check 2>&1) || fail "$1: system check failed: $out"
  assert_contains "$out" "ok: " "$1: system check"
  if grep '^repaired: ' <<<"$out" | sed "s/^/  $1: /" >&2; then
    REPAIRS=$((REPAIRS + 1))
  fi
  out=$(cap system check 2>&1) || fail "$1: the second system check failed: $out"
  assert_not_contains "$out" "repaired" "$1: the second system check"
  assert_eq "$(running_ids)" "$live" "$1: running containers after the check"
  for id in $(cap ps -a -q --no-trunc); do
    cap rm -f "$id" >/dev/null || fail "$1: rm -f $id failed after the check"
  done
  out=$(cap system check 2>&1) || fail "$1: system check after rm -f failed: $out"
  assert_not_contains "$out" "repaired" "$1: system check after rm -f"
  assert_nothing_left "$1" $ids
}

# Processes, zombies aside, whose cgroup names the id. (A detached
# container's init is reparented to pid 1, which may not reap it here: a
# zombie holds no resource and its cgroup may be gone.)
live_in_cgroup() { # id
  local f pid state
  for f in $(grep -l "$1" /proc/[0-9]*/cgroup 2>/dev/null); do
    pid=${f#/proc/} pid=${pid%/cgroup}
    state=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null) || continue
    [ "$state" = Z ] || echo "$pid ($state)"
  done
}

assert_nothing_left() { # what id...
  local what=$1 id mnt
  shift
  assert_eq "$(find "$STORE/containers" -mindepth 1 -maxdepth 2 -not -name names -not -name tmp)" "" \
    "$what: entries under containers/"
  assert_eq "$(ls -A "$RUNROOT" 2>/dev/null | grep -v -e '^\.seccomp$' -e '^\.net$' || true)" "" "$what: runtime state"
  assert_eq "$(ls -A "$STORE/pins" 2>/dev/null)" "" "$what: transient pins (run --rm's)"
  for id in "$@"; do
    ! grep -q "$id" "$STORE/images.json" || fail "$what: the image is still pinned by $id"
    for mnt in $CGROUP_MOUNTS; do
      [ ! -e "$mnt/capsule/$id" ] || fail "$what: cgroup $mnt/capsule/$id is left"
    done
    [ -z "$(live_in_cgroup "$id")" ] || fail "$what: a process of $id is left: $(live_in_cgroup "$id")"
  done
  [ -z "$(find /proc/[0-9]*/root -maxdepth 0 -lname "$WORK/*" 2>/dev/null)" ] ||
    fail "$what: a process is left with its root under $WORK"
  assert_engine_clean
}

rm_all() {
  local id
  for id in $(cap ps -a -q --no-trunc); do cap rm -f "$id" >/dev/null; done
}

# `n` trials of a command, each killed in its own slot of `ms`: `setup` (a
# command, with $name set) prepares, NAME in the command stands for $name.
kill_trials() { # what n ms prefix setup command...
  local what=$1 n=$2 ms=$3 prefix=$4 setup=$5 i name
  shift 5
  echo "$what takes $ms ms" >&2
  for ((i = 0; i < n; i++)); do
    name=$prefix$i
    eval "$setup"
    slot_delay "$i" "$n" "$ms"
    kill_after "$DELAY" "${CAPSULE[@]}" "${@//NAME/$name}"
    assert_recovers "$what, kill $i"
  done
  echo "$n kills of $what, $REPAIRS left something to repair" >&2
}

# The median time of rm -f of a running container.
rm_force_ms() {
  local again='cap run -d --name timing busybox sleep 600 >/dev/null'
  eval "$again"
  time_ms "$again" cap rm -f timing
  rm_all
}

test_kill_during_run_detached() {
  crash_setup
  local ms
  ms=$(time_ms rm_all cap run -d busybox sleep 600)
  kill_trials "run -d" "$RUN_KILLS" $((ms + 20)) c : run -d --name NAME busybox sleep 600
}

# The foreground --rm path: its record and pin are not synced, and it
# removes the container itself once the command exits.
test_kill_during_run_rm_foreground() {
  crash_setup
  local ms
  ms=$(time_ms : cap run --rm busybox true)
  kill_trials "run --rm" "$RUN_RM_KILLS" $((ms + 10)) g : run --rm --name NAME busybox true
}

# An exited container, then its rm.
test_kill_during_rm() {
  crash_setup
  local ms
  make_exited() {
    cap run -d --name "$1" busybox true >/dev/null
    wait_for "[ -z \"\$(cap ps -q)\" ]" 50
  }
  make_exited timing
  ms=$(time_ms 'make_exited timing' cap rm timing)
  rm_all
  kill_trials rm "$RM_KILLS" $((ms + 10)) r 'make_exited "$name"' rm NAME
}

# A running container, then its rm -f.
test_kill_during_rm_force() {
  crash_setup
  local ms
  ms=$(rm_force_ms)
  kill_trials "rm -f" "$RMF_KILLS" $((ms + 10)) f \
    'cap run -d --name "$name" busybox sleep 600 >/dev/null' rm -f NAME
}

# A check killed while it repairs what killed commands left (a run -d and
# an rm -f, each killed at a random point, and a container that exited, whose
# runtime state, cgroup and mount a check removes): the next check finishes
# the work.
test_kill_during_check() {
  crash_setup
  local run_ms rmf_ms ms
  run_ms=$(time_ms rm_all cap run -d busybox sleep 600)
  rmf_ms=$(rm_force_ms)
  make_leftovers() { # name
    cap run -d --name "$1-x" busybox true >/dev/null
    kill_after $((RANDOM % (run_ms + 1))) "${CAPSULE[@]}" run -d --name "$1" busybox sleep 600
    cap run -d --name "$1-f" busybox sleep 600 >/dev/null
    kill_after $((RANDOM % (rmf_ms + 1))) "${CAPSULE[@]}" rm -f "$1-f"
    wait_for "! cap ps | grep -q '$1-x'" 50
  }
  make_leftovers timing
  ms=$(time_ms 'rm_all; make_leftovers timing' cap system check)
  rm_all
  kill_trials "system check" "$CHECK_KILLS" $((ms + 10)) k 'make_leftovers "$name"' system check
}

# rm -f removes a running container whatever its runtime state says: a
# damaged state.json, or none at all, does not mean nothing to delete.
test_rm_whatever_the_runtime_state() {
  crash_setup
  local id damage
  for damage in 'echo "{broken" >' 'rm -f'; do
    id=$(cap run -d busybox sleep 600)
    eval "$damage \"\$RUNROOT/$id/state.json\""
    assert_contains "$(cap ps -a)" "${id:0:12}" "ps -a with a damaged runtime state"
    cap rm -f "$id" >/dev/null || fail "rm -f with a damaged runtime state ($damage)"
    assert_nothing_left "rm -f after '$damage state.json'" "$id"
  done
}

# Damage done by hand: a record cut short, a name without its container, a
# container without its name.
test_check_repairs_damage() {
  crash_setup
  local cut named out
  cut=$(cap run -d busybox true)
  named=$(cap run -d --name kept busybox sleep 600)
  wait_for "cap ps -a | grep '${cut:0:12}' | grep -q Exited" 50
  : >"$STORE/containers/$cut/container.json"
  ln -s "$cut" "$STORE/containers/names/stale"
  rm "$STORE/containers/names/kept"
  out=$(cap system check)
  assert_contains "$out" "repaired: removed what an interrupted command left of container ${cut:0:12}: directory, image pin"
  assert_contains "$out" "repaired: removed the name stale: no container has it"
  assert_contains "$out" "repaired: gave container ${named:0:12} back its name kept"
  assert_contains "$out" "ok: 1 container, 1 running or in use"
  assert_not_contains "$(cap system check)" repaired "a second check"
  cap rm -f kept >/dev/null
  assert_nothing_left "after the repairs" "$cut" "$named"
}

# Two stores may share a run root: a check of one leaves the other's
# containers alone, running or not.
test_check_leaves_other_roots_alone() {
  crash_setup
  local other=$WORK/other running stopped
  running=$(cap run -d busybox sleep 600)
  stopped=$(cap run -d busybox true)
  wait_for "cap ps -a | grep '${stopped:0:12}' | grep -q Exited" 50
  "$BIN/capsule" --root "$other" --runroot "$RUNROOT" import "$ENGINE_IMAGE_TAR" busybox >/dev/null
  out=$("$BIN/capsule" --root "$other" --runroot "$RUNROOT" system check)
  assert_not_contains "$out" repaired "the other store's check"
  [ -d "$RUNROOT/$running" ] || fail "the other store's check removed a runtime state"
  assert_contains "$(cap ps)" "${running:0:12}" "ps after the other store's check"
  rm_all
  assert_nothing_left "after rm -f" "$running" "$stopped"
}

# A container run in the foreground (attached to its monitor): check leaves
# it alone, and rm -f takes it from under the command, which then ends
# cleanly.
test_check_leaves_a_foreground_container_alone() {
  crash_setup
  local job out
  cap run --name fg busybox sleep 600 </dev/null >/dev/null 2>&1 &
  job=$!
  defer "kill -9 $job"
  wait_for "cap ps | grep -q fg" 50
  out=$(cap system check)
  assert_not_contains "$out" repaired "a check beside a foreground run"
  assert_contains "$out" "ok: 1 container, 1 running or in use"
  assert_fails cap rm fg
  assert_contains "$ERR" "is running"
  cap rm -f fg >/dev/null
  wait "$job" || true
  assert_not_contains "$(cap system check)" repaired "a check after rm -f"
  assert_nothing_left "rm -f of a foreground container"
}

# ps reads each record through a summary (no JSON to parse) only while it
# is the summary of the record on disk: one a kill left between a rename's
# record and its summary, one cut short, or none (a record from before
# summaries) give the record's truth; system check writes what is missing.
test_ps_summary_never_outlives_its_record() {
  crash_setup
  local id dir names='{{.Names}} {{.Command}} {{.Status}}'
  id=$(cap create --name old busybox true)
  dir=$STORE/containers/$id
  [ -s "$dir/summary" ] || fail "create wrote no summary"
  cp "$dir/summary" "$WORK/summary.old"
  cap rename old new
  assert_eq "$(cap ps -a --format "$names")" 'new "true" Created' "ps after rename"
  cp "$WORK/summary.old" "$dir/summary"
  assert_eq "$(cap ps -a --format "$names")" 'new "true" Created' "ps with the old record's summary"
  head -c 40 "$WORK/summary.old" >"$dir/summary"
  assert_eq "$(cap ps -a --format "$names")" 'new "true" Created' "ps with a summary cut short"
  rm "$dir/summary"
  assert_eq "$(cap ps -a --format "$names")" 'new "true" Created' "ps without a summary"
  cap system check >/dev/null
  [ -s "$dir/summary" ] || fail "system check wrote no summary"
  assert_eq "$(cap ps -a --format "$names")" 'new "true" Created' "ps after system check"
  cap rm new >/dev/null
  assert_nothing_left "rm" "$id"
}
