/* .dockerignore / .containerignore: which files of the build context
 * COPY and ADD leave out. One pattern per line ('#' comments), cleaned as
 * docker cleans them (no leading '/', no "./", no trailing '/'); '*', '?'
 * and [...] within a path element, "**" for any number of them; a line
 * starting with '!' lets back in what earlier lines left out. The last
 * matching line decides; a path is left out when a pattern matches it or
 * one of its parent directories. */
#ifndef CAPSULE_BUILD_IGNORE_H
#define CAPSULE_BUILD_IGNORE_H

#include <stdbool.h>

#include "util/error.h"

struct ignore_rule {
  char *pattern;
  bool except; /* "!pattern" */
};

struct ignore {
  struct ignore_rule *v;
  size_t n;
  bool has_exceptions;
};

/* Read the rules from `text` (a file's content; NULL: none). */
int ignore_parse(const char *text, struct ignore *out, err_t *e);
void ignore_free(struct ignore *ig);
/* Whether `path` (relative to the context, no leading '/') is left out. */
bool ignore_match(const struct ignore *ig, const char *path);

#endif
