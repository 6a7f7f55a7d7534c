#!/usr/bin/env bash
# Container start time: N sequential `run` of one /bin/true bundle (busybox
# rootfs, config.json from `runc spec`, terminal off), side by side in one
# run for capsule-runtime, runc, crun and the floor `unshare -fpmuin
# /bin/true`. Iterations are interleaved (each iteration runs every runtime
# once, in a rotating order) so that drift hits all of them alike.
#
# Reports per runtime: median and p90 wall time per container, the ratio of
# the median to crun's, and the peak RSS of the runtime's processes (wait4's
# ru_maxrss, through bench/peak_rss.c). Every run must exit 0 and leave no
# state, cgroup or mount behind; the script fails otherwise.
#
# crun 1.8 refuses the hybrid cgroup layout, so it runs in a private mount
# namespace where /sys/fs/cgroup/unified is unmounted (prepared once; each
# run joins it before the timer starts).
#
# Usage: bench/runtime-start.sh [-n RUNS] [-o RESULTS_DIR] [-r "capsule runc crun floor"]
#        (add "baseline" to -r, with BASELINE_RUNTIME naming another
#        capsule-runtime binary, e.g. one built before a change)
#        bench/runtime-start.sh --profile perf|strace RUNTIME [-n RUNS]
# Results: RESULTS_DIR (default build/bench-results/runtime-start-DATE/) gets
# runs.csv (every run), summary.csv, summary.json, env.txt and per-runtime
# stderr logs. --profile runs RUNS starts of one runtime under `perf stat`
# (software events) or `strace -f -c`, to see where the time goes.
# Environment: CAPSULE_RUNTIME (default build/capsule-runtime), RUNC, CRUN,
# BASELINE_RUNTIME.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/tests/lib.sh"
CAPSULE_RUNTIME=${CAPSULE_RUNTIME:-$BIN/capsule-runtime}
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}
CRUN=${CRUN:-$(command -v crun || echo /usr/bin/crun)}
BASELINE_RUNTIME=${BASELINE_RUNTIME:-}

runs=100
results=""
runtimes="capsule runc crun floor"
profile=""
profile_runtime=""
while [ $# -gt 0 ]; do
  case $1 in
  -n) runs=$2; shift 2 ;;
  -o) results=$2; shift 2 ;;
  -r) runtimes=$2; shift 2 ;;
  --profile) profile=$2; profile_runtime=${3:-}; shift 3 || { echo "runtime-start: --profile needs a tool and a runtime" >&2; exit 2; } ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "runtime-start: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "runtime-start: -n: expected a positive number, got '$runs'" >&2; exit 2; }
for rt in $runtimes $profile_runtime; do
  case $rt in capsule | runc | crun | floor) ;;
  baseline) [ -x "$BASELINE_RUNTIME" ] || { echo "runtime-start: baseline: set BASELINE_RUNTIME to a capsule-runtime binary" >&2; exit 2; } ;;
  *) echo "runtime-start: unknown runtime '$rt' (capsule, baseline, runc, crun, floor)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "runtime-start: run as root (containers need it)" >&2; exit 1; }

work=$(mktemp -d /tmp/capsule-bench.XXXXXX)
crun_ns_holder=""
cleanup() {
  if [ -n "$crun_ns_holder" ]; then
    kill "$crun_ns_holder" 2>/dev/null || true
    wait "$crun_ns_holder" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The timing helper, built here so the benchmark does not depend on the
# state of the rest of the tree.
${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$TOP/src" \
  -o "$work/peak_rss" "$TOP/bench/peak_rss.c"

# One bundle for every runtime.
bundle=$work/bundle
make_busybox_rootfs "$bundle/rootfs"
(cd "$bundle" && "$RUNC" spec)
jq '.process.args = ["/bin/true"] | .process.terminal = false' "$bundle/config.json" \
  >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

# A mount namespace for crun without the cgroup2 mount of a hybrid host,
# held by a sleeping process until the end.
if [[ " $runtimes $profile_runtime " == *" crun "* ]]; then
  unshare -m --propagation private sh -c '
    if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified || exit 1; fi
    echo ready; exec sleep infinity' >"$work/crun-ns.out" 2>&1 &
  crun_ns_holder=$!
  wait_for "grep -qx ready '$work/crun-ns.out'" 50
fi
crun_mntns=/proc/${crun_ns_holder:-self}/ns/mnt

# The command line of one container start of a runtime, in $cmd.
id_prefix=bench-$$
command_for() { # runtime id
  case $1 in
  capsule) cmd=("$CAPSULE_RUNTIME" --root "$work/root-capsule" run --bundle "$bundle" "$2") ;;
  baseline) cmd=("$BASELINE_RUNTIME" --root "$work/root-baseline" run --bundle "$bundle" "$2") ;;
  runc) cmd=("$RUNC" --root "$work/root-runc" run --bundle "$bundle" "$2") ;;
  crun) cmd=(--mntns "$crun_mntns" "$CRUN" --root "$work/root-crun" run --bundle "$bundle" "$2") ;;
  floor) cmd=(unshare -fpmuin /bin/true) ;;
  esac
}

# Runs one start; prints "wall_ns maxrss_kb exit"; the runtime's stderr goes
# to its log.
start_once() { # runtime id log
  command_for "$1" "$2"
  "$work/peak_rss" "${cmd[@]}" 2>>"$3"
}

version_of() {
  case $1 in
  capsule) "$CAPSULE_RUNTIME" --version 2>/dev/null | head -n 1 ;;
  baseline) echo "$BASELINE_RUNTIME: $("$BASELINE_RUNTIME" --version 2>/dev/null | head -n 1)" ;;
  runc) "$RUNC" --version | head -n 1 ;;
  crun) "$CRUN" --version | head -n 1 ;;
  floor) unshare --version ;;
  esac
}

# What goes wrong with a runtime before measuring it: missing, or its first
# run fails. Empty when it works.
problem_with() { # runtime
  local out msg
  if [ "$1" = capsule ] && [ ! -x "$CAPSULE_RUNTIME" ]; then
    echo "missing: $CAPSULE_RUNTIME is not built"
    return
  fi
  out=$(start_once "$1" "$id_prefix-$1-warmup" "$work/warmup-$1.log" || true)
  if [ "${out##* }" != 0 ]; then
    msg=$(tail -n 1 "$work/warmup-$1.log")
    echo "failed: exit ${out##* }${msg:+: $msg}"
  fi
}

# State dirs, cgroups and mounts left by the runs, one per line.
leftovers() {
  local root
  for root in "$work"/root-*; do
    [ -d "$root" ] && find "$root" -mindepth 1 -maxdepth 1
  done
  find /sys/fs/cgroup -maxdepth 4 -type d -name "*$id_prefix*" 2>/dev/null
  grep -h "$work" /proc/self/mountinfo "/proc/${crun_ns_holder:-self}/mountinfo" || true
}

# Removes the cgroups a failed run left (state dirs and mounts go with $work
# and the namespaces).
remove_leftover_cgroups() {
  find /sys/fs/cgroup -maxdepth 4 -depth -type d -name "*$id_prefix*" -exec rmdir {} + 2>/dev/null || true
}

if [ -n "$profile" ]; then
  [ -n "$profile_runtime" ] || { echo "runtime-start: --profile needs a runtime" >&2; exit 2; }
  problem=$(problem_with "$profile_runtime")
  [ -z "$problem" ] || { echo "runtime-start: $profile_runtime: $problem" >&2; exit 1; }
  # A script of $runs starts, run by one shell under the profiler. crun's
  # namespace is joined by nsenter around that shell.
  script=$work/profile.sh
  for ((i = 1; i <= runs; i++)); do
    command_for "$profile_runtime" "$id_prefix-profile-$i"
    [ "${cmd[0]}" = --mntns ] && cmd=("${cmd[@]:2}")
    printf '%q ' "${cmd[@]}" >>"$script"
    echo '>/dev/null </dev/null || exit 1' >>"$script"
  done
  enter=()
  [ "$profile_runtime" = crun ] && enter=(nsenter --mount="$crun_mntns")
  case $profile in
  perf) perf stat -- "${enter[@]}" sh "$script" ;;
  strace) strace -qq -f -c -S time -- "${enter[@]}" sh "$script" ;;
  *) echo "runtime-start: --profile: expected perf or strace, got '$profile'" >&2; exit 2 ;;
  esac
  echo "($runs starts of $profile_runtime, plus one sh driving them)"
  left=$(leftovers)
  remove_leftover_cgroups
  [ -z "$left" ] || { printf 'runtime-start: left behind:\n%s\n' "$left" >&2; exit 1; }
  exit 0
fi

results=${results:-$BIN/bench-results/runtime-start-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$results"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel: $(uname -r)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "load average before: $(cut -d" " -f1-3 /proc/loadavg)"
  echo "runs per runtime: $runs"
} >"$results/env.txt"

active=()
declare -A problem
for rt in $runtimes; do
  problem[$rt]=$(problem_with "$rt")
  version=$(version_of "$rt" || true)
  echo "$rt: ${version:-unknown}" >>"$results/env.txt"
  [ -n "${problem[$rt]}" ] || active+=("$rt")
done
[ ${#active[@]} -gt 0 ] || { echo "runtime-start: no runtime works" >&2; exit 1; }

echo "runtime,iteration,wall_ns,maxrss_kb,exit" >"$results/runs.csv"
failures=0
for ((i = 1; i <= runs; i++)); do
  k=${#active[@]}
  for ((j = 0; j < k; j++)); do
    rt=${active[(i + j) % k]}
    read -r wall rss code < <(start_once "$rt" "$id_prefix-$rt-$i" "$results/$rt.stderr.log") ||
      code=no-result
    echo "$rt,$i,$wall,$rss,$code" >>"$results/runs.csv"
    [ "$code" = 0 ] || failures=$((failures + 1))
  done
done

left=$(leftovers)
[ -z "$left" ] || printf 'left behind:\n%s\n' "$left" >"$results/leftovers.txt"
remove_leftover_cgroups

# Per runtime: runs, median and p90 (nearest rank) in ms, peak RSS median
# and max in KiB.
stats() { # runtime
  local walls rss
  walls=$(awk -F, -v r="$1" '$1 == r && $5 == 0 {print $3}' "$results/runs.csv" | sort -n)
  rss=$(awk -F, -v r="$1" '$1 == r && $5 == 0 {print $4}' "$results/runs.csv" | sort -n)
  paste -d' ' <(echo "$walls") <(echo "$rss") | awk '
    { w[NR] = $1; m[NR] = $2 }
    END {
      n = NR
      med = (n % 2) ? w[(n + 1) / 2] : (w[n / 2] + w[n / 2 + 1]) / 2
      p90 = w[int(n * 0.9 + 0.999999)]
      rmed = (n % 2) ? m[(n + 1) / 2] : (m[n / 2] + m[n / 2 + 1]) / 2
      printf "%d %.2f %.2f %d %d\n", n, med / 1e6, p90 / 1e6, rmed, m[n]
    }'
}

declare -A n median p90 rss_med rss_max
for rt in "${active[@]}"; do
  read -r n[$rt] median[$rt] p90[$rt] rss_med[$rt] rss_max[$rt] < <(stats "$rt")
done
crun_median=${median[crun]:-}
ratio() { # runtime
  if [ -n "$crun_median" ]; then awk -v a="${median[$1]}" -v b="$crun_median" 'BEGIN {printf "%.2f", a / b}'; else echo "-"; fi
}

echo "runtime,runs,median_ms,p90_ms,ratio_to_crun,peak_rss_median_kib,peak_rss_max_kib,status" \
  >"$results/summary.csv"
json_rows=()
printf '%-8s %5s %10s %8s %7s %16s\n' runtime runs "median ms" "p90 ms" "x crun" "peak RSS KiB"
for rt in $runtimes; do
  if [ -n "${problem[$rt]}" ]; then
    printf '%-8s %s\n' "$rt" "${problem[$rt]}"
    echo "$rt,,,,,,,\"${problem[$rt]//\"/\'}\"" >>"$results/summary.csv"
    json_rows+=("$(jq -n --arg r "$rt" --arg s "${problem[$rt]}" '{runtime: $r, status: $s}')")
    continue
  fi
  printf '%-8s %5d %10s %8s %7s %7d (max %d)\n' "$rt" "${n[$rt]}" "${median[$rt]}" "${p90[$rt]}" \
    "$(ratio "$rt")" "${rss_med[$rt]}" "${rss_max[$rt]}"
  echo "$rt,${n[$rt]},${median[$rt]},${p90[$rt]},$(ratio "$rt"),${rss_med[$rt]},${rss_max[$rt]},ok" \
    >>"$results/summary.csv"
  json_rows+=("$(jq -n --arg r "$rt" --argjson n "${n[$rt]}" --argjson med "${median[$rt]}" \
    --argjson p90 "${p90[$rt]}" --arg ratio "$(ratio "$rt")" --argjson rm "${rss_med[$rt]}" \
    --argjson rx "${rss_max[$rt]}" --arg v "$(version_of "$rt" || true)" \
    '{runtime: $r, version: $v, runs: $n, median_ms: $med, p90_ms: $p90,
      ratio_to_crun: ($ratio | tonumber? // null), peak_rss_median_kib: $rm,
      peak_rss_max_kib: $rx, status: "ok"}')")
done
printf '%s\n' "${json_rows[@]}" | jq -s --rawfile env "$results/env.txt" --argjson failures "$failures" \
  --argjson runs "$runs" '{benchmark: "runtime-start", runs_per_runtime: $runs,
    failed_runs: $failures, environment: ($env | rtrimstr("\n") | split("\n")), runtimes: .}' \
  >"$results/summary.json"
echo "results: $results"

status=0
if [ "$failures" -gt 0 ]; then
  echo "runtime-start: $failures runs did not exit 0 (see $results/runs.csv and *.stderr.log)" >&2
  status=1
fi
if [ -n "$left" ]; then
  echo "runtime-start: runs left state, cgroups or mounts behind (see $results/leftovers.txt)" >&2
  status=1
fi
exit $status
