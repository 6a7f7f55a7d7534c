#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

static log_sink_fn sink;
static void *sink_data;
static enum log_level sink_max = LOG_WARNING;

void log_set_sink(log_sink_fn fn, void *data, enum log_level max_level) {
  sink = fn;
  sink_data = data;
  sink_max = max_level;
}

void log_msg(enum log_level level, const char *fmt, ...) {
  if (!sink || level > sink_max)
    return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  sink(level, buf, sink_data);
}
