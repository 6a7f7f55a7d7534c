/* `capsule`: the user-facing front end (images, containers). Global flags,
 * then a command from the table in commands.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cli/capsule/cli.h"
#include "engine/engine.h"
#include "cli/capsule/commands.h"
#include "image/store.h"
#include "runtime/self_protect.h"
#include "util/cleanup.h"
#include "util/log.h"

struct command {
  const char *name;
  int (*run)(struct cli *cli, int argc, char **argv);
  const char *usage;
  const char *summary;
  int flags;
};

#define COMMAND_ENTRY(name, fn, usage, summary, flags) {name, fn, usage, summary, flags},
static const struct command commands[] = {CAPSULE_COMMANDS(COMMAND_ENTRY)};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

struct image_store *cli_store(const struct cli *cli, int flags, err_t *e) {
  struct image_store *s = NULL;
  if (image_store_open(cli->root, flags, &s, e) < 0)
    return NULL;
  return s;
}

int cli_fail(const err_t *e) {
  fprintf(stderr, "capsule: %s\n", e->msg[0] ? e->msg : "failed");
  return 1;
}

int cli_usage_error(const struct cli *cli, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "capsule %s: ", cli->cmd);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (see 'capsule %s --help')\n", cli->cmd);
  va_end(ap);
  return EXIT_USAGE;
}

int cli_help(const struct cli *cli, const char *options) {
  printf("Usage: capsule %s %s\n", cli->cmd, cli->usage);
  if (options)
    printf("\n%s", options);
  return 0;
}

int cli_getopt(const struct cli *cli, int argc, char **argv, const char *shortopts,
               const struct option *longopts) {
  /* "+": stop at the first operand; ":": report a missing value as ':'. */
  char spec[64];
  snprintf(spec, sizeof(spec), "+:%s", shortopts);
  opterr = 0;
  int prev = optind;
  int c = getopt_long(argc, argv, spec, longopts, NULL);
  if (c == '?' || c == ':') {
    const char *arg = prev < argc ? argv[prev] : "";
    if (c == '?' && optopt && strncmp(arg, "--", 2) != 0)
      cli_usage_error(cli, "unknown flag -%c", optopt);
    else if (c == '?')
      cli_usage_error(cli, "unknown flag %s", arg);
    else
      cli_usage_error(cli, "flag %s needs a value", arg);
    return '?';
  }
  return c;
}

int cli_operands(const struct cli *cli, int argc, int min, int max) {
  int n = argc - optind;
  if (n < min)
    return cli_usage_error(cli, "expected %s%d argument%s, got %d", max == min ? "" : "at least ",
                           min, min == 1 ? "" : "s", n);
  if (max >= 0 && n > max)
    return cli_usage_error(cli, "expected at most %d argument%s, got %d", max, max == 1 ? "" : "s",
                           n);
  return 0;
}

int cmd_version(struct cli *cli, int argc, char **argv) {
  (void)cli, (void)argc, (void)argv;
  printf("capsule version %s\n", CAPSULE_VERSION);
  return 0;
}

static void usage(FILE *out) {
  fprintf(out, "Usage: capsule [--root DIR] COMMAND [OPTIONS] [ARGS...]\n\n"
               "Global options:\n"
               "  --root DIR   store and state directory (default %s)\n"
               "  --runroot DIR  the runtime's state of running containers (default "
               ENGINE_DEFAULT_RUN_ROOT ")\n"
               "  --help       show this help\n"
               "  --version    show the version\n\n"
               "Commands:\n",
          IMAGE_STORE_DEFAULT_ROOT);
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(out, "  %-16s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nRun 'capsule COMMAND --help' for a command's options.\n");
}

static void log_to_stderr(enum log_level level, const char *msg, void *data) {
  (void)data;
  fprintf(stderr, "capsule: %s%s\n", level == LOG_ERROR ? "error: " : "warning: ", msg);
}

/* The command named by argv[0] (and argv[1] for two-word names); *words gets
 * how many arguments the name took. */
static const struct command *find_command(int argc, char **argv, int *words) {
  for (size_t i = 0; i < N_COMMANDS; i++) {
    const char *name = commands[i].name, *space = strchr(name, ' ');
    if (!space && !strcmp(name, argv[0])) {
      *words = 1;
      return &commands[i];
    }
    if (space && argc > 1 && !strncmp(name, argv[0], (size_t)(space - name)) &&
        argv[0][space - name] == '\0' && !strcmp(space + 1, argv[1])) {
      *words = 2;
      return &commands[i];
    }
  }
  return NULL;
}

static bool is_group(const char *word) {
  size_t len = strlen(word);
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (!strncmp(commands[i].name, word, len) && commands[i].name[len] == ' ')
      return true;
  return false;
}

/* `path` made absolute against the current directory (it may not exist yet). */
static char *absolute_path(const char *path) {
  if (path[0] == '/')
    return strdup(path);
  char cwd[4096];
  char *out = NULL;
  if (!getcwd(cwd, sizeof cwd) || asprintf(&out, "%s/%s", cwd, path) < 0)
    return NULL;
  return out;
}

int main(int argc, char **argv) {
  /* Keep containers that share our pid namespace out of /proc/<our pid>/exe
   * (CVE-2019-5736): only processes with CAP_SYS_PTRACE may open it now. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct cli cli = {.root = IMAGE_STORE_DEFAULT_ROOT, .run_root = ENGINE_DEFAULT_RUN_ROOT};
  log_set_sink(log_to_stderr, NULL, LOG_WARNING);
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--version") || !strcmp(a, "-v")) {
      printf("capsule version %s\n", CAPSULE_VERSION);
      return 0;
    } else if (!strcmp(a, "--root")) {
      if (++i == argc) {
        fprintf(stderr, "capsule: flag --root needs a value\n");
        return EXIT_USAGE;
      }
      cli.root = argv[i];
    } else if (!strncmp(a, "--root=", 7)) {
      cli.root = a + 7;
    } else if (!strcmp(a, "--runroot")) {
      if (++i == argc) {
        fprintf(stderr, "capsule: flag --runroot needs a value\n");
        return EXIT_USAGE;
      }
      cli.run_root = argv[i];
    } else if (!strncmp(a, "--runroot=", 10)) {
      cli.run_root = a + 10;
    } else {
      fprintf(stderr, "capsule: unknown flag %s (see 'capsule --help')\n", a);
      return EXIT_USAGE;
    }
  }
  if (!cli.root[0] || !cli.run_root[0]) {
    fprintf(stderr, "capsule: %s: empty path\n", cli.root[0] ? "--runroot" : "--root");
    return EXIT_USAGE;
  }
  /* Containers name their root by these paths: they must not depend on
   * the directory a later command runs from. */
  _cleanup_free_ char *abs_root = absolute_path(cli.root);
  _cleanup_free_ char *abs_run_root = absolute_path(cli.run_root);
  if (!abs_root || !abs_run_root) {
    fprintf(stderr, "capsule: --root: %s\n", strerror(errno));
    return 1;
  }
  cli.root = abs_root;
  cli.run_root = abs_run_root;
  if (i == argc) {
    usage(stderr);
    return EXIT_USAGE;
  }
  int words = 0;
  const struct command *c = find_command(argc - i, argv + i, &words);
  if (!c) {
    if (is_group(argv[i]) && i + 1 < argc)
      fprintf(stderr, "capsule: unknown command '%s %s' (see 'capsule --help')\n", argv[i],
              argv[i + 1]);
    else
      fprintf(stderr, "capsule: unknown command '%s' (see 'capsule --help')\n", argv[i]);
    return EXIT_USAGE;
  }
  cli.cmd = c->name;
  cli.usage = c->usage;
  err_t e = ERR_INIT;
  if ((c->flags & CMD_SEALED) && runtime_ensure_sealed(argv, &e) < 0)
    return cli_fail(&e);
  int cargc = argc - i - (words - 1);
  char **cargv = argv + i + (words - 1);
  optind = 1;
  return c->run(&cli, cargc, cargv);
}
