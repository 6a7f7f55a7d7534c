/* capsule pull | push | login | logout: the registry commands. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/commands.h"
#include "cli/capsule/progress.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store.h"
#include "registry/auth.h"
#include "registry/pull.h"
#include "registry/push.h"
#include "util/cleanup.h"

/* Flags every registry command shares. */
enum { OPT_TLS_VERIFY = 1000, OPT_CREDS, OPT_AUTHFILE, OPT_PLATFORM, OPT_PASSWORD_STDIN };

#define REGISTRY_OPTIONS_HELP                                                            \
  "  --tls-verify=BOOL  verify TLS certificates; false also allows plain http\n"       \
  "  --creds USER:PASS  credentials for this command only\n"                           \
  "  --authfile FILE    credentials file (default $REGISTRY_AUTH_FILE, else ROOT/auth.json)\n"

struct registry_flags {
  struct registry_opts opts;
  const char *authfile;
  char *authfile_path; /* owned, set by registry_flags_finish() */
};

static void registry_flags_free(struct registry_flags *f) {
  free(f->authfile_path);
}
#define _cleanup_registry_flags_ __attribute__((cleanup(registry_flags_free)))

/* 1 when `c` was one of the shared flags (handled), 0 when not, -1 on a bad value. */
static int registry_flag(const struct cli *cli, int c, struct registry_flags *f) {
  switch (c) {
  case OPT_TLS_VERIFY:
    if (!optarg || !strcmp(optarg, "true"))
      f->opts.tls_verify = true;
    else if (!strcmp(optarg, "false"))
      f->opts.tls_verify = false;
    else
      return cli_usage_error(cli, "--tls-verify: expected true or false, got '%s'", optarg), -1;
    return 1;
  case OPT_CREDS:
    if (!strchr(optarg, ':') || optarg[0] == ':')
      return cli_usage_error(cli, "--creds: expected USER:PASSWORD"), -1;
    f->opts.creds = optarg;
    return 1;
  case OPT_AUTHFILE:
    f->authfile = optarg;
    return 1;
  }
  return 0;
}

/* cli_getopt that handles the shared flags itself: the next other option,
 * -1 at the end, '?' after a usage error (already printed). */
static int registry_getopt(const struct cli *cli, int argc, char **argv, const char *shortopts,
                           const struct option *longopts, struct registry_flags *f) {
  int c;
  while ((c = cli_getopt(cli, argc, argv, shortopts, longopts)) != -1) {
    int rc = registry_flag(cli, c, f);
    if (rc < 0)
      return '?';
    if (rc == 0)
      return c;
  }
  return -1;
}

static int registry_flags_finish(const struct cli *cli, struct registry_flags *f, err_t *e) {
  if (!(f->authfile_path = authfile_path(f->authfile, cli->root)))
    return err_sys(e, "auth file path");
  f->opts.authfile = f->authfile_path;
  return 0;
}

#define REGISTRY_LONGOPTS                                                              \
  {"tls-verify", optional_argument, NULL, OPT_TLS_VERIFY},                             \
      {"creds", required_argument, NULL, OPT_CREDS},                                   \
      {"authfile", required_argument, NULL, OPT_AUTHFILE}, {"help", no_argument, NULL, 'h'}

int cmd_pull(struct cli *cli, int argc, char **argv) {
  static const struct option longopts[] = {
      REGISTRY_LONGOPTS,
      {"quiet", no_argument, NULL, 'q'},
      {"platform", required_argument, NULL, OPT_PLATFORM},
      {NULL, 0, NULL, 0},
  };
  _cleanup_registry_flags_ struct registry_flags f = {.opts.tls_verify = true};
  bool quiet = false;
  const char *platform_arg = NULL;
  int c, rc;
  while ((c = registry_getopt(cli, argc, argv, "qh", longopts, &f)) != -1) {
    switch (c) {
    case 'q':
      quiet = true;
      break;
    case OPT_PLATFORM:
      platform_arg = optarg;
      break;
    case 'h':
      return cli_help(cli, "  -q, --quiet        print only the image ID\n"
                           "  --platform OS/ARCH choose from a multi-platform image "
                           "(default: the host's)\n" REGISTRY_OPTIONS_HELP);
    default:
      return EXIT_USAGE;
    }
  }
  if (cli_operands(cli, argc, 1, 1))
    return EXIT_USAGE;
  err_t e = ERR_INIT;
  struct platform platform;
  if (platform_arg && platform_parse(platform_arg, &platform, &e) < 0)
    return cli_usage_error(cli, "--platform: %s", e.msg);
  if (registry_flags_finish(cli, &f, &e) < 0)
    return cli_fail(&e);

  struct progress_view *view = progress_view_new(stdout, quiet, "downloading");
  struct pull_opts o = {.registry = f.opts, .platform = platform_arg ? &platform : NULL,
                        .progress = progress_view_update, .progress_data = view};
  struct pull_plan *plan = NULL;
  _cleanup_image_store_ struct image_store *s = NULL;
  _cleanup_image_info_ struct image_info img = {0};
  if (!quiet)
    printf("Pulling %s\n", argv[optind]);
  /* Resolve before opening the store: a bad name or an unreachable registry
   * must not create anything under --root. */
  rc = registry_pull_resolve(argv[optind], &o, &plan, &e);
  if (rc == 0)
    rc = image_store_open(cli->root, 0, &s, &e);
  if (rc == 0)
    rc = registry_pull_fetch(plan, s, &img, &e);
  progress_view_done(view);
  if (rc == 0 && !quiet)
    printf("Digest: %s\nStored %s\n", pull_plan_digest(plan), pull_plan_reference(plan));
  pull_plan_free(plan);
  if (rc < 0)
    return cli_fail(&e);
  printf("%s\n", digest_hex(img.config));
  return 0;
}

int cmd_push(struct cli *cli, int argc, char **argv) {
  static const struct option longopts[] = {
      REGISTRY_LONGOPTS,
      {"quiet", no_argument, NULL, 'q'},
      {NULL, 0, NULL, 0},
  };
  _cleanup_registry_flags_ struct registry_flags f = {.opts.tls_verify = true};
  bool quiet = false;
  int c, rc;
  while ((c = registry_getopt(cli, argc, argv, "qh", longopts, &f)) != -1) {
    switch (c) {
    case 'q':
      quiet = true;
      break;
    case 'h':
      return cli_help(cli, "  -q, --quiet        print only the manifest digest\n"
                      REGISTRY_OPTIONS_HELP);
    default:
      return EXIT_USAGE;
    }
  }
  if (cli_operands(cli, argc, 1, 2))
    return EXIT_USAGE;
  const char *source = argv[optind];
  const char *dest = optind + 1 < argc ? argv[optind + 1] : source;
  err_t e = ERR_INIT;
  if (registry_flags_finish(cli, &f, &e) < 0)
    return cli_fail(&e);
  /* No store yet means no image: say so without creating one. */
  struct stat st;
  if (stat(cli->root, &st) < 0 && errno == ENOENT) {
    err_set(&e, ENOENT, "push %s: no such image: %s", dest, source);
    return cli_fail(&e);
  }
  _cleanup_image_store_ struct image_store *s = NULL;
  if (image_store_open(cli->root, 0, &s, &e) < 0)
    return cli_fail(&e);
  struct progress_view *view = progress_view_new(stdout, quiet, "uploading");
  struct push_opts o = {.registry = f.opts, .progress = progress_view_update,
                        .progress_data = view};
  char digest[DIGEST_BUF];
  if (!quiet)
    printf("Pushing %s to %s\n", source, dest);
  rc = registry_push(s, source, dest, &o, digest, &e);
  progress_view_done(view);
  if (rc < 0)
    return cli_fail(&e);
  printf(quiet ? "%s\n" : "Digest: %s\n", digest);
  return 0;
}

/* A line from stdin without its newline; echo off when stdin is a terminal. */
static char *read_secret(const char *prompt, bool echo) {
  bool tty = isatty(STDIN_FILENO);
  struct termios old, quiet;
  if (tty) {
    fprintf(stderr, "%s", prompt);
    if (!echo && tcgetattr(STDIN_FILENO, &old) == 0) {
      quiet = old;
      quiet.c_lflag &= ~(tcflag_t)ECHO;
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (tty && !echo) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fprintf(stderr, "\n");
  }
  if (n < 0) {
    free(line);
    return NULL;
  }
  line[strcspn(line, "\r\n")] = '\0';
  return line;
}

/* The registry operand of login/logout: a host[:port], tolerating a URL. */
static char *registry_operand(const char *arg) {
  const char *s = strstr(arg, "://");
  s = s ? s + 3 : arg;
  char *host = strndup(s, strcspn(s, "/"));
  if (host && !strcmp(host, "index.docker.io")) {
    free(host);
    host = strdup(DOCKER_HUB);
  }
  return host;
}

int cmd_login(struct cli *cli, int argc, char **argv) {
  static const struct option longopts[] = {
      REGISTRY_LONGOPTS,
      {"username", required_argument, NULL, 'u'},
      {"password", required_argument, NULL, 'p'},
      {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
      {NULL, 0, NULL, 0},
  };
  _cleanup_registry_flags_ struct registry_flags f = {.opts.tls_verify = true};
  const char *user_arg = NULL, *pass_arg = NULL;
  bool pass_stdin = false;
  int c, rc;
  while ((c = registry_getopt(cli, argc, argv, "u:p:h", longopts, &f)) != -1) {
    switch (c) {
    case 'u':
      user_arg = optarg;
      break;
    case 'p':
      pass_arg = optarg;
      break;
    case OPT_PASSWORD_STDIN:
      pass_stdin = true;
      break;
    case 'h':
      return cli_help(cli, "  -u, --username USER  user name\n"
                           "  -p, --password PASS  password\n"
                           "  --password-stdin     read the password from stdin\n"
                           "  --tls-verify=BOOL    verify TLS certificates; false also allows "
                           "plain http\n"
                           "  --authfile FILE      credentials file (default "
                           "$REGISTRY_AUTH_FILE, else ROOT/auth.json)\n");
    default:
      return EXIT_USAGE;
    }
  }
  if (cli_operands(cli, argc, 1, 1))
    return EXIT_USAGE;
  if (f.opts.creds)
    return cli_usage_error(cli, "--creds does not apply to login: use -u and -p");
  if (pass_arg && pass_stdin)
    return cli_usage_error(cli, "-p and --password-stdin exclude each other");
  if (pass_stdin && !user_arg)
    return cli_usage_error(cli, "--password-stdin needs -u USER");
  _cleanup_free_ char *registry = registry_operand(argv[optind]);
  _cleanup_free_ char *user = user_arg ? strdup(user_arg) : read_secret("Username: ", true);
  _cleanup_free_ char *pass = pass_arg ? strdup(pass_arg) : read_secret("Password: ", false);
  err_t e = ERR_INIT;
  if (!registry || !*registry)
    return cli_usage_error(cli, "empty registry name");
  if (!user || !*user || !pass)
    return cli_usage_error(cli, "a user name and a password are needed");
  if (registry_flags_finish(cli, &f, &e) < 0)
    return cli_fail(&e);
  _cleanup_free_ char *creds = NULL;
  if (asprintf(&creds, "%s:%s", user, pass) < 0) {
    err_sys(&e, "login");
    return cli_fail(&e);
  }
  struct registry_opts o = f.opts;
  o.creds = creds;
  struct registry *r = registry_connect(registry, &o, &e);
  rc = r ? registry_verify_login(r, &e) : -1;
  registry_close(r);
  struct credentials cred = {.user = user, .pass = pass};
  if (rc == 0)
    rc = authfile_set(f.authfile_path, registry, &cred, &e);
  explicit_bzero(pass, strlen(pass));
  explicit_bzero(creds, strlen(creds));
  if (rc < 0)
    return cli_fail(&e);
  printf("Login Succeeded\n");
  return 0;
}

int cmd_logout(struct cli *cli, int argc, char **argv) {
  static const struct option longopts[] = {
      {"authfile", required_argument, NULL, OPT_AUTHFILE},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  _cleanup_registry_flags_ struct registry_flags f = {0};
  int c;
  while ((c = registry_getopt(cli, argc, argv, "h", longopts, &f)) != -1) {
    if (c == 'h')
      return cli_help(cli, "  --authfile FILE  credentials file (default "
                           "$REGISTRY_AUTH_FILE, else ROOT/auth.json)\n");
    return EXIT_USAGE;
  }
  if (cli_operands(cli, argc, 1, 1))
    return EXIT_USAGE;
  err_t e = ERR_INIT;
  _cleanup_free_ char *registry = registry_operand(argv[optind]);
  if (!registry || !*registry)
    return cli_usage_error(cli, "empty registry name");
  if (registry_flags_finish(cli, &f, &e) < 0)
    return cli_fail(&e);
  int rc = authfile_remove(f.authfile_path, registry, &e);
  if (rc < 0)
    return cli_fail(&e);
  if (rc == 0) {
    err_set(&e, ENOENT, "not logged in to %s", registry);
    return cli_fail(&e);
  }
  printf("Removed login credentials for %s\n", registry);
  return 0;
}
