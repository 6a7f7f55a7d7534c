/* The option parser and the command lookup (rules in cmdline.h). */
#include "util/cmdline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool has_value(const struct cmdline_option *o) {
  return o->arg == CMDLINE_VALUE || o->arg == CMDLINE_LIST;
}

static const struct cmdline_option *find_long(const struct cmdline_option *opts, const char *name,
                                              size_t len) {
  for (const struct cmdline_option *o = opts; o && (o->long_name || o->short_name); o++)
    if (o->long_name && strlen(o->long_name) == len && !strncmp(o->long_name, name, len))
      return o;
  return NULL;
}

static const struct cmdline_option *find_short(const struct cmdline_option *opts, char c) {
  for (const struct cmdline_option *o = opts; o && (o->long_name || o->short_name); o++)
    if (o->short_name == c)
      return o;
  return NULL;
}

static void add_option(struct cmdline_args *a, const struct cmdline_option *o, const char *v) {
  a->options[a->n_options++] = (struct cmdline_parsed){.option = o, .value = v};
}

/* "--name", "--name=value" or "--name value" at argv[*i]. 1 when it was
 * --help, 0 when parsed, -1 on error. */
static int parse_long(const struct cmdline_command *cmd, int argc, char **argv, int *i,
                      struct cmdline_args *a, err_t *e) {
  const char *word = argv[*i] + 2, *eq = strchr(word, '=');
  size_t len = eq ? (size_t)(eq - word) : strlen(word);
  const struct cmdline_option *o = find_long(cmd->options, word, len);
  if (!o) {
    if (len == 4 && !strncmp(word, "help", 4) && !eq)
      return 1;
    return err_set(e, EINVAL, "unknown flag --%.*s", (int)len, word);
  }
  if (o->arg == CMDLINE_FLAG && eq)
    return err_set(e, EINVAL, "flag --%s takes no value", o->long_name);
  const char *value = eq ? eq + 1 : NULL;
  if (!value && has_value(o)) {
    if (*i + 1 >= argc)
      return err_set(e, EINVAL, "flag --%s needs a value", o->long_name);
    value = argv[++*i];
  }
  add_option(a, o, value);
  return 0;
}

/* "-x", "-xVALUE", "-x VALUE", "-abc" at argv[*i]; returns as parse_long. */
static int parse_short(const struct cmdline_command *cmd, int argc, char **argv, int *i,
                       struct cmdline_args *a, err_t *e) {
  const char *word = argv[*i];
  for (const char *p = word + 1; *p; p++) {
    const struct cmdline_option *o = find_short(cmd->options, *p);
    if (!o) {
      if (*p == 'h')
        return 1;
      if (p == word + 1 && !p[1])
        return err_set(e, EINVAL, "unknown flag -%c", *p);
      return err_set(e, EINVAL, "unknown flag -%c in %s", *p, word);
    }
    if (o->arg == CMDLINE_FLAG) {
      add_option(a, o, NULL);
      continue;
    }
    /* A value-taking letter ends the group: the rest is its value. */
    const char *value = p[1] ? p + 1 : NULL;
    if (!value && o->arg == CMDLINE_OPTIONAL_VALUE) {
      add_option(a, o, NULL);
      return 0;
    }
    if (!value) {
      if (*i + 1 >= argc)
        return err_set(e, EINVAL, "flag -%c needs a value", *p);
      value = argv[++*i];
    }
    add_option(a, o, value);
    return 0;
  }
  return 0;
}

static int check_operands(const struct cmdline_command *cmd, const struct cmdline_args *a,
                          err_t *e) {
  int n = a->n_operands, min = cmd->min_operands, max = cmd->max_operands;
  if (n < min)
    return err_set(e, EINVAL, "expected %s%d argument%s, got %d", max == min ? "" : "at least ",
                   min, min == 1 ? "" : "s", n);
  if (max == 0 && n > 0)
    return err_set(e, EINVAL, "unexpected argument '%s'", a->operands[0]);
  if (max >= 0 && n > max)
    return err_set(e, EINVAL, "expected %s%d argument%s, got %d", max == min ? "" : "at most ",
                   max, max == 1 ? "" : "s", n);
  return 0;
}

int cmdline_parse(const struct cmdline_command *cmd, int argc, char **argv,
                  struct cmdline_args *out, err_t *e) {
  *out = (struct cmdline_args){.cmd = cmd, .name = cmd->name};
  /* At most one option per word, or per letter of a group ("-dit"). */
  size_t slots = 1;
  for (int i = 0; i < argc; i++)
    slots += argv[i][0] == '-' ? strlen(argv[i]) : 1;
  out->options = calloc(slots, sizeof *out->options);
  out->operands = calloc((size_t)argc + 1, sizeof *out->operands);
  if (!out->options || !out->operands) {
    cmdline_args_free(out);
    return err_sys(e, "parse the command line");
  }
  bool stops = cmd->flags & CMDLINE_STOP_AT_OPERAND, options_done = false;
  for (int i = 0; i < argc; i++) {
    const char *w = argv[i];
    if (stops && out->n_operands >= cmd->stop_after)
      options_done = true;
    if (options_done || w[0] != '-' || !w[1]) {
      out->operands[out->n_operands++] = argv[i];
      continue;
    }
    if (!strcmp(w, "--")) {
      options_done = true;
      continue;
    }
    int r = w[1] == '-' ? parse_long(cmd, argc, argv, &i, out, e)
                        : parse_short(cmd, argc, argv, &i, out, e);
    if (r < 0) {
      cmdline_args_free(out);
      return -1;
    }
    if (r == 1)
      out->help = true;
  }
  if (!out->help && check_operands(cmd, out, e) < 0) {
    cmdline_args_free(out);
    return -1;
  }
  return 0;
}

void cmdline_args_free(struct cmdline_args *a) {
  free(a->options);
  free(a->operands);
  a->options = NULL;
  a->operands = NULL;
  a->n_options = 0;
  a->n_operands = 0;
}

int cmdline_next(struct cmdline_args *a, const char **value) {
  if (a->next >= a->n_options)
    return -1;
  const struct cmdline_parsed *p = &a->options[a->next++];
  *value = p->value;
  return p->option->id;
}

const char *cmdline_value(const struct cmdline_args *a, int id) {
  const char *v = NULL;
  for (size_t i = 0; i < a->n_options; i++)
    if (a->options[i].option->id == id)
      v = a->options[i].value;
  return v;
}

bool cmdline_has(const struct cmdline_args *a, int id) {
  for (size_t i = 0; i < a->n_options; i++)
    if (a->options[i].option->id == id)
      return true;
  return false;
}

char **cmdline_values(const struct cmdline_args *a, int id, err_t *e) {
  char **v = calloc(a->n_options + 1, sizeof *v);
  if (!v) {
    (err_sys)(e, "parse the command line");
    return NULL;
  }
  size_t n = 0;
  for (size_t i = 0; i < a->n_options; i++)
    if (a->options[i].option->id == id)
      v[n++] = (char *)a->options[i].value;
  return v;
}

/* Does `name` (one or two words) name argv's first words? Returns how many
 * words it took, 0 if not. */
static int name_matches(const char *name, int argc, char **argv) {
  const char *space = strchr(name, ' ');
  if (!space)
    return !strcmp(name, argv[0]);
  size_t len = (size_t)(space - name);
  return argc > 1 && !strncmp(name, argv[0], len) && argv[0][len] == '\0' &&
                 !strcmp(space + 1, argv[1])
             ? 2
             : 0;
}

const struct cmdline_command *cmdline_find(const struct cmdline_command *table, size_t n,
                                           int argc, char **argv, int *words) {
  if (argc < 1)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    int w = name_matches(table[i].name, argc, argv);
    for (const char *const *al = table[i].aliases; !w && al && *al; al++)
      w = name_matches(*al, argc, argv);
    if (w) {
      *words = w;
      return &table[i];
    }
  }
  return NULL;
}

static bool in_group(const char *name, const char *word) {
  size_t len = strlen(word);
  return !strncmp(name, word, len) && name[len] == ' ';
}

bool cmdline_is_group(const struct cmdline_command *table, size_t n, const char *word) {
  for (size_t i = 0; i < n; i++) {
    if (in_group(table[i].name, word))
      return true;
    for (const char *const *al = table[i].aliases; al && *al; al++)
      if (in_group(*al, word))
        return true;
  }
  return false;
}
