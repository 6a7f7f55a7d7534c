/* The default security profile of containers the engine runs: the
 * capabilities a typical service needs and a seccomp allowlist.
 *
 * The seccomp profile denies (EPERM) whatever is not listed. Left out, on
 * purpose: loading kernel code or BPF (init_module, finit_module, bpf),
 * changing the host (reboot, swapon, settimeofday, sethostname outside the
 * uts namespace is allowed by the kernel anyway), keys (add_key, keyctl,
 * request_key), new namespaces and mounts (unshare, setns, mount, pivot_root:
 * a container without CAP_SYS_ADMIN could only make user namespaces with
 * them), perf_event_open, userfaultfd, io_uring, open_by_handle_at,
 * kexec, acct, quotactl, lookup_dcookie, vm86. clone is allowed without
 * namespace flags only; clone3, whose flags a filter cannot read, answers
 * ENOSYS so libcs fall back to clone. */
#include <errno.h>
#include <sched.h>

#include "engine/internal.h"
#include "util/json.h"

static const char *const allowed_syscalls[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk", "capget",
    "capset", "chdir", "chmod", "chown", "chroot", "clock_getres", "clock_gettime",
    "clock_nanosleep", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2",
    "epoll_wait", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
    "faccessat2", "fadvise64", "fallocate", "fchdir", "fchmod", "fchmodat", "fchown", "fchownat",
    "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
    "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex", "futex_waitv", "futimesat",
    "get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents", "getdents64",
    "getegid", "geteuid", "getgid", "getgroups", "getitimer", "getpeername", "getpgid",
    "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresuid",
    "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid", "gettimeofday",
    "getuid", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
    "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup",
    "io_submit", "ioctl", "ioprio_get", "ioprio_set", "kill", "lchown", "lgetxattr", "link",
    "linkat", "listen", "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat",
    "madvise", "membarrier", "memfd_create", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
    "mlock", "mlock2", "mlockall", "mmap", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
    "mq_timedreceive", "mq_timedsend", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv",
    "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
    "newfstatat", "open", "openat", "openat2", "pause", "pidfd_getfd", "pidfd_open",
    "pidfd_send_signal", "pipe", "pipe2", "poll", "ppoll", "prctl", "pread64", "preadv",
    "preadv2", "prlimit64", "process_vm_readv", "process_vm_writev", "pselect6", "ptrace",
    "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv",
    "recvfrom", "recvmmsg", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat",
    "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min",
    "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler",
    "sched_rr_get_interval", "sched_setaffinity", "sched_setattr", "sched_setparam",
    "sched_setscheduler", "sched_yield", "select", "semctl", "semget", "semop", "semtimedop",
    "sendfile", "sendmmsg", "sendmsg", "sendto", "set_robust_list", "set_thread_area",
    "set_tid_address", "setfsgid", "setfsuid", "setgid", "setgroups", "setitimer", "setpgid",
    "setpriority", "setregid", "setresgid", "setresuid", "setreuid", "setrlimit", "setsid",
    "setsockopt", "setuid", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
    "sigaltstack", "signalfd", "signalfd4", "socket", "socketpair", "splice", "stat", "statfs",
    "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee",
    "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
    "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime", "times", "tkill",
    "truncate", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat", "utimes", "vfork",
    "wait4", "waitid", "write", "writev", NULL};

/* personality(2) values programs use: Linux, UNAME26, and the query. */
static const long personality_values[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

static const char *const default_caps[] = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",     "CAP_KILL",
    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
    "CAP_SYS_CHROOT", NULL};

json_t *engine_default_caps(void) {
  return json_pack("{s:o, s:o, s:o, s:[], s:[]}", "bounding", json_string_array(default_caps),
                   "effective", json_string_array(default_caps), "permitted",
                   json_string_array(default_caps), "inheritable", "ambient");
}

json_t *engine_default_seccomp(void) {
  json_t *rules = json_array();
  bool failed = false;
  json_push(rules,
            json_pack("{s:o, s:s}", "names", json_string_array(allowed_syscalls), "action",
                      "SCMP_ACT_ALLOW"),
            &failed);
  const long ns_flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                        CLONE_NEWNET | CLONE_NEWCGROUP;
  json_push(rules,
            json_pack("{s:[s], s:s, s:[{s:i, s:I, s:i, s:s}]}", "names", "clone", "action",
                      "SCMP_ACT_ALLOW", "args", "index", 0, "value", (json_int_t)ns_flags,
                      "valueTwo", 0, "op", "SCMP_CMP_MASKED_EQ"),
            &failed);
  json_push(rules,
            json_pack("{s:[s], s:s, s:i}", "names", "clone3", "action", "SCMP_ACT_ERRNO",
                      "errnoRet", ENOSYS),
            &failed);
  for (size_t i = 0; i < sizeof personality_values / sizeof personality_values[0]; i++)
    json_push(rules,
              json_pack("{s:[s], s:s, s:[{s:i, s:I, s:s}]}", "names", "personality", "action",
                        "SCMP_ACT_ALLOW", "args", "index", 0, "value",
                        (json_int_t)personality_values[i], "op", "SCMP_CMP_EQ"),
              &failed);
  if (!json_done(rules, failed))
    return NULL; /* a rule missing would refuse what the profile allows */
  return json_pack("{s:s, s:i, s:[s, s, s], s:o}", "defaultAction", "SCMP_ACT_ERRNO",
                   "defaultErrnoRet", EPERM, "architectures", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
                   "SCMP_ARCH_X32", "syscalls", rules);
}
