#!/usr/bin/env bash
# Checkpoint and restore time of a small busybox container (a shell counting
# in a loop, stdout on a pipe), side by side for capsule-runtime and runc on
# the same CRIU: per iteration each runtime runs the container detached,
# checkpoints it (the process ends), restores it detached, deletes it. The
# order alternates between iterations. Times are wall clock of the runtime
# command, in ms; docs/CHECKPOINT.md has the figures.
#
# Usage: bench/checkpoint.sh [-n RUNS]     (default 11)
# Environment: CAPSULE_RUNTIME (default build/capsule-runtime), RUNC, CRIU
# (default: the one capsule uses, /usr/local/lib/capsule/criu/sbin/criu).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/tests/lib.sh"
source "$TOP/tests/runtime/lib-runtime.sh"
source "$TOP/bench/lib.sh"
CAPSULE_RUNTIME=${CAPSULE_RUNTIME:-$BIN/capsule-runtime}
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}
CRIU=${CRIU:-/usr/local/lib/capsule/criu/sbin/criu}
runs=11
while [ $# -gt 0 ]; do
  case $1 in
  -n) runs=$2; shift 2 ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "checkpoint: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d /tmp/capsule-bench-cr.XXXXXX)
cleanup() {
  "$CAPSULE_RUNTIME" --root "$work/state-capsule" delete --force "bench-cr-$$" 2>/dev/null || true
  "$RUNC" --root "$work/state-runc" delete --force "bench-cr-$$" 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
cp -a "$(cached_rootfs)" "$work/rootfs"
(cd "$work" && "$RUNC" spec)
jq '.process.terminal = false | .root.readonly = false |
    .process.args = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done"]' \
  "$work/config.json" >"$work/c.json" && mv "$work/c.json" "$work/config.json"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# one RUNTIME-NAME: prints "dump_ms restore_ms"
one() {
  local rt id=bench-cr-$$ img=$work/img-$1 t0 t1 t2
  case $1 in
  capsule) rt=("$CAPSULE_RUNTIME" --root "$work/state-capsule") ;;
  runc) rt=("$RUNC" --criu "$CRIU" --root "$work/state-runc") ;;
  esac
  rm -rf "$img"
  true | "${rt[@]}" run -d --bundle "$work" "$id" 2>&1 | cat >/dev/null &
  sleep 0.3
  t0=$(now_ms)
  "${rt[@]}" checkpoint --image-path "$img" "$id" >"$work/$1.err" 2>&1 ||
    { cat "$work/$1.err" >&2; exit 1; }
  t1=$(now_ms)
  # stdout a pipe (process substitution): the runtime returns, cat stays.
  "${rt[@]}" restore -d --bundle "$work" --image-path "$img" "$id" < <(true) \
    > >(cat >/dev/null) 2>"$work/$1.err" || true
  t2=$(now_ms)
  [ "$("${rt[@]}" state "$id" | jq -r .status)" = running ] ||
    { echo "$1: restore failed: $(cat "$work/$1.err")" >&2; exit 1; }
  "${rt[@]}" delete --force "$id"
  echo "$((t1 - t0)) $((t2 - t1))"
}

bench_env
for ((i = 0; i < runs; i++)); do
  order="capsule runc"
  ((i % 2)) && order="runc capsule"
  for r in $order; do one "$r" >>"$work/$r.csv"; done
done
printf '%-10s %18s %18s\n' runtime "checkpoint ms" "restore ms"
printf '%-10s %18s %18s\n' "" "(n median p90)" "(n median p90)"
for r in capsule runc; do
  printf '%-10s %18s %18s\n' "$r" "$(cut -d' ' -f1 "$work/$r.csv" | bench_stats)" \
    "$(cut -d' ' -f2 "$work/$r.csv" | bench_stats)"
done
