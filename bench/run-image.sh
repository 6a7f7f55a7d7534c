#!/usr/bin/env bash
# `capsule run --rm IMAGE true` against `podman run --rm IMAGE true` (podman
# with runc, its storage and config private, see tests/podman/podman-env.sh),
# side by side in one run, interleaved; the image is the same busybox rootfs
# imported into both. Reports the median and p90 wall time per container and
# the ratio of podman's median to capsule's (the goal, issue 3: >= 10).
#
#   bench/run-image.sh [-n RUNS] [-d DIR]
#
# podman's store and run root are on a tmpfs here (the private /run of
# podman-env.sh); capsule's go on one too, in /dev/shm, unless -d names the
# directory to hold them (an ext4 one: bench/run-image.sh -d /tmp).
# As root, after `make`. Raw figures go to build/bench-results/.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
runs=30 where=/dev/shm
while [ $# -gt 0 ]; do
  case "$1" in
  -n) runs=$2; shift 2 ;;
  -d) where=$2; shift 2 ;;
  -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
  *) echo "run-image.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run-image.sh: run as root" >&2; exit 1; }
BIN=$TOP/build
[ -x "$BIN/capsule" ] || { echo "run-image.sh: build first (make)" >&2; exit 1; }

source "$TOP/tests/lib.sh"
source "$TOP/bench/lib.sh"
RUNTIME=$(command -v runc)
podman_version=$(podman --version)
source "$TOP/tests/podman/podman-env.sh"
trap run_deferred EXIT

work=$(mktemp -d "$where/capsule-bench-run.XXXXXX")
fs=$(stat -f -c %T "$work")
defer "umount -R '$work' 2>/dev/null; rm -rf --one-file-system '$work'"
peak_rss=$BIN/bench/peak_rss
[ -x "$peak_rss" ] || { echo "run-image.sh: $peak_rss missing (make)" >&2; exit 1; }
"$TOP/scripts/make-busybox-rootfs" "$work/busybox.tar" >/dev/null

cap=("$BIN/capsule" --root "$work/store" --runroot "$work/run")
"${cap[@]}" import "$work/busybox.tar" bench/busybox:latest >/dev/null
podman_env_start

timed() { # label command...
  local line
  line=$("$peak_rss" "${@:2}" 2>>"$work/$1.log")
  read -r ns rss status <<<"$line"
  [ "$status" = 0 ] || { echo "run-image.sh: $1 failed (exit $status), see $work/$1.log" >&2; exit 1; }
  echo "$1 $ns $rss" >>"$work/samples"
}

# podman as pm() runs it (tests/podman/podman-env.sh), as one command line.
bench_podman_argv
pod=(--mntns "$PODMAN_MNTNS" "${PODMAN_ARGV[@]}" run --cgroup-parent "$PODMAN_CGROUP_PARENT" --rm "$PODMAN_IMAGE" true)

# Warm-up, untimed: page cache, podman's database.
"${cap[@]}" run --rm bench/busybox true
"$peak_rss" "${pod[@]}" >/dev/null 2>&1

for ((i = 0; i < runs; i++)); do
  if ((i % 2)); then
    timed capsule "${cap[@]}" run --rm bench/busybox true
    timed podman "${pod[@]}"
  else
    timed podman "${pod[@]}"
    timed capsule "${cap[@]}" run --rm bench/busybox true
  fi
done

# Nothing may be left: no container of either, no capsule mount.
[ -z "$("${cap[@]}" ps -a -q)" ] || { echo "run-image.sh: capsule left containers" >&2; exit 1; }
[ -z "$(pm ps -a -q)" ] || { echo "run-image.sh: podman left containers" >&2; exit 1; }

stats() { # label -> "runs median p90" in ms
  awk -v l="$1" '$1 == l {print $2}' "$work/samples" | bench_stats 1e6
}
read -r _ cap_med cap_p90 < <(stats capsule)
read -r _ pod_med pod_p90 < <(stats podman)
ratio=$(bench_ratio "$pod_med" "$cap_med")
printf '%-22s %6s %10s %8s\n' "" runs "median ms" "p90 ms"
printf '%-22s %6d %10s %8s\n' "capsule run --rm" "$runs" "$cap_med" "$cap_p90"
printf '%-22s %6d %10s %8s\n' "podman run --rm (runc)" "$runs" "$pod_med" "$pod_p90"
echo "podman / capsule median: ${ratio}x (capsule's store on $fs, podman's on tmpfs; load $(cut -d' ' -f1-3 /proc/loadavg))"
mkdir -p "$BIN/bench-results"
out="$BIN/bench-results/run-image-$(date -u +%Y%m%dT%H%M%SZ).json"
jq -n --argjson runs "$runs" --argjson cm "$cap_med" --argjson cp "$cap_p90" \
  --argjson pm "$pod_med" --argjson pp "$pod_p90" --argjson r "$ratio" \
  --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" --arg podman "$podman_version" --arg fs "$fs" \
  '{runs: $runs, capsule: {median_ms: $cm, p90_ms: $cp, store_fs: $fs},
    podman_runc: {median_ms: $pm, p90_ms: $pp, store_fs: "tmpfs"}, ratio: $r, load: $load,
    podman: $podman}' >"$out"
echo "results: $out"
