#!/usr/bin/env bash
# What a container's network costs: `capsule run --rm busybox true` with
# --network none (the default: a network namespace with lo up and the /etc
# files), on the default bridge network (CNI: bridge + host-local, firewall),
# and on it with a published port (+ portmap), interleaved in one run;
# with BASELINE=/path/to/capsule (a build without networks), that one too.
# Reports median and p90 wall time per container (docs/NETWORK.md).
#
#   bench/network.sh [-n RUNS]
#
# As root, after `make`; needs containernetworking-plugins (scripts/deps/network.txt).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
runs=20
while [ $# -gt 0 ]; do
  case "$1" in
  -n) runs=$2; shift 2 ;;
  -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
  *) echo "network.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "network.sh: run as root" >&2; exit 1; }
BIN=$TOP/build
peak_rss=$BIN/bench/peak_rss
[ -x "$BIN/capsule" ] && [ -x "$peak_rss" ] || { echo "network.sh: build first (make)" >&2; exit 1; }
source "$TOP/tests/lib.sh"
source "$TOP/bench/lib.sh"
trap run_deferred EXIT

work=$(mktemp -d /tmp/capsule-bench-net.XXXXXX)
defer "umount -R '$work' 2>/dev/null; rm -rf --one-file-system '$work'"
"$TOP/scripts/make-busybox-rootfs" "$work/busybox.tar" >/dev/null
cap=("$BIN/capsule" --root "$work/store" --runroot "$work/run")
"${cap[@]}" import "$work/busybox.tar" bench/busybox:latest >/dev/null
base=()
if [ -n "${BASELINE:-}" ]; then
  base=("$BASELINE" --root "$work/base" --runroot "$work/base-run")
  "${base[@]}" import "$work/busybox.tar" bench/busybox:latest >/dev/null
fi
port=$((30000 + RANDOM % 5000))

declare -A cmd
cmd[none]="${cap[*]} run --rm bench/busybox true"
cmd[bridge]="${cap[*]} run --rm --network bridge bench/busybox true"
cmd[bridge-p]="${cap[*]} run --rm --network bridge -p 127.0.0.1:$port:80 bench/busybox true"
labels=(none bridge bridge-p)
if [ ${#base[@]} -gt 0 ]; then
  cmd[baseline]="${base[*]} run --rm bench/busybox true"
  labels=(baseline "${labels[@]}")
fi

# Warm-up, untimed (the default bridge is made by the first container on it).
for l in "${labels[@]}"; do ${cmd[$l]} >/dev/null; done
for ((i = 0; i < runs; i++)); do
  for l in "${labels[@]}"; do
    read -r ns _ status < <($peak_rss ${cmd[$l]} 2>>"$work/err.log")
    [ "$status" = 0 ] || { echo "network.sh: $l failed, see $work/err.log" >&2; exit 1; }
    echo "$l $ns" >>"$work/samples"
  done
done
[ -z "$("${cap[@]}" ps -a -q)" ] || { echo "network.sh: containers left" >&2; exit 1; }

bench_env
printf '%-10s %6s %10s %8s\n' "" runs "median ms" "p90 ms"
for l in "${labels[@]}"; do
  read -r n med p90 < <(awk -v l="$l" '$1 == l {print $2}' "$work/samples" | bench_stats 1e6)
  printf '%-10s %6d %10s %8s\n' "$l" "$n" "$med" "$p90"
done
