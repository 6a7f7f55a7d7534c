#!/usr/bin/env bash
# capsule run --vm busybox true, from start to exit, against a plain
# qemu-system-x86_64 direct-kernel boot of the same kernel, initramfs (the
# one capsule wrote for that command) and root disk doing the same: the
# difference is capsule's own overhead (the container, its disk overlay and
# initramfs, QEMU's cgroup, the relay of the guest's reports). KVM where
# capsule would use it, else TCG (as here). RUNS rounds (default 5), each
# timing both in alternate order; medians and the ratio. One more plain boot
# with the kernel's messages on gives the guest's stages (kernel until
# /init, then the init's work until power-off).
#
# Usage: bench/vm-boot.sh [-n RUNS] [-o RESULTS_DIR]   (as root, after make)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
source "$TOP/tests/lib.sh"
source "$TOP/bench/lib.sh"

runs=5 results=""
while getopts n:o: opt; do
  [ "$opt" = n ] && runs=$OPTARG
  [ "$opt" = o ] && results=$OPTARG
  [ "$opt" != "?" ] || { echo "usage: $0 [-n RUNS] [-o RESULTS_DIR]" >&2; exit 2; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 missing (scripts/deps/vm.txt)" >&2; exit 1; }
results=${results:-$TOP/build/bench-results/vm-boot-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results"
WORK=$(mktemp -d /tmp/capsule-bench-vm.XXXXXX)
cleanup() {
  "$TOP/build/capsule" --root "$WORK/store" --runroot "$WORK/run" rm -f keep >/dev/null 2>&1 || true
  local m
  for m in $(awk -v w="$WORK/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
export CAPSULE_VM_CACHE=$WORK/cache
cap() { "$TOP/build/capsule" --root "$WORK/store" --runroot "$WORK/run" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

tar=$WORK/busybox.tar
"$TOP/scripts/make-busybox-rootfs" "$tar" >/dev/null
cap import "$tar" busybox:latest >/dev/null
# Caches warm (kernel unpacked, initramfs base, the image's disk), and the
# initramfs of `true` kept from a container left in place.
cap run --vm --rm busybox true 2>/dev/null
cap run --vm --name keep busybox true 2>/dev/null
cp "$WORK/store/containers/$(cap ps -a -q --no-trunc --filter name=keep)/initrd.cpio" "$WORK/initrd.cpio"
cap rm keep >/dev/null
vmlinux=$(ls "$WORK"/cache/vmlinux-*)
base=$(ls "$WORK"/cache/disks/*.ext4)

accel=tcg cpu=max append="console=ttyS0 quiet loglevel=3 panic=-1 pci=off tsc_early_khz=2000000"
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ -d /sys/module/kvm_intel -o -d /sys/module/kvm_amd ]; then
  accel=kvm cpu=host append="console=ttyS0 quiet loglevel=3 panic=-1 pci=off"
fi

# The plain boot: capsule's machine (vm/qemu.c) with its ports written to
# /dev/null (a "null" chardev never opens: the guest blocks on its first write).
plain() { # disk console [append]
  timeout 300 qemu-system-x86_64 -M microvm -accel $accel -cpu $cpu -m 512M -smp 1 -nodefaults \
    -no-user-config -no-reboot -display none -kernel "$vmlinux" -initrd "$WORK/initrd.cpio" \
    -append "${3:-$append}" -serial "file:$2" \
    -drive "id=root,file=$1,format=qcow2,if=none" -device virtio-blk-device,drive=root \
    -device virtio-serial-device,max_ports=4 \
    -chardev file,id=p1,path=/dev/null -device virtserialport,chardev=p1,name=capsule.stdout,nr=1 \
    -chardev file,id=p2,path=/dev/null -device virtserialport,chardev=p2,name=capsule.stderr,nr=2 \
    -chardev file,id=p3,path=/dev/null -device virtserialport,chardev=p3,name=capsule.status,nr=3 </dev/null
}
overlay() { qemu-img create -q -f qcow2 -F raw -b "$base" "$1"; }

: >"$results/capsule.ms"
: >"$results/qemu.ms"
for ((i = 0; i < runs; i++)); do
  overlay "$WORK/d$i.qcow2"
  for which in capsule qemu; do
    [ $((i % 2)) = 1 ] && which=$([ $which = capsule ] && echo qemu || echo capsule)
    t0=$(now_ms)
    if [ $which = capsule ]; then cap run --vm --rm busybox true 2>/dev/null; else plain "$WORK/d$i.qcow2" "$WORK/console"; fi
    echo $(($(now_ms) - t0)) >>"$results/$which.ms"
  done
done

# The guest's stages, from the kernel's own timestamps.
overlay "$WORK/verbose.qcow2"
t0=$(now_ms)
plain "$WORK/verbose.qcow2" "$WORK/verbose.console" "${append/ quiet loglevel=3/ loglevel=7}"
wall=$(($(now_ms) - t0))
init_s=$(tr -d '\r' <"$WORK/verbose.console" | sed -n 's/^\[ *\([0-9.]*\)\] Run \/init as init process.*/\1/p' | head -n 1)
off_s=$(tr -d '\r' <"$WORK/verbose.console" | sed -n 's/^\[ *\([0-9.]*\)\] reboot: Power down.*/\1/p' | tail -n 1)

read -r n cm cp90 < <(bench_stats <"$results/capsule.ms")
read -r _ qm qp90 < <(bench_stats <"$results/qemu.ms")
{
  bench_env
  echo "accel: $accel"
  echo "runs: $n"
  echo "capsule run --vm --rm busybox true: median ${cm} ms (p90 ${cp90})"
  echo "plain qemu, same kernel/initramfs/disk: median ${qm} ms (p90 ${qp90})"
  echo "ratio capsule/qemu: $(bench_ratio "$cm" "$qm")"
  echo "overhead capsule - qemu: $(awk -v a="$cm" -v b="$qm" 'BEGIN {printf "%.0f", a - b}') ms"
  echo "guest stages (one verbose plain boot, wall ${wall} ms): kernel until /init ${init_s:-?} s, power-off at ${off_s:-?} s (guest clock)"
} | tee "$results/summary.txt"
