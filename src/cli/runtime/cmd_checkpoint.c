/* checkpoint, restore (runc's flags; checkpoint/checkpoint.h) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint/checkpoint.h"
#include "cli/runtime/cli.h"
#include "util/cleanup.h"
#include "util/fs.h"

enum {
  OPT_IMAGE = 256, OPT_WORK, OPT_PARENT, OPT_LEAVE, OPT_TCP, OPT_EXT_UNIX, OPT_SHELL_JOB,
  OPT_LOCKS, OPT_PRE_DUMP, OPT_CG_MODE, OPT_EMPTY_NS, OPT_CONSOLE, OPT_PID_FILE, OPT_NO_PIVOT,
  OPT_NO_SUBREAPER,
};

#define COMMON_OPTIONS                                                                           \
  {OPT_IMAGE, 0, "image-path", CMDLINE_VALUE, "DIR",                                             \
   "where CRIU's images are (default: ./checkpoint)"},                                           \
      {OPT_WORK, 0, "work-path", CMDLINE_VALUE, "DIR",                                           \
       "where CRIU's logs go (default: the image path)"},                                        \
      {OPT_TCP, 0, "tcp-established", CMDLINE_FLAG, NULL, "allow open TCP connections"},        \
      {OPT_EXT_UNIX, 0, "ext-unix-sk", CMDLINE_FLAG, NULL,                                      \
       "allow unix sockets connected outside the container"},                                   \
      {OPT_SHELL_JOB, 0, "shell-job", CMDLINE_FLAG, NULL,                                        \
       "allow a process with the caller's terminal"},                                           \
      {OPT_LOCKS, 0, "file-locks", CMDLINE_FLAG, NULL, "allow file locks"},                      \
      {OPT_CG_MODE, 0, "manage-cgroups-mode", CMDLINE_VALUE, "soft|full|strict|ignore",          \
       "how CRIU handles the cgroups (default soft)"},                                          \
      {OPT_EMPTY_NS, 0, "empty-ns", CMDLINE_VALUE, "network",                                    \
       "make this namespace empty instead of saving it"}

const struct cmdline_option checkpoint_options[] = {
    COMMON_OPTIONS,
    {OPT_PARENT, 0, "parent-path", CMDLINE_VALUE, "DIR",
     "an earlier --pre-dump's images, relative to the image path"},
    {OPT_LEAVE, 0, "leave-running", CMDLINE_FLAG, NULL, "keep the container running afterwards"},
    {OPT_PRE_DUMP, 0, "pre-dump", CMDLINE_FLAG, NULL,
     "dump the memory only (needs soft-dirty tracking in the kernel)"},
    CMDLINE_OPTIONS_END,
};

const struct cmdline_option restore_options[] = {
    COMMON_OPTIONS,
    {'b', 'b', "bundle", CMDLINE_VALUE, "DIR", "bundle directory (default: current directory)"},
    {'d', 'd', "detach", CMDLINE_FLAG, NULL, "do not wait for the container"},
    {OPT_CONSOLE, 0, "console-socket", CMDLINE_VALUE, "PATH",
     "unix socket to receive the pty master"},
    {OPT_PID_FILE, 0, "pid-file", CMDLINE_VALUE, "FILE", "write the init's pid here"},
    {OPT_NO_PIVOT, 0, "no-pivot", CMDLINE_FLAG, NULL, "accepted for runc compatibility"},
    {OPT_NO_SUBREAPER, 0, "no-subreaper", CMDLINE_FLAG, NULL, "accepted for runc compatibility",
     true},
    CMDLINE_OPTIONS_END,
};

/* The next option that is not one of the flags both commands take (those
 * go into `c`); -1 at the end. */
static int next_own_flag(struct cmdline_args *args, struct criu_opts_common *c, const char **v) {
  int id;
  while ((id = cmdline_next(args, v)) != -1) {
    switch (id) {
    case OPT_IMAGE: c->image_path = *v; break;
    case OPT_WORK: c->work_path = *v; break;
    case OPT_TCP: c->tcp_established = true; break;
    case OPT_EXT_UNIX: c->ext_unix_sk = true; break;
    case OPT_SHELL_JOB: c->shell_job = true; break;
    case OPT_LOCKS: c->file_locks = true; break;
    case OPT_CG_MODE: c->manage_cgroups_mode = *v; break;
    case OPT_EMPTY_NS: c->empty_ns = *v; break;
    default: return id;
    }
  }
  return -1;
}

/* runc's default image directory: ./checkpoint (kept in *def). */
static int default_image_path(struct criu_opts_common *c, char **def, err_t *e) {
  if (c->image_path)
    return 0;
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd))
    return err_sys(e, "current directory");
  if (!(*def = path_join(cwd, "checkpoint")))
    return err_sys(e, "image path");
  c->image_path = *def;
  return 0;
}

RUNTIME_COMMAND(cmd_checkpoint) {
  struct checkpoint_opts o = {0};
  const char *v;
  int id;
  while ((id = next_own_flag(args, &o.c, &v)) != -1) {
    switch (id) {
    case OPT_PARENT: o.parent_path = v; break;
    case OPT_LEAVE: o.leave_running = true; break;
    case OPT_PRE_DUMP: o.pre_dump = true; break;
    }
  }
  _cleanup_free_ char *def = NULL;
  if (default_image_path(&o.c, &def, e) < 0)
    return -1;
  return checkpoint_container(&cli->rt, args->operands[0], &o, e) < 0 ? -1 : 0;
}

RUNTIME_COMMAND(cmd_restore) {
  struct restore_opts o = {0};
  const char *v;
  int id;
  while ((id = next_own_flag(args, &o.c, &v)) != -1) {
    switch (id) {
    case 'd': o.detach = true; break;
    case OPT_CONSOLE: o.console_socket = v; break;
    case OPT_PID_FILE: o.pid_file = v; break;
    case OPT_NO_PIVOT: o.no_pivot = true; break;
    }
  }
  _cleanup_free_ char *def = NULL;
  if (default_image_path(&o.c, &def, e) < 0)
    return -1;
  _cleanup_free_ char *bundle = cli_bundle_path(cmdline_value(args, 'b'), e);
  if (!bundle)
    return -1;
  o.bundle = bundle;
  int status = 0;
  return restore_container(&cli->rt, args->operands[0], &o, &status, e) < 0 ? -1 : status;
}
