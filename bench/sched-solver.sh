#!/usr/bin/env bash
# The solver benchmark (figures in docs/SCHEDULER-SOLVER.md): solve time
# against partition size, and BtrPlace's standard instances, every plan
# checked. Arguments go to build/bench/sched_solver (--runs N, --seed S,
# --sizes 4,16,64,256, --btrplace DIR | --no-btrplace).
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/bench/sched_solver >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg), $(git rev-parse --short HEAD)"
exec nice -n 10 build/bench/sched_solver "$@"
