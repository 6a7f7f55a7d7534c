#!/usr/bin/env bash
# N idle containers (`sleep`) under capsule and under podman (runc, its
# storage and config private, tests/podman/podman-env.sh): the resident size
# (VmRSS) of capsule's N monitors against podman's N conmons, their sums and
# the ratio (issue 9's goal: <= 0.2). Each container prints a line first, as
# a service would.
#
#   bench/monitor-rss.sh [-n N]      (default 100)
#
# As root, after `make`.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
n=100
while [ $# -gt 0 ]; do
  case "$1" in
  -n) n=$2; shift 2 ;;
  -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
  *) echo "monitor-rss.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "monitor-rss.sh: run as root" >&2; exit 1; }
BIN=$TOP/build
[ -x "$BIN/capsule-monitor" ] || { echo "monitor-rss.sh: build first (make)" >&2; exit 1; }

source "$TOP/tests/lib.sh"
RUNTIME=$(command -v runc)
source "$TOP/tests/podman/podman-env.sh"
trap run_deferred EXIT

work=$(mktemp -d /tmp/capsule-bench-monitor.XXXXXX)
cap=("$BIN/capsule" --root "$work/store" --runroot "$work/run")
defer "for id in \$(${cap[*]} ps -a -q --no-trunc 2>/dev/null); do ${cap[*]} rm -f \$id >/dev/null; done; umount -R '$work' 2>/dev/null; rm -rf --one-file-system '$work'"
"$TOP/scripts/make-busybox-rootfs" "$work/busybox.tar" >/dev/null
"${cap[@]}" import "$work/busybox.tar" bench/busybox:latest >/dev/null
podman_env_start

rss_sum() { # pids...: total VmRSS in kB
  local p total=0 kb
  for p in "$@"; do
    kb=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status")
    total=$((total + kb))
  done
  echo "$total"
}

for ((i = 0; i < n; i++)); do
  "${cap[@]}" run -d bench/busybox sh -c 'echo ready; exec sleep 3600' >/dev/null
  pm run -d "$PODMAN_IMAGE" sh -c 'echo ready; exec sleep 3600' >/dev/null
done
sleep 1
monitors=$(pgrep -f "^capsule-monitor $work/store ")
# Ours only (other podmans may run on the machine): in our namespace.
ns=$(readlink "/proc/$PODMAN_HOLDER/ns/mnt")
conmons=$(for p in $(pgrep -x conmon); do [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" != "$ns" ] || echo "$p"; done)
[ "$(wc -w <<<"$monitors")" = "$n" ] && [ "$(wc -w <<<"$conmons")" = "$n" ] ||
  { echo "monitor-rss.sh: expected $n monitors and $n conmons, found $(wc -w <<<"$monitors") and $(wc -w <<<"$conmons")" >&2; exit 1; }
cap_kb=$(rss_sum $monitors)
pod_kb=$(rss_sum $conmons)
printf '%d idle containers: capsule monitors %d kB (%d kB each), conmons %d kB (%d kB each), ratio %.3f\n' \
  "$n" "$cap_kb" $((cap_kb / n)) "$pod_kb" $((pod_kb / n)) "$(echo "$cap_kb / $pod_kb" | bc -l)"
pm rm -f -a >/dev/null 2>&1 || true
