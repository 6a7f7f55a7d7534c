# config.json "mounts", the root, /dev and the paths the runtime hides, seen
# from inside the container (/proc/self/mountinfo, writes that must fail)
# and from the host (/proc/<init>/mountinfo, propagation).
source "$TOP/tests/runtime/lib-runtime.sh"
source "$TOP/tests/runtime/lib-features.sh"

# From mountinfo text on stdin, the top-most mount at $1 as
# "FSTYPE MOUNT-OPTIONS SUPER-OPTIONS OPTIONAL-FIELDS" (optional fields
# joined by commas, "-" when there are none).
mnt() { # mountpoint
  awk -v mp="$1" '$5 == mp {
      opt = ""; i = 7
      while ($i != "-") { opt = opt (opt == "" ? "" : ",") $i; i++ }
      line = $(i + 1) " " $6 " " $(i + 3) " " (opt == "" ? "-" : opt)
    }
    END { print line }'
}

# The root of the mount at a mount point (mountinfo's fourth field): the
# directory of the filesystem it shows.
mnt_root() { # mountpoint
  awk -v mp="$1" '$5 == mp { root = $4 } END { print root }'
}

# Add a mount to config.json: mount DEST TYPE SOURCE OPTION...
add_mount() {
  local dest=$1 type=$2 src=$3
  shift 3
  local opts
  opts=$(jq -cn '$ARGS.positional' --args -- "$@")
  cfg ".mounts += [{destination: \"$dest\", type: \"$type\", source: \"$src\", options: $opts}]"
}

# A host directory that is its own shared mount, so propagation can be seen.
shared_host_dir() { # dir
  mkdir -p "$1"
  mount --bind "$1" "$1"
  mount --make-shared "$1"
  defer "umount -R '$1'"
}

# $BUNDLE/tree, with a tmpfs mounted at $BUNDLE/tree/sub.
tree_with_submount() {
  mkdir -p "$BUNDLE/tree/sub"
  mount -t tmpfs -o size=1m tmpfs "$BUNDLE/tree/sub"
  defer "umount '$BUNDLE/tree/sub'"
}

test_bind_file_and_dir_ro_and_rw() {
  new_bundle
  echo "file content" >"$BUNDLE/data.txt"
  mkdir -p "$BUNDLE/dir-rw" "$BUNDLE/dir-ro"
  echo ro-content >"$BUNDLE/dir-ro/existing"
  add_mount /mnt/file-ro bind "$BUNDLE/data.txt" bind ro
  add_mount /mnt/file-rw bind "$BUNDLE/data.txt" bind rw
  add_mount /mnt/dir-rw bind "$BUNDLE/dir-rw" bind
  add_mount /mnt/dir-ro bind "$BUNDLE/dir-ro" rbind ro
  out=$(run_sh '
    cat /mnt/file-ro
    echo x 2>/dev/null >/mnt/file-ro && echo file-ro-writable
    echo appended >>/mnt/file-rw
    echo new >/mnt/dir-rw/made-inside
    cat /mnt/dir-ro/existing
    touch /mnt/dir-ro/x 2>/dev/null && echo dir-ro-writable
    grep -E " /mnt/(file|dir)-r[ow] " /proc/self/mountinfo | cut -d" " -f5,6')
  assert_contains "$out" "file content"
  assert_contains "$out" "ro-content"
  assert_not_contains "$out" "writable" "writes to read-only binds"
  assert_eq "$(cat "$BUNDLE/data.txt")" $'file content\nappended' "the host file after a write"
  assert_eq "$(cat "$BUNDLE/dir-rw/made-inside")" new "a file made in the rw bind"
  assert_match "$out" "/mnt/file-ro ro," "mount options of /mnt/file-ro"
  assert_match "$out" "/mnt/dir-ro ro," "mount options of /mnt/dir-ro"
  assert_match "$out" "/mnt/dir-rw rw," "mount options of /mnt/dir-rw"
  [ ! -e "$BUNDLE/dir-ro/x" ] || fail "a file appeared in the read-only source"
}

test_bind_flags_noexec_nosuid_nodev_noatime() {
  new_bundle
  mkdir -p "$BUNDLE/tools"
  cp /bin/busybox "$BUNDLE/tools/busybox"
  add_mount /mnt/noexec bind "$BUNDLE/tools" bind noexec nosuid nodev noatime
  add_mount /mnt/exec bind "$BUNDLE/tools" bind ro
  out=$(run_sh '
    /mnt/noexec/busybox true 2>&1 || true
    /mnt/exec/busybox echo ran-from-exec-bind
    cat /proc/self/mountinfo')
  assert_contains "$out" "Permission denied" "running a program from a noexec bind"
  assert_contains "$out" ran-from-exec-bind
  assert_match "$(mnt /mnt/noexec <<<"$out")" "^[^ ]+ rw,nosuid,nodev,noexec,noatime " "options of the bind"
}

test_bind_relative_source_is_resolved_against_the_bundle() {
  new_bundle
  mkdir -p "$BUNDLE/relative/src"
  echo from-the-bundle >"$BUNDLE/relative/src/f"
  add_mount /mnt/rel bind relative/src bind
  # The runtime must not resolve it against its own working directory.
  out=$(cd / && run_sh 'cat /mnt/rel/f')
  assert_eq "$out" from-the-bundle "content of the relative bind"
}

test_rbind_includes_submounts_and_bind_does_not() {
  new_bundle
  tree_with_submount
  echo in-submount >"$BUNDLE/tree/sub/f"
  add_mount /mnt/flat bind "$BUNDLE/tree" bind
  add_mount /mnt/deep bind "$BUNDLE/tree" rbind
  out=$(run_sh 'cat /mnt/deep/sub/f; ls /mnt/flat/sub | wc -l')
  assert_eq "$out" $'in-submount\n0' "rbind sees the submount, bind an empty directory"
}

test_recursive_read_only_covers_submounts() {
  new_bundle
  tree_with_submount
  add_mount /mnt/ro bind "$BUNDLE/tree" rbind ro
  add_mount /mnt/rro bind "$BUNDLE/tree" rbind rro
  out=$(run_sh '
    touch /mnt/ro/sub/a 2>/dev/null && echo ro-sub-writable
    touch /mnt/rro/sub/b 2>/dev/null && echo rro-sub-writable
    touch /mnt/rro/c 2>/dev/null && echo rro-top-writable
    true')
  # "ro" only makes the top mount read-only; "rro" every mount below it.
  assert_eq "$out" ro-sub-writable "writes below ro and rro binds"
}

test_recursive_nosuid_noexec_attributes() {
  new_bundle
  tree_with_submount
  add_mount /mnt/t bind "$BUNDLE/tree" rbind rnosuid rnoexec
  out=$(run_sh 'cat /proc/self/mountinfo')
  assert_match "$(mnt /mnt/t/sub <<<"$out")" "^tmpfs [^ ]*nosuid,[^ ]*noexec" "options of the submount"
  assert_match "$(mnt /mnt/t <<<"$out")" "nosuid,[^ ]*noexec" "options of the top mount"
}

test_tmpfs_size_and_mode() {
  new_bundle
  add_mount /mnt/scratch tmpfs tmpfs nosuid nodev size=2m mode=0710
  out=$(run_sh 'cat /proc/self/mountinfo; stat -c "mode=%a" /mnt/scratch')
  line=$(mnt /mnt/scratch <<<"$out")
  assert_match "$line" "^tmpfs rw,nosuid,nodev" "tmpfs mount options"
  assert_match "$line" "size=2048k" "tmpfs size"
  assert_match "$line" "mode=710" "tmpfs mode"
  assert_contains "$out" "mode=710" "stat of the tmpfs root"
}

# A tmpfs over an existing directory keeps the directory's mode (not its
# owner), as with runc, unless the options give one (runc applies the
# directory's mode even then; crun always gives 1777). A directory the
# runtime creates gets tmpfs's own 1777.
test_tmpfs_over_a_directory_keeps_its_mode() {
  new_bundle
  mkdir -p "$BUNDLE/rootfs/kept" "$BUNDLE/rootfs/owned" "$BUNDLE/rootfs/given"
  chmod 712 "$BUNDLE/rootfs/kept" "$BUNDLE/rootfs/given"
  chmod 1750 "$BUNDLE/rootfs/owned"
  chown 1000:1001 "$BUNDLE/rootfs/owned"
  add_mount /kept tmpfs tmpfs size=1m
  add_mount /owned tmpfs tmpfs
  add_mount /given tmpfs tmpfs mode=0750
  add_mount /made tmpfs tmpfs
  out=$(run_sh 'for d in kept owned given made; do stat -c "%n %a %u:%g" /$d; done
                grep -c " /kept .* tmpfs " /proc/self/mountinfo')
  assert_eq "$out" "/kept 712 0:0
/owned 1750 0:0
/given 750 0:0
/made 1777 0:0
1" "modes and owners of the tmpfs roots"
}

test_proc_sysfs_devpts_mqueue_and_shm_are_mounted() {
  new_bundle
  out=$(run_sh 'cat /proc/self/mountinfo')
  assert_match "$(mnt /proc <<<"$out")" "^proc rw,nosuid,nodev,noexec" /proc
  assert_match "$(mnt /sys <<<"$out")" "^sysfs ro,nosuid,nodev,noexec" /sys
  assert_match "$(mnt /dev <<<"$out")" "^tmpfs rw,nosuid" /dev
  assert_match "$(mnt /dev/pts <<<"$out")" "^devpts rw,nosuid,noexec.* [^ ]*ptmxmode=666" /dev/pts
  assert_match "$(mnt /dev/mqueue <<<"$out")" "^mqueue rw,nosuid,nodev,noexec" /dev/mqueue
  assert_match "$(mnt /dev/shm <<<"$out")" "^tmpfs rw,nosuid,nodev,noexec" /dev/shm
  # The container's own proc: it sees its own pid namespace.
  out=$(run_sh 'set -- /proc/[0-9]*; echo $#')
  assert_eq "$out" 1 "processes visible in the container's /proc (only its shell)"
}

# The container's memory limit file and its mount point, as seen inside.
memory_inside() {
  echo "$(cg_inside memory)/$(memory_limit_file)"
}

test_cgroup_mount_is_read_only_and_shows_own_limits() {
  need_controller memory
  need_controller pids
  new_bundle
  cfg '.linux.resources.memory = {limit: 71303168} | .linux.resources.pids = {limit: 77}'
  local limit mem
  limit=$(memory_inside)
  mem=$(cg_inside memory)
  out=$(run_sh "
    cat $limit $(cg_inside pids)/pids.max
    echo 1 2>/dev/null >$limit && echo cgroup-writable
    mkdir $mem/sub 2>/dev/null && echo cgroup-mkdir
    cat /proc/self/mountinfo")
  assert_eq "$(sed -n 1,2p <<<"$out" | tr '\n' ' ')" "71303168 77 " "limits read inside"
  assert_not_contains "$out" "cgroup-writable"
  assert_not_contains "$out" "cgroup-mkdir"
  if ! cg_is_v1 memory; then
    # v2: one cgroup2 mount whose root is the container's own group.
    assert_match "$(mnt "$mem" <<<"$out")" "^cgroup2 ro," "the cgroup2 mount"
    assert_eq "$(mnt_root "$mem" <<<"$out")" / "root of the cgroup2 mount in the cgroup namespace"
    return
  fi
  assert_match "$(mnt /sys/fs/cgroup/memory <<<"$out")" "^cgroup ro," "memory hierarchy mount"
  assert_match "$(mnt /sys/fs/cgroup <<<"$out")" "^tmpfs ro," "the cgroup tmpfs"
  # Co-mounted or not, each controller is reachable by its name.
  for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
    grep -qw "$c" /proc/cgroups || continue
    assert_contains "$(run_sh "ls -d /sys/fs/cgroup/$c/")" "/sys/fs/cgroup/$c/" "controller $c"
  done
}

test_cgroup_mount_without_cgroup_namespace_shows_own_limits() {
  need_controller memory
  new_bundle
  cfg '.linux.namespaces |= map(select(.type != "cgroup"))
       | .linux.resources.memory = {limit: 72351744}'
  out=$(run_sh "cat $(memory_inside); cat /proc/self/mountinfo")
  assert_eq "$(head -n 1 <<<"$out")" 72351744 "memory limit read inside"
  # The host's directory of the group is bound there (its path is the mount's root).
  local fs=cgroup mem
  cg_is_v1 memory || fs=cgroup2
  mem=$(cg_inside memory)
  assert_match "$(mnt "$mem" <<<"$out")" "^$fs ro," "memory hierarchy mount"
  assert_match "$(mnt_root "$mem" <<<"$out")" "/$ID$" "root of the memory hierarchy mount"
}

test_bind_propagation_rslave_and_rprivate() {
  new_bundle sleep 30
  shared_host_dir "$BUNDLE/shared"
  add_mount /mnt/slave bind "$BUNDLE/shared" rbind rslave
  add_mount /mnt/private bind "$BUNDLE/shared" rbind rprivate
  run_detached
  mkdir "$BUNDLE/shared/late"
  mount -t tmpfs -o size=1m tmpfs "$BUNDLE/shared/late"
  info=$(cat /proc/"$PID"/mountinfo)
  assert_match "$(mnt /mnt/slave <<<"$info")" " master:[0-9]+$" "optional fields of /mnt/slave"
  assert_match "$(mnt /mnt/private <<<"$info")" " -$" "optional fields of /mnt/private"
  assert_match "$(mnt /mnt/slave/late <<<"$info")" "^tmpfs " "a host mount under the rslave bind"
  assert_eq "$(mnt /mnt/private/late <<<"$info")" "" "a host mount under the rprivate bind"
}

# As in runc, a container's mounts reach the host only when the root too is
# rshared (what Kubernetes asks for a Bidirectional volume).
test_bind_propagation_rshared_reaches_the_host() {
  new_bundle sh -c 'mkdir -p /mnt/sh/inner && mount -t tmpfs -o size=1m made-inside /mnt/sh/inner'
  shared_host_dir "$BUNDLE/shared"
  cfg '.linux.rootfsPropagation = "rshared"'
  cfg '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
       | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
  add_mount /mnt/sh bind "$BUNDLE/shared" rbind rshared
  defer "umount '$BUNDLE/shared/inner'"
  rt run --bundle "$BUNDLE" "$ID"
  assert_eq "$(findmnt -n -o SOURCE "$BUNDLE/shared/inner")" made-inside \
    "the container's mount, seen on the host"
  # Its other mounts (/proc, /dev...) stay in the container.
  ! grep -q " $BUNDLE/rootfs" /proc/self/mountinfo || fail "a container mount reached the host"
}

test_rootfs_propagation() {
  new_bundle sleep 30
  shared_host_dir "$BUNDLE/rootfs"
  cfg '.linux.rootfsPropagation = "rslave"'
  run_detached
  mkdir -p "$BUNDLE/rootfs/mnt/late"
  mount -t tmpfs -o size=1m tmpfs "$BUNDLE/rootfs/mnt/late"
  info=$(cat /proc/"$PID"/mountinfo)
  assert_match "$(mnt / <<<"$info")" " master:[0-9]+$" "optional fields of / with rslave"
  assert_match "$(mnt /mnt/late <<<"$info")" "^tmpfs " "a host mount under an rslave root"
  umount "$BUNDLE/rootfs/mnt/late"
  rt delete --force "$ID"

  cfg '.linux.rootfsPropagation = "rprivate"'
  run_detached
  mount -t tmpfs -o size=1m tmpfs "$BUNDLE/rootfs/mnt/late"
  defer "umount '$BUNDLE/rootfs/mnt/late'"
  info=$(cat /proc/"$PID"/mountinfo)
  assert_match "$(mnt / <<<"$info")" " -$" "optional fields of / with rprivate"
  assert_eq "$(mnt /mnt/late <<<"$info")" "" "a host mount under an rprivate root"
  rt delete --force "$ID"

  cfg '.linux.rootfsPropagation = "shared"'
  run_detached
  assert_match "$(mnt / </proc/"$PID"/mountinfo)" " shared:[0-9]+" "optional fields of / with shared"
  # The root's own mounts (/proc, /dev...) must not appear on the host.
  assert_eq "$(findmnt -n -o TARGET -R "$BUNDLE/rootfs" | grep -c .)" 2 \
    "mounts at and under the host's rootfs (its bind and mnt/late)"
}

test_unknown_propagation_is_refused() {
  new_bundle
  cfg '.linux.rootfsPropagation = "sideways"'
  assert_run_refused 'linux.rootfsPropagation: unknown propagation "sideways"'
}

test_tmpcopyup_keeps_the_image_content() {
  new_bundle
  mkdir -p "$BUNDLE/rootfs/opt/app/sub"
  echo image-file >"$BUNDLE/rootfs/opt/app/sub/f"
  ln -s sub/f "$BUNDLE/rootfs/opt/app/link"
  chmod 0751 "$BUNDLE/rootfs/opt/app/sub"
  add_mount /opt/app tmpfs tmpfs tmpcopyup
  out=$(run_sh '
    cat /opt/app/sub/f /opt/app/link
    stat -c %a /opt/app/sub
    echo changed >/opt/app/sub/f
    awk "\$5 == \"/opt/app\" {print \$9}" /proc/self/mountinfo')
  assert_eq "$out" $'image-file\nimage-file\n751\ntmpfs' "copied content, mode and fstype"
  assert_eq "$(cat "$BUNDLE/rootfs/opt/app/sub/f")" image-file "the image's file after a write"
}

test_masked_paths_read_empty() {
  new_bundle
  mkdir -p "$BUNDLE/rootfs/secret-dir"
  echo hidden >"$BUNDLE/rootfs/secret-dir/inside"
  echo hidden >"$BUNDLE/rootfs/secret-file"
  cfg '.linux.maskedPaths += ["/secret-dir", "/secret-file", "/does/not/exist"]'
  out=$(run_sh '
    echo "file:[$(cat /secret-file)]"
    echo "dir:[$(ls -A /secret-dir)]"
    touch /secret-dir/new 2>/dev/null && echo masked-dir-writable
    echo "kcore:[$(head -c 16 /proc/kcore | wc -c)]"
    true')
  assert_eq "$out" $'file:[]\ndir:[]\nkcore:[0]' "masked file, directory and /proc/kcore"
}

test_readonly_paths_refuse_writes() {
  new_bundle
  mkdir -p "$BUNDLE/rootfs/data/deeper"
  cfg '.linux.readonlyPaths += ["/data"]'
  out=$(run_sh '
    touch /data/x 2>/dev/null && echo data-writable
    touch /data/deeper/y 2>/dev/null && echo deeper-writable
    echo 1 2>/dev/null >/proc/sys/kernel/printk_ratelimit && echo proc-sys-writable
    touch /tmp/ok && echo tmp-writable')
  assert_eq "$out" tmp-writable "writes under read-only paths"
}

test_readonly_root() {
  new_bundle
  cfg '.root.readonly = true'
  add_mount /tmp tmpfs tmpfs size=1m
  out=$(run_sh '
    touch /new-file 2>/dev/null && echo root-writable
    touch /tmp/ok && echo tmp-writable
    awk "\$5 == \"/\" {print \$6}" /proc/self/mountinfo')
  assert_eq "$out" $'tmp-writable\nro,relatime' "writes with a read-only root"
  [ ! -e "$BUNDLE/rootfs/new-file" ] || fail "the write reached the rootfs"
}

test_configured_device_nodes() {
  new_bundle
  cfg '.linux.devices = [
         {path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 416, uid: 1000, gid: 1001},
         {path: "/dev/sub/myzero", type: "c", major: 1, minor: 5},
         {path: "/dev/myfifo", type: "p"}]'
  out=$(run_sh 'stat -c "%n %F %t:%T %a %u:%g" /dev/mynull /dev/sub/myzero; stat -c "%n %F" /dev/myfifo
                head -c 4 /dev/sub/myzero | wc -c')
  assert_eq "$(sed -n 1p <<<"$out")" "/dev/mynull character special file 1:3 640 1000:1001" /dev/mynull
  assert_eq "$(sed -n 2p <<<"$out")" "/dev/sub/myzero character special file 1:5 666 0:0" /dev/sub/myzero
  assert_eq "$(sed -n 3p <<<"$out")" "/dev/myfifo fifo" /dev/myfifo
  assert_eq "$(sed -n 4p <<<"$out")" 4 "bytes read from the configured zero device"
}

test_device_file_mode_may_hold_the_type_bits() {
  # podman writes them (020666 for a char device, as stat's st_mode has
  # them); only the permission bits are the node's mode.
  new_bundle
  cfg '.linux.devices = [
         {path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 8630},
         {path: "/dev/myfifo", type: "p", fileMode: 4516}]'
  out=$(run_sh 'stat -c "%n %F %t:%T %a" /dev/mynull /dev/myfifo')
  assert_eq "$out" "/dev/mynull character special file 1:3 666
/dev/myfifo fifo 0:0 644" "nodes made from fileModes with type bits"
}

test_default_devices_and_links() {
  new_bundle
  out=$(run_sh '
    for d in null zero full random urandom tty; do stat -c "%n %t:%T %a" /dev/$d; done
    for l in fd stdin stdout stderr ptmx; do echo "/dev/$l -> $(readlink /dev/$l)"; done
    echo x >/dev/null && head -c 3 /dev/zero | wc -c
    echo x 2>/dev/null >/dev/full || echo full-is-full')
  assert_eq "$out" "/dev/null 1:3 666
/dev/zero 1:5 666
/dev/full 1:7 666
/dev/random 1:8 666
/dev/urandom 1:9 666
/dev/tty 5:0 666
/dev/fd -> /proc/self/fd
/dev/stdin -> /proc/self/fd/0
/dev/stdout -> /proc/self/fd/1
/dev/stderr -> /proc/self/fd/2
/dev/ptmx -> pts/ptmx
3
full-is-full" "default devices and links"
}

test_no_pivot_runs_in_the_rootfs() {
  new_bundle
  echo marker >"$BUNDLE/rootfs/marker"
  cfg '.process.args = ["sh", "-c", "cat /marker; ls /tmp | wc -l"]'
  out=$(rt run --no-pivot --bundle "$BUNDLE" "$ID")
  assert_eq "$out" $'marker\n0' "the container's root under --no-pivot"
  assert_no_leftovers
}

test_destination_through_a_symlink_stays_in_the_rootfs() {
  new_bundle
  local outside
  outside=$(mktemp -d /tmp/capsule-outside.XXXXXX)
  defer "umount -R '$outside' 2>/dev/null; rm -rf '$outside'"
  ln -s "$outside" "$BUNDLE/rootfs/escape"
  add_mount /escape/target tmpfs tmpfs size=1m
  out=$(run_sh 'touch /escape/target/made-inside && echo ok')
  assert_eq "$out" ok "writing to the mount"
  ! grep -q " $outside" /proc/self/mountinfo || fail "a mount appeared on the host at $outside"
  [ ! -e "$outside/target" ] || fail "the runtime created $outside/target on the host"
  [ -e "$BUNDLE/rootfs/$outside/target" ] || fail "the mount point was not made in the rootfs"
}

# A destination that is a dangling symlink: its target is created inside
# the root (as runc does), a file for a file source. Capsule made
# "/file-link -> /made/file" into "/made/file/" and failed with "Not a
# directory"; a target with a trailing slash failed the same way.
test_destination_is_a_dangling_symlink() {
  new_bundle
  local outside
  outside=$(mktemp -d /tmp/capsule-outside.XXXXXX)
  defer "rm -rf '$outside'"
  echo content >"$BUNDLE/file"
  mkdir -p "$BUNDLE/rootfs/links"
  ln -s /made/file "$BUNDLE/rootfs/file-link"
  ln -s ../rel-file/ "$BUNDLE/rootfs/links/slash-link"
  ln -s "$outside/made-dir" "$BUNDLE/rootfs/dir-link"
  ln -s "$outside/host-file" "$BUNDLE/rootfs/host-link"
  add_mount /file-link bind "$BUNDLE/file" bind
  add_mount /links/slash-link bind "$BUNDLE/file" bind
  add_mount /host-link bind "$BUNDLE/file" bind
  add_mount /dir-link tmpfs tmpfs size=1m
  out=$(run_sh 'cat /made/file /rel-file /host-link "'"$outside"'/host-file"
                touch /dir-link/x && ls "'"$outside"'/made-dir"')
  assert_eq "$out" $'content\ncontent\ncontent\ncontent\nx' "the mounts through the links"
  [ -f "$BUNDLE/rootfs/made/file" ] || fail "no file /made/file in the rootfs"
  [ -f "$BUNDLE/rootfs/rel-file" ] || fail "no file /rel-file in the rootfs"
  [ -d "$BUNDLE/rootfs/$outside/made-dir" ] || fail "no directory $outside/made-dir in the rootfs"
  [ -z "$(ls -A "$outside")" ] || fail "the runtime created $(ls -A "$outside") in $outside on the host"
  assert_no_leftovers
}

test_missing_bind_source_is_a_clear_error() {
  new_bundle
  add_mount /mnt/x bind "$BUNDLE/no-such-source" bind
  assert_run_refused "no-such-source" "No such file or directory"
}

test_unknown_filesystem_type_is_a_clear_error() {
  new_bundle
  add_mount /mnt/x nosuchfs none
  assert_run_refused "nosuchfs" "/mnt/x"
}
