#include "util/proc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/array.h"
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

static int by_value(const void *a, const void *b) {
  unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
  return x < y ? -1 : x > y;
}

int proc_flocked_inodes(dev_t dev, unsigned long long **out, size_t *n) {
  *out = NULL;
  *n = 0;
  size_t len, cap = 0;
  err_t e = ERR_INIT;
  _cleanup_free_ char *text = read_file("/proc/locks", 64u << 20, &len, &e);
  if (!text)
    return -1;
  /* "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF"; a waiter's line
   * has "->" where the kind is. */
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char kind[16];
    unsigned maj, min;
    unsigned long long ino;
    if (sscanf(line, "%*d: %15s %*s %*s %*d %x:%x:%llu", kind, &maj, &min, &ino) != 4 ||
        strcmp(kind, "FLOCK") || makedev(maj, min) != dev)
      continue;
    if (array_reserve_sz((void **)out, &cap, *n + 1, sizeof **out) < 0) {
      free(*out);
      *out = NULL;
      *n = 0;
      return -1;
    }
    (*out)[(*n)++] = ino;
  }
  if (*n)
    qsort(*out, *n, sizeof **out, by_value);
  return 0;
}
