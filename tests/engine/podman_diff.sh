# Differential test: one scenario of docker commands, run once with podman
# (Debian's 4.3, private, with runc: the reference) and once with capsule, on
# the same busybox tarball imported into both with the same changes. The two
# transcripts (exit codes, stdout, the stderr of `logs`, `ps -a` status
# words, `inspect --format` fields, `diff`, `port`) must match line by line
# once normalised; on failure the test prints their unified diff.
#
# Differences that remain for a reason are normalised by diff_rules, one
# rule each with its reason (docs/ENGINE-DIFFERENCES.md lists them); a rule
# that no longer changes anything fails the test. What capsule does not have
# yet is in DIFF_MISSING: the steps that need it still run on both engines,
# are marked "(missing)" and must differ; once one matches, the test fails
# until the word leaves the list. DIFF_KEEP=DIR keeps both raw transcripts.
source "$TOP/tests/engine/lib-engine.sh"
# podman's own runtime (crun refuses this host's hybrid cgroups), so that a
# bug of capsule-runtime cannot hide on both sides.
RUNTIME=$(command -v runc || echo /usr/sbin/runc)
source "$TOP/tests/podman/podman-env.sh"

DIFF_IMAGE=localhost/busybox:diff
DIFF_CHANGES=(--change 'CMD ["/bin/sh"]' --change 'ENV GREETING=hello')

# What capsule lacks on main: commands (a step's first word), flags and
# behaviours (named by a step's --needs).
DIFF_MISSING=()

# The rules: engine (podman, capsule or both), the step they apply to (an
# extended regex on its "$ ..." line; empty: every line), a sed -E
# expression, the reason.
diff_rules() {
  rule both '' 's/[0-9a-f]{64}/<id>/g' "ids are random (containers) or hash what differs (image configs hold dates)"
  rule both '' 's/(^|[^0-9a-f])[0-9a-f]{12}([^0-9a-f]|$)/\1<short-id>\2/g' "short ids, as above (a container's hostname is one)"
  rule both '' 's/(Less than a second|About a minute|[0-9]+ (second|minute)s?) ago/<ago>/' "how long ago depends on the speed of the machine"
  rule podman '^\$ rm d1  # running' 's/^exit 2$/exit 1/' "rm of a running container: podman exits 2, docker 1"
  rule podman "^\\$ run --rm -e A=1 .* 'env \\| sort'" '/^  container=podman$/d' "podman tells the container it runs under podman; docker does not"
  rule podman "^\\$ run --rm -e A=1 .* 'env \\| sort'" '/^  TERM=xterm$/d' "podman sets TERM without -t; docker only with -t"
  rule podman '^\$ volume rm dvol  # in use' 's/^exit 2$/exit 1/' "volume rm of a volume in use: podman exits 2, docker 1"
  rule capsule '' 's/ Up (Less than a second|About a minute|[0-9]+ (second|minute)s?)( \(Paused\))?$/ Up <ago>\3/' "a running container's STATUS: podman 4.3 says 'Up 3 seconds ago', docker and capsule 'Up 3 seconds'"
  rule podman '^\$ ps -a .*  # paused' 's/^  p1 Paused$/  p1 Up <ago> (Paused)/' "a paused container's STATUS: docker and capsule 'Up 3 seconds (Paused)', podman 4.3 'Paused'"
  rule podman '^\$ start d1  # running' 's/^exit 0$/  d1\nexit 0/' "start of a running container: docker and capsule print its name, podman 4.3 nothing"
  rule podman '^\$ inspect --format .\{\{\.Name\}\}' 's/^  ([^/])/  \/\1/' "docker's Name starts with /, podman 4.3's does not"
  rule podman '^\$ commit ' 's/^  <id>$/  sha256:<id>/' "commit prints the new image's ID: docker with its sha256: prefix, podman without"
  rule podman '^\$ rmi localhost/committed' 's/^  Deleted: <id>$/  Deleted: sha256:<id>/' "rmi names the deleted image: docker with its sha256: prefix, podman without"
  rule podman '^\$ inspect --format .\{\{\.Path\}\}' 's/ \/ (true|false)$/  \1/' "Config.WorkingDir of an image without one: docker and capsule \"\", podman 4.3 \"/\""
}

# --- the scenario ------------------------------------------------------------

diff_scenario() {
  local img=$DIFF_IMAGE
  # Foreground runs and exit codes.
  step run --rm "$img" echo hello
  step run --rm "$img" sh -c 'exit 7'
  step --needs --pull run --rm --pull never "$img" echo present
  # 125 either way: no such image, or (without --pull) a usage error.
  step run --rm --pull never localhost/nosuch:latest true
  step run --rm "$img" /etc
  step run --rm "$img" /no/such/command
  step run --rm -e A=1 -w /tmp "$img" sh -c 'echo $A $GREETING $(pwd)'
  step run --rm "$img" hostname
  step run --rm -e A=1 "$img" sh -c 'env | sort'
  step run --rm -t "$img" tty
  step -e run --name fg "$img" sh -c 'echo out; echo err >&2; exit 3'
  step --needs --format ps -a --format '{{.Names}} {{.Status}}'
  step -e logs fg
  step inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' fg
  step inspect --format '{{.Config.Cmd}} {{.Config.Image}}' fg
  step inspect --format '{{.Name}}' fg
  step inspect --format '{{.Path}} {{.Args}} {{json .Config.Cmd}} {{.Config.WorkingDir}} {{.State.OOMKilled}}' fg
  step -l "name taken" run --name fg "$img" true
  step rm fg
  step -l "gone" rm fg

  # A detached container: exec, stop (SIGTERM), start again, kill.
  step run -d --name d1 "$img" sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
  settle_logs d1 ready 1
  step --needs --format ps --format '{{.Names}} {{.Status}}'
  step inspect --format '{{.State.Status}} {{.State.Running}}' d1
  step exec d1 echo hi
  step exec d1 sh -c 'exit 5'
  step exec d1 /etc
  step exec d1 /no/such/command
  step exec -e X=y -w /tmp d1 sh -c 'echo $X $GREETING $(pwd)'
  step exec -u nobody d1 id -u
  step -l "running" rm d1
  step -l "running" start d1
  step stop d1
  step -l "after stop" wait d1
  step --needs stop inspect --format '{{.State.Status}} {{.State.ExitCode}}' d1
  step --needs stop --needs --format ps -a --format '{{.Names}} {{.Status}}'
  step logs d1
  step start d1
  settle_logs d1 ready 2
  # Matches without stop and start too (d1 then never stopped): no --needs start.
  step --needs --format ps --format '{{.Names}} {{.Status}}'
  step kill d1
  step -l "after kill" wait d1
  step --needs kill --needs --format -l "after kill" ps -a --format '{{.Names}} {{.Status}}'
  step --needs kill rm d1

  # A container that ignores SIGTERM: stop falls back to SIGKILL.
  step run -d --name d2 "$img" sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done'
  settle_logs d2 ready 1
  step stop -t 1 d2
  step --needs stop inspect --format '{{.State.Status}} {{.State.ExitCode}}' d2
  step rm -f d2

  # Pause.
  step run -d --name p1 "$img" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
  step pause p1
  step -l paused ps -a --format '{{.Names}} {{.Status}}'
  step --needs pause inspect --format '{{.State.Status}} {{.State.Paused}}' p1
  step unpause p1
  step --needs unpause inspect --format '{{.State.Status}} {{.State.Paused}}' p1
  step rm -f p1

  # create, start -a, rename, labels, filters, run -d --rm.
  step create --name cr "$img" echo created
  step --needs create --needs --format -l "created" ps -a --format '{{.Names}} {{.Status}}'
  step --needs create -l "created" inspect --format '{{.State.Status}}' cr
  step start -a cr
  step --needs create rename cr cr2
  step --needs create -l "renamed" ps -a --format '{{.Names}} {{.Status}}'
  step --needs create rm cr2
  unrecorded rm -f cr # what a rename left behind, if it failed
  step --needs -l run --name lab -l team=blue "$img" true
  step inspect --format '{{index .Config.Labels "team"}} {{.Config.Labels.team}}' lab
  step --needs -l --needs --filter --needs --format ps -a --filter label=team=blue --format '{{.Names}}'
  step --needs --filter --needs --format ps -a --filter status=exited --format '{{.Names}}'
  step --needs --filter --needs --format ps -a --filter name=lab --format '{{.Names}} {{.Image}}'
  step --needs -l rm lab
  step --needs detached-rm run -d --rm --name auto "$img" true
  settle_gone auto
  step --needs detached-rm --needs --format -l "after run -d --rm" ps -a --format '{{.Names}}'

  # Restart policy: two restarts after the first failure.
  step --needs --restart run -d --name r1 --restart on-failure:2 "$img" sh -c 'echo run; exit 3'
  settle_logs r1 run 3
  step --needs --restart -l "restarted" logs r1
  step --needs --restart inspect --format '{{.RestartCount}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' r1
  step --needs --restart rm -f r1

  # The container's file system: diff, cp both ways, commit.
  step run --name fsc "$img" sh -c 'echo x > /tmp/new; rm /etc/group; mkdir /root/d; echo y >> /etc/passwd'
  step diff fsc
  step cp "$DIFF_HOST/in" fsc:/tmp/in
  step cp fsc:/tmp/new "$DIFF_HOST/new"
  host_step --needs cp cat "$DIFF_HOST/new"
  step -l "after cp" diff fsc
  step commit fsc localhost/committed:diff
  step --needs commit run --rm localhost/committed:diff cat /tmp/new /tmp/in
  step --needs commit rmi localhost/committed:diff
  step rm fsc

  # Volumes: made on first use, filled from the image, read-only, in use.
  step --needs -v run --rm -v dvol:/data "$img" sh -c 'echo v > /data/f'
  step --needs -v run --rm -v dvol:/data:ro "$img" cat /data/f
  step --needs -v -l "read-only" run --rm -v dvol:/data:ro "$img" sh -c 'echo w > /data/f'
  step --needs -v run --rm -v cvol:/etc "$img" head -n 1 /etc/passwd
  step --needs -v volume ls --format '{{.Name}}'
  step --needs -v volume inspect --format '{{.Name}} {{.Driver}}' dvol
  step --needs -v run -d --name vu -v dvol:/data "$img" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
  step --needs -v -l "in use" volume rm dvol
  step --needs -v rm -f vu
  step --needs -v volume rm dvol cvol

  # A published port: an httpd reached from the host.
  step --needs -p run -d --name web -p "127.0.0.1:$DIFF_PORT:80" "$img" sh -c 'echo hello web > /tmp/index.html; exec httpd -f -p 80 -h /tmp'
  settle_http
  host_step --needs -p wget -q -T 5 -t 1 -O - "http://127.0.0.1:$DIFF_PORT/"
  step --needs -p port web
  step --needs -p --needs kill --needs --format ps --format '{{.Names}} {{.Ports}}'
  step --needs -p kill web
  step --needs -p rm -f web

  step --needs kill ps -a --format '{{.Names}} {{.Status}}'
}

# --- the driver ----------------------------------------------------------------

# An engine command of the scenario, for the engine being recorded.
# podman publishes ports through slirp4netns: this private podman has no
# bridge network (a CNI bridge would change the host's network).
E() {
  case $DIFF_ENGINE in
  podman)
    if [ "$1" = run ] && [[ " $* " == *" -p "* ]]; then
      pm run --network slirp4netns:port_handler=slirp4netns "${@:2}"
    else
      pm "$@"
    fi
    ;;
  capsule) cap "$@" ;;
  esac
}

diff_missing() { # word
  [[ " ${DIFF_MISSING[*]} " == *" $1 "* ]]
}

# Words as a shell would show them: quoted when they hold anything but
# plain characters.
diff_words() {
  local w out=""
  for w in "$@"; do
    if [[ "$w" =~ ^[A-Za-z0-9_./:=@%+-]+$ ]]; then out+=" $w"; else out+=" '$w'"; fi
  done
  echo "${out# }"
}

# A step's header: the command line, its label, and "(missing)" when a word
# it needs is in DIFF_MISSING.
diff_header() { # label needs-words... -- args...
  local label=$1 missing="" w
  shift
  while [ "$1" != -- ]; do
    diff_missing "$1" && missing="  (missing)"
    shift
  done
  shift
  echo "\$ $(diff_words "$@")${label:+  # $label}$missing"
}

# step [-e] [-l LABEL] [--needs WORD]... ARGS...: runs `E ARGS`, records its
# header, its stdout (indented), its stderr with -e, and its exit code.
step() {
  local with_err=0 label="" needs=() rc=0 start
  while :; do
    case $1 in
    -e) with_err=1; shift ;;
    -l) label=$2; shift 2 ;;
    --needs) needs+=("$2"); shift 2 ;;
    *) break ;;
    esac
  done
  diff_header "$label" "$1" "${needs[@]}" -- "$@" >>"$DIFF_OUT"
  start=$EPOCHREALTIME
  E "$@" >"$DIFF_TMP/out" 2>"$DIFF_TMP/err" </dev/null || rc=$?
  echo "$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}') $DIFF_ENGINE $*" >>"$DIFF_TMP/times"
  sed 's/^/  /' "$DIFF_TMP/out" >>"$DIFF_OUT"
  [ "$with_err" = 0 ] || sed 's/^/  2> /' "$DIFF_TMP/err" >>"$DIFF_OUT"
  echo "exit $rc" >>"$DIFF_OUT"
}

unrecorded() {
  E "$@" >/dev/null 2>&1 </dev/null || true
}

# host_step --needs WORD ARGS...: a host command, recorded like a step, to
# see what the engine left for the host. The host file a step made (cp's)
# is removed, so that the other engine starts from the same.
host_step() {
  local rc=0
  diff_header "" "$2" -- "${@:3}" | sed 's/^\$ /$ (host) /' >>"$DIFF_OUT"
  "${@:3}" 2>/dev/null | sed 's/^/  /' >>"$DIFF_OUT" || rc=$?
  echo "exit $rc" >>"$DIFF_OUT"
  rm -f "$DIFF_HOST/new"
}

# The waits below give up after 5 s: the timeout is recorded and the
# transcripts then differ and say why. capsule is not waited for through a
# command it lacks.
settle() { # what-needed "condition" what-for
  local start=$EPOCHREALTIME end=$((SECONDS + 5))
  [ "$DIFF_ENGINE" = capsule ] && diff_missing "$1" && return 0
  until eval "$2" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$end" ]; then
      echo "(timed out waiting for $3)" >>"$DIFF_OUT"
      break
    fi
    sleep 0.1
  done
  echo "$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}') $DIFF_ENGINE (waiting for $3)" >>"$DIFF_TMP/times"
}
settle_logs() { # name line count
  settle logs "[ \"\$(E logs $1 2>&1 | grep -cx '$2')\" -ge $3 ]" "'$2' x$3 in the logs of $1"
}
settle_gone() { # name
  settle --format "! E ps -a --format '{{.Names}}' | grep -qx $1" "$1 to go"
}
settle_http() {
  settle -p "wget -q -T 1 -t 1 -O /dev/null http://127.0.0.1:$DIFF_PORT/" "port $DIFF_PORT"
}

# rule ENGINE STEP-REGEX SED REASON: applies SED to ENGINE's transcript
# (both: to each), within the blocks whose header matches STEP-REGEX (every
# line if empty). A rule that changes nothing is reported stale.
rule() {
  local e f changed=0
  for e in podman capsule; do
    [ "$1" = both ] || [ "$1" = "$e" ] || continue
    f=$DIFF_TMP/$e.norm
    if [ -z "$2" ]; then
      sed -E "$3" "$f" >"$f.new"
    else
      sed -E "\\%$2%,/^exit /{$3}" "$f" >"$f.new"
    fi
    cmp -s "$f" "$f.new" || changed=1
    mv "$f.new" "$f"
  done
  [ "$changed" = 1 ] || echo "rule no longer needed ($1): $2 $3 ($4)" >>"$DIFF_TMP/stale"
}

# The blocks of a transcript, one per line (header, then the lines joined
# with a tab), for comparing step by step.
diff_blocks() {
  awk '/^\$ / && NR > 1 {print b; b = ""} {b = b (b == "" ? "" : "\t") $0} END {print b}' "$1"
}

test_podman_and_capsule_agree() {
  engine_setup
  podman_env_start
  DIFF_TMP=$WORK/diff
  DIFF_HOST=$DIFF_TMP/host
  DIFF_PORT=$((20000 + RANDOM % 20000))
  while ss -Htln | awk '{print $4}' | grep -q ":$DIFF_PORT\$"; do DIFF_PORT=$((DIFF_PORT + 1)); done
  mkdir -p "$DIFF_HOST"
  echo "from the host" >"$DIFF_HOST/in"
  cap import "${DIFF_CHANGES[@]}" "$ENGINE_IMAGE_TAR" "$DIFF_IMAGE" >/dev/null
  pm import "${DIFF_CHANGES[@]}" "$ENGINE_IMAGE_TAR" "$DIFF_IMAGE" >/dev/null 2>&1

  local e start
  for e in podman capsule; do
    start=$SECONDS
    DIFF_ENGINE=$e DIFF_OUT=$DIFF_TMP/$e.txt diff_scenario
    echo "$e: the scenario took $((SECONDS - start)) s; slowest steps:"
    # (sed reads to the end: head would close the pipe on sort, SIGPIPE under pipefail)
    grep " $e " "$DIFF_TMP/times" | sort -rn | sed -n '1,3s/^/  /p' 
    cp "$DIFF_TMP/$e.txt" "$DIFF_TMP/$e.norm"
  done
  diff_rules

  # Step by step: every step must match but those marked missing, which
  # must differ.
  paste -d '\n' <(diff_blocks "$DIFF_TMP/podman.norm") <(diff_blocks "$DIFF_TMP/capsule.norm") |
    while IFS= read -r p && IFS= read -r c; do
      if [[ "${p%%$'\t'*}" == *"  (missing)" ]]; then
        # (a step podman fails may match by chance: both fail)
        [ "$p" != "$c" ] || [ "${p##*$'\t'}" != "exit 0" ] ||
          echo "now matches, take its word out of DIFF_MISSING: ${p%%$'\t'*}"
      elif [ "$p" != "$c" ]; then
        echo "differs: ${p%%$'\t'*}"
      fi
    done >"$DIFF_TMP/verdict"
  [ -z "${DIFF_KEEP:-}" ] || cp "$DIFF_TMP"/*.txt "$DIFF_KEEP"/
  echo "steps capsule cannot do yet: $(grep -c '(missing)$' "$DIFF_TMP/podman.norm" || true)"
  if [ -s "$DIFF_TMP/verdict" ] || [ -s "$DIFF_TMP/stale" ]; then
    diff -u --label podman --label capsule "$DIFF_TMP/podman.norm" "$DIFF_TMP/capsule.norm" || true
    cat "$DIFF_TMP/verdict" "$DIFF_TMP/stale" 2>/dev/null || true
    fail "podman and capsule disagree (transcripts above)"
  fi
  # What the steps capsule could not do left behind (the last step compares
  # what is left once they all can), then nothing may remain.
  for e in $(cap ps -a -q --no-trunc); do cap rm -f "$e" >/dev/null; done
  assert_engine_clean
}
