#include "cli/capsule/run_flags.h"

#include <stdlib.h>

#include "util/cleanup.h"

void run_flags_free(struct run_flags *f) {
  strv_free(f->env);
  strv_free(f->labels);
  for (size_t i = 0; i < sizeof f->vectors / sizeof f->vectors[0]; i++)
    free(f->vectors[i]);
}

int run_flags_apply(const struct cli *cli, struct cmdline_args *args, struct run_opts *o,
                    struct run_flags *f, err_t *e) {
  static const int ids[] = {OPT_MOUNT,   OPT_TMPFS,   OPT_DEVICE,       OPT_ENV_FILE, 'l',
                            OPT_LABEL_FILE, OPT_CAP_ADD, OPT_CAP_DROP, OPT_SECURITY_OPT,
                            OPT_ULIMIT};
  char ***v = f->vectors;
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
    if (!(v[i] = cmdline_values(args, ids[i], e)))
      return -1;
  o->mounts = v[0];
  o->tmpfs = v[1];
  o->devices = v[2];
  o->cap_add = v[6];
  o->cap_drop = v[7];
  o->security_opt = v[8];
  o->ulimits = v[9];
  o->privileged = cmdline_has(args, OPT_PRIVILEGED);
  o->cidfile = cmdline_value(args, OPT_CIDFILE);
  /* Checked by the engine (run_config.c), kept in the record for stop. */
  o->stop_signal = cmdline_value(args, OPT_STOP_SIGNAL);
  o->stop_timeout = cmdline_value(args, OPT_STOP_TIMEOUT);
  if (engine_env_resolve(o->env, v[3], &f->env, e) < 0 ||
      engine_labels_resolve(v[4], v[5], &f->labels, e) < 0)
    return -1;
  o->env = f->env;
  o->labels = f->labels;
  return cli_run_pull(cli, o->image, cmdline_value(args, OPT_PULL), e);
}
