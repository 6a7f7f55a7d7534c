# The command line of both front ends (util/cmdline.h): exact long flags,
# flags after operands, "--", the container's own flags after the image,
# grouped short flags, docker's exit statuses with one line on stderr, and
# help generated from the command table.
source "$TOP/tests/engine/lib-engine.sh"

# The command fails with status `rc` and one stderr line containing `msg`.
refused() { # rc msg command...
  local rc=$1 msg=$2
  shift 2
  assert_fails "$@"
  assert_eq "$RC:$(printf '%s\n' "$ERR" | wc -l)" "$rc:1" "status:stderr lines of $* ($ERR)"
  assert_contains "$ERR" "$msg" "stderr of: $*"
}

test_long_flags_are_never_abbreviated() {
  engine_setup
  # --pid is not --pids-limit (docker's pflag: no abbreviations).
  refused 125 "capsule run: unknown flag --pid (see 'capsule run --help')" \
    cap run --rm --pid host busybox true
  refused 125 "unknown flag --pids-limi" cap run --rm --pids-limi 5 busybox true
  refused 125 "unknown flag --al" cap images --al
  refused 125 "unknown flag --roo" "$BIN/capsule" --roo "$STORE" images
  refused 1 "run: unknown flag --bund" "$BIN/capsule-runtime" run --bund /nonexistent x
  # The whole name works.
  assert_eq "$(cap run --rm --pids-limit 5 busybox echo ok)" ok "--pids-limit"
  assert_engine_clean
}

test_flags_after_operands() {
  engine_setup
  out=$(cap save busybox -o "$WORK/bb.tar")
  assert_eq "$out" "" "save wrote nothing to stdout"
  tar -tf "$WORK/bb.tar" | grep -q manifest.json || fail "save busybox -o f did not write f"
  cap run --name late -d busybox sleep 30 >/dev/null
  assert_eq "$(cap rm late -f)" late "rm NAME -f"
  assert_eq "$(cap images busybox -q | wc -l)" 1 "images REPO -q"
  assert_engine_clean
}

test_double_dash_and_dash() {
  engine_setup
  # After "--", "-f" is a container's name, not a flag.
  refused 1 "no such container: -f" cap rm -- -f
  assert_eq "$(cap run --rm -- busybox echo -n x)" x "run -- IMAGE"
  # "-" is an operand (stdin).
  assert_match "$(cap import - dash:1 <"$ENGINE_IMAGE_TAR")" '^sha256:' "import -"
}

test_container_flags_are_the_containers() {
  engine_setup
  # After the image, words belong to the command: "-d" is ls's, "--rm" echo's.
  assert_eq "$(cap run --rm busybox ls -d /)" / "run IMAGE ls -d"
  assert_eq "$(cap run --rm busybox echo --rm -e x --help)" "--rm -e x --help" "run IMAGE echo --rm"
  assert_engine_clean
}

test_grouped_short_flags() {
  engine_setup
  # -i and -e FOO=bar in one group, the value in the next word or the same one.
  assert_eq "$(echo 'echo $FOO' | cap run --rm -ie FOO=bar busybox)" bar "-ie X"
  assert_eq "$(echo 'echo $FOO' | cap run --rm -ieFOO=baz busybox)" baz "-ieX"
  cap run --name stopped busybox true
  assert_eq "$(cap ps -q | wc -l)" 0 "ps -q: nothing runs"
  assert_eq "$(cap ps -aq | wc -l)" 1 "ps -aq: the stopped container"
  refused 125 "unknown flag -z in -az" cap ps -az
  cap rm stopped >/dev/null
  assert_engine_clean
}

test_exit_statuses_are_dockers() {
  engine_setup
  # Usage errors of any command, and failures of run: 125; other failures: 1.
  refused 125 "capsule: unknown command 'frobnicate'" cap frobnicate
  refused 125 "capsule tag: expected 2 arguments, got 1" cap tag busybox
  refused 125 "flag --name needs a value" cap run --name
  refused 125 "flag --rm takes no value" cap run --rm=yes busybox true
  refused 125 "no such image" cap run --rm nosuch:1 true
  refused 1 "no such image" cap rmi nosuch:1
  RC=0
  cap run --rm busybox sh -c 'exit 3' || RC=$?
  assert_eq "$RC" 3 "the container's status"
  # capsule-runtime keeps runc's status for its errors.
  refused 1 "unknown flag --bogus" "$BIN/capsule-runtime" --bogus list
  refused 1 "kill: expected at least 1 argument, got 0" "$BIN/capsule-runtime" kill
  assert_engine_clean
}

test_help_is_generated_from_the_table() {
  engine_setup
  help=$(cap run --help)
  assert_contains "$help" "Usage: capsule run [OPTIONS] IMAGE [COMMAND [ARG...]]"
  assert_contains "$help" "Aliases: run, container run"
  assert_match "$help" $'\n      --read-only +Mount'
  assert_contains "$(cap container ls --help)" "Usage: capsule container ls [OPTIONS]"
  assert_contains "$(cap rmi --help)" "Usage: capsule rmi [OPTIONS] IMAGE..."
  main=$(cap --help)
  assert_match "$main" $'\n  image rm, rmi +Remove images'
  assert_contains "$(cap image)" "image inspect"
  # Every command of the list answers --help, with status 0.
  while read -r name; do
    # shellcheck disable=SC2086
    [[ "$(cap $name --help)" == "Usage: capsule $name"* ]] || fail "capsule $name --help"
  done < <(sed -n '/^Commands:/,/^$/p' <<<"$main" | grep -oE '^  [a-z]+( [a-z]+)?' | sed 's/^  //')
  rt=$("$BIN/capsule-runtime" --help)
  assert_match "$rt" $'\n  exec +run a process'
  assert_contains "$("$BIN/capsule-runtime" exec --help)" "--ignore-paused"
  assert_not_contains "$("$BIN/capsule-runtime" exec --help)" "--apparmor"
}

# Bash completion, generated from the table: COMP_WORDS as bash sets them
# for the word under the cursor (the last one), COMPREPLY sorted.
complete_words() { # program words...
  local script=$INSTALLED/share/bash-completion/completions/$1
  shift
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    fn=_${COMP_WORDS[0]//-/_}; "$fn"; printf "%s\n" "${COMPREPLY[@]}" | sort | xargs' \
    _ "$script" "$@"
}

# The completion of the last word offers at least `want`, and only words
# starting with it.
completes() { # "want..." program words...
  local want=$1 got w
  shift
  got=$(complete_words "$1" "$@")
  for w in $want; do
    [[ " $got " == *" $w "* ]] || fail "$*<TAB>: got '$got', want '$want' among them"
  done
  for w in $got; do
    [[ $w == "${!#}"* ]] || fail "$*<TAB>: '$w' does not start with '${!#}'"
  done
}

test_make_install_and_completion() {
  engine_setup
  local dest=$WORK/dest
  make -s -C "$TOP" B="$BUILD" DESTDIR="$dest" PREFIX=/usr install >/dev/null
  for f in bin/capsule bin/capsule-runtime share/bash-completion/completions/capsule \
    share/bash-completion/completions/capsule-runtime share/man/man1/capsule.1 \
    share/man/man1/capsule-runtime.1; do
    [ -s "$dest/usr/$f" ] || fail "make install did not install /usr/$f"
  done
  [ -x "$dest/usr/bin/capsule" ] || fail "capsule is not executable"
  # The installed capsule finds its monitor beside it: a detached container runs.
  "$dest/usr/bin/capsule" --root "$STORE" --runroot "$RUNROOT" run -d --name inst busybox sleep 30 >/dev/null
  assert_eq "$(cap inspect --format '{{.State.Status}}' inst)" running "a container run by the installed capsule"
  cap rm -f inst >/dev/null
  # The man pages: a section per command, with its flags.
  man=$(MANWIDTH=100 man -l "$dest/usr/share/man/man1/capsule.1" 2>/dev/null)
  assert_contains "$man" "capsule run [OPTIONS] IMAGE [COMMAND [ARG...]]"
  assert_contains "$man" "--read-only"
  assert_contains "$man" "Aliases: rmi, image remove"
  assert_contains "$(MANWIDTH=100 man -l "$dest/usr/share/man/man1/capsule-runtime.1" 2>/dev/null)" \
    "--ignore-paused"
  # The installed script, calling the installed programs.
  INSTALLED=$dest/usr
  export PATH=$INSTALLED/bin:$PATH
  # Commands others add to the table complete too: offered words include
  # these, and all start with what is typed.
  completes "restart rm rmi run" capsule r
  completes "--read-only --rm" capsule run --r
  completes "history" capsule image h
  completes "list ls" capsule container l
  # After a global flag, a flag's value and an operand.
  completes "--read-only --rm" capsule --root "$STORE" run --name x --r
  completes "--force" capsule rm x --f
  # Nothing after run's image: the words are the container's command.
  assert_eq "$(complete_words capsule capsule run busybox --r)" "" "run IMAGE --r<TAB>"
  # Operands: this store's images and containers.
  cap run --name comp-target busybox true
  assert_eq "$(complete_words capsule capsule --root "$STORE" --runroot "$RUNROOT" rm comp)" \
    comp-target "rm <TAB>: container names"
  assert_eq "$(complete_words capsule capsule --root "$STORE" --runroot "$RUNROOT" rmi bu)" \
    busybox:latest "rmi <TAB>: images"
  cap rm comp-target >/dev/null
  # compgen -W expands its words: a hostile candidate (a name planted in a
  # root) is dropped, never run.
  out=$(bash -c 'source "$1"; _capsule_operands() { echo "\$(touch $2)"; echo plain-name; }
    COMP_WORDS=(capsule rm ""); COMP_CWORD=2; _capsule; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$INSTALLED/share/bash-completion/completions/capsule" "$WORK/pwned")
  assert_eq "$out" plain-name "candidates kept"
  [ ! -e "$WORK/pwned" ] || fail "a completion candidate was run"
  completes "exec" capsule-runtime ex
  completes "--force --help -f" capsule-runtime delete -
}
