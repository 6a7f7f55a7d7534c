/* Host tools the VMs need (qemu, mkfs.ext4, qemu-img), from PATH. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "vm/vm.h"

char *vm_tool_find(const char *name, const char *package, err_t *e) {
  const char *path = getenv("PATH");
  for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
    size_t n = strcspn(p, ":");
    char *full;
    if (n && asprintf(&full, "%.*s/%s", (int)n, p, name) >= 0) {
      if (access(full, X_OK) == 0)
        return full;
      free(full);
    }
    p += n + (p[n] == ':');
  }
  err_set(e, ENOENT, "%s not found: install Debian's package %s", name, package);
  return NULL;
}

/* The last non-empty line of `text`, trimmed, in place. */
static const char *last_line(char *text) {
  size_t n = strlen(text);
  while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
    text[--n] = '\0';
  char *nl = strrchr(text, '\n');
  return nl ? nl + 1 : text;
}

int vm_tool_run(const char *const *argv, const char *package, err_t *e) {
  _cleanup_free_ char *path = vm_tool_find(argv[0], package, e);
  if (!path)
    return -1;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return err_sys(e, "pipe");
  pid_t pid = fork();
  if (pid < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    return err_sys(e, "fork");
  }
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(pipefd[1], 2) < 0)
      _exit(127);
    execv(path, (char *const *)argv);
    _exit(127);
  }
  close(pipefd[1]);
  char err[4096];
  ssize_t n = read_all(pipefd[0], err, sizeof err - 1);
  /* Drain the rest: a tool that writes more must not block on us. */
  char sink[4096];
  while (n >= 0 && read(pipefd[0], sink, sizeof sink) > 0)
    ;
  close(pipefd[0]);
  err[n > 0 ? n : 0] = '\0';
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return err_sys(e, "wait for %s", argv[0]);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  return err_set(e, EIO, "%s failed (status %d): %s", argv[0],
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), last_line(err));
}
