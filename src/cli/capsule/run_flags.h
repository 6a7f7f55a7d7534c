/* run's (and create's) flags for mounts, devices, environment and label
 * files, labels, privileges, limits, --cidfile, --pull and how the container
 * is stopped (--stop-signal, --stop-timeout): their entries in
 * the run command's option table and what they put in struct run_opts. */
#ifndef CAPSULE_CLI_CAPSULE_RUN_FLAGS_H
#define CAPSULE_CLI_CAPSULE_RUN_FLAGS_H

#include "cli/capsule/cli.h"
#include "engine/engine.h"
#include "util/cmdline.h"

enum {
  OPT_MOUNT = 0x300, OPT_TMPFS, OPT_DEVICE, OPT_ENV_FILE, OPT_LABEL_FILE, OPT_CAP_ADD,
  OPT_CAP_DROP, OPT_PRIVILEGED, OPT_SECURITY_OPT, OPT_ULIMIT, OPT_PULL, OPT_CIDFILE,
  OPT_STOP_SIGNAL, OPT_STOP_TIMEOUT,
};

#define RUN_FLAGS_OPTIONS                                                                      \
  {OPT_MOUNT, 0, "mount", CMDLINE_LIST, "type=bind|volume|tmpfs,...",                          \
   "Mount a filesystem (source=, target=, readonly, tmpfs-size=, tmpfs-mode=)"},               \
  {OPT_TMPFS, 0, "tmpfs", CMDLINE_LIST, "PATH[:OPTIONS]", "Mount a tmpfs"},                    \
  {OPT_DEVICE, 0, "device", CMDLINE_LIST, "HOST[:CONTAINER[:rwm]]", "Add a host device"},      \
  {OPT_ENV_FILE, 0, "env-file", CMDLINE_LIST, "FILE", "Read environment variables from a file"}, \
  {'l', 'l', "label", CMDLINE_LIST, "KEY=VALUE", "Set metadata on the container"},             \
  {OPT_LABEL_FILE, 0, "label-file", CMDLINE_LIST, "FILE", "Read labels from a file"},          \
  {OPT_CAP_ADD, 0, "cap-add", CMDLINE_LIST, "CAP", "Add a Linux capability (ALL: every one)"}, \
  {OPT_CAP_DROP, 0, "cap-drop", CMDLINE_LIST, "CAP", "Drop a Linux capability (ALL: every one)"}, \
  {OPT_PRIVILEGED, 0, "privileged", CMDLINE_FLAG, NULL,                                        \
   "Every capability and device, no seccomp, nothing masked"},                                 \
  {OPT_SECURITY_OPT, 0, "security-opt", CMDLINE_LIST, "OPTION",                                \
   "no-new-privileges, seccomp=FILE|unconfined"},                                              \
  {OPT_ULIMIT, 0, "ulimit", CMDLINE_LIST, "NAME=SOFT[:HARD]", "Set a resource limit (-1: none)"}, \
  {OPT_PULL, 0, "pull", CMDLINE_VALUE, "always|missing|never",                                 \
   "Pull the image first (default: missing)"},                                                 \
  {OPT_CIDFILE, 0, "cidfile", CMDLINE_VALUE, "FILE", "Write the container ID to the file"},    \
  {OPT_STOP_SIGNAL, 0, "stop-signal", CMDLINE_VALUE, "SIGNAL",                                 \
   "Signal that stops the container (default: the image's, else SIGTERM)"},                    \
  {OPT_STOP_TIMEOUT, 0, "stop-timeout", CMDLINE_VALUE, "SECONDS",                              \
   "Time stop waits before SIGKILL (default 10; -1: forever)"}

/* What the options' values need to outlive (the resolved environment and
 * labels, the vectors). */
struct run_flags {
  char **env, **labels; /* heap strings */
  char **vectors[10];   /* borrowed strings, the vectors on the heap */
};

/* Fill `o` from the options above, -e and -v (after `o->env` holds -e's
 * values); pull the image as --pull says. */
int run_flags_apply(const struct cli *cli, struct cmdline_args *args, struct run_opts *o,
                    struct run_flags *f, err_t *e);
void run_flags_free(struct run_flags *f);
#define _cleanup_run_flags_ __attribute__((cleanup(run_flags_free)))

/* --pull (run_pull.c): policy NULL is "missing". */
int cli_run_pull(const struct cli *cli, const char *ref, const char *policy, err_t *e);

#endif
