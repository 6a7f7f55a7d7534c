#!/usr/bin/env bash
# capsule start-up: N runs of `capsule --version` side by side with
# `capsule-runtime --version` (fully static: the floor of starting a
# process) and, when BASELINE names one, another capsule binary (e.g. one
# built before a change). Iterations are interleaved in a rotating order so
# that drift hits every binary alike. `--version` does nothing but start, so
# the difference is what the dynamic loader and the libraries' initialisers
# cost every command, `capsule run` included.
#
# Reports per binary: shared libraries loaded (ldd), median and p90 wall
# time per run (fork to reaped, bench/peak_rss.c), ratio of the median to
# capsule-runtime's, the dynamic loader's own time (LD_DEBUG=statistics,
# median over 20 runs, in CPU cycles) and peak RSS. Every run must exit 0.
#
# Usage: bench/capsule-start.sh [-n RUNS] [-o RESULTS_DIR]
# Environment: CAPSULE (default build/capsule), CAPSULE_RUNTIME (default
# build/capsule-runtime), BASELINE (optional capsule binary to compare).
# Results: RESULTS_DIR (default build/bench-results/capsule-start-DATE/)
# gets runs.csv (every run), summary.csv and env.txt.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/tests/lib.sh"
CAPSULE=${CAPSULE:-$BIN/capsule}
CAPSULE_RUNTIME=${CAPSULE_RUNTIME:-$BIN/capsule-runtime}
BASELINE=${BASELINE:-}

runs=300
results=""
while [ $# -gt 0 ]; do
  case $1 in
  -n) runs=$2; shift 2 ;;
  -o) results=$2; shift 2 ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "capsule-start: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] ||
  { echo "capsule-start: -n: expected a positive number, got '$runs'" >&2; exit 2; }

declare -A binary=([capsule]=$CAPSULE [runtime]=$CAPSULE_RUNTIME)
names=(capsule runtime)
[ -z "$BASELINE" ] || { binary[baseline]=$BASELINE; names+=(baseline); }
for b in "${names[@]}"; do
  "${binary[$b]}" --version >/dev/null ||
    { echo "capsule-start: $b: '${binary[$b]} --version' fails" >&2; exit 1; }
done

work=$(mktemp -d /tmp/capsule-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$TOP/src" \
  -o "$work/peak_rss" "$TOP/bench/peak_rss.c"

results=${results:-$BIN/bench-results/capsule-start-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$results"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel: $(uname -r)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
  echo "load average before: $(cut -d" " -f1-3 /proc/loadavg)"
  echo "runs per binary: $runs"
  for b in "${names[@]}"; do echo "$b: ${binary[$b]}"; done
} >"$results/env.txt"

echo "binary,iteration,wall_ns,maxrss_kb,exit" >"$results/runs.csv"
failures=0
for ((i = 1; i <= runs; i++)); do
  k=${#names[@]}
  for ((j = 0; j < k; j++)); do
    b=${names[(i + j) % k]}
    read -r wall rss code < <("$work/peak_rss" "${binary[$b]}" --version 2>/dev/null) ||
      code=no-result
    echo "$b,$i,$wall,$rss,$code" >>"$results/runs.csv"
    [ "$code" = 0 ] || failures=$((failures + 1))
  done
done
echo "load average after: $(cut -d" " -f1-3 /proc/loadavg)" >>"$results/env.txt"

# Shared libraries ldd lists (0 for a static binary).
libs_of() {
  ldd "$1" 2>/dev/null | grep -c '=>\|ld-linux' || true
}

# Median over 20 runs of the dynamic loader's own time, in millions of
# cycles; "-" for a static binary.
loader_mcycles() {
  local i
  [ "$(libs_of "$1")" != 0 ] || { echo -; return; }
  for ((i = 0; i < 20; i++)); do
    LD_DEBUG=statistics "$1" --version 2>&1 >/dev/null |
      awk '/total startup time in dynamic loader/ {print $(NF - 1)}'
  done | sort -n | awk '{v[NR] = $1} END {printf "%.2f\n", (v[10] + v[11]) / 2 / 1e6}'
}

# Runs, median and p90 (nearest rank) in ms, peak RSS median in KiB.
stats() { # binary
  local col
  for col in 3 4; do
    awk -F, -v b="$1" -v c=$col '$1 == b && $5 == 0 {print $c}' "$results/runs.csv" | sort -n |
      awk '{ v[NR] = $1 }
        END { n = NR; print n, (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2,
              v[int(n * 0.9 + 0.999999)] }'
  done | awk 'NR == 1 { n = $1; med = $2; p90 = $3 }
              NR == 2 { printf "%d %.2f %.2f %d\n", n, med / 1e6, p90 / 1e6, $2 }'
}

declare -A n median p90 rss
for b in "${names[@]}"; do
  read -r n[$b] median[$b] p90[$b] rss[$b] < <(stats "$b")
done
echo "binary,libraries,runs,median_ms,p90_ms,ratio_to_runtime,loader_mcycles,peak_rss_median_kib" \
  >"$results/summary.csv"
printf '%-9s %9s %5s %10s %8s %9s %15s %13s\n' binary libraries runs "median ms" "p90 ms" \
  "x runtime" "loader Mcycles" "peak RSS KiB"
for b in "${names[@]}"; do
  libs=$(libs_of "${binary[$b]}")
  cycles=$(loader_mcycles "${binary[$b]}")
  ratio=$(awk -v a="${median[$b]}" -v r="${median[runtime]}" 'BEGIN {printf "%.2f", a / r}')
  printf '%-9s %9s %5s %10s %8s %9s %15s %13s\n' "$b" "$libs" "${n[$b]}" "${median[$b]}" \
    "${p90[$b]}" "$ratio" "$cycles" "${rss[$b]}"
  echo "$b,$libs,${n[$b]},${median[$b]},${p90[$b]},$ratio,$cycles,${rss[$b]}" \
    >>"$results/summary.csv"
done
echo "(results in $results)"
[ "$failures" = 0 ] || { echo "capsule-start: $failures runs failed (see runs.csv)" >&2; exit 1; }
