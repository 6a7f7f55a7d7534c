#!/usr/bin/env bash
# The ablation of capsule's DVMS (docs/SIMULATION.md, "Ablation"): for each
# load and host count, DVMS from no idea at all, then the plain baseline
# (reactive events only), each line adding one idea (ring growth,
# shortcuts, merge, prevention, headroom, admission, yield, bounded); the
# VMPlaceS-style DVMS, Entropy and Snooze plain, then adding prevention,
# headroom, admission and yield one at a time; and no scheduler. Writes runs.tsv (one line per run) and table.md (medians
# over the seeds, and their range) into the results directory.
#
#   bench/sim-ablation.sh [--hosts "1024"] [--loads "60/20 70/30"] [--seeds "1 2 3 4 5"]
#                         [--duration S] [--timeout S] [--lines "dvms entropy ..."]
#                         [--out DIR] [-- SIM-FLAGS...]
#
# One simulation at a time, niced to 19. A run still going after --timeout
# seconds of wall is stopped and reported up to its last sample (series.csv
# is flushed at each one): its line then gives each seed's violation and
# where it got, marked "(cut)".
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sim=${SIM:-$top/build/capsule-sim}
hosts_list=1024 loads="60/20 70/30" seeds="1 2 3 4 5" duration=3600 timeout=600
lines="none dvms dvms-vmplaces entropy snooze"
out=$top/build/sim-ablation
extra=()
while [ $# -gt 0 ]; do
  case $1 in
  --hosts) hosts_list=$2; shift 2 ;;
  --loads) loads=$2; shift 2 ;;
  --seeds) seeds=$2; shift 2 ;;
  --duration) duration=$2; shift 2 ;;
  --timeout) timeout=$2; shift 2 ;;
  --lines) lines=$2; shift 2 ;;
  --out) out=$2; shift 2 ;;
  --) shift; extra=("$@"); break ;;
  *) echo "sim-ablation: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$sim" ] || { echo "sim-ablation: $sim not built" >&2; exit 1; }
mkdir -p "$out"

# The table's lines: "scheduler ideas" (ideas as --ideas takes them).
variants() {
  local s
  for s in $lines; do
    case $s in
    none) echo "none none" ;;
    dvms)
      echo "dvms none"
      echo "dvms events"
      echo "dvms events,ring"
      echo "dvms events,ring,shortcuts"
      echo "dvms events,ring,shortcuts,merge"
      echo "dvms events,ring,shortcuts,merge,prevention"
      echo "dvms events,ring,shortcuts,merge,prevention,headroom"
      echo "dvms events,ring,shortcuts,merge,prevention,headroom,admission"
      echo "dvms events,ring,shortcuts,merge,prevention,headroom,admission,yield"
      echo "dvms all"
      ;;
    dvms-vmplaces | entropy | snooze)
      echo "$s none"
      echo "$s prevention"
      echo "$s prevention,headroom"
      echo "$s prevention,headroom,admission"
      echo "$s prevention,headroom,admission,yield"
      ;;
    *) echo "sim-ablation: unknown line '$s'" >&2; exit 2 ;;
    esac
  done
}

# One run; its line of runs.tsv on stdout.
run() { # hosts mean std seed scheduler ideas
  local dir=$out/h$1-mu$2-sd$3/$5-$6/seed$4 rc=0
  if [ ! -s "$dir/row.tsv" ] || [ "$sim" -nt "$dir/row.tsv" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    timeout "$timeout" nice -n 19 "$sim" --hosts "$1" --load-mean "$2" --load-std "$3" \
      --seed "$4" --scheduler "$5" --ideas "$6" --duration "$duration" --check --out "$dir" \
      "${extra[@]}" >"$dir/log" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
      jq -r --arg h "$1" --arg l "$2/$3" --arg i "$6" '[$h, $l, .scheduler, $i, .seed,
        .violation.host_time_pct, .migrations.started, .cpu_s, .wall_s, .duration_s] | @tsv' \
        "$dir/summary.json" >"$dir/row.tsv"
    elif [ "$rc" -eq 124 ]; then
      # cut short: the last sample, violation % of the host-time so far
      tail -1 "$dir/series.csv" | awk -F, -v h="$1" -v l="$2/$3" -v s="$5" -v i="$6" \
        -v seed="$4" -v w="$timeout" \
        '{ printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\t%s\t%s\n", h, l, s, i, seed, $4, $6 + $7, w, $1 }' \
        >"$dir/row.tsv"
    else
      cat "$dir/log" >&2
      exit 1
    fi
  fi
  cat "$dir/row.tsv"
}

runs=$out/runs.tsv
echo -e "hosts\tload\tscheduler\tideas\tseed\tviolation_pct\tmigrations\tcpu_s\twall_s\tsimulated_s" >"$runs"
for hosts in $hosts_list; do
  for load in $loads; do
    variants | while read -r s ideas; do
      for seed in $seeds; do
        run "$hosts" "${load%/*}" "${load#*/}" "$seed" "$s" "$ideas" | tee -a "$runs" >&2
      done
    done
  done
done

# Medians over the seeds of column c for one line; "-" when none is known.
median() { # hosts load scheduler ideas column format
  awk -F'\t' -v h="$1" -v l="$2" -v s="$3" -v i="$4" -v c="$5" \
    'NR > 1 && $1 == h && $2 == l && $3 == s && $4 == i && $c != "-" { print $c }' "$runs" |
    sort -g | awk -v f="$6" '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
      printf f "\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
range() {
  awk -F'\t' -v h="$1" -v l="$2" -v s="$3" -v i="$4" -v c="$5" \
    'NR > 1 && $1 == h && $2 == l && $3 == s && $4 == i { print $c }' "$runs" | sort -g |
    awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }'
}
# The violation cell: the median and range over the seeds; when a run was
# cut short, each seed's value up to where it got instead (a median of
# percentages over different durations means nothing).
violation() { # hosts load scheduler ideas
  awk -F'\t' -v h="$1" -v l="$2" -v s="$3" -v i="$4" -v d="$duration" \
    'NR > 1 && $1 == h && $2 == l && $3 == s && $4 == i {
       cut += $10 + 0 < d + 0
       cell = cell sep sprintf("seed %s: %.2f at %d s", $5, $6, $10); sep = "; " }
     END { if (cut) print cell " (cut)" }' "$runs"
}
{
  echo "$duration s simulated, seeds: $seeds; medians over the seeds (range of the violation)."
  echo "Each DVMS line adds one idea to the line above it; \`ideas\` is capsule-sim's --ideas."
  for hosts in $hosts_list; do
    for load in $loads; do
      echo
      echo "**$hosts hosts, μ${load%/*}/σ${load#*/}**"
      echo
      echo "| scheduler | ideas | violation, % of host-time | migrations | CPU (s) | wall (s) |"
      echo "|---|---|---|---|---|---|"
      variants | while read -r s ideas; do
        cell=$(violation "$hosts" "$load" "$s" "$ideas")
        [ -n "$cell" ] || cell="$(median "$hosts" "$load" "$s" "$ideas" 6 %.2f) ($(range "$hosts" \
          "$load" "$s" "$ideas" 6))"
        printf "| %s | %s | %s | %s | %s | %s |\n" "$s" "$ideas" "$cell" \
          "$(median "$hosts" "$load" "$s" "$ideas" 7 %.0f)" \
          "$(median "$hosts" "$load" "$s" "$ideas" 8 %.1f)" \
          "$(median "$hosts" "$load" "$s" "$ideas" 9 %.1f)"
      done
    done
  done
} >"$out/table.md"
cat "$out/table.md"
echo "sim-ablation: results in $out" >&2
