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

#define AUTHFILE_OPTION                                                                      \
  {OPT_AUTHFILE, 0, "authfile", CMDLINE_VALUE, "FILE",                                       \
   "Credentials file (default $REGISTRY_AUTH_FILE, else ROOT/auth.json)"}
#define TLS_VERIFY_OPTION                                                                    \
  {OPT_TLS_VERIFY, 0, "tls-verify", CMDLINE_OPTIONAL_VALUE, "BOOL",                          \
   "Verify TLS certificates; false also allows plain http"}
#define REGISTRY_OPTIONS                                                                     \
  TLS_VERIFY_OPTION,                                                                         \
      {OPT_CREDS, 0, "creds", CMDLINE_VALUE, "USER:PASS", "Credentials for this command only"}, \
      AUTHFILE_OPTION

struct registry_flags {
  struct registry_opts opts;
  char *authfile_path; /* owned */
};

static void registry_flags_free(struct registry_flags *f) {
  free(f->authfile_path);
}
#define _cleanup_registry_flags_ __attribute__((cleanup(registry_flags_free)))

/* The shared flags of a parsed command line into *f. */
static int registry_flags_get(const struct cli *cli, const struct cmdline_args *args,
                              struct registry_flags *f, err_t *e) {
  f->opts.tls_verify = true;
  const char *tls = cmdline_value(args, OPT_TLS_VERIFY);
  if (tls && !strcmp(tls, "false"))
    f->opts.tls_verify = false;
  else if (tls && strcmp(tls, "true"))
    return err_set(e, EINVAL, "--tls-verify: expected true or false, got '%s'", tls);
  const char *creds = cmdline_value(args, OPT_CREDS);
  if (creds && (!strchr(creds, ':') || creds[0] == ':'))
    return err_set(e, EINVAL, "--creds: expected USER:PASSWORD");
  f->opts.creds = creds;
  if (!(f->authfile_path = authfile_path(cmdline_value(args, OPT_AUTHFILE), cli->root)))
    return err_sys(e, "auth file path");
  f->opts.authfile = f->authfile_path;
  return 0;
}

const struct cmdline_option pull_options[] = {
    {'q', 'q', "quiet", CMDLINE_FLAG, NULL, "Print only the image ID"},
    {OPT_PLATFORM, 0, "platform", CMDLINE_VALUE, "OS/ARCH",
     "Choose from a multi-platform image (default: the host's)"},
    REGISTRY_OPTIONS,
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_pull) {
  _cleanup_registry_flags_ struct registry_flags f = {0};
  bool quiet = cmdline_has(args, 'q');
  const char *platform_arg = cmdline_value(args, OPT_PLATFORM), *name = args->operands[0];
  struct platform platform;
  if (platform_arg && platform_parse(platform_arg, &platform, e) < 0)
    return err_wrap(e, "--platform");
  if (registry_flags_get(cli, args, &f, e) < 0)
    return -1;

  struct progress_view *view = progress_view_new(stdout, quiet, "downloading");
  struct pull_opts o = {.registry = f.opts, .platform = platform_arg ? &platform : NULL,
                        .progress = progress_view_update, .progress_data = view};
  struct pull_plan *plan = NULL;
  _cleanup_image_store_ struct image_store *s = NULL;
  _cleanup_image_info_ struct image_info img = {0};
  if (!quiet)
    printf("Pulling %s\n", name);
  /* Resolve before opening the store: a bad name or an unreachable registry
   * must not create anything under --root. */
  int rc = registry_pull_resolve(name, &o, &plan, e);
  if (rc == 0)
    rc = image_store_open(cli->root, 0, &s, e);
  if (rc == 0)
    rc = registry_pull_fetch(plan, s, &img, e);
  progress_view_done(view);
  if (rc == 0 && !quiet)
    printf("Digest: %s\nStored %s\n", pull_plan_digest(plan), pull_plan_reference(plan));
  pull_plan_free(plan);
  if (rc < 0)
    return -1;
  printf("%s\n", digest_hex(img.config));
  return 0;
}

const struct cmdline_option push_options[] = {
    {'q', 'q', "quiet", CMDLINE_FLAG, NULL, "Print only the manifest digest"},
    REGISTRY_OPTIONS,
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_push) {
  _cleanup_registry_flags_ struct registry_flags f = {0};
  bool quiet = cmdline_has(args, 'q');
  const char *source = args->operands[0];
  const char *dest = args->n_operands > 1 ? args->operands[1] : source;
  if (registry_flags_get(cli, args, &f, e) < 0)
    return -1;
  /* No store yet means no image: say so without creating one. */
  struct stat st;
  if (stat(cli->root, &st) < 0 && errno == ENOENT)
    return err_set(e, ENOENT, "push %s: no such image: %s", dest, source);
  _cleanup_image_store_ struct image_store *s = NULL;
  if (image_store_open(cli->root, 0, &s, e) < 0)
    return -1;
  struct progress_view *view = progress_view_new(stdout, quiet, "uploading");
  struct push_opts o = {.registry = f.opts, .progress = progress_view_update,
                        .progress_data = view};
  char digest[DIGEST_BUF];
  if (!quiet)
    printf("Pushing %s to %s\n", source, dest);
  int rc = registry_push(s, source, dest, &o, digest, e);
  progress_view_done(view);
  if (rc < 0)
    return -1;
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

const struct cmdline_option login_options[] = {
    {'u', 'u', "username", CMDLINE_VALUE, "USER", "User name"},
    {'p', 'p', "password", CMDLINE_VALUE, "PASS", "Password"},
    {OPT_PASSWORD_STDIN, 0, "password-stdin", CMDLINE_FLAG, NULL, "Read the password from stdin"},
    TLS_VERIFY_OPTION,
    AUTHFILE_OPTION,
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_login) {
  _cleanup_registry_flags_ struct registry_flags f = {0};
  const char *user_arg = cmdline_value(args, 'u'), *pass_arg = cmdline_value(args, 'p');
  bool pass_stdin = cmdline_has(args, OPT_PASSWORD_STDIN);
  if (pass_arg && pass_stdin)
    return err_set(e, EINVAL, "login: -p and --password-stdin exclude each other");
  if (pass_stdin && !user_arg)
    return err_set(e, EINVAL, "login: --password-stdin needs -u USER");
  _cleanup_free_ char *registry = registry_operand(args->operands[0]);
  if (!registry || !*registry)
    return err_set(e, EINVAL, "login: empty registry name");
  _cleanup_free_ char *user = user_arg ? strdup(user_arg) : read_secret("Username: ", true);
  _cleanup_free_ char *pass = pass_arg ? strdup(pass_arg) : read_secret("Password: ", false);
  if (!user || !*user || !pass)
    return err_set(e, EINVAL, "login: a user name and a password are needed");
  if (registry_flags_get(cli, args, &f, e) < 0)
    return -1;
  _cleanup_free_ char *creds = NULL;
  if (asprintf(&creds, "%s:%s", user, pass) < 0)
    return err_sys(e, "login");
  struct registry_opts o = f.opts;
  o.creds = creds;
  struct registry *r = registry_connect(registry, &o, e);
  int rc = r ? registry_verify_login(r, e) : -1;
  registry_close(r);
  struct credentials cred = {.user = user, .pass = pass};
  if (rc == 0)
    rc = authfile_set(f.authfile_path, registry, &cred, e);
  explicit_bzero(pass, strlen(pass));
  explicit_bzero(creds, strlen(creds));
  if (rc < 0)
    return -1;
  printf("Login Succeeded\n");
  return 0;
}

const struct cmdline_option logout_options[] = {
    AUTHFILE_OPTION,
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_logout) {
  _cleanup_registry_flags_ struct registry_flags f = {0};
  _cleanup_free_ char *registry = registry_operand(args->operands[0]);
  if (!registry || !*registry)
    return err_set(e, EINVAL, "logout: empty registry name");
  if (registry_flags_get(cli, args, &f, e) < 0)
    return -1;
  int rc = authfile_remove(f.authfile_path, registry, e);
  if (rc < 0)
    return -1;
  if (rc == 0)
    return err_set(e, ENOENT, "not logged in to %s", registry);
  printf("Removed login credentials for %s\n", registry);
  return 0;
}
