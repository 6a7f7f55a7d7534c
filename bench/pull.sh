#!/usr/bin/env bash
# Pull + unpack of a multi-layer Debian image from a local docker-registry:
# `capsule pull` against `podman pull` and `skopeo copy` + `umoci unpack`,
# side by side in one run, each from a fresh store every time, interleaved.
# Prints every timing, then medians and ratios.
#
#   bench/pull.sh [RUNS]          (default 5; as root)
#
# The image: a debootstrap'd bookworm rootfs (minbase + perl + python3),
# split into 5 layers. The rootfs and the OCI layout are cached in $CACHE
# (/var/tmp/capsule-bench), so reruns skip debootstrap and compression.
# debootstrap uses the Debian mirror of the machine's apt sources (MIRROR=URL
# overrides): no host name is written here.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-5}
CACHE=${CACHE:-/var/tmp/capsule-bench}
BIN=$TOP/${BUILD:-build}
SUITE=bookworm
LAYOUT=$CACHE/debian-layout

# The Debian mirror this machine's apt uses for $SUITE (MIRROR overrides):
# the first "deb" source of the suite in /etc/apt/sources.list,
# sources.list.d/*.list (one-line form) or sources.list.d/*.sources (deb822).
apt_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    # deb [options] URI SUITE COMPONENTS...
    awk -v suite="$SUITE" '$1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    # Stanzas separated by blank lines; Types, URIs, Suites, Enabled fields.
    awk -v suite="$SUITE" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " suite " "))
          { split(uris, u, " "); print u[1]; found = 1 }
        types = uris = suites = enabled = ""
      }
      /^[ \t]*$/ { flush(); if (found) exit; next }
      /^#/ { next }
      /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
      /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      /^Enabled:/ { sub(/^Enabled:[ \t]*/, ""); enabled = tolower($0) }
      END { if (!found) flush() }' "$f"
  done
}

[ "$(id -u)" = 0 ] || { echo "bench/pull.sh: run as root" >&2; exit 1; }
[ -x "$BIN/capsule" ] || { echo "bench/pull.sh: build capsule first (make)" >&2; exit 1; }

# Move parts of the rootfs into per-layer trees: each later layer takes what
# the earlier ones left, so the layers partition the rootfs.
split_rootfs() { # rootfs parts
  local r=$1 p=$2
  mkdir -p "$p/1/usr/lib" "$p/2/usr" "$p/3/usr" "$p/4" "$p/5"
  mv "$r/usr/lib/x86_64-linux-gnu" "$p/1/usr/lib/"
  mv "$r/usr/lib" "$p/2/usr/"
  mv "$r/usr/share" "$p/3/usr/"
  mv "$r/usr" "$p/4/"
  mv "$r"/* "$p/5/"
}

# The debootstrap'd rootfs, cached in $CACHE/rootfs (complete once
# $CACHE/rootfs.done exists).
build_rootfs() {
  [ -f "$CACHE/rootfs.done" ] && return 0
  mkdir -p "$CACHE"
  rm -rf "$CACHE/rootfs"
  local mirror=${MIRROR:-$(apt_mirror | head -1)}
  [ -n "$mirror" ] || { echo "bench/pull.sh: no $SUITE source in /etc/apt; set MIRROR" >&2; exit 1; }
  echo "debootstrap into $CACHE/rootfs (once, from $mirror)" >&2
  nice -n 10 debootstrap --variant=minbase --include=perl,python3-minimal "$SUITE" \
    "$CACHE/rootfs" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -5 "$CACHE/debootstrap.log" >&2; exit 1; }
  # Trimmed as slim images are: no package caches, lists, docs or locales.
  rm -rf "$CACHE/rootfs/var/cache/apt"/*.bin "$CACHE/rootfs/var/cache/apt/archives"/*.deb \
    "$CACHE/rootfs/var/lib/apt/lists"/* "$CACHE/rootfs/usr/share"/{doc,man,locale}
  touch "$CACHE/rootfs.done"
}

build_layout() {
  [ -f "$LAYOUT/index.json" ] && return 0
  build_rootfs
  local tmp=$CACHE/build.$$
  rm -rf "$tmp"
  mkdir -p "$tmp"
  echo "building the benchmark image in $LAYOUT (once)" >&2
  cp -a "$CACHE/rootfs" "$tmp/rootfs"
  split_rootfs "$tmp/rootfs" "$tmp/parts"
  nice -n 10 python3 "$TOP/tests/registry/mkimage.py" "$tmp/layout" v1 --platform linux/amd64 \
    "$tmp/parts/1" "$tmp/parts/2" "$tmp/parts/3" "$tmp/parts/4" "$tmp/parts/5" >/dev/null
  mv "$tmp/layout" "$LAYOUT"
  rm -rf "$tmp"
}

WORK=$(mktemp -d /tmp/capsule-bench-pull.XXXXXX)
REG_PID=
cleanup() {
  [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

start_registry() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  REG=127.0.0.1:$port
  cat >"$WORK/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: $REG
EOF
  docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
  REG_PID=$!
  for _ in $(seq 100); do curl -sf "http://$REG/v2/" >/dev/null && return 0; sleep 0.1; done
  echo "registry did not start" >&2
  exit 1
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }

run_capsule() {
  rm -rf "$WORK/capsule"
  local t0 t1
  t0=$(now)
  "$BIN/capsule" --root "$WORK/capsule" pull -q --tls-verify=false "$IMAGE" >/dev/null
  t1=$(now)
  elapsed "$t0" "$t1"
}

# podman in a private mount namespace with its own /run and storage (see
# shared/notes/real-peers.md): nothing it mounts outlives the run.
run_podman() {
  rm -rf "$WORK/podman"
  mkdir -p "$WORK/podman"
  cat >"$WORK/podman/containers.conf" <<EOF
[containers]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  : >"$WORK/podman/registries.conf"
  CONTAINERS_CONF=$WORK/podman/containers.conf CONTAINERS_REGISTRIES_CONF=$WORK/podman/registries.conf \
    unshare -m --propagation private sh -c '
      mount -t tmpfs tmpfs /run
      t0=$(date +%s.%N)
      podman --root "$1/graph" --runroot "$1/run" --storage-driver overlay \
        pull -q --tls-verify=false "$2" >/dev/null
      t1=$(date +%s.%N)
      awk -v a="$t0" -v b="$t1" "BEGIN{printf \"%.3f\", b-a}"' sh "$WORK/podman" "$IMAGE"
}

run_skopeo_umoci() {
  rm -rf "$WORK/oci" "$WORK/bundle"
  local t0 t1
  t0=$(now)
  skopeo copy -q --src-tls-verify=false "docker://$IMAGE" "oci:$WORK/oci:v1" >/dev/null
  umoci unpack --image "$WORK/oci:v1" "$WORK/bundle" >/dev/null 2>&1
  t1=$(now)
  elapsed "$t0" "$t1"
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

build_layout
start_registry
IMAGE=$REG/bench/debian:v1
skopeo copy -q --dest-tls-verify=false "oci:$LAYOUT:v1" "docker://$IMAGE" >/dev/null

layers=$(jq '.layers | length' "$LAYOUT/blobs/sha256/$(jq -r '.manifests[0].digest' "$LAYOUT/index.json" | cut -d: -f2)")
compressed=$(du -sb "$LAYOUT/blobs" | cut -f1)
echo "image: $layers layers, $((compressed / 1000000)) MB compressed; $RUNS runs each, interleaved"

declare -A times=([capsule]="" [podman]="" [skopeo+umoci]="")
for i in $(seq "$RUNS"); do
  c=$(run_capsule)
  p=$(run_podman)
  s=$(run_skopeo_umoci)
  unpacked=$(du -sb "$WORK/capsule/layers" | cut -f1)
  echo "run $i: capsule ${c}s  podman ${p}s  skopeo+umoci ${s}s  (capsule unpacked $((unpacked / 1000000)) MB)"
  times[capsule]+=" $c"
  times[podman]+=" $p"
  times[skopeo+umoci]+=" $s"
done

mc=$(echo "${times[capsule]}" | median)
echo
printf "%-14s %10s %16s\n" tool "median (s)" "time / capsule"
for tool in capsule podman skopeo+umoci; do
  m=$(echo "${times[$tool]}" | median)
  printf "%-14s %10.3f %16s\n" "$tool" "$m" "$(awk -v m="$m" -v c="$mc" 'BEGIN{printf "%.2fx", m/c}')"
done
