/* Diagnostics from the library go through a sink that the front end installs
 * (a log file, stderr, JSON lines). The library itself never writes to stdout
 * or stderr. With no sink installed, messages are dropped. */
#ifndef CAPSULE_UTIL_LOG_H
#define CAPSULE_UTIL_LOG_H

enum log_level { LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

typedef void (*log_sink_fn)(enum log_level level, const char *msg, void *data);

void log_set_sink(log_sink_fn fn, void *data, enum log_level max_level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
