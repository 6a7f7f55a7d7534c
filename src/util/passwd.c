#include "util/passwd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

char *passwd_lookup(const char *path, uid_t uid, enum passwd_field field) {
  _cleanup_fclose_ FILE *f = fopen(path, "re");
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
