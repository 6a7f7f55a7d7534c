# Shared by the benchmarks (sourced after tests/lib.sh): the machine's
# description, medians and ratios, and podman's command line as one argv
# for bench/peak_rss (after podman_env_start, tests/podman/podman-env.sh).

# The machine and the moment, one "key: value" a line.
bench_env() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel: $(uname -r)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
  echo "memory: $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Numbers on stdin (one a line) -> "COUNT MEDIAN P90" (p90 by nearest
# rank), each divided by SCALE (default 1) and printed with 2 decimals.
bench_stats() { # [scale]
  sort -g | awk -v s="${1:-1}" '{v[NR] = $1 / s}
    END {
      if (NR == 0) { print "0 - -"; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%d %.2f %.2f\n", NR, m, v[int(NR * 0.9 + 0.999999)]
    }'
}

# A / B with 2 decimals, "-" when either is missing or B is 0.
bench_ratio() { # a b
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "" || a == "-" || b == "" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'
}

# MemAvailable of the host, in KiB.
bench_mem_available() {
  awk '/^MemAvailable:/ {print $2}' /proc/meminfo
}

# podman with RUNTIME inside the private environment, as pm() runs it, but
# as one argv for bench/peak_rss: PODMAN_ARGV (then the podman arguments)
# and PODMAN_MNTNS (peak_rss --mntns, joined outside the timed region).
bench_podman_argv() {
  PODMAN_MNTNS=/proc/$PODMAN_HOLDER/ns/mnt
  PODMAN_ARGV=(env -C "$PODMAN_DIR/work" TMPDIR="$PODMAN_DIR/tmp" podman --runtime "$RUNTIME")
}
