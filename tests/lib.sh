# Shared helpers for capsule's shell tests. A suite is a file of functions
# named test_*; tests/run executes each in its own subshell with `set -e -o
# pipefail`.
# A test passes by returning 0, skips by calling `skip REASON` (exit 77),
# and fails on any failing command or assertion.

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-build}
BIN=$TOP/$BUILD

fail() {
  echo "assertion failed: $*" >&2
  exit 1
}

skip() {
  echo "$*" >"${SKIP_REASON_FILE:-/dev/null}"
  exit 77
}

assert_eq() { # actual expected [what]
  [ "$1" = "$2" ] || fail "${3:-value}: got '$1', want '$2'"
}

assert_ne() {
  [ "$1" != "$2" ] || fail "${3:-value}: got '$1', want anything else"
}

assert_contains() { # haystack needle [what]
  case "$1" in *"$2"*) ;; *) fail "${3:-output} does not contain '$2': $1" ;; esac
}

assert_not_contains() {
  case "$1" in *"$2"*) fail "${3:-output} contains '$2': $1" ;; *) ;; esac
}

assert_match() { # string extended-regex [what]
  [[ "$1" =~ $2 ]] || fail "${3:-output} does not match /$2/: $1"
}

# Run a command that must fail; its stderr is left in $ERR, stdout in $OUT,
# its exit code in $RC.
assert_fails() {
  local tmp
  tmp=$(mktemp -d)
  RC=0
  "$@" >"$tmp/out" 2>"$tmp/err" || RC=$?
  OUT=$(cat "$tmp/out")
  ERR=$(cat "$tmp/err")
  rm -rf "$tmp"
  [ "$RC" -ne 0 ] || fail "expected failure, exit 0: $*"
}

# Commands run at the end of the test, last registered first, even on failure.
DEFERRED=()
defer() {
  DEFERRED=("$*" "${DEFERRED[@]}")
}
run_deferred() {
  local c
  for c in "${DEFERRED[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
  DEFERRED=()
}

# Poll until a command succeeds, or fail after $2 tenths of a second.
wait_for() { # "command" tenths
  local i
  for ((i = 0; i < ${2:-50}; i++)); do
    eval "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "timed out waiting for: $1"
}

# Copy the shared libraries a dynamically linked binary needs (its loader
# included) into a root filesystem, so that the binary also runs there (a
# sanitizer build of capsule is dynamic). Nothing for a static binary.
add_libraries_of() { # binary rootfs
  local lib
  for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
    mkdir -p "$2$(dirname "$lib")"
    cp -L "$lib" "$2$lib"
  done
}

# A busybox rootfs from the host's busybox-static: /bin holds busybox and a
# link per applet (made by one process: in the emulated test VM each exec
# costs ~0.2 s, and one `ln` per applet took 35 s).
make_busybox_rootfs() { # dir
  mkdir -p "$1"/bin "$1"/etc "$1"/proc "$1"/sys "$1"/dev "$1"/tmp "$1"/root
  cp /bin/busybox "$1"/bin/busybox
  /bin/busybox --list | perl -e 'my $d = shift; while (<STDIN>) { chomp; next if $_ eq "busybox";
    unlink "$d/$_"; symlink("busybox", "$d/$_") or die "symlink $d/$_: $!\n" }' "$1/bin"
}

# busy_cpus [SECONDS]: one busy loop per CPU, each ending by itself after
# SECONDS (default 90) and killed (by its pid) at the end of the test.
busy_cpus() {
  local i pid
  for ((i = 0; i < $(nproc); i++)); do
    (
      end=$((SECONDS + ${1:-90}))
      while [ $SECONDS -lt $end ]; do :; done
    ) &
    pid=$!
    defer kill "$pid"
  done
}
