#include "oci/names.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

static const char *const cap_names[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",          "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",           "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS ((int)(sizeof cap_names / sizeof cap_names[0]))

int cap_from_name(const char *name) {
  for (int i = 0; i < N_CAPS; i++)
    if (!strcasecmp(name, cap_names[i]))
      return i;
  return -1;
}

const char *cap_name(int cap) {
  return cap >= 0 && cap < N_CAPS ? cap_names[cap] : NULL;
}

int cap_known_last(void) {
  return N_CAPS - 1;
}

int cap_kernel_last(void) {
  static int cached = -1;
  if (cached >= 0)
    return cached;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int v = N_CAPS - 1;
  if (f) {
    if (fscanf(f, "%d", &v) != 1)
      v = N_CAPS - 1;
    fclose(f);
  }
  cached = v < 63 ? v : 63;
  return cached;
}

static const struct {
  const char *name;
  int resource;
} rlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

int rlimit_from_name(const char *name) {
  for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
    if (!strcmp(name, rlimits[i].name))
      return rlimits[i].resource;
  return -1;
}

const char *rlimit_name(int resource) {
  for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
    if (rlimits[i].resource == resource)
      return rlimits[i].name;
  return NULL;
}

static const struct {
  const char *name;
  int sig;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},   {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},   {"KILL", SIGKILL},   {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},   {"URG", SIGURG},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"POLL", SIGPOLL},   {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

static int parse_small_int(const char *s, int *out) {
  char *end;
  if (!*s)
    return -1;
  long v = strtol(s, &end, 10);
  if (*end || v < 0 || v > 64)
    return -1;
  *out = (int)v;
  return 0;
}

int signal_from_name(const char *name) {
  int n;
  if (parse_small_int(name, &n) == 0)
    return n >= 1 && n < NSIG ? n : -1;
  if (!strncasecmp(name, "SIG", 3))
    name += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (!strcasecmp(name, signals[i].name))
      return signals[i].sig;
  /* RTMIN, RTMIN+n, RTMAX, RTMAX-n */
  int base, sign;
  if (!strncasecmp(name, "RTMIN", 5)) {
    base = SIGRTMIN;
    sign = 1;
  } else if (!strncasecmp(name, "RTMAX", 5)) {
    base = SIGRTMAX;
    sign = -1;
  } else {
    return -1;
  }
  const char *rest = name + 5;
  if (!*rest)
    return base;
  if (*rest != (sign > 0 ? '+' : '-') || parse_small_int(rest + 1, &n) < 0)
    return -1;
  int sig = base + sign * n;
  return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
}

const char *signal_name(int sig) {
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (signals[i].sig == sig)
      return signals[i].name;
  return NULL;
}
