#!/usr/bin/env bash
# The engine's container lifecycle, capsule against podman (Debian's 4.3,
# with runc, private: tests/podman/podman-env.sh), on the same busybox
# tarball imported into both. Every container runs with --network none on
# both sides (podman's private configuration has no network), so networking
# is not part of any figure.
#
#   a  cycle: `run -d` + `exec true` + `stop` + `rm` of one container, RUNS
#      times per engine, interleaved (each iteration runs both, in alternate
#      order): median and p90 per command and per cycle, ratio podman/capsule
#      (goal >= 5).
#   c  N idle containers (default 100) per engine, one engine at a time,
#      twice each (podman, capsule, capsule, podman): the total RSS and PSS
#      of their monitors (capsule's monitor, podman's conmon: the parent of
#      each container's pid 1), ratio capsule/podman (goal <= 0.2), and the
#      host memory they use in all (MemAvailable before the first start and
#      2 s after the last).
#   d  M containers at once with capsule (default 1000): time to start them
#      all (one `run -d` after the other), then `ps -a` at M (median of 20;
#      goal < 50 ms) and `rm -f` of them all.
#
# Usage: bench/engine-lifecycle.sh [-n RUNS] [-c N] [-m M] [-p "a c d"] [-o RESULTS_DIR]
# As root, after `make`. Results: RESULTS_DIR (default
# build/bench-results/engine-lifecycle-DATE/) gets env.txt, one CSV per
# part (every command timed) and summary.txt (what is printed). Every
# container started is removed at the end, also after a failure.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
source "$TOP/tests/lib.sh"
source "$TOP/bench/lib.sh"

runs=20 idle=100 many=1000 parts="a c d" results=""
while [ $# -gt 0 ]; do
  case $1 in
  -n) runs=$2; shift 2 ;;
  -c) idle=$2; shift 2 ;;
  -m) many=$2; shift 2 ;;
  -p) parts=$2; shift 2 ;;
  -o) results=$2; shift 2 ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "engine-lifecycle: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in "$runs" "$idle" "$many"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "engine-lifecycle: expected a positive number, got '$v'" >&2; exit 2; }
done
for p in $parts; do
  case $p in a | c | d) ;; *) echo "engine-lifecycle: unknown part '$p' (a, c, d)" >&2; exit 2 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "engine-lifecycle: run as root" >&2; exit 1; }
peak_rss=$BIN/bench/peak_rss
[ -x "$BIN/capsule" ] && [ -x "$peak_rss" ] || { echo "engine-lifecycle: build first (make)" >&2; exit 1; }

RUNTIME=$(command -v runc)
source "$TOP/tests/podman/podman-env.sh"
trap run_deferred EXIT

work=$(mktemp -d /tmp/capsule-bench-engine.XXXXXX)
cap=("$BIN/capsule" --root "$work/store" --runroot "$work/run")
# Last registered, first run: capsule's containers go before its mounts.
defer "umount -R '$work' 2>/dev/null; rm -rf --one-file-system '$work'"
defer 'for c in $("${cap[@]}" ps -a -q --no-trunc 2>/dev/null); do "${cap[@]}" rm -f "$c" >/dev/null 2>&1; done'

results=${results:-$BIN/bench-results/engine-lifecycle-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$results"
summary=$results/summary.txt
say() { echo "$*" | tee -a "$summary"; }

image=localhost/busybox:bench
changes=(--change 'CMD ["/bin/sh"]')
"$TOP/scripts/make-busybox-rootfs" "$work/busybox.tar" >/dev/null
"${cap[@]}" import "${changes[@]}" "$work/busybox.tar" "$image" >/dev/null
need_podman=0
[[ " $parts " == *" a "* || " $parts " == *" c "* ]] && need_podman=1
if [ "$need_podman" = 1 ]; then
  podman_env_start
  pm import "${changes[@]}" "$work/busybox.tar" "$image" >/dev/null 2>&1
  bench_podman_argv
fi
{
  bench_env
  echo "capsule: $("${cap[@]}" --version | head -n 1)"
  [ "$need_podman" = 0 ] || echo "podman: $(podman_ns podman --version), $("$RUNTIME" --version | head -n 1), conmon $(conmon --version | head -n 1)"
  echo "runs (a): $runs, idle containers (c): $idle, containers at once (d): $many"
} >"$results/env.txt"
cat "$results/env.txt" >>"$summary"

# One engine command, timed (fork to reaped, bench/peak_rss): prints
# "wall_ns exit"; the command's output goes to LOG.
timed() { # engine log args...
  local e=$1 log=$2 wall rss code
  shift 2
  case $e in
  capsule) read -r wall rss code < <("$peak_rss" "${cap[@]}" "$@" 2>>"$log") ;;
  podman) read -r wall rss code < <("$peak_rss" --mntns "$PODMAN_MNTNS" "${PODMAN_ARGV[@]}" "$@" 2>>"$log") ;;
  esac
  echo "$wall $code"
}

# run -d's options: podman's containers go under the environment's cgroup
# parent, where podman_env_stop finds whatever is left.
run_opts() { # engine
  [ "$1" = capsule ] || echo "--cgroup-parent $PODMAN_CGROUP_PARENT"
  echo "--network none"
}

# Removes an engine's container whatever its state (podman's rm -f would
# first wait for SIGTERM's grace time).
remove_now() { # engine name
  case $1 in
  capsule) "${cap[@]}" rm -f "$2" >/dev/null 2>&1 || true ;;
  podman) pm rm -f -t 0 "$2" >/dev/null 2>&1 || true ;;
  esac
}

# --- a: the lifecycle cycle -------------------------------------------------
# pid 1 exits at once on SIGTERM (`wait` returns for a trapped signal), so
# that stop measures the engines, not a grace time.
idle_cmd=(sh -c 'trap "exit 0" TERM; sleep 100000 & wait')

cycle() { # engine iteration
  local e=$1 i=$2 name=bench-a-$$-$2 phase out failed=0
  local -a args
  for phase in run exec stop rm; do
    case $phase in
    run) args=(run -d $(run_opts "$e") --name "$name" "$image" "${idle_cmd[@]}") ;;
    exec) args=(exec "$name" true) ;;
    stop) args=(stop "$name") ;;
    rm) args=(rm "$name") ;;
    esac
    out=$(timed "$e" "$results/a-$e.log" "${args[@]}")
    echo "$e,$i,$phase,${out% *},${out#* }" >>"$results/a.csv"
    [ "${out#* }" = 0 ] || { failed=1; break; }
  done
  [ "$failed" = 0 ] || remove_now "$e" "$name"
  return "$failed"
}

part_a() {
  local e i k order failures=0 n med p90 cap_med pod_med phase
  echo "engine,iteration,phase,wall_ns,exit" >"$results/a.csv"
  for e in capsule podman; do cycle "$e" 0 || { echo "engine-lifecycle: a: $e's warm-up cycle failed (see $results/a-$e.log)" >&2; return 1; }; done
  for ((i = 1; i <= runs; i++)); do
    order="capsule podman"
    ((i % 2)) || order="podman capsule"
    for e in $order; do cycle "$e" "$i" || failures=$((failures + 1)); done
  done
  say ""
  say "(a) run -d + exec true + stop + rm, $runs cycles per engine, interleaved ($failures failed)"
  say "$(printf '%-8s %-7s %5s %10s %8s' engine command runs "median ms" "p90 ms")"
  for phase in run exec stop rm cycle; do
    for e in capsule podman; do
      read -r n med p90 < <(a_values "$e" "$phase" | bench_stats 1e6)
      say "$(printf '%-8s %-7s %5d %10s %8s' "$e" "$phase" "$n" "$med" "$p90")"
      [ "$e" = capsule ] && cap_med=$med || pod_med=$med
    done
    say "$(printf '%-16s podman / capsule: %sx' "$phase" "$(bench_ratio "$pod_med" "$cap_med")")"
  done
}

# The wall times of one command (or of whole cycles, the iterations whose
# four commands all succeeded), warm-up excluded.
a_values() { # engine phase
  awk -F, -v e="$1" -v p="$2" '
    $1 == e && $2 > 0 && $5 == 0 { sum[$2] += $4; cnt[$2]++; if ($3 == p) print $4 }
    END { if (p == "cycle") for (i in sum) if (cnt[i] == 4) print sum[i] }' "$results/a.csv"
}

# --- c: idle containers and their monitors ----------------------------------

# "rss_kib pss_kib" of processes, summed.
sum_memory() { # pid...
  local p rss pss total_rss=0 total_pss=0
  for p in "$@"; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    pss=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    total_rss=$((total_rss + ${rss:-0}))
    total_pss=$((total_pss + ${pss:-0}))
  done
  echo "$total_rss $total_pss"
}

# The pid 1 of each container, one a line.
inits_of() { # engine names...
  local e=$1
  shift
  engine "$e" inspect --format '{{.State.Pid}}' "$@" | awk '$1 > 0'
}

# The monitor of each container: the parent of its pid 1. Prints pids.
monitors_of() { # pid...
  local pid
  for pid in "$@"; do awk '/^PPid:/ {print $2}' "/proc/$pid/status"; done | sort -u
}

engine() { # engine args...
  local e=$1
  shift
  case $e in capsule) "${cap[@]}" "$@" ;; podman) pm "$@" ;; esac
}

# One round of part c for one engine: start the idle containers, measure,
# remove them. Appends "engine,round,monitors,comm,rss_kib,pss_kib,
# all_pss_kib (monitors and containers' pid 1),host_used_mib,start_s" to c.csv.
idle_round() { # engine round
  local e=$1 r=$2 i before after start_ns start_s names=() inits mons comm rss pss all out name
  before=$(bench_mem_available)
  start_ns=$(date +%s%N)
  for ((i = 1; i <= idle; i++)); do
    name=bench-c-$$-$r-$i
    names+=("$name")
    out=$(timed "$e" "$results/c-$e.log" run -d $(run_opts "$e") --name "$name" "$image" sleep 100000)
    [ "${out#* }" = 0 ] || { echo "engine-lifecycle: c: $e run -d failed (see $results/c-$e.log)" >&2; break; }
  done
  start_s=$(awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
  sleep 2
  after=$(bench_mem_available)
  inits=($(inits_of "$e" "${names[@]}"))
  mons=($(monitors_of "${inits[@]}"))
  comm=$(cat "/proc/${mons[0]:-0}/comm" 2>/dev/null || echo '?')
  read -r rss pss < <(sum_memory "${mons[@]}")
  read -r _ all < <(sum_memory "${mons[@]}" "${inits[@]}")
  echo "$e,$r,${#mons[@]},$comm,$rss,$pss,$all,$(((before - after) / 1024)),$start_s" >>"$results/c.csv"
  for name in "${names[@]}"; do remove_now "$e" "$name"; done
  [ "${#mons[@]}" = "$idle" ] || { echo "engine-lifecycle: c: $e: ${#mons[@]} monitors for $idle containers" >&2; return 1; }
}

# Two rounds per engine, in the order podman, capsule, capsule, podman, so
# that a drift of the host's memory hits both alike.
part_c() {
  local e r=0 failed=0 rss pss all used
  echo "engine,round,monitors,comm,rss_kib,pss_kib,all_pss_kib,host_used_mib,start_s" >"$results/c.csv"
  for e in podman capsule capsule podman; do
    r=$((r + 1))
    idle_round "$e" "$r" || failed=1
  done
  say ""
  say "(c) $idle idle containers (sleep), 2 rounds per engine (podman, capsule, capsule, podman)"
  say "monitors' RSS and PSS; PSS of monitors + containers; MemAvailable before - 2 s after (noisy on a shared host)"
  say "$(printf '%-8s %5s %-16s %9s %9s %9s %9s %8s' engine round monitor "RSS MiB" "PSS MiB" "all PSS" "host MiB" "start s")"
  while IFS=, read -r e r _ comm rss pss all used start; do
    say "$(printf '%-8s %5s %-16s %9s %9s %9s %9s %8s' "$e" "$r" "$comm" "$(bench_ratio "$rss" 1024)" \
      "$(bench_ratio "$pss" 1024)" "$(bench_ratio "$all" 1024)" "$used" "$start")"
  done < <(tail -n +2 "$results/c.csv")
  for e in capsule podman; do
    read -r rss pss all used < <(awk -F, -v e="$e" '$1 == e {r += $5; p += $6; a += $7; u += $8; n++}
      END {printf "%.0f %.0f %.0f %.0f\n", r / n, p / n, a / n, u / n}' "$results/c.csv")
    declare "rss_$e=$rss" "pss_$e=$pss" "all_$e=$all" "used_$e=$used"
  done
  say "means, capsule / podman: monitors' RSS $(bench_ratio "$rss_capsule" "$rss_podman")x, PSS $(bench_ratio "$pss_capsule" "$pss_podman")x; monitors + containers PSS $(bench_ratio "$all_capsule" "$all_podman")x; MemAvailable $(bench_ratio "$used_capsule" "$used_podman")x"
  return "$failed"
}

# --- d: many containers at once ----------------------------------------------

part_d() {
  local i out before after start_ns total n med p90 first last
  echo "step,container,wall_ns,exit" >"$results/d.csv"
  before=$(bench_mem_available)
  start_ns=$(date +%s%N)
  for ((i = 1; i <= many; i++)); do
    out=$(timed capsule "$results/d.log" run -d --network none --name "bench-d-$$-$i" "$image" sleep 100000)
    echo "run,$i,${out% *},${out#* }" >>"$results/d.csv"
    [ "${out#* }" = 0 ] || { echo "engine-lifecycle: d: run -d number $i failed (see $results/d.log)" >&2; return 1; }
  done
  total=$(awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
  sleep 2
  after=$(bench_mem_available)
  [ "$("${cap[@]}" ps -q | wc -l)" = "$many" ] || echo "engine-lifecycle: d: not all $many containers are running" >&2
  "${cap[@]}" ps -a >/dev/null # warm-up
  for ((i = 1; i <= 20; i++)); do
    out=$(timed capsule /dev/null ps -a)
    echo "ps,$i,${out% *},${out#* }" >>"$results/d.csv"
  done
  start_ns=$(date +%s%N)
  "${cap[@]}" rm -f $("${cap[@]}" ps -a -q --no-trunc) >/dev/null 2>>"$results/d.log" || true
  say ""
  say "(d) $many containers (sleep) with capsule, one run -d after the other"
  read -r n med p90 < <(awk -F, '$1 == "run" && $4 == 0 {print $3}' "$results/d.csv" | bench_stats 1e6)
  first=$(awk -F, '$1 == "run" && $2 <= 100 {print $3}' "$results/d.csv" | bench_stats 1e6 | cut -d' ' -f2)
  last=$(awk -F, -v m="$many" '$1 == "run" && $2 > m - 100 {print $3}' "$results/d.csv" | bench_stats 1e6 | cut -d' ' -f2)
  say "all started in ${total} s; run -d median ${med} ms, p90 ${p90} ms (first 100: ${first} ms, last 100: ${last} ms)"
  say "host memory used by the $many: $(((before - after) / 1024)) MiB"
  read -r n med p90 < <(awk -F, '$1 == "ps" && $4 == 0 {print $3}' "$results/d.csv" | bench_stats 1e6)
  say "ps -a at $many: median ${med} ms, p90 ${p90} ms ($n runs)"
  say "rm -f of all $many: $(awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN {printf "%.1f", (b - a) / 1e9}') s"
}

status=0
for p in $parts; do
  "part_$p" || status=1
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results/env.txt" >>"$summary"
left=$("${cap[@]}" ps -a -q 2>/dev/null | wc -l)
[ "$left" = 0 ] || { echo "engine-lifecycle: $left capsule containers left before cleanup" >&2; status=1; }
echo "results: $results"
exit $status
