/* Help text generated from a command table. */
#include <string.h>

#include "util/cmdline.h"

static bool option_end(const struct cmdline_option *o) {
  return !o->long_name && !o->short_name;
}

/* "-d, --detach", "    --name NAME", "--tls-verify[=BOOL]" into buf. */
static void option_label(char *buf, size_t cap, const struct cmdline_option *o) {
  const char *v = o->value_name ? o->value_name : "VALUE";
  char shortpart[8] = "    ";
  if (o->short_name)
    snprintf(shortpart, sizeof shortpart, "-%c%s", o->short_name, o->long_name ? ", " : "");
  if (!o->long_name)
    snprintf(buf, cap, "%s%s%s", shortpart, o->arg == CMDLINE_FLAG ? "" : " ",
             o->arg == CMDLINE_FLAG ? "" : v);
  else if (o->arg == CMDLINE_OPTIONAL_VALUE)
    snprintf(buf, cap, "%s--%s[=%s]", shortpart, o->long_name, v);
  else
    snprintf(buf, cap, "%s--%s%s%s", shortpart, o->long_name, o->arg == CMDLINE_FLAG ? "" : " ",
             o->arg == CMDLINE_FLAG ? "" : v);
}

static bool has_visible_options(const struct cmdline_command *cmd) {
  for (const struct cmdline_option *o = cmd->options; o && !option_end(o); o++)
    if (!o->hidden)
      return true;
  return false;
}

void cmdline_write_help(FILE *out, const char *program, const struct cmdline_command *cmd,
                        const char *name) {
  bool opts = has_visible_options(cmd);
  name = name ? name : cmd->name;
  fprintf(out, "Usage: %s%s%s%s%s%s\n\n%s\n", program, *name ? " " : "", name,
          opts ? " [OPTIONS]" : "", cmd->operands && *cmd->operands ? " " : "",
          cmd->operands ? cmd->operands : "", cmd->summary);
  if (cmd->aliases && *cmd->aliases) {
    fprintf(out, "\nAliases: %s", cmd->name);
    for (const char *const *al = cmd->aliases; *al; al++)
      fprintf(out, ", %s", *al);
    fputc('\n', out);
  }
  if (!opts)
    return;
  /* One column for the labels: as wide as the widest, within reason. */
  char label[128];
  int width = 0;
  for (const struct cmdline_option *o = cmd->options; !option_end(o); o++) {
    option_label(label, sizeof label, o);
    int len = (int)strlen(label);
    if (!o->hidden && len > width && len <= 30)
      width = len;
  }
  fprintf(out, "\nOptions:\n");
  for (const struct cmdline_option *o = cmd->options; !option_end(o); o++) {
    if (o->hidden)
      continue;
    option_label(label, sizeof label, o);
    if ((int)strlen(label) > width)
      fprintf(out, "  %s\n  %*s  %s\n", label, width, "", o->help);
    else
      fprintf(out, "  %-*s  %s\n", width, label, o->help);
  }
}

static bool in_group(const char *name, const char *group) {
  size_t len = strlen(group);
  return !strncmp(name, group, len) && name[len] == ' ';
}

void cmdline_write_command_list(FILE *out, const struct cmdline_command *table, size_t n,
                                const char *group) {
  for (size_t i = 0; i < n; i++) {
    const struct cmdline_command *c = &table[i];
    if (c->flags & CMDLINE_HIDDEN)
      continue;
    char names[128] = "";
    size_t at = 0;
    const char *first = group && !in_group(c->name, group) ? NULL : c->name;
    if (first)
      at += (size_t)snprintf(names, sizeof names, "%s", first);
    for (const char *const *al = c->aliases; al && *al && at < sizeof names; al++) {
      /* The whole list of a group; one-word aliases only in the main one. */
      bool show = group ? in_group(*al, group) : !strchr(*al, ' ');
      if (show)
        at += (size_t)snprintf(names + at, sizeof names - at, "%s%s", at ? ", " : "", *al);
    }
    if (!at)
      continue;
    if (at > 20)
      fprintf(out, "  %s\n  %-20s  %s\n", names, "", c->summary);
    else
      fprintf(out, "  %-20s  %s\n", names, c->summary);
  }
}
