#!/usr/bin/env bash
# `exec true` into a running container (issue 9, benchmark b): `capsule
# exec` against `podman exec` (Debian's 4.3 with runc, private:
# tests/podman/podman-env.sh) and against `capsule-runtime exec` on the
# same container's runtime state (the floor the engine adds to), side by
# side in one run. Each iteration runs the three once, in a rotating order,
# so that drift hits all alike. The containers are one busybox `sleep`
# each, started before the timed runs.
#
# Reports the median and p90 wall time per exec and the ratio of each
# median to podman's (the goal: capsule <= 0.2x podman).
#
#   bench/engine-exec.sh [-n RUNS]
#
# As root, after `make`. Raw figures go to build/bench-results/.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
source "$TOP/tests/lib.sh"
source "$TOP/bench/lib.sh"
runs=30
while [ $# -gt 0 ]; do
  case "$1" in
  -n) runs=$2; shift 2 ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "engine-exec: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "engine-exec: -n: expected a positive number" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "engine-exec: run as root" >&2; exit 1; }
peak_rss=$BIN/bench/peak_rss
for f in "$BIN/capsule" "$BIN/capsule-runtime" "$peak_rss"; do
  [ -x "$f" ] || { echo "engine-exec: $f missing (make)" >&2; exit 1; }
done

RUNTIME=$(command -v runc)
podman_version=$(podman --version)
source "$TOP/tests/podman/podman-env.sh"
trap run_deferred EXIT

work=$(mktemp -d /tmp/capsule-bench-exec.XXXXXX)
defer "umount -R '$work' 2>/dev/null; rm -rf --one-file-system '$work'"
"$TOP/scripts/make-busybox-rootfs" "$work/busybox.tar" >/dev/null
cap=("$BIN/capsule" --root "$work/store" --runroot "$work/run")
"${cap[@]}" import "$work/busybox.tar" bench/busybox:latest >/dev/null
id=$("${cap[@]}" run -d --name bench-exec bench/busybox sleep 100000)
defer "${cap[*]} rm -f bench-exec >/dev/null 2>&1"
podman_env_start
pm run -d --name bench-exec "$PODMAN_IMAGE" sleep 100000 >/dev/null

bench_podman_argv
declare -A cmd_of=(
  [capsule]="${cap[*]} exec bench-exec true"
  [runtime]="$BIN/capsule-runtime --root $work/run exec $id true"
  [podman]="--mntns $PODMAN_MNTNS ${PODMAN_ARGV[*]} exec bench-exec true"
)

timed() { # label
  local line ns rss status
  # shellcheck disable=SC2086 # the command lines hold no spaces of their own
  line=$("$peak_rss" ${cmd_of[$1]} 2>>"$work/$1.log")
  read -r ns rss status <<<"$line"
  [ "$status" = 0 ] || { echo "engine-exec: $1 failed (exit $status), see $work/$1.log" >&2; exit 1; }
  echo "$1 $ns $rss" >>"$work/samples"
}

# Warm-up, untimed: page cache, podman's database.
for label in capsule runtime podman; do timed "$label"; done
rm -f "$work/samples"
order=(capsule runtime podman)
for ((i = 0; i < runs; i++)); do
  for ((k = 0; k < 3; k++)); do timed "${order[(i + k) % 3]}"; done
done

stats() { # label -> "runs median p90" in ms
  awk -v l="$1" '$1 == l {print $2}' "$work/samples" | bench_stats 1e6
}
read -r _ cap_med cap_p90 < <(stats capsule)
read -r _ rt_med rt_p90 < <(stats runtime)
read -r _ pod_med pod_p90 < <(stats podman)
printf '%-28s %6s %10s %8s %10s\n' "" runs "median ms" "p90 ms" "/ podman"
printf '%-28s %6d %10s %8s %10s\n' "capsule exec" "$runs" "$cap_med" "$cap_p90" "$(bench_ratio "$cap_med" "$pod_med")"
printf '%-28s %6d %10s %8s %10s\n' "capsule-runtime exec" "$runs" "$rt_med" "$rt_p90" "$(bench_ratio "$rt_med" "$pod_med")"
printf '%-28s %6d %10s %8s %10s\n' "podman exec (runc)" "$runs" "$pod_med" "$pod_p90" 1
mkdir -p "$BIN/bench-results"
out="$BIN/bench-results/engine-exec-$(date -u +%Y%m%dT%H%M%SZ).json"
jq -n --argjson runs "$runs" --argjson cm "$cap_med" --argjson cp "$cap_p90" \
  --argjson rm "$rt_med" --argjson rp "$rt_p90" --argjson pm "$pod_med" --argjson pp "$pod_p90" \
  --arg env "$(bench_env)" --arg podman "$podman_version" \
  '{runs: $runs, capsule_exec: {median_ms: $cm, p90_ms: $cp},
    capsule_runtime_exec: {median_ms: $rm, p90_ms: $rp}, podman_exec_runc: {median_ms: $pm, p90_ms: $pp},
    capsule_over_podman: ($cm / $pm), env: $env, podman: $podman}' >"$out"
echo "results: $out"
