# capsule run --vm: the image booted as a QEMU microVM (docs/VM.md), driven
# as a user would. Under TCG here (no hardware KVM): each boot takes 5-15 s,
# so each test boots once and checks several things from inside.

source "$TOP/tests/engine/lib-engine.sh"

# Kernel, initramfs and disks shared by the tests (an unpacked kernel is
# 30 MB of xz to decompress).
export CAPSULE_VM_CACHE=/tmp/capsule-vm-cache-$(id -u)

vm_setup() {
  command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64 (scripts/install-deps)"
  ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || skip "no Debian kernel in /boot (linux-image-amd64)"
  file -L "$BIN/capsule-vminit" | grep -q 'statically linked' ||
    skip "capsule-vminit is not static (a sanitizer build cannot boot VMs)"
  engine_setup
}

# No QEMU of this store may be left (its command line names the store).
assert_no_qemu() {
  wait_for "! pgrep -f 'qemu-system.*$STORE' >/dev/null" 50
}

test_vm_run_status_stdio_config_memory_isolation() {
  vm_setup
  local rc=0
  cap run --vm --rm -m 200m -e FOO=bar -w /work/dir -u 1000:1001 --hostname vmhost busybox \
    sh -c 'echo "cfg:$FOO:$GREETING:$(pwd):$(id -u):$(id -g):$(hostname)"
           grep MemTotal /proc/meminfo; echo "kernel:$(uname -r)"
           echo "comms:$(cat /proc/[0-9]*/comm | tr "\n" " ")"
           echo to-stderr >&2; exit 7' >"$WORK/out" 2>"$WORK/err" || rc=$?
  cat "$WORK/out" "$WORK/err"
  assert_eq "$rc" 7 "the guest process's exit status"
  local out
  out=$(cat "$WORK/out")
  assert_contains "$out" "cfg:bar:hello:/work/dir:1000:1001:vmhost"
  assert_contains "$(cat "$WORK/err")" "to-stderr"
  assert_not_contains "$out" "to-stderr" "stdout"
  # -m sizes the VM: MemTotal is what the kernel has left of 200 MiB.
  local kb
  kb=$(awk '/^MemTotal/ {print $2}' "$WORK/out")
  [ "$kb" -gt 120000 ] && [ "$kb" -le 204800 ] || fail "MemTotal ${kb} kB for -m 200m"
  # Its own kernel (Debian's), and none of the host's processes.
  assert_ne "$(sed -n 's/^kernel://p' "$WORK/out")" "$(uname -r)" "the guest's kernel"
  assert_contains "$out" "comms:init " "the guest's pid 1"
  assert_not_contains "$out" "qemu-system" "the guest's processes"
  assert_not_contains "$out" "capsule " "the guest's processes"
  assert_engine_clean
  assert_no_qemu
}

# Without --rm the container stays, exited with its status, until rm,
# which leaves nothing (no file, cgroup or QEMU).
test_vm_run_keeps_exited_container_until_rm() {
  vm_setup
  local rc=0 id
  cap run --vm --name vm1 --cpus 2 busybox sh -c 'grep -c ^processor /proc/cpuinfo; exit 3' \
    >"$WORK/out" 2>/dev/null || rc=$?
  assert_eq "$rc" 3 "exit status"
  assert_eq "$(cat "$WORK/out")" 2 "--cpus 2: vCPUs"
  assert_match "$(status_of vm1)" "^Exited \(3\)"
  assert_eq "$(cap ps -a --filter name=vm1 --format '{{.Runtime}}')" vm "ps's Runtime"
  assert_eq "$(cap inspect --format '{{.HostConfig.Runtime}}' vm1)" vm "inspect's HostConfig.Runtime"
  id=$(cap ps -a -q --no-trunc --filter name=vm1)
  assert_no_qemu
  cap rm vm1 >/dev/null
  assert_engine_clean
  assert_no_trace "$id"
  # A command the image does not have: 127, as docker.
  rc=0
  cap run --vm --rm busybox /no/such/command >/dev/null 2>"$WORK/err" || rc=$?
  assert_eq "$rc" 127 "a missing command"
  assert_contains "$(cat "$WORK/err")" "/no/such/command"
  assert_engine_clean
  assert_no_qemu
}

# Bad input: one clear line, 125, nothing left behind.
test_vm_run_bad_input_leaves_nothing() {
  vm_setup
  CAPSULE_VM_KERNEL=/nonexistent/vmlinuz-x assert_fails cap run --vm --rm busybox true
  assert_eq "$RC" 125
  assert_contains "$ERR" "linux-image-amd64"
  assert_fails env PATH=/nonexistent "$BIN/capsule" --root "$STORE" --runroot "$RUNROOT" \
    run --vm --rm busybox true
  assert_eq "$RC" 125
  assert_contains "$ERR" "install Debian's package qemu-system-x86"
  assert_fails cap run --vm -t busybox true
  assert_contains "$ERR" "--vm: -t and -i not supported"
  assert_fails cap create --vm busybox true
  assert_contains "$ERR" "--vm: create not supported"
  assert_fails cap run --vm --rm -m 64m busybox true
  assert_contains "$ERR" "at least 128m"
  assert_engine_clean
  # A VM that does not boot in time: stopped, with its console's last lines.
  CAPSULE_VM_BOOT_TIMEOUT=1 assert_fails cap run --vm --rm busybox true
  assert_eq "$RC" 125
  assert_contains "$ERR" "did not boot in 1 s; its console ends:"
  assert_eq "$(echo "$ERR" | wc -l)" 2 "the TCG warning and one error line"
  assert_engine_clean
  assert_no_qemu
}

# The counter the detached VM writes to its log, last value.
last_tick() {
  cap logs vmd 2>/dev/null | sed -n 's/^tick //p' | tail -n 1
}

# run -d: ps shows it running, logs has its output, pause stops its vCPUs
# (QMP: the counter stands still) and unpause resumes them, stop's signal
# reaches the process in the guest, and rm leaves nothing.
test_vm_detached_logs_pause_stop_rm() {
  vm_setup
  local id a b
  id=$(cap run --vm -d --name vmd busybox sh -c 'trap "echo got-term; exit 42" TERM
    i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done' 2>/dev/null)
  assert_match "$id" '^[0-9a-f]{64}$'
  assert_match "$(status_of vmd)" "^Up "
  wait_for '[ "$(last_tick)" -ge 3 ]' 900
  cap pause vmd >/dev/null
  assert_match "$(status_of vmd)" "\(Paused\)"
  a=$(last_tick)
  sleep 2
  b=$(last_tick)
  assert_eq "$b" "$a" "the counter of a paused VM"
  cap unpause vmd >/dev/null
  wait_for '[ "$(last_tick)" -gt '"$b"' ]' 300
  # stop's SIGTERM reaches the guest's process, whose trap sets the status.
  cap stop vmd >/dev/null
  assert_match "$(status_of vmd)" "^Exited \(42\)"
  assert_contains "$(cap logs vmd 2>&1)" "got-term"
  assert_no_qemu
  cap rm vmd >/dev/null
  assert_engine_clean
  assert_no_trace "$id"
}

# rm -f while the VM boots: QEMU, its relay, cgroup and files all go.
test_vm_rm_force_while_booting_leaves_nothing() {
  vm_setup
  local id
  id=$(cap run --vm -d busybox sleep 600 2>/dev/null)
  pgrep -f "qemu-system.*$STORE" >/dev/null || fail "no QEMU runs for the VM"
  cap rm -f "$id" >/dev/null
  assert_engine_clean
  assert_no_trace "$id"
  assert_no_qemu
}
