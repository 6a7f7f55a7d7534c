/* The run options start and restart need, checked once at create and kept
 * in the record (struct container_run_config). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "oci/names.h"

int engine_parse_size(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  long long mult = 1;
  switch (*end) {
  case 'k': case 'K': mult = 1LL << 10; end++; break;
  case 'm': case 'M': mult = 1LL << 20; end++; break;
  case 'g': case 'G': mult = 1LL << 30; end++; break;
  default: break;
  }
  if (*end == 'b' || *end == 'B')
    end++;
  if (errno || end == s || *end || v <= 0 || v > INT64_MAX / mult)
    return -1;
  *out = v * mult;
  return 0;
}

static int parse_int(const char *s, int min, int max, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < min || v > max)
    return -1;
  *out = (int)v;
  return 0;
}

/* no | on-failure[:N] | always | unless-stopped */
static int parse_restart(const char *s, struct container_run_config *c, err_t *e) {
  const char *colon = strchr(s, ':');
  size_t len = colon ? (size_t)(colon - s) : strlen(s);
  static const char *const names[] = {"no", "on-failure", "always", "unless-stopped"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strlen(names[i]) != len || strncmp(s, names[i], len))
      continue;
    if (colon && (i != 1 || parse_int(colon + 1, 0, 1 << 30, &c->restart_max) < 0))
      break;
    snprintf(c->restart_policy, sizeof c->restart_policy, "%s", names[i]);
    return 0;
  }
  return err_set(e, EINVAL, "--restart %s: expected no, on-failure[:N], always or unless-stopped",
                 s);
}

int engine_run_config(const struct run_opts *o, const char *image_stop_signal,
                      struct container_run_config *c, err_t *e) {
  container_run_config_default(c);
  c->tty = o->tty;
  c->interactive = o->interactive;
  c->auto_remove = o->rm;
  c->init = o->init;
  c->vm = o->vm;
  if (o->restart && parse_restart(o->restart, c, e) < 0)
    return -1;
  if (o->rm && strcmp(c->restart_policy, "no"))
    return err_set(e, EINVAL, "--restart %s and --rm together: a container removed when it "
                              "exits cannot be restarted", o->restart);
  const char *sig = o->stop_signal ? o->stop_signal
                                   : image_stop_signal && *image_stop_signal ? image_stop_signal
                                                                            : NULL;
  if (sig && (c->stop_signal = signal_from_name(sig)) <= 0)
    return err_set(e, EINVAL, "%s %s: unknown signal", o->stop_signal ? "--stop-signal"
                                                                        : "the image's StopSignal",
                   sig);
  if (o->stop_timeout && parse_int(o->stop_timeout, -1, 1 << 30, &c->stop_timeout) < 0)
    return err_set(e, EINVAL, "--stop-timeout %s: expected a number of seconds", o->stop_timeout);
  if (o->log_max_size && engine_parse_size(o->log_max_size, &c->log_max_size) < 0)
    return err_set(e, EINVAL, "--log-opt max-size=%s: expected a size such as 10m",
                   o->log_max_size);
  if (o->log_max_file && (parse_int(o->log_max_file, 1, 1000, &c->log_max_file) < 0 ||
                          (c->log_max_file > 1 && !c->log_max_size)))
    return err_set(e, EINVAL, "--log-opt max-file=%s: expected 1 to 1000, with max-size",
                   o->log_max_file);
  return 0;
}
