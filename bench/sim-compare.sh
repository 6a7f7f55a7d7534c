#!/usr/bin/env bash
# Run capsule-sim for several schedulers and seeds side by side, then write
# a table of medians over the seeds (table.md), every run's summary
# (runs.tsv) and plots of violations over time (violation.svg,
# overloaded.svg, from the first seed) into the results directory.
#
#   bench/sim-compare.sh [--hosts N] [--duration S] [--seeds "1 2 3"]
#                        [--schedulers "none dvms ..."] [--out DIR] [-- SIM-FLAGS...]
#
# Runs are niced (they are long); each one's own wall and CPU time are in
# its summary.json.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sim=${SIM:-$top/build/capsule-sim}
hosts=1024 duration=3600 seeds="1 2 3 4 5"
schedulers="none dvms dvms-vmplaces entropy snooze"
out=$top/build/sim-compare
extra=()
while [ $# -gt 0 ]; do
  case $1 in
  --hosts) hosts=$2; shift 2 ;;
  --duration) duration=$2; shift 2 ;;
  --seeds) seeds=$2; shift 2 ;;
  --schedulers) schedulers=$2; shift 2 ;;
  --out) out=$2; shift 2 ;;
  --) shift; extra=("$@"); break ;;
  *) echo "sim-compare: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$sim" ] || { echo "sim-compare: $sim not built" >&2; exit 1; }
mkdir -p "$out"

for s in $schedulers; do
  for seed in $seeds; do
    dir=$out/$s/seed$seed
    mkdir -p "$out/$s"
    # A finished run is reused (an interrupted comparison resumes) unless
    # the simulator was rebuilt since.
    if [ ! -s "$dir/summary.json" ] || [ "$sim" -nt "$dir/summary.json" ]; then
      rm -rf "$dir"
      nice -n 10 "$sim" --hosts "$hosts" --duration "$duration" --seed "$seed" --scheduler "$s" \
        --check --out "$dir" "${extra[@]}" >"$dir.log" 2>&1 || { cat "$dir.log" >&2; exit 1; }
    fi
    tail -1 "$dir.log"
  done
done

# One line per run, then medians per scheduler.
fields='[.scheduler, .seed, .violation.total_s, .violation.host_time_pct, .violation.episodes,
  .violation.episode_median_s, (.scheduler_stats.events // 0),
  (.scheduler_stats.partition_size.mean // 0), (.scheduler_stats.partition_size.max // 0),
  (.scheduler_stats.solve_wall_s.median // 0), (.scheduler_stats.solve_wall_s.p95 // 0),
  (.scheduler_stats.solve_charged_s.mean // 0), (.scheduler_stats.apply_time_s.median // 0),
  .migrations.done, .migrations.mean_s, .messages.count, .wall_s, .cpu_s, .peak_rss_kb,
  .mean_load_pct] | @tsv'
{
  echo -e "scheduler\tseed\tviolation_s\tviolation_pct\tepisodes\tepisode_median_s\tevents\tpartition_mean\tpartition_max\tsolve_median_s\tsolve_p95_s\tcharged_mean_s\tapply_median_s\tmigrations\tmigration_mean_s\tmessages\twall_s\tcpu_s\tpeak_rss_kb\tload_pct"
  for s in $schedulers; do
    for seed in $seeds; do jq -r "$fields" "$out/$s/seed$seed/summary.json"; done
  done
} >"$out/runs.tsv"

median() { # column (1-based) of runs.tsv for scheduler $1
  awk -F'\t' -v s="$1" -v c="$2" 'NR > 1 && $1 == s { print $c }' "$out/runs.tsv" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
range() {
  awk -F'\t' -v s="$1" -v c="$2" 'NR > 1 && $1 == s { print $c }' "$out/runs.tsv" | sort -g |
    awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }'
}
{
  echo "$hosts hosts, $(( hosts * 10 )) VMs, $duration s, seeds: $seeds; medians over the seeds (range)."
  echo
  echo "| scheduler | violation (host-s) | % of host-time | episodes | median episode (s) | events | partition size mean (max) | solve median / p95 (ms) | charged (ms) | plan apply median (s) | migrations | migration mean (s) | messages | wall (s) | CPU (s) | peak RSS (MB) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for s in $schedulers; do
    printf "| %s | %.0f | %.2f (%s) | %.0f | %.1f | %.0f | %.1f (%.0f) | %.3f / %.2f | %.1f | %.1f | %.0f | %.1f | %.0f | %.1f | %.1f | %.0f |\n" \
      "$s" "$(median "$s" 3)" "$(median "$s" 4)" "$(range "$s" 4)" "$(median "$s" 5)" \
      "$(median "$s" 6)" "$(median "$s" 7)" "$(median "$s" 8)" "$(median "$s" 9)" \
      "$(awk -v v="$(median "$s" 10)" 'BEGIN { print v * 1000 }')" \
      "$(awk -v v="$(median "$s" 11)" 'BEGIN { print v * 1000 }')" \
      "$(awk -v v="$(median "$s" 12)" 'BEGIN { print v * 1000 }')" \
      "$(median "$s" 13)" "$(median "$s" 14)" "$(median "$s" 15)" "$(median "$s" 16)" \
      "$(median "$s" 17)" "$(median "$s" 18)" "$(awk -v v="$(median "$s" 19)" 'BEGIN { print v / 1024 }')"
  done
} >"$out/table.md"
cat "$out/table.md"

# Plots from the first seed: cumulated violation and hosts overloaded.
first=${seeds%% *}
plot() { # file ylabel column
  local cmds="" sep=""
  for s in $schedulers; do
    # every third sample (30 s) keeps the SVGs small enough to commit
    cmds+="$sep'$out/$s/seed$first/series.csv' every 3 using 1:$3 with lines lw 1.5 title '$s'"
    sep=", "
  done
  gnuplot <<EOF
set terminal svg size 900,500 dynamic
set output '$1'
set datafile separator ','
set key top left
set xlabel 'simulated time (s)'
set ylabel '$2'
set title '$hosts hosts, $(( hosts * 10 )) VMs, $duration s, seed $first ${extra[*]}'
plot $cmds
EOF
}
plot "$out/violation.svg" 'cumulated violation (host-seconds)' 3
plot "$out/overloaded.svg" 'hosts overloaded' 2
echo "sim-compare: results in $out"
