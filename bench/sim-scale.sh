#!/usr/bin/env bash
# DVMS against no scheduler and the VMPlaceS-style DVMS from 128 to 10,000
# hosts (10 VMs per host, 3,600 s), same seeds for all: one sim-compare
# table per size, gathered into scale.md, plus the largest run's wall time
# and peak memory.
#
#   bench/sim-scale.sh [--sizes "128 256 ..."] [--seeds "1 2 3"] [--out DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sizes="128 256 512 1024 2048 4096 10000" seeds="1 2 3"
schedulers="none dvms dvms-vmplaces"
out=$top/build/sim-scale
while [ $# -gt 0 ]; do
  case $1 in
  --sizes) sizes=$2; shift 2 ;;
  --seeds) seeds=$2; shift 2 ;;
  --schedulers) schedulers=$2; shift 2 ;;
  --out) out=$2; shift 2 ;;
  *) echo "sim-scale: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
: >"$out/scale.md"
for n in $sizes; do
  "$top/bench/sim-compare.sh" --hosts "$n" --seeds "$seeds" --schedulers "$schedulers" \
    --out "$out/h$n" >/dev/null
  { echo "### $n hosts"; echo; tail -n +3 "$out/h$n/table.md"; echo; } >>"$out/scale.md"
done
cat "$out/scale.md"
