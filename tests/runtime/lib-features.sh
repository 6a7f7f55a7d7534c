# Helpers of the feature suites (process, mounts, resources, hooks, seccomp,
# exec, terminal); sourced after lib-runtime.sh. Defines functions only.

# `run` of the bundle must fail with one line on stderr holding every
# NEEDLE, and leave nothing behind.
assert_run_refused() { # needle...
  assert_fails rt run --bundle "$BUNDLE" "$ID"
  local n
  for n in "$@"; do assert_contains "$ERR" "$n"; done
  assert_eq "$(wc -l <<<"$ERR")" 1 "lines of error output"
  assert_no_leftovers
}

# Run the bundle in the foreground; its exit status in RC.
run_status() {
  RC=0
  rt run --bundle "$BUNDLE" "$ID" || RC=$?
}

# Run the bundle detached; PID is its init.
run_detached() {
  rt run -d --bundle "$BUNDLE" "$ID"
  PID=$(rt state "$ID" | jq -r .pid)
}
