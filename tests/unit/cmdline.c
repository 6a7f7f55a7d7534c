/* The option parser: exact long names, values, grouped short flags, options
 * after operands, stop-at-operand, "--", "-", errors, lookup and help. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/cmdline.h"

enum { OPT_RM = 256, OPT_NAME, OPT_PIDS, OPT_TLS };

static const struct cmdline_option opts[] = {
    {OPT_RM, 0, "rm", CMDLINE_FLAG, NULL, "Remove"},
    {'d', 'd', "detach", CMDLINE_FLAG, NULL, "Detach"},
    {'i', 'i', "interactive", CMDLINE_FLAG, NULL, "Stdin"},
    {'t', 't', "tty", CMDLINE_FLAG, NULL, "Terminal"},
    {'e', 'e', "env", CMDLINE_LIST, "KEY=VALUE", "Environment"},
    {'o', 'o', "output", CMDLINE_VALUE, "FILE", "Output"},
    {OPT_NAME, 0, "name", CMDLINE_VALUE, "NAME", "Name"},
    {OPT_PIDS, 0, "pids-limit", CMDLINE_VALUE, "N", "Pids"},
    {OPT_TLS, 0, "tls-verify", CMDLINE_OPTIONAL_VALUE, "BOOL", "TLS"},
    {'x', 'x', "hidden-one", CMDLINE_FLAG, NULL, "Hidden", true},
    CMDLINE_OPTIONS_END,
};

static int dummy(struct cli *cli, struct cmdline_args *a, err_t *e) {
  (void)cli, (void)a, (void)e;
  return 0;
}

static const struct cmdline_command run_cmd = {
    .name = "run", .run = dummy, .operands = "IMAGE [COMMAND [ARG...]]", .summary = "Run",
    .options = opts, .min_operands = 1, .max_operands = -1,
    .flags = CMDLINE_STOP_AT_OPERAND, .stop_after = 1,
    .aliases = (const char *const[]){"container run", NULL}};
static const struct cmdline_command save_cmd = {
    .name = "image save", .run = dummy, .operands = "IMAGE...", .summary = "Save",
    .options = opts, .min_operands = 1, .max_operands = -1,
    .aliases = (const char *const[]){"save", NULL}};
static const struct cmdline_command tag_cmd = {
    .name = "tag", .run = dummy, .operands = "SOURCE TARGET", .summary = "Tag",
    .min_operands = 2, .max_operands = 2};
static const struct cmdline_command none_cmd = {.name = "version", .run = dummy,
                                                .summary = "Version"};

/* Parse a space-separated line (no quoting; "''" is an empty word). */
static int parse(const struct cmdline_command *cmd, const char *line, struct cmdline_args *a,
                 err_t *e) {
  static char buf[512];
  static char *argv[64];
  int argc = 0;
  snprintf(buf, sizeof buf, "%s", line);
  for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
    argv[argc++] = !strcmp(w, "''") ? w + 2 : w;
  argv[argc] = NULL;
  err_clear(e);
  return cmdline_parse(cmd, argc, argv, a, e);
}

static void expect_error(const struct cmdline_command *cmd, const char *line, const char *msg) {
  struct cmdline_args a;
  err_t e = ERR_INIT;
  CHECK(parse(cmd, line, &a, &e) < 0);
  CHECK_STR(e.msg, msg);
  CHECK(!a.options && !a.operands);
}

static void test_exact_long_names(void) {
  expect_error(&run_cmd, "--pid host img", "unknown flag --pid");
  expect_error(&run_cmd, "--pids img", "unknown flag --pids");
  expect_error(&run_cmd, "--na=x img", "unknown flag --na");
  _cleanup_cmdline_args_ struct cmdline_args a;
  err_t e = ERR_INIT;
  CHECK(parse(&run_cmd, "--pids-limit 5 img", &a, &e) == 0);
  CHECK_STR(cmdline_value(&a, OPT_PIDS), "5");
}

static void test_values(void) {
  _cleanup_cmdline_args_ struct cmdline_args a;
  err_t e = ERR_INIT;
  CHECK(parse(&run_cmd, "--name=a --name b -eX=1 -e Y=2 --env=Z=3 --pids-limit -1 img", &a,
              &e) == 0);
  CHECK_STR(cmdline_value(&a, OPT_NAME), "b"); /* the last wins */
  CHECK_STR(cmdline_value(&a, OPT_PIDS), "-1"); /* a value may start with '-' */
  char **env = cmdline_values(&a, 'e', &e);
  CHECK(env && env[0] && env[1] && env[2] && !env[3]);
  if (env && env[0] && env[1] && env[2]) {
    CHECK_STR(env[0], "X=1");
    CHECK_STR(env[1], "Y=2");
    CHECK_STR(env[2], "Z=3");
  }
  free(env);
  /* In order, through cmdline_next. */
  const char *v;
  CHECK(cmdline_next(&a, &v) == OPT_NAME && !strcmp(v, "a"));
  CHECK(cmdline_next(&a, &v) == OPT_NAME && !strcmp(v, "b"));
  CHECK(cmdline_next(&a, &v) == 'e' && !strcmp(v, "X=1"));
  CHECK(!cmdline_has(&a, OPT_RM) && cmdline_value(&a, 'o') == NULL);
  cmdline_args_free(&a);

  CHECK(parse(&run_cmd, "--name= img", &a, &e) == 0);
  CHECK_STR(cmdline_value(&a, OPT_NAME), "");
  cmdline_args_free(&a);
  CHECK(parse(&save_cmd, "--tls-verify --tls-verify=false x", &a, &e) == 0);
  CHECK(a.n_options == 2 && a.options[0].value == NULL);
  CHECK_STR(cmdline_value(&a, OPT_TLS), "false");
  cmdline_args_free(&a);
  /* An optional value only comes with "=": the next word is an operand. */
  CHECK(parse(&save_cmd, "--tls-verify false", &a, &e) == 0);
  CHECK(a.n_operands == 1 && !strcmp(a.operands[0], "false") && !cmdline_value(&a, OPT_TLS));
  expect_error(&save_cmd, "img --name", "flag --name needs a value");
  expect_error(&save_cmd, "img -e", "flag -e needs a value");
  expect_error(&run_cmd, "--rm=yes img", "flag --rm takes no value");
}

static void test_short_groups(void) {
  _cleanup_cmdline_args_ struct cmdline_args a;
  err_t e = ERR_INIT;
  CHECK(parse(&run_cmd, "-dit img", &a, &e) == 0);
  CHECK(cmdline_has(&a, 'd') && cmdline_has(&a, 'i') && cmdline_has(&a, 't'));
  CHECK(a.n_operands == 1);
  cmdline_args_free(&a);
  /* A value-taking letter ends the group: the rest, or the next word. */
  CHECK(parse(&run_cmd, "-de A=1 -teB=2 img", &a, &e) == 0);
  CHECK(cmdline_has(&a, 'd') && cmdline_has(&a, 't'));
  char **env = cmdline_values(&a, 'e', &e);
  CHECK(env && env[0] && env[1] && !strcmp(env[0], "A=1") && !strcmp(env[1], "B=2"));
  free(env);
  expect_error(&run_cmd, "-dz img", "unknown flag -z in -dz");
  expect_error(&run_cmd, "-z img", "unknown flag -z");
}

static void test_options_after_operands(void) {
  _cleanup_cmdline_args_ struct cmdline_args a;
  err_t e = ERR_INIT;
  CHECK(parse(&save_cmd, "busybox -o f other", &a, &e) == 0);
  CHECK_STR(cmdline_value(&a, 'o'), "f");
  CHECK(a.n_operands == 2 && !strcmp(a.operands[0], "busybox") && !strcmp(a.operands[1], "other"));
  CHECK(a.operands[2] == NULL);
  cmdline_args_free(&a);
  /* "--" ends the options; "-" is an operand. */
  CHECK(parse(&save_cmd, "- -- -o --rm", &a, &e) == 0);
  CHECK(a.n_options == 0 && a.n_operands == 3);
  CHECK_STR(a.operands[0], "-");
  CHECK_STR(a.operands[1], "-o");
  cmdline_args_free(&a);
  expect_error(&save_cmd, "busybox --bogus", "unknown flag --bogus");
}

static void test_stop_at_operand(void) {
  _cleanup_cmdline_args_ struct cmdline_args a;
  err_t e = ERR_INIT;
  CHECK(parse(&run_cmd, "--rm img ls -l --rm -- --help", &a, &e) == 0);
  CHECK(a.n_options == 1 && !a.help);
  CHECK(a.n_operands == 6);
  CHECK_STR(a.operands[2], "-l");
  CHECK_STR(a.operands[4], "--");
  CHECK_STR(a.operands[5], "--help");
  cmdline_args_free(&a);
  CHECK(parse(&run_cmd, "-- img -l", &a, &e) == 0);
  CHECK(a.n_options == 0 && a.n_operands == 2);
}

static void test_operand_counts_and_help(void) {
  expect_error(&tag_cmd, "x", "expected 2 arguments, got 1");
  expect_error(&tag_cmd, "x y z", "expected 2 arguments, got 3");
  expect_error(&run_cmd, "--rm", "expected at least 1 argument, got 0");
  expect_error(&none_cmd, "extra", "unexpected argument 'extra'");
  _cleanup_cmdline_args_ struct cmdline_args a;
  err_t e = ERR_INIT;
  CHECK(parse(&tag_cmd, "--help", &a, &e) == 0 && a.help); /* counts not checked */
  cmdline_args_free(&a);
  CHECK(parse(&run_cmd, "-h", &a, &e) == 0 && a.help);
  cmdline_args_free(&a);
  CHECK(parse(&none_cmd, "", &a, &e) == 0 && a.n_operands == 0 && a.operands[0] == NULL);
}

static void test_find(void) {
  const struct cmdline_command table[] = {run_cmd, save_cmd, tag_cmd};
  char *w1[] = {"container", "run", "x"}, *w2[] = {"save", "x"}, *w3[] = {"image", "save"},
       *w4[] = {"image", "nope"}, *w5[] = {"container"};
  int words = 0;
  CHECK(cmdline_find(table, 3, 3, w1, &words) == &table[0] && words == 2);
  CHECK(cmdline_find(table, 3, 2, w2, &words) == &table[1] && words == 1);
  CHECK(cmdline_find(table, 3, 2, w3, &words) == &table[1] && words == 2);
  CHECK(cmdline_find(table, 3, 2, w4, &words) == NULL);
  CHECK(cmdline_find(table, 3, 1, w5, &words) == NULL);
  CHECK(cmdline_is_group(table, 3, "image") && cmdline_is_group(table, 3, "container"));
  CHECK(!cmdline_is_group(table, 3, "run") && !cmdline_is_group(table, 3, "imag"));
}

static void test_help(void) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  CHECK_FATAL(f);
  cmdline_write_help(f, "capsule", &run_cmd, "container run");
  fclose(f);
  CHECK(strstr(text, "Usage: capsule container run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"));
  CHECK(strstr(text, "Aliases: run, container run\n"));
  CHECK(strstr(text, "  -e, --env KEY=VALUE"));
  CHECK(strstr(text, "      --tls-verify[=BOOL]"));
  CHECK(!strstr(text, "hidden-one"));
  free(text);
}

int main(void) {
  test_exact_long_names();
  test_values();
  test_short_groups();
  test_options_after_operands();
  test_stop_at_operand();
  test_operand_counts_and_help();
  test_find();
  test_help();
  return check_report("cmdline");
}
