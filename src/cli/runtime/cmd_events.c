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

enum { OPT_STATS = 256, OPT_INTERVAL };

const struct cmdline_option events_options[] = {
    {OPT_STATS, 0, "stats", CMDLINE_FLAG, NULL, "print one stats event and exit"},
    {OPT_INTERVAL, 0, "interval", CMDLINE_VALUE, "D",
     "stats every D (5s, 100ms, 1m30s; default 5s), and an oom event when a process is killed "
     "for lack of memory, until the container stops"},
    CMDLINE_OPTIONS_END,
};

RUNTIME_COMMAND(cmd_events) {
  long interval_ms = 5000;
  const char *interval = cmdline_value(args, OPT_INTERVAL);
  if (interval && parse_duration(interval, &interval_ms, e) < 0)
    return -1;
  long every = cmdline_has(args, OPT_STATS) ? 0 : interval_ms;
  return runtime_events(&cli->rt, args->operands[0], every, print_event, NULL, e) < 0 ? -1 : 0;
}
