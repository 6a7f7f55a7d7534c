/* The attached client of `run` (foreground), `start -a` and `attach`. */
#ifndef CAPSULE_CLI_CAPSULE_ATTACH_H
#define CAPSULE_CLI_CAPSULE_ATTACH_H

#include <stdbool.h>

#include "engine/engine.h"
#include "util/error.h"

#include "util/cmdline.h"

enum { ATTACH_EXITED = 0, ATTACH_DETACHED = 1, ATTACH_LOST = -1 };

/* The options of run, start and attach that shape the session. */
enum { OPT_DETACH_KEYS = 0x380, OPT_SIG_PROXY };
#define ATTACH_OPTIONS                                                                          \
  {OPT_DETACH_KEYS, 0, "detach-keys", CMDLINE_VALUE, "KEYS",                                  \
   "Keys that detach (default ctrl-p,ctrl-q; a letter or ctrl-X, comma-separated)"},           \
  {OPT_SIG_PROXY, 0, "sig-proxy", CMDLINE_OPTIONAL_VALUE, "BOOL",                             \
   "Forward the signals we get to the container (default true; --sig-proxy=false)"}

struct attach_opts {
  bool tty, with_stdin;
  bool sig_proxy;             /* forward our signals (without tty) */
  unsigned char keys[16];     /* the detach sequence */
  size_t n_keys;
};

/* The defaults (ctrl-p ctrl-q, signals forwarded), then --detach-keys and
 * --sig-proxy from `args`: docker's syntax. */
int attach_opts_parse(struct cmdline_args *args, struct attach_opts *o, err_t *e);

/* Relay between our stdio and `sock` (a connection to the monitor of
 * container `id`) until the container exits (*code: its exit status), the
 * user types the detach keys, or the monitor goes away (-1, e set).
 * With `tty` and a terminal on stdin, the terminal is raw meanwhile and its
 * size follows ours; without, the signals we get go to the container
 * (unless !sig_proxy: then they act on us as usual). */
int attach_run(const struct engine *eng, const char *id, int sock, const struct attach_opts *o,
               int *code, err_t *e);

#endif
