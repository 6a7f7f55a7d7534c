# What the private engine environments (tests/podman/podman-env.sh,
# tests/containerd/containerd-env.sh) share: an engine runs inside the mount
# namespace of a holder process (a fresh tmpfs on /run), and its containers
# in cgroups under a parent of their own. Sourced after tests/lib.sh.

# The environment's cgroup directories, deepest first, in every hierarchy.
private_env_cgroup_dirs() { # cgroup-parent
  find /sys/fs/cgroup/*"$1" -depth -type d 2>/dev/null || true
}

# Processes left in the environment: those in the holder's mount namespace
# (the engine, its monitors or shims) and those in its cgroups (containers,
# which have mount namespaces of their own). The holder is not one of them.
private_env_processes() { # holder cgroup-parent
  local ns p d
  ns=$(readlink "/proc/$1/ns/mnt" 2>/dev/null) || ns=none
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$1" ] && continue
    [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
  done
  for d in $(private_env_cgroup_dirs "$2"); do cat "$d/cgroup.procs" 2>/dev/null; done
  return 0
}

# Kill what is left (thawed first: frozen tasks do not die from SIGKILL),
# then the holder, and remove the cgroups.
private_env_release() { # holder cgroup-parent
  local pids d
  for d in $(private_env_cgroup_dirs "$2"); do
    [ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null || true
    [ -f "$d/cgroup.freeze" ] && echo 0 >"$d/cgroup.freeze" 2>/dev/null || true
  done
  pids=$(private_env_processes "$1" "$2")
  [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  for _ in $(seq 20); do
    for d in $(private_env_cgroup_dirs "$2"); do rmdir "$d" 2>/dev/null || true; done
    [ -z "$(private_env_cgroup_dirs "$2")" ] && break
    sleep 0.1
  done
}
