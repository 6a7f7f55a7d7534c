/* A container's files: cp, diff, commit, export. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/cli_engine.h"
#include "cli/capsule/commands.h"
#include "engine/engine.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

const struct cmdline_option cp_options[] = {
    {'a', 'a', "archive", CMDLINE_FLAG, NULL, "Keep owners (uid:gid) of the files"},
    {'L', 'L', "follow-link", CMDLINE_FLAG, NULL, "Follow a symlink that is the source"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_cp) {
  struct engine eng = cli_engine(cli);
  struct cp_opts o = {.archive = cmdline_has(args, 'a'), .follow = cmdline_has(args, 'L')};
  const char *to = args->operands[1];
  if (!strcmp(to, "-") && isatty(STDOUT_FILENO))
    return err_set(e, EINVAL, "refusing to write an archive to a terminal: redirect it");
  return engine_cp(&eng, args->operands[0], to, &o, STDIN_FILENO, STDOUT_FILENO, e) < 0 ? -1 : 0;
}

CAPSULE_COMMAND(cmd_diff) {
  struct engine eng = cli_engine(cli);
  _cleanup_json_ json_t *changes = NULL;
  if (engine_diff(&eng, args->operands[0], &changes, e) < 0)
    return -1;
  size_t i;
  json_t *c;
  json_array_foreach(changes, i, c) {
    json_int_t kind = json_integer_value(json_object_get(c, "Kind"));
    printf("%c %s\n", "CAD"[kind], json_string_value(json_object_get(c, "Path")));
  }
  return 0;
}

enum { OPT_PAUSE = 256 };

const struct cmdline_option commit_options[] = {
    {'a', 'a', "author", CMDLINE_VALUE, "NAME", "Author (e.g. \"Jane <jane@example.com>\")"},
    {'c', 'c', "change", CMDLINE_LIST, "INSTR",
     "Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, "
     "VOLUME, STOPSIGNAL)"},
    {'m', 'm', "message", CMDLINE_VALUE, "TEXT", "Commit message"},
    {'p', 'p', "pause", CMDLINE_OPTIONAL_VALUE, "BOOL",
     "Pause the container while committing (default true; --pause=false)"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_commit) {
  struct engine eng = cli_engine(cli);
  struct commit_opts o = {.message = cmdline_value(args, 'm'),
                          .author = cmdline_value(args, 'a'),
                          .reference = args->n_operands > 1 ? args->operands[1] : NULL,
                          .pause = true};
  _cleanup_free_ const char **changes = NULL;
  size_t n = 0, cap = 0;
  const char *v;
  for (int id; (id = cmdline_next(args, &v)) >= 0;) {
    if (id == OPT_PAUSE || id == 'p') {
      if (v && strcmp(v, "true") && strcmp(v, "false"))
        return err_set(e, EINVAL, "--pause=%s: expected true or false", v);
      o.pause = !v || !strcmp(v, "true");
    } else if (id == 'c') {
      if (array_reserve_sz((void **)&changes, &cap, n + 2, sizeof *changes) < 0)
        return err_sys(e, "commit");
      changes[n++] = v;
      changes[n] = NULL;
    }
  }
  o.changes = changes;
  char id[DIGEST_BUF];
  if (engine_commit(&eng, args->operands[0], &o, id, e) < 0)
    return -1;
  printf("%s\n", id);
  return 0;
}

const struct cmdline_option export_options[] = {
    {'o', 'o', "output", CMDLINE_VALUE, "FILE", "Write to FILE instead of stdout"},
    CMDLINE_OPTIONS_END,
};

struct export_job {
  const struct engine *eng;
  const char *name;
};

static int export_into(void *ctx, int fd, err_t *e) {
  struct export_job *j = ctx;
  return engine_export(j->eng, j->name, fd, e);
}

CAPSULE_COMMAND(cmd_export) {
  struct engine eng = cli_engine(cli);
  const char *file = cmdline_value(args, 'o');
  struct export_job job = {&eng, args->operands[0]};
  if (file && strcmp(file, "-"))
    return cli_write_output(file, export_into, &job, e) < 0 ? -1 : 0;
  if (isatty(STDOUT_FILENO))
    return err_set(e, EINVAL, "refusing to write an archive to a terminal: use -o FILE or "
                              "redirect it");
  return engine_export(&eng, args->operands[0], STDOUT_FILENO, e) < 0 ? -1 : 0;
}

CAPSULE_COMMAND(cmd_rename) {
  struct engine eng = cli_engine(cli);
  return engine_rename(&eng, args->operands[0], args->operands[1], e) < 0 ? -1 : 0;
}
