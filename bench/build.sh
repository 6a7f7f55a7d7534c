#!/usr/bin/env bash
# capsule build against buildah bud (Debian's 1.28, --isolation chroot, its
# own store, in a private mount namespace), side by side in one run, on the
# same busybox image and a 10-step Containerfile mixing RUN and COPY:
#   cold    every step runs (capsule --no-cache; buildah --layers --no-cache)
#   cached  an unchanged rebuild (capsule; buildah --layers), after a cold one
# RUNS rounds (default 5), each timing both tools in alternate order;
# medians and ratios capsule/buildah (goals: cold <= 0.5, cached <= 0.1).
#
# Usage: bench/build.sh [-n RUNS] [-o RESULTS_DIR]   (as root, after make)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
source "$TOP/tests/lib.sh"
source "$TOP/bench/lib.sh"

runs=5 results=""
while [ $# -gt 0 ]; do
  case $1 in
  -n) runs=$2; shift 2 ;;
  -o) results=$2; shift 2 ;;
  *) echo "usage: $0 [-n RUNS] [-o RESULTS_DIR]" >&2; exit 2 ;;
  esac
done
command -v buildah >/dev/null || { echo "buildah is not installed (scripts/deps/build-peers.txt)" >&2; exit 1; }
results=${results:-$TOP/build/bench-results/build-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results"
WORK=$(mktemp -d /tmp/capsule-bench-build.XXXXXX)
cleanup() {
  local m
  for m in $(awk -v w="$WORK/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

cap() { "$TOP/build/capsule" --root "$WORK/store" --runroot "$WORK/run" "$@"; }
conf=$WORK/bconf
mkdir -p "$conf" "$WORK/ctx/dir/sub"
printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' >"$conf/containers.conf"
printf 'unqualified-search-registries = ["docker.io"]\n' >"$conf/registries.conf"
printf '[storage]\ndriver = "overlay"\n' >"$conf/storage.conf"
export CONTAINERS_CONF=$conf/containers.conf CONTAINERS_REGISTRIES_CONF=$conf/registries.conf \
  CONTAINERS_STORAGE_CONF=$conf/storage.conf
bh() {
  unshare -m --propagation private buildah --root "$WORK/bstore" --runroot "$WORK/brun" \
    --storage-driver overlay "$@"
}

"$TOP/scripts/make-busybox-rootfs" "$WORK/busybox.tar" >/dev/null
cap import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
  "$WORK/busybox.tar" busybox:latest >/dev/null
cap save -o "$WORK/base.tar" busybox
bh pull -q docker-archive:"$WORK/base.tar" >/dev/null
echo a >"$WORK/ctx/a.txt"; echo b >"$WORK/ctx/b.txt"
for i in $(seq 20); do echo "$i" >"$WORK/ctx/dir/sub/f$i"; done
cat >"$WORK/ctx/Containerfile" <<'CF'
FROM busybox
COPY a.txt /a/
RUN echo 1 > /r1
COPY dir /dir
RUN cat /a/a.txt /dir/sub/f1 > /r2
ENV X=1
COPY b.txt /b.txt
RUN mkdir -p /x && echo y > /x/y
WORKDIR /x
RUN ls /dir/sub > /r4
CF

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
timed() { # csv kind tool command...
  local csv=$1 kind=$2 tool=$3 t
  shift 3
  t=$(date +%s%N)
  "$@" >/dev/null 2>&1
  echo "$kind,$tool,$(ms "$t")" >>"$csv"
}
csv=$results/times.csv
echo "kind,tool,ms" >"$csv"
bench_env >"$results/env.txt"
for r in $(seq "$runs"); do
  for tool in capsule buildah; do
    [ $((r % 2)) -eq 0 ] && tool=$([ "$tool" = capsule ] && echo buildah || echo capsule)
    if [ "$tool" = capsule ]; then
      timed "$csv" cold capsule cap build --no-cache -t b "$WORK/ctx"
      timed "$csv" cached capsule cap build -t b "$WORK/ctx"
    else
      timed "$csv" cold buildah bh bud --isolation chroot --layers --no-cache -t b "$WORK/ctx"
      timed "$csv" cached buildah bh bud --isolation chroot --layers -t b "$WORK/ctx"
    fi
  done
  echo "round $r/$runs done" >&2
done
# The cached rebuild really ran nothing: its output says so.
cap build -t b "$WORK/ctx" | grep -c 'Using cache' | sed 's/^/capsule cached steps: /' >>"$results/env.txt"

{
  echo "capsule build vs buildah bud, $runs rounds, 10-step Containerfile (median ms, p90 ms)"
  printf '%-8s %-18s %-18s %s\n' kind capsule buildah "capsule/buildah"
  for kind in cold cached; do
    c=$(awk -F, -v k=$kind '$1 == k && $2 == "capsule" {print $3}' "$csv" | bench_stats)
    b=$(awk -F, -v k=$kind '$1 == k && $2 == "buildah" {print $3}' "$csv" | bench_stats)
    printf '%-8s %-18s %-18s %s\n' $kind "$(cut -d' ' -f2,3 <<<"$c")" "$(cut -d' ' -f2,3 <<<"$b")" \
      "$(bench_ratio "$(cut -d' ' -f2 <<<"$c")" "$(cut -d' ' -f2 <<<"$b")")"
  done
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$results/summary.txt"
