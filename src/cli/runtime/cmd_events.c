/* events */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/runtime/cli.h"
#include "util/cleanup.h"
#include "util/json.h"

/* A Go duration as runc takes it: "5s", "100ms", "1m30s", "1.5h". */
static int parse_duration(const char *s, long *ms, err_t *e) {
  static const struct {
    const char *unit;
    double ms;
  } units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1}, {"s", 1e3},
               {"m", 60e3}, {"h", 3600e3}};
  double total = 0;
  const char *p = s;
  do {
    char *end;
    double v = strtod(p, &end);
    size_t u = 0, n = sizeof units / sizeof *units;
    if (end == p || *p == '-' || *p == '+' || !isfinite(v))
      u = n;
    /* the longest unit that matches ("ms" before "m") */
    size_t best = n;
    for (; u < n; u++)
      if (!strncmp(end, units[u].unit, strlen(units[u].unit)) &&
          (best == n || strlen(units[u].unit) > strlen(units[best].unit)))
        best = u;
    if (best == n)
      return err_set(e, EINVAL, "events: --interval \"%s\": expected a duration such as 5s, "
                                "100ms or 1m30s", s);
    total += v * units[best].ms;
    p = end + strlen(units[best].unit);
  } while (*p);
  if (total < 1 || total > 1e12)
    return err_set(e, EINVAL, "events: --interval \"%s\": must be at least 1ms", s);
  *ms = (long)total;
  *ms += *ms < total; /* rounded up */
  return 0;
}

/* One event per line, compact, as runc's encoder writes them. */
static int print_event(json_t *event, void *arg, err_t *e) {
  (void)arg;
  _cleanup_free_ char *text = json_dumps(event, JSON_COMPACT);
  if (!text)
    return err_set(e, ENOMEM, "events: encode");
  if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
    return err_sys(e, "events: write");
  return 0;
}

int cmd_events(struct cli *cli, int argc, char **argv, err_t *e) {
  enum { OPT_STATS = 256, OPT_INTERVAL };
  static const struct option opts[] = {{"stats", no_argument, NULL, OPT_STATS},
                                       {"interval", required_argument, NULL, OPT_INTERVAL},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  bool stats = false;
  long interval_ms = 5000;
  int c;
  while ((c = cli_getopt(argc, argv, "+h", opts, e)) != -1) {
    if (c == 'h')
      return 0;
    if (c == '?')
      return -1;
    if (c == OPT_STATS)
      stats = true;
    else if (parse_duration(optarg, &interval_ms, e) < 0)
      return -1;
  }
  if (cli_positional(argc, argv, 1, "container id", e) < 0)
    return -1;
  return runtime_events(&cli->rt, argv[optind], stats ? 0 : interval_ms, print_event, NULL, e) < 0
             ? -1
             : 0;
}
