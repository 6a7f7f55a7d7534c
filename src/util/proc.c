#include "util/proc.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

int proc_stat(pid_t pid, unsigned long long *start_time, char *state) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read_all(fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* comm may contain spaces and parentheses: fields resume after the last ')'. */
  char *p = strrchr(buf, ')');
  if (!p || p[1] != ' ')
    return -1;
  char st;
  unsigned long long start;
  /* state is field 3, starttime field 22: 18 fields to skip in between. */
  if (sscanf(p + 2, "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
             &st, &start) != 2)
    return -1;
  if (start_time)
    *start_time = start;
  if (state)
    *state = st;
  return 0;
}

bool proc_alive(pid_t pid, unsigned long long start_time) {
  unsigned long long start;
  char st;
  if (pid <= 0 || proc_stat(pid, &start, &st) < 0)
    return false;
  return start == start_time && st != 'Z' && st != 'X';
}
