/* Thin wrappers for system calls glibc 2.36 does not wrap. */
#ifndef CAPSULE_UTIL_SYSCALLS_H
#define CAPSULE_UTIL_SYSCALLS_H

#include <errno.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* With RESOLVE_IN_ROOT or RESOLVE_BENEATH, a ".." walked while anything is
 * renamed on the system fails with EAGAIN (the kernel cannot prove it
 * stayed inside); the kernel asks callers to try again, as here. */
static inline int sys_openat2(int dirfd, const char *path, unsigned long long flags,
                              unsigned long long mode, unsigned long long resolve) {
  struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
  int fd, tries = 0;
  while ((fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how)) < 0 &&
         errno == EAGAIN && ++tries < 64)
    ;
  return fd;
}

static inline int sys_pidfd_open(pid_t pid, unsigned int flags) {
  return (int)syscall(SYS_pidfd_open, pid, flags);
}

static inline int sys_pidfd_send_signal(int pidfd, int sig) {
  return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static inline int sys_pivot_root(const char *new_root, const char *put_old) {
  return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/* fork-like clone3 (the child continues on a copy of the caller's stack,
 * as after fork()) with namespace flags; with cgroup_fd >= 0 the child is born in that v2
 * group (CLONE_INTO_CGROUP), without a migration. */
static inline pid_t sys_clone3_fork(unsigned long long flags, int cgroup_fd) {
  /* With CLONE_PARENT the exit signal is the caller's own (clone3 refuses
   * to be given one). */
  struct clone_args args = {.flags = flags, .exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD};
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (unsigned long long)cgroup_fd;
  }
  return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

#endif
