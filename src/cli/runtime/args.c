/* Flag and argument helpers shared by the commands. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/runtime/cli.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

int cli_parse_int(const char *flag, const char *s, int *out, err_t *e) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 0 || v > INT_MAX)
    return err_set(e, EINVAL, "%s: expected a non-negative number, got \"%s\"", flag, s);
  *out = (int)v;
  return 0;
}

int cli_parse_bytes(const char *flag, const char *s, int64_t *out, err_t *e) {
  if (!strcmp(s, "-1")) {
    *out = -1;
    return 0;
  }
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || v < 0)
    return err_set(e, EINVAL, "%s: expected a size in bytes, got \"%s\"", flag, s);
  long long mult = 1;
  switch (*end) {
  case 'k':
  case 'K':
    mult = 1LL << 10;
    end++;
    break;
  case 'm':
  case 'M':
    mult = 1LL << 20;
    end++;
    break;
  case 'g':
  case 'G':
    mult = 1LL << 30;
    end++;
    break;
  default:
    break;
  }
  if (*end == 'b' || *end == 'B')
    end++;
  if (*end || v > INT64_MAX / mult)
    return err_set(e, EINVAL, "%s: expected a size in bytes, got \"%s\"", flag, s);
  *out = v * mult;
  return 0;
}

char *cli_bundle_path(const char *bundle, err_t *e) {
  char *abs = realpath(bundle ? bundle : ".", NULL);
  if (!abs)
    err_sys(e, "bundle %s", bundle ? bundle : ".");
  return abs;
}

int cli_print_json(json_t *j, err_t *e) {
  _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
  if (!text)
    return err_set(e, ENOMEM, "print JSON");
  printf("%s\n", text);
  return fflush(stdout) == 0 ? 0 : err_sys(e, "write");
}
