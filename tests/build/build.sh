# capsule build: instructions, variables, COPY/ADD, multi-stage, the
# cache, .dockerignore and bad input, checked in the images built (their
# config documents) and from inside containers run from them.

source "$TOP/tests/engine/lib-engine.sh"

build_setup() {
  engine_setup
  CTX=$WORK/ctx
  mkdir -p "$CTX"
}

# The config document of an image (its blob), one jq expression.
config_of() { # image jq-expr
  local id
  id=$(cap image inspect --format '{{.Id}}' "$1") || return 1
  jq -c "$2" "$STORE/blobs/sha256/${id#sha256:}"
}

containerfile() { cat >"$CTX/Containerfile"; }

test_config_instructions() {
  build_setup
  containerfile <<'EOF2'
FROM busybox
ENV A=1 B="two words"
ENV OLD legacy form
LABEL org.example.x=y "with space"="v w"
EXPOSE 80 53/udp
VOLUME ["/data"]
VOLUME /logs /cache
STOPSIGNAL SIGUSR1
WORKDIR /srv
WORKDIR sub
USER 65534:65534
ENTRYPOINT ["/bin/echo", "entry"]
CMD ["cmd"]
HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost || exit 1
ONBUILD RUN echo later
MAINTAINER someone
EOF2
  cap build -t cfg "$CTX" >"$WORK/out"
  assert_eq "$(config_of cfg '.config.Env')" '["GREETING=hello","A=1","B=two words","OLD=legacy form"]'
  assert_eq "$(config_of cfg '.config.Labels')" '{"org.example.x":"y","with space":"v w"}'
  assert_eq "$(config_of cfg '.config.ExposedPorts|keys')" '["53/udp","80/tcp"]'
  assert_eq "$(config_of cfg '.config.Volumes|keys')" '["/cache","/data","/logs"]'
  assert_eq "$(config_of cfg '[.config.StopSignal,.config.WorkingDir,.config.User]')" '["SIGUSR1","/srv/sub","65534:65534"]'
  assert_eq "$(config_of cfg '[.config.Entrypoint,.config.Cmd]')" '[["/bin/echo","entry"],["cmd"]]'
  assert_eq "$(config_of cfg '.config.Healthcheck')" '{"Interval":5000000000,"Retries":2,"Test":["CMD-SHELL","wget -q localhost || exit 1"]}'
  assert_eq "$(config_of cfg '.config.OnBuild')" '["RUN echo later"]'
  # One history entry per instruction after FROM, all without a layer.
  assert_eq "$(config_of cfg '[.history[1:][]|.empty_layer]|unique')" '[true]'
  assert_eq "$(config_of cfg '.history|length')" 16
  assert_eq "$(config_of cfg '.rootfs.diff_ids|length')" 1 "no layer for metadata"
  # As a container sees it: entrypoint + cmd, the user, the directory.
  assert_eq "$(cap run --rm cfg)" "entry cmd"
  assert_eq "$(cap run --rm --entrypoint sh cfg -c 'id -u; pwd; echo $B')" "65534
/srv/sub
two words"
  assert_contains "$(cat "$WORK/out")" "STEP 16/16: MAINTAINER someone"
  assert_engine_clean
}

test_run_shell_forms_and_parser() {
  build_setup
  containerfile <<'EOF2'
# escape=`
# a comment before the first instruction
from busybox
RUN echo one > /one && `
    # a comment inside a continuation is dropped
    echo two >> /one
RUN ["/bin/sh", "-c", "echo exec form > /two"]
SHELL ["/bin/sh", "-ec"]
RUN echo "shell: $0" > /three
RUN <<EOT
echo heredoc script > /four
echo second line >> /four
EOT
RUN cat <<EOT > /five
in a heredoc
EOT
EOF2
  cap build -t p "$CTX" >/dev/null
  assert_eq "$(cap run --rm p cat /one /two /three /four /five)" "one
two
exec form
shell: /bin/sh
heredoc script
second line
in a heredoc"
  # RUN sees the build's environment, user and directory; ARGs without
  # leaving them in the image.
  containerfile <<'EOF2'
FROM busybox
ARG TOKEN=secret
ENV PLAIN=yes
WORKDIR /w
USER nobody
RUN echo "$TOKEN $PLAIN $(id -un) $(pwd)" > /tmp/seen
EOF2
  cap build -t r "$CTX" >/dev/null
  assert_eq "$(cap run --rm r cat /tmp/seen)" "secret yes nobody /w"
  assert_eq "$(config_of r '.config.Env')" '["GREETING=hello","PLAIN=yes"]' "ARG not kept"
  assert_engine_clean
}

test_args_scoping() {
  build_setup
  containerfile <<'EOF2'
ARG BASE=busybox
ARG GLOBAL=g
FROM ${BASE}:latest AS first
RUN echo "global unseen: [${GLOBAL}]" > /a
ARG GLOBAL
ARG V=default
ENV FROMENV=${V:-none} ALT=${UNSET:+x}${V:+set} DEF=${UNSET:-fallback}
ARG V2=arg
ENV V2=env
RUN echo "[$GLOBAL] [$V] [$V2] $FROMENV $ALT $DEF" >> /a
EOF2
  cap build -t a1 "$CTX" >/dev/null
  assert_eq "$(cap run --rm a1 cat /a)" "global unseen: []
[g] [default] [env] default set fallback"
  cap build -t a2 --build-arg V=given --build-arg GLOBAL=over "$CTX" >/dev/null
  assert_eq "$(cap run --rm a2 cat /a | tail -1)" "[over] [given] [env] given set fallback"
  assert_engine_clean
}

test_copy_and_add() {
  build_setup
  mkdir -p "$CTX/dir/sub" "$WORK/tarsrc/t"
  echo f1 >"$CTX/f1"; echo f2 >"$CTX/f2.txt"; echo f3 >"$CTX/f3.txt"
  echo deep >"$CTX/dir/sub/deep"; chmod 0750 "$CTX/dir/sub"; ln -s sub/deep "$CTX/dir/link"
  echo x >"$CTX/exe"; chmod 0755 "$CTX/exe"
  echo in-tar >"$WORK/tarsrc/t/file"
  tar -C "$WORK/tarsrc" --owner=7 --group=8 -czf "$CTX/arch.tar.gz" t
  containerfile <<'EOF2'
FROM busybox
COPY f1 /one/
COPY f1 /renamed
COPY *.txt /txt/
COPY dir /tree
COPY --chown=nobody:65534 --chmod=0600 f1 exe /owned/
COPY --chown=1234 f1 /uid-only
WORKDIR /rel
COPY f1 here
ADD arch.tar.gz /x/
ADD f1 /added
COPY <<EOT /heredoc.txt
from a heredoc
EOT
EOF2
  cap build -t c "$CTX" >/dev/null
  assert_eq "$(cap run --rm c sh -c 'cat /one/f1 /renamed /txt/f2.txt /txt/f3.txt /tree/sub/deep /tree/link /rel/here /x/t/file /added /heredoc.txt')" "f1
f1
f2
f3
deep
deep
f1
in-tar
f1
from a heredoc"
  assert_eq "$(cap run --rm c stat -c '%n %a %u:%g' /one/f1 /tree/sub /exe 2>/dev/null; true)" "/one/f1 644 0:0
/tree/sub 750 0:0"
  assert_eq "$(cap run --rm c stat -c '%n %a %u:%g' /owned/f1 /owned/exe /uid-only /x/t/file)" "/owned/f1 600 65534:65534
/owned/exe 600 65534:65534
/uid-only 644 1234:1234
/x/t/file 644 7:8"
  assert_eq "$(cap run --rm c readlink /tree/link)" "sub/deep" "symlinks copied as symlinks"
  assert_engine_clean
}

test_multi_stage_and_target() {
  build_setup
  containerfile <<'EOF2'
FROM busybox AS builder
RUN mkdir /out && echo built > /out/artifact
FROM scratch AS files
COPY --from=builder /out/artifact /artifact
FROM busybox
COPY --from=builder /out /copied
COPY --from=1 /artifact /by-index
COPY --from=busybox /bin/busybox /from-image
RUN cat /copied/artifact /by-index > /both
EOF2
  local out
  out=$(cap build -t m "$CTX")
  # Steps counted per stage, "[stage/stages]" first, as buildah 1.28.
  assert_contains "$out" "[1/3] STEP 1/2: FROM busybox AS builder"
  assert_contains "$out" "[2/3] STEP 2/2: COPY --from=builder /out/artifact /artifact"
  assert_contains "$out" "[3/3] STEP 5/5: RUN cat /copied/artifact /by-index > /both"
  assert_eq "$(cap run --rm m cat /both)" "built
built"
  assert_eq "$(cap run --rm m sh -c 'cmp /bin/busybox /from-image && echo same')" "same"
  # --target stops at a stage: FROM scratch + one COPY, one layer.
  out=$(cap build -t t --target files "$CTX")
  assert_eq "$(config_of t '.rootfs.diff_ids|length')" 1
  assert_contains "$out" "[2/2] STEP 2/2: COPY --from=builder /out/artifact /artifact"
  assert_not_contains "$out" "/3]"
  # One stage built: no "[...]"; an ARG before FROM is no step.
  sed -i '1i ARG UNUSED=1' "$CTX/Containerfile"
  out=$(cap build --target builder "$CTX")
  assert_contains "$out" "STEP 2/2: RUN mkdir /out && echo built > /out/artifact"
  assert_not_contains "$out" "["
  assert_not_contains "$out" "STEP 3/"
  assert_engine_clean
}

# The lines a RUN printed (the STEP line shows its command too).
ran() { grep -x "$1" <<<"$out" || true; }

test_cache() {
  build_setup
  echo v1 >"$CTX/data"
  containerfile <<'EOF2'
FROM busybox
RUN echo ran-first-run; echo a > /a
COPY data /data
RUN echo ran-after-copy; cat /data > /b
ENV X=1
EOF2
  local out id1 id2
  out=$(cap build -t k "$CTX")
  assert_eq "$(ran ran-first-run)" ran-first-run
  id1=$(cap image inspect --format '{{.Id}}' k)
  # The steps' images are intermediate: images lists them with -a only.
  assert_eq "$(cap images --format '{{.Repository}}' | sort | tr '\n' ' ')" "busybox k "
  assert_eq "$(cap images -a -q | wc -l)" 5 "the base and one image per step"
  # Unchanged: nothing runs, the same image.
  out=$(cap build -t k "$CTX")
  assert_eq "$(ran "ran-.*")" ""
  assert_eq "$(grep -c 'Using cache' <<<"$out")" 4
  assert_eq "$(cap image inspect --format '{{.Id}}' k)" "$id1" "a cached rebuild is the same image"
  # A source changes: the steps before it come from the cache.
  echo v2 >"$CTX/data"
  out=$(cap build -t k "$CTX")
  assert_eq "$(ran ran-first-run)" ""
  assert_eq "$(ran ran-after-copy)" ran-after-copy
  assert_eq "$(cap run --rm k cat /b)" "v2"
  # A mode counts too.
  chmod 0600 "$CTX/data"
  out=$(cap build -t k "$CTX")
  assert_eq "$(ran ran-after-copy)" ran-after-copy
  # --no-cache runs everything.
  out=$(cap build --no-cache -t k "$CTX")
  assert_eq "$(ran ran-first-run)" ran-first-run
  assert_not_contains "$out" "Using cache"
  id2=$(cap image inspect --format '{{.Id}}' k)
  assert_ne "$id2" "$id1"
  # The cache goes with the images: after a prune, a rebuild runs again,
  # and the entries of the pruned images are forgotten.
  cap rmi k >/dev/null
  cap image prune >/dev/null
  assert_eq "$(ls "$STORE/build-cache" | wc -l)" 0 "cache entries of pruned images"
  out=$(cap build -t k "$CTX")
  assert_eq "$(ran ran-first-run)" ran-first-run
  assert_engine_clean
}

test_dockerignore() {
  build_setup
  mkdir -p "$CTX/docs/keep" "$CTX/a/b/c"
  echo 1 >"$CTX/secret.key"; echo 2 >"$CTX/docs/x.md"; echo 3 >"$CTX/docs/keep/y.md"
  echo 4 >"$CTX/a/b/c/z.tmp"; echo 5 >"$CTX/a/ok"; echo 6 >"$CTX/top.md"
  printf '# comment\n*.key\ndocs\n!docs/keep\n**/*.tmp\n/top.md\nContainerfile\n' >"$CTX/.dockerignore"
  containerfile <<'EOF2'
FROM busybox
COPY . /ctx/
EOF2
  cap build -t i "$CTX" >/dev/null
  assert_eq "$(cap run --rm i sh -c 'cd /ctx && find . -type f | sort')" "./.dockerignore
./a/ok
./docs/keep/y.md"
  # Naming an excluded file is an error, as docker.
  containerfile <<'EOF2'
FROM busybox
COPY secret.key /
EOF2
  assert_contains "$(cap build "$CTX" 2>&1)" "excluded by .dockerignore"
  # .containerignore wins over .dockerignore.
  echo 'a' >"$CTX/.containerignore"
  containerfile <<'EOF2'
FROM busybox
COPY . /ctx/
EOF2
  cap build -t i2 "$CTX" >/dev/null
  assert_eq "$(cap run --rm i2 sh -c 'test -e /ctx/a || test -e /ctx/secret.key && echo present')" "present"
}

# One bad Containerfile: the exit status, a message naming FILE:LINE, and
# nothing left (no container, mount, runtime state, half image).
bad() { # status message-part
  local out rc=0
  out=$(cap build "$CTX" 2>&1) || rc=$?
  assert_eq "$rc" "$1" "exit status of: $(head -c 200 "$CTX/Containerfile")"
  assert_contains "$out" "$2"
  assert_engine_clean
  assert_eq "$(ls "$STORE/tmp" 2>/dev/null | wc -l)" 0 "store tmp/"
}

test_bad_input() {
  build_setup
  local rc
  echo x >"$CTX/f"
  ln -s /etc/passwd "$CTX/out-link"
  ln -s ../../x "$CTX/up-link"
  printf 'FROM busybox\nFOO bar\n' | containerfile; bad 125 "Containerfile:2: unknown instruction: FOO"
  printf 'RUN true\n' | containerfile; bad 125 "Containerfile:1: RUN before the first FROM"
  printf '# only a comment\n' | containerfile; bad 125 "Containerfile: no FROM instruction"
  printf 'FROM busybox\nCOPY ../x /\n' | containerfile; bad 125 'Containerfile:2: building at STEP 2/2 "COPY ../x /": ../x: outside the build context'
  printf 'FROM busybox\nCOPY out-link /\n' | containerfile; bad 125 "out-link: outside the build context"
  printf 'FROM busybox\nCOPY up-link /\n' | containerfile; bad 125 "up-link: outside the build context"
  printf 'FROM busybox\nCOPY /nope /\n' | containerfile; bad 125 "nope: no such file or directory in the build context"
  printf 'FROM busybox\nCOPY --from=nostage f /\n' | containerfile; bad 125 "--from=nostage: no stage or image of that name"
  printf 'FROM nosuchimage\n' | containerfile; bad 125 "Containerfile:1:"
  rc=0; cap build --pull=never "$CTX" 2>"$WORK/err" || rc=$?
  assert_eq "$rc" 125; assert_contains "$(cat "$WORK/err")" "FROM nosuchimage: no such image: nosuchimage"
  rc=0; cap build --pull=sometimes "$CTX" 2>"$WORK/err" || rc=$?
  assert_eq "$rc" 125; assert_contains "$(cat "$WORK/err")" "invalid pull option: 'sometimes'"
  printf 'ARG BASE\nFROM ${BASE}\n' | containerfile; bad 125 "base name (\${BASE}) should not be blank"
  printf 'FROM busybox\nADD https://example.com/x /x\n' | containerfile; bad 125 "URLs are not supported"
  printf 'FROM busybox\nCOPY f f /dest\n' | containerfile; bad 125 "must be a directory"
  printf 'FROM busybox\nRUN echo partial > /p; exit 3\n' | containerfile
  bad 3 'Containerfile:2: building at STEP 2/2 "RUN echo partial > /p; exit 3": the command exited with code 3'
  printf 'FROM busybox\nRUN no-such-command\n' | containerfile; bad 127 "exited with code 127"
  printf 'FROM busybox\n' | containerfile
  rc=0; cap build --target nope "$CTX" 2>"$WORK/err" || rc=$?
  assert_eq "$rc" 125; assert_contains "$(cat "$WORK/err")" "--target nope: no stage of that name"
  rc=0; cap build -t 'Bad Name' "$CTX" 2>/dev/null || rc=$?
  assert_eq "$rc" 125 "a bad -t is refused"
  # The failed builds made no image but the base.
  assert_eq "$(cap images -q | wc -l)" 1
}

test_quiet_and_stdin() {
  build_setup
  local id
  id=$(printf 'FROM busybox\nRUN echo noisy\nLABEL a=b\n' | cap build -q -t q -f - "$CTX")
  assert_match "$id" '^[0-9a-f]{64}$' "-q prints the ID alone"
  assert_eq "sha256:$id" "$(cap image inspect --format '{{.Id}}' q)"
  # A Dockerfile when there is no Containerfile; --label; the network flag.
  printf 'FROM busybox\nRUN echo hi > /hi\n' >"$CTX/Dockerfile"
  cap build -t d --label built=yes --network host "$CTX" >/dev/null
  assert_eq "$(config_of d '.config.Labels')" '{"built":"yes"}'
  assert_eq "$(config_of d '.history[-1].created_by')" '"LABEL built=yes"'
  # CONTEXT -: a tar of the context, or a Containerfile alone; the
  # temporary context goes.
  echo from-tar >"$CTX/file"
  printf 'FROM busybox\nCOPY file /file\n' >"$CTX/Other"
  tar -C "$CTX" -cz . | cap build -f Other -t st - >/dev/null
  assert_eq "$(cap run --rm st cat /file)" "from-tar"
  printf 'FROM busybox\nRUN echo alone > /a\n' | cap build -t sf - >/dev/null
  assert_eq "$(cap run --rm sf cat /a)" "alone"
  assert_eq "$(ls /tmp | grep -c '^capsule-build-context' || true)" 0 "temporary contexts"
  assert_engine_clean
}

test_killed_build_is_repaired() {
  build_setup
  printf 'FROM busybox\nRUN sleep 1; echo done > /d\n' | containerfile
  "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" build "$CTX" >/dev/null 2>&1 &
  local pid=$!
  wait_for "[ -n \"\$(cap ps -q)\" ]" 50
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  # Its RUN goes on to its end; then the step's container is of no use.
  wait_for "[ -z \"\$(cap ps -q)\" ]" 50
  assert_contains "$(cap system check)" "build step's directory"
  assert_engine_clean
  assert_eq "$(cap ps -a -q | wc -l)" 0
  cap build -t after "$CTX" >/dev/null
  assert_eq "$(cap run --rm after cat /d)" "done"
}

test_onbuild_triggers_run_in_the_child() {
  build_setup
  echo payload >"$CTX/p"
  printf 'FROM busybox\nONBUILD COPY p /from-trigger\nONBUILD RUN echo trig > /t\n' | containerfile
  cap build -t obbase "$CTX" >/dev/null
  assert_eq "$(cap run --rm obbase sh -c 'ls /t /from-trigger 2>/dev/null | wc -l')" 0 "not run in the base"
  printf 'FROM obbase\nRUN cat /t /from-trigger\n' | containerfile
  local out
  out=$(cap build -t obchild "$CTX")
  assert_contains "$out" "--> ONBUILD RUN echo trig > /t"
  assert_eq "$(grep -x -e trig -e payload <<<"$out")" "trig
payload"
  assert_eq "$(config_of obchild '.config.OnBuild')" "null" "triggers are not inherited"
  assert_engine_clean
}

# Issue 10's "pushable with capsule push": a built image goes to a private
# registry and back into a fresh store with its history (empty_layer for the
# metadata steps) and config; `image history` shows a line per instruction.
test_built_image_pushed_and_pulled_back() {
  source "$TOP/tests/registry/registry.bash"
  build_setup
  registry_start plain
  printf 'FROM busybox\nENV X=1\nRUN echo hi >/hi\nLABEL a=b\nCMD ["cat", "/hi"]\n' | containerfile
  cap build -q -t pushme "$CTX" >/dev/null
  cap push -q --tls-verify=false pushme "$REG/test/built:v1" >/dev/null
  local hist='[.history[]|{created_by,empty_layer}]' cfg='[.config, .rootfs]'
  "$BIN/capsule" --root "$WORK/store2" pull -q --tls-verify=false "$REG/test/built:v1" >/dev/null
  local id2
  id2=$("$BIN/capsule" --root "$WORK/store2" image inspect --format '{{.Id}}' "$REG/test/built:v1")
  assert_eq "$id2" "$(cap image inspect --format '{{.Id}}' pushme)" "config digest after the round trip"
  assert_eq "$(jq -c "$hist" "$WORK/store2/blobs/sha256/${id2#sha256:}")" "$(config_of pushme "$hist")"
  assert_eq "$(config_of pushme '[.history[]|.empty_layer // false]')" '[false,true,false,true,true]'
  assert_eq "$(jq -c "$cfg" "$WORK/store2/blobs/sha256/${id2#sha256:}")" "$(config_of pushme "$cfg")"
  assert_eq "$("$BIN/capsule" --root "$WORK/store2" --runroot "$WORK/run2" run --rm "$REG/test/built:v1")" hi
  # image history: newest first, one line per instruction plus the base's.
  local h
  h=$(cap image history --no-trunc pushme | tail -n +2)
  assert_eq "$(wc -l <<<"$h")" 5
  assert_contains "$(sed -n 1p <<<"$h")" 'CMD ["cat", "/hi"]'
  assert_contains "$(sed -n 3p <<<"$h")" 'RUN /bin/sh -c echo hi >/hi'
  assert_engine_clean
}

# Hard links in the context stay hard links in the layer (as buildah):
# one inode within a copied tree, but separate files for separate sources
# (buildah 1.28 too); the cache key sees the links (the same files
# unlinked are another step).
test_copy_keeps_hard_links() {
  build_setup
  mkdir -p "$CTX/tree/sub"
  head -c 5000 /dev/urandom >"$CTX/tree/a"
  ln "$CTX/tree/a" "$CTX/tree/sub/b"
  ln "$CTX/tree/a" "$CTX/top"
  printf 'FROM busybox\nCOPY tree /t/\nCOPY tree/a top /two/\n' | containerfile
  cap build -t hl "$CTX" >/dev/null
  assert_eq "$(cap run --rm hl sh -c 'stat -c "%i %h" /t/a /t/sub/b | uniq | wc -l; stat -c %h /t/a; stat -c %i /two/a /two/top | uniq | wc -l')" "1
2
2"
  assert_eq "$(cap run --rm hl sh -c 'cmp /t/a /two/top && echo same')" same
  rm "$CTX/tree/sub/b"; cp "$CTX/tree/a" "$CTX/tree/sub/b"; touch -r "$CTX/tree/a" "$CTX/tree/sub/b"
  cap build -t hl2 "$CTX" >/dev/null
  assert_eq "$(cap run --rm hl2 stat -c %h /t/sub/b)" 1 "no stale cache hit"
  assert_engine_clean
}

# An image's device node is never opened by the builder (it would be the
# host's device: a watchdog's 10:130 starts the host's countdown); major 60
# is unregistered, so an open would fail with ENXIO instead of the refusal.
test_copy_from_never_opens_an_image_device() {
  build_setup
  python3 -c '
import sys, tarfile
t = tarfile.open(sys.argv[1], "w")
i = tarfile.TarInfo("dev60"); i.type = tarfile.CHRTYPE; i.devmajor = 60; i.mode = 0o600
t.addfile(i); t.close()' "$WORK/dev.tar"
  cap import "$WORK/dev.tar" devimg:1 >/dev/null
  printf 'FROM busybox\nCOPY --from=devimg:1 /dev60 /x\n' | containerfile
  bad 125 "dev60: not a regular file or directory"
  cap rmi devimg:1 >/dev/null
}

# A context's Containerfile or .dockerignore that is a symlink out of it (a
# cloned repository's) is refused, not read: a parse error would echo a
# host file (here a stand-in for /etc/shadow) into the build's log.
test_context_files_do_not_lead_out() {
  build_setup
  echo 'SECRETHASH:x' >"$WORK/secret"
  ln -s "$WORK/secret" "$CTX/Containerfile"
  bad 125 "Containerfile: outside the build context"
  assert_fails cap build "$CTX"
  case "$ERR" in *SECRETHASH*) fail "the host file was read: $ERR" ;; esac
  rm "$CTX/Containerfile"
  printf 'FROM busybox\n' >"$CTX/Containerfile"
  ln -s "$WORK/secret" "$CTX/.dockerignore"
  bad 125 ".dockerignore: outside the build context"
}
