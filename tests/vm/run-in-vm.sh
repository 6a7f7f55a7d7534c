#!/usr/bin/env bash
# Run a command in a throw-away KVM guest with a chosen cgroup layout.
#
#   tests/vm/run-in-vm.sh [--cgroup v2|v1|hybrid] [--accel kvm|tcg] [--mem MB]
#                         [--timeout SECS] -- COMMAND...
#
# The guest boots Debian's own kernel (package linux-image-amd64; its vmlinux
# is unpacked once into build/vm/ and booted through its PVH entry, which
# skips firmware and decompression) with a busybox-static initramfs
# generated here, sees the host's root filesystem
# read-only over 9p (so the project tree, its build and every library are at
# the same paths; the project tree is also shared on its own, so it stays
# visible where it lies under a scratch directory), gets scratch tmpfs on
# /tmp, /run, /var/tmp and /root, and
# runs COMMAND with bash in the current directory. Variables named
# CAPSULE_*, ASAN_OPTIONS, UBSAN_OPTIONS and BUILD are passed on.
# --cgroup v2 boots with cgroup_no_v1=all and cgroup2 at /sys/fs/cgroup;
# v1 mounts only v1 hierarchies; hybrid adds cgroup2 at /sys/fs/cgroup/unified.
#
# Acceleration: KVM where /dev/kvm is a hardware KVM (kvm_intel, kvm_amd);
# otherwise (no /dev/kvm, or a paravirtual kvm_pvm that boots only kernels
# built for it, as on capsule's dev machines) qemu's TCG emulator, slower
# (~7 s to boot) but always there.
#
# The command's output appears on stdout (the guest's serial console) and
# the script exits with its status; 77 when no VM can run here (no kernel,
# no qemu), 124 on timeout, 125 if the guest failed.
# Every qemu it starts is stopped by its PID.

# tests/run sources every tests/*/*.sh to list test_* functions: nothing here.
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${CAPSULE_VM_CACHE:-$here/../../build/vm}
mode=v2 mem=1024 timeout=110 accel=
while [ $# -gt 0 ]; do
  case $1 in
  --cgroup) mode=$2; shift 2 ;;
  --accel) accel=$2; shift 2 ;;
  --mem) mem=$2; shift 2 ;;
  --timeout) timeout=$2; shift 2 ;;
  --) shift; break ;;
  *) echo "run-in-vm: unknown option $1 (usage: --cgroup v2|v1|hybrid [--mem MB] [--timeout S] -- CMD...)" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "run-in-vm: no command given" >&2; exit 2; }
case $mode in v1|v2|hybrid) ;; *) echo "run-in-vm: --cgroup must be v1, v2 or hybrid" >&2; exit 2 ;; esac

unavailable() { echo "run-in-vm: cannot run a VM here: $*" >&2; exit 77; }
if [ -z "$accel" ]; then
  accel=tcg
  if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ -d /sys/module/kvm_intel -o -d /sys/module/kvm_amd ]; then
    accel=kvm
  fi
fi
case $accel in
kvm) cpu=host ;;
tcg) cpu=max ;;
*) echo "run-in-vm: --accel must be kvm or tcg" >&2; exit 2 ;;
esac
command -v qemu-system-x86_64 >/dev/null || unavailable "qemu-system-x86_64 missing (scripts/install-deps)"
kernel=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$kernel" ] || unavailable "no Debian kernel in /boot (package linux-image-amd64)"
kver=${kernel#/boot/vmlinuz-}
moddir=/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || unavailable "no modules for $kver in $moddir"
busybox=/bin/busybox
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
  unavailable "$busybox is not busybox-static"

# The kernel's own ELF image (CONFIG_PVH), unpacked from the xz payload of
# the bzImage once per kernel version.
vmlinux=$cache/vmlinux-$kver
if [ ! -s "$vmlinux" ]; then
  mkdir -p "$cache"
  offset=$(perl -0777 -ne 'print index($_, "\xfd7zXZ\x00")' "$kernel")
  [ "$offset" -ge 0 ] 2>/dev/null || unavailable "$kernel has no xz payload to unpack"
  tail -c +$((offset + 1)) "$kernel" | xz -dc >"$vmlinux.tmp.$$" 2>/dev/null || true
  file "$vmlinux.tmp.$$" | grep -q 'ELF 64-bit' || { rm -f "$vmlinux.tmp.$$"; unavailable "could not unpack $kernel"; }
  mv "$vmlinux.tmp.$$" "$vmlinux"
fi

work=$(mktemp -d /tmp/capsule-vm.XXXXXX)
qemu_pid=
cleanup() {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- the initramfs: busybox, the modules 9p needs (in load order), /init ---
modules_for() { # module names -> their .ko paths with dependencies first, once each
  local m dep
  for m in "$@"; do
    dep=$(grep -E "(^|/)$m\.ko:" "$moddir/modules.dep") || unavailable "module $m not in $kver"
    # "path: dep1 dep2" lists dependencies nearest first: load them in reverse
    echo "${dep#*:}" | tr ' ' '\n' | sed '/^$/d' | tac
    echo "${dep%%:*}"
  done | awk '!seen[$0]++'
}
init=$work/initramfs
mkdir -p "$init/bin" "$init/modules"
cp "$busybox" "$init/bin/busybox"
cp "$here/guest-init" "$init/init"
chmod 755 "$init/init"
: >"$init/modules.order"
for ko in $(modules_for virtio_pci 9pnet_virtio 9p); do
  cp "$moddir/$ko" "$init/modules/"
  basename "$ko" >>"$init/modules.order"
done
(cd "$init" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio"

# The project tree is shared on its own too, mounted at the same path: a
# checkout under /tmp (as CI's may be) would be hidden by the guest's
# scratch tmpfs otherwise.
top=$(cd "$here/../.." && pwd)
printf '%s\n' "$top" >"$work/project"

# --- the command, run by bash in the guest in this directory ---
{
  echo "cd $(printf %q "$PWD") || exit 125"
  { env | grep -E '^(CAPSULE_[A-Za-z0-9_]*|ASAN_OPTIONS|UBSAN_OPTIONS|BUILD)=' || true; } |
    while IFS='=' read -r k v; do echo "export $k=$(printf %q "$v")"; done
  echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  printf 'exec'
  printf ' %q' "$@"
  echo
} >"$work/cmd"

append="console=ttyS0 quiet loglevel=3 panic=-1 capsule.cgroup=$mode"
[ "$mode" = v2 ] && append="$append cgroup_no_v1=all"
qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m "$mem" -smp 2 -nodefaults -no-reboot \
  -display none -serial "file:$work/console" \
  -kernel "$vmlinux" -initrd "$work/initramfs.cpio" -append "$append" \
  -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -fsdev "local,id=project,path=$top,security_model=none,readonly=on,multidevs=remap" \
  -device virtio-9p-pci,fsdev=project,mount_tag=project \
  -fsdev "local,id=vmio,path=$work,security_model=none" \
  -device virtio-9p-pci,fsdev=vmio,mount_tag=vmio </dev/null >"$work/qemu.log" 2>&1 &
qemu_pid=$!

status=
for ((i = 0; i < timeout * 10; i++)); do
  kill -0 "$qemu_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$qemu_pid" 2>/dev/null; then
  status=124
  echo "run-in-vm: timed out after ${timeout}s" >&2
  kill "$qemu_pid" 2>/dev/null || true
fi
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=
tr -d '\r' <"$work/console" | grep -v -e '^CAPSULE-VM-EXIT ' -e '^\[ *[0-9.]*\] reboot: Power down$' || true
if [ -z "$status" ]; then
  if [ -s "$work/rc" ]; then
    status=$(cat "$work/rc")
  else
    status=$(tr -d '\r' <"$work/console" | sed -n 's/^CAPSULE-VM-EXIT //p' | tail -n 1)
    if [ -z "$status" ]; then
      echo "run-in-vm: the guest reported no exit status; qemu said:" >&2
      sed 's/^/  /' "$work/qemu.log" >&2
      status=125
    fi
  fi
fi
exit "$status"
