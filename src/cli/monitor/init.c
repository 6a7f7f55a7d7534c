/* capsule-init: the tiny pid 1 of `run --init` (docker's docker-init,
 * tini's job): it runs the container's command as its child, forwards the
 * signals it gets to it, reaps every orphan that the kernel hands pid 1,
 * and exits with the command's status (128+signal if it was killed). The
 * engine binds this binary, static, read-only at /sbin/capsule-init. */
#include "cli/monitor/init.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int init_main(int argc, char **argv) {
  int first = argc > 1 && !strcmp(argv[1], "--") ? 2 : 1;
  if (first >= argc) {
    fprintf(stderr, "capsule-init: no command\n");
    return 127;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) {
    perror("capsule-init: fork");
    return 126;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    setpgid(0, 0);
    execvp(argv[first], argv + first);
    fprintf(stderr, "capsule-init: exec %s: %s\n", argv[first], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0)
      continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int ws;
    pid_t p;
    while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
      if (p == child)
        return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  }
}
