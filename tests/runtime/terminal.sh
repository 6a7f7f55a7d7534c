# process.terminal: the pty handed over a --console-socket (received by
# tests/helpers/console_receiver) or relayed by a foreground `run`; what the
# container sees (tty, stty size, /dev/console); bad console sockets.
source "$TOP/tests/runtime/lib-runtime.sh"
source "$TOP/tests/runtime/lib-features.sh"

CONSOLE_RECEIVER=$BIN/tests/helpers/console_receiver

# A bundle running `sh -c SCRIPT` on a terminal.
tty_bundle() { # script
  new_bundle sh -c "$1"
  cfg '.process.terminal = true'
  SOCK=$BUNDLE/console.sock
  TTY_OUT=$BUNDLE/tty.out
}

# Start the receiver on $SOCK in the background (extra args: -i TEXT ...).
start_receiver() {
  "$CONSOLE_RECEIVER" -t 20 "$@" "$SOCK" >"$TTY_OUT" 2>"$BUNDLE/recv.err" &
  RECV=$!
  defer "kill $RECV"
  wait_for "grep -q ready '$BUNDLE/recv.err'" 50
}

# Wait for the receiver to see the terminal close; sets TTY to what it
# received, without \r. (Not in a subshell: the receiver is our child.)
receive_tty() {
  local rc=0
  wait "$RECV" || rc=$?
  [ "$rc" = 0 ] || fail "console_receiver exited with $rc: $(cat "$BUNDLE/recv.err")"
  TTY=$(tr -d '\r' <"$TTY_OUT")
}

test_console_socket_gives_the_container_a_tty() {
  tty_bundle 'tty; test -t 0 && test -t 1 && test -t 2 && echo all-ttys; stty size
              [ "$(stat -c %t:%T /dev/console)" = "$(stat -Lc %t:%T /proc/self/fd/0)" ] && echo console-is-the-pty'
  cfg '.process.consoleSize = {height: 33, width: 111}'
  start_receiver
  rt run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  receive_tty
  out=$TTY
  assert_eq "$(head -n 1 <<<"$out")" /dev/pts/0 "tty in the container"
  assert_eq "$(sed -n 2p <<<"$out")" all-ttys "stdin, stdout and stderr"
  assert_eq "$(sed -n 3p <<<"$out")" "33 111" "stty size from consoleSize"
  assert_eq "$(sed -n 4p <<<"$out")" console-is-the-pty "/dev/console"
}

test_console_socket_with_create_and_start() {
  tty_bundle 'tty'
  start_receiver
  rt create --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  assert_eq "$(status_of)" created
  rt start "$ID"
  receive_tty
  assert_eq "$TTY" /dev/pts/0 "tty after create and start"
}

test_input_through_the_console_and_exit_code() {
  tty_bundle 'read -r line; echo "got $line"; exit 5'
  start_receiver -i $'typed-text\n'
  RC=0
  rt run --console-socket "$SOCK" --bundle "$BUNDLE" "$ID" || RC=$?
  assert_eq "$RC" 5 "exit code of the container"
  receive_tty
  assert_contains "$TTY" "got typed-text" "input written to the pty master"
  assert_no_leftovers
}

test_terminal_belongs_to_the_process_user() {
  tty_bundle 'stat -c %u "$(tty)"; id -u'
  cfg '.process.user = {uid: 1000, gid: 1000}'
  start_receiver
  rt run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  receive_tty
  assert_eq "$TTY" $'1000\n1000' "owner of the pty and the process's uid"
}

test_foreground_run_relays_the_terminal() {
  tty_bundle 'tty; test -t 0 && echo stdin-is-a-tty; stty size; echo done'
  # script(1) gives the runtime a terminal of a known size on its stdin.
  out=$(script -qec "stty rows 41 cols 97; '$RT' --root '$STATE' run --bundle '$BUNDLE' '$ID'" \
    /dev/null </dev/null | tr -d '\r')
  assert_contains "$out" "/dev/pts/0" "tty in the container"
  assert_contains "$out" "stdin-is-a-tty"
  assert_contains "$out" "41 97" "the outer terminal's size"
  assert_contains "$out" "done"
  assert_no_leftovers
}

test_foreground_run_relays_input_and_exit_code() {
  tty_bundle 'read -r line; echo "got $line"; exit 3'
  RC=0
  { sleep 0.5; echo relayed-input; sleep 1; } |
    script -qec "'$RT' --root '$STATE' run --bundle '$BUNDLE' '$ID'" /dev/null >"$BUNDLE/out" || RC=$?
  assert_contains "$(tr -d '\r' <"$BUNDLE/out")" "got relayed-input"
  assert_eq "$RC" 3 "exit code through script"
  assert_no_leftovers
}

test_missing_console_socket_is_a_clear_error() {
  tty_bundle 'true'
  assert_fails rt run -d --console-socket "$BUNDLE/no-such.sock" --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "console socket $BUNDLE/no-such.sock"
  assert_contains "$ERR" "No such file or directory"
  assert_eq "$(wc -l <<<"$ERR")" 1 "lines of error output"
  assert_no_leftovers
}

test_unreachable_console_socket_is_a_clear_error() {
  tty_bundle 'true'
  # A socket nobody listens on any more.
  "$CONSOLE_RECEIVER" -t 0 "$SOCK" 2>/dev/null || true
  [ -S "$SOCK" ] || fail "no stale socket at $SOCK"
  assert_fails rt run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "console socket $SOCK"
  assert_contains "$ERR" "Connection refused"
  assert_no_leftovers
  echo not-a-socket >"$BUNDLE/plain"
  assert_fails rt create --console-socket "$BUNDLE/plain" --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "console socket $BUNDLE/plain"
  assert_no_leftovers
}

test_detached_terminal_needs_a_console_socket() {
  tty_bundle 'true'
  assert_fails rt run -d --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "--console-socket"
  assert_no_leftovers
  assert_fails rt create --bundle "$BUNDLE" "$ID"
  assert_contains "$ERR" "--console-socket"
  assert_no_leftovers
}

test_console_socket_without_terminal_is_refused() {
  new_bundle true
  SOCK=$BUNDLE/console.sock
  TTY_OUT=$BUNDLE/tty.out
  start_receiver -t 5
  assert_fails rt run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  assert_eq "$ERR" "capsule-runtime: --console-socket: process.terminal is false, there is no terminal to send"
  assert_no_leftovers
}

test_no_terminal_means_no_tty() {
  new_bundle sh -c 'tty; test -t 0 || echo no-tty'
  out=$(rt run --bundle "$BUNDLE" "$ID" </dev/null || true)
  assert_eq "$out" $'not a tty\nno-tty' "tty without process.terminal"
}
