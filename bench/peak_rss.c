// peak_rss: run one command and report its wall time and peak RSS.
//
//   peak_rss [--mntns PATH] [--] COMMAND [ARG...]
//
// Prints one line on stdout: "WALL_NS MAXRSS_KB STATUS", where WALL_NS is
// the time from fork to the end of wait4, MAXRSS_KB the largest resident
// set of the command and of the descendants it waited for (wait4's
// ru_maxrss), and STATUS its exit code, or 128 + the signal that killed it.
// The command's stdout goes to this program's stderr, so that the result
// line is the only thing on stdout; its stdin is /dev/null.
//
// --mntns joins a mount namespace first, outside the timed region: the
// benchmark runs crun in a namespace where the hybrid cgroup2 mount is gone
// without paying for an unshare per run.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

static int die(const char *what) {
  fprintf(stderr, "peak_rss: %s: %s\n", what, strerror(errno));
  return 125;
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int join_mount_namespace(const char *path) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  return setns(fd, CLONE_NEWNS);
}

// In the child: stdin from /dev/null, stdout to stderr, then exec.
static void exec_command(char **argv) {
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    fprintf(stderr, "peak_rss: redirecting stdio: %s\n", strerror(errno));
    _exit(125);
  }
  execvp(argv[0], argv);
  fprintf(stderr, "peak_rss: %s: %s\n", argv[0], strerror(errno));
  _exit(errno == ENOENT ? 127 : 126);
}

int main(int argc, char **argv) {
  int i = 1;
  if (i + 1 < argc && strcmp(argv[i], "--mntns") == 0) {
    if (join_mount_namespace(argv[i + 1]) < 0)
      return die(argv[i + 1]);
    i += 2;
  }
  if (i < argc && strcmp(argv[i], "--") == 0)
    i++;
  if (i >= argc) {
    fprintf(stderr, "usage: peak_rss [--mntns PATH] [--] COMMAND [ARG...]\n");
    return 2;
  }

  long long start = now_ns();
  pid_t pid = fork();
  if (pid < 0)
    return die("fork");
  if (pid == 0)
    exec_command(argv + i);

  int status;
  struct rusage usage;
  while (wait4(pid, &status, 0, &usage) < 0)
    if (errno != EINTR)
      return die("wait4");
  long long wall = now_ns() - start;

  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("%lld %ld %d\n", wall, usage.ru_maxrss, code);
  return 0;
}
