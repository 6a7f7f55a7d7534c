#include "util/passwd.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

FILE *passwd_fdopen(int fd) {
  struct stat st;
  FILE *f = NULL;
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    f = fdopen(fd, "re");
  if (fd >= 0 && !f)
    close(fd);
  return f;
}

char *passwd_lookup(const char *path, uid_t uid, enum passwd_field field) {
  _cleanup_fclose_ FILE *f = passwd_fdopen(open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  char line[1024];
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    char *fields[7] = {0}, *rest = line;
    int n = 0;
    /* strsep keeps empty fields, which passwd lines have. */
    while (n < 7 && (fields[n] = strsep(&rest, ":")))
      n++;
    char *end;
    if (n < 7 || strtoul(fields[2], &end, 10) != uid || *end || !*fields[2])
      continue;
    return *fields[field] ? strdup(fields[field]) : NULL;
  }
  return NULL;
}
