/* Do hardware breakpoints trap here? CRIU stops a dumped task at the end of
 * its parasite with one; under some hypervisors the debug registers take the
 * value but never fire, and the dump then waits forever ("Waiting for PID to
 * trap"). Rather than trusting a host name, try it: a child runs a function
 * in a loop, we set an execution breakpoint on it through ptrace, and see
 * whether the child stops with SIGTRAP within half a second. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint/criu.h"

#if defined(__x86_64__)

static volatile unsigned long spins;

__attribute__((noinline)) static void target(void) {
  spins++;
  __asm__ volatile("" ::: "memory");
}

__attribute__((noreturn)) static void child(void) {
  if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
    _exit(1);
  raise(SIGSTOP);
  /* Bounded: the parent kills us, and we end by ourselves anyway. */
  for (unsigned long i = 0; i < 4000000000UL; i++)
    target();
  _exit(0);
}

static bool stopped_by_trap(pid_t pid) {
  for (int i = 0; i < 500; i++) {
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid)
      return WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP;
    if (r < 0 && errno != EINTR)
      return false;
    nanosleep(&(struct timespec){0, 1000000}, NULL);
  }
  return false;
}

bool criu_breakpoints_work(void) {
  pid_t pid = fork();
  if (pid < 0)
    return true; /* cannot tell: leave CRIU's default */
  if (pid == 0)
    child();
  int st;
  bool works = false;
  if (waitpid(pid, &st, 0) == pid && WIFSTOPPED(st)) {
    size_t dr0 = offsetof(struct user, u_debugreg[0]);
    size_t dr7 = offsetof(struct user, u_debugreg[7]);
    /* DR7 bit 0: local enable of DR0; R/W0 = 00 and LEN0 = 00: execution. */
    if (ptrace(PTRACE_POKEUSER, pid, (void *)dr0, (void *)(uintptr_t)target) == 0 &&
        ptrace(PTRACE_POKEUSER, pid, (void *)dr7, (void *)1UL) == 0 &&
        ptrace(PTRACE_CONT, pid, NULL, NULL) == 0)
      works = stopped_by_trap(pid);
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return works;
}

#else

/* Other architectures: CRIU's defaults. */
bool criu_breakpoints_work(void) {
  return true;
}

#endif
