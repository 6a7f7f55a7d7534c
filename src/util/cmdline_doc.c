/* Help text, bash completion and man pages generated from a command table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static bool in_group(const char *name, const char *group) {
  size_t len = strlen(group);
  return !strncmp(name, group, len) && name[len] == ' ';
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


static void write_command_list(FILE *out, const struct cmdline_command *table, size_t n,
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

void cmdline_write_usage(FILE *out, const struct cmdline_program *p, const char *group) {
  if (group) {
    fprintf(out, "Usage: %s %s COMMAND\n\nCommands:\n", p->name, group);
  } else {
    cmdline_write_help(out, p->name, p->globals, NULL);
    fprintf(out, "\nCommands:\n");
  }
  write_command_list(out, p->table, p->n, group);
  fprintf(out, "\nRun '%s COMMAND --help' for a command's options.\n", p->name);
}

/* --- bash completion */

/* The options as words: all of them, or only those that take the next word. */
static void write_flag_words(FILE *out, const struct cmdline_option *opts, bool valued_only) {
  const char *sep = "";
  for (const struct cmdline_option *o = opts; o && !option_end(o); o++) {
    bool valued = o->arg == CMDLINE_VALUE || o->arg == CMDLINE_LIST;
    if (o->hidden || (valued_only && !valued))
      continue;
    if (o->short_name)
      fprintf(out, "%s-%c", sep, o->short_name), sep = " ";
    if (o->long_name)
      fprintf(out, "%s--%s", sep, o->long_name), sep = " ";
  }
}

/* A set of words as one space-separated string (the names of a table fit). */
struct wordset {
  char text[4096];
  size_t len;
};

static void wordset_add(struct wordset *w, const char *word, size_t len) {
  for (const char *p = w->text; *p;) {
    size_t l = strcspn(p, " ");
    if (l == len && !strncmp(p, word, len))
      return;
    p += l + (p[l] == ' ');
  }
  if (w->len + len + 2 > sizeof w->text)
    return;
  w->len += (size_t)snprintf(w->text + w->len, sizeof w->text - w->len, "%s%.*s",
                             w->len ? " " : "", (int)len, word);
}

/* The first words of every visible name (group NULL), or the second words
 * of the names in `group`. */
static void name_words(const struct cmdline_program *p, const char *group, struct wordset *w) {
  *w = (struct wordset){.len = 0};
  for (size_t i = 0; i < p->n; i++) {
    if (p->table[i].flags & CMDLINE_HIDDEN)
      continue;
    for (int k = -1; k < 0 || (p->table[i].aliases && p->table[i].aliases[k]); k++) {
      const char *name = k < 0 ? p->table[i].name : p->table[i].aliases[k];
      const char *space = strchr(name, ' ');
      if (!group)
        wordset_add(w, name, space ? (size_t)(space - name) : strlen(name));
      else if (space && in_group(name, group))
        wordset_add(w, space + 1, strlen(space + 1));
    }
  }
}

static void write_command_arm(FILE *out, const struct cmdline_command *c) {
  fprintf(out, "  \"%s\"", c->name);
  for (const char *const *al = c->aliases; al && *al; al++)
    fprintf(out, " | \"%s\"", *al);
  fprintf(out, ")\n    flags=\"");
  write_flag_words(out, c->options, false);
  fprintf(out, " --help\" valued=\"");
  write_flag_words(out, c->options, true);
  fprintf(out, "\" kind=\"%s\" stop=%d ;;\n", c->complete ? c->complete : "",
          c->flags & CMDLINE_STOP_AT_OPERAND ? c->stop_after : 0);
}

void cmdline_write_bash_completion(FILE *out, const struct cmdline_program *p) {
  char fn[64];
  snprintf(fn, sizeof fn, "_%s", p->name);
  for (char *c = fn; *c; c++)
    if (*c == '-')
      *c = '_';
  struct wordset top, sub;
  name_words(p, NULL, &top);
  fprintf(out,
          "# bash completion for %s, generated from its command table (%s gen-docs bash)\n\n"
          "# The flags, flags taking a value, operand kind and stop-at-operand of a command.\n"
          "%s_command() {\n  case \"$1\" in\n",
          p->name, p->name, fn);
  for (size_t i = 0; i < p->n; i++)
    if (!(p->table[i].flags & CMDLINE_HIDDEN))
      write_command_arm(out, &p->table[i]);
  fprintf(out, "  *) return 1 ;;\n  esac\n}\n\n"
               "# Candidates for an operand of a kind; \"$@\": the program and its global flags.\n"
               "%s_operands() {\n  local kind=$1\n  shift\n  case $kind in\n",
          fn);
  for (const struct cmdline_completer *k = p->completers; k && k->kind; k++)
    fprintf(out, "  %s) %s ;;\n", k->kind, k->words);
  fprintf(out, "  esac\n}\n\n%s() {\n"
               "  local cur=${COMP_WORDS[COMP_CWORD]} i=1 w name flags valued kind stop n=0 dd=0\n"
               "  local -a prog=(\"${COMP_WORDS[0]}\")\n"
               "  COMPREPLY=()\n"
               "  while [ \"$i\" -lt \"$COMP_CWORD\" ]; do # global flags\n"
               "    w=${COMP_WORDS[i]}\n"
               "    case \" ",
          fn);
  write_flag_words(out, p->globals->options, true);
  fprintf(out, " \" in\n"
               "    *\" $w \"*) prog+=(\"$w\" \"${COMP_WORDS[i + 1]}\"); i=$((i + 2)); continue ;;\n"
               "    esac\n"
               "    [[ $w == -* ]] || break\n"
               "    prog+=(\"$w\"); i=$((i + 1))\n"
               "  done\n"
               "  if [ \"$i\" -gt \"$COMP_CWORD\" ]; then # a global flag's value\n"
               "    compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))\n"
               "    return\n"
               "  elif [ \"$i\" -eq \"$COMP_CWORD\" ]; then\n"
               "    if [[ $cur == -* ]]; then\n"
               "      COMPREPLY=($(compgen -W \"");
  write_flag_words(out, p->globals->options, false);
  fprintf(out, " --help\" -- \"$cur\"))\n"
               "    else\n"
               "      COMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))\n"
               "    fi\n"
               "    return\n"
               "  fi\n"
               "  name=${COMP_WORDS[i]}\n"
               "  i=$((i + 1))\n"
               "  case $name in\n",
          top.text);
  for (const char *w = top.text; *w;) {
    size_t l = strcspn(w, " ");
    char group[64];
    snprintf(group, sizeof group, "%.*s", (int)l, w);
    w += l + (w[l] == ' ');
    if (!cmdline_is_group(p->table, p->n, group))
      continue;
    name_words(p, group, &sub);
    fprintf(out, "  %s)\n"
                 "    if [ \"$i\" -eq \"$COMP_CWORD\" ]; then\n"
                 "      COMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))\n"
                 "      return\n"
                 "    fi\n"
                 "    name=\"$name ${COMP_WORDS[i]}\"\n"
                 "    i=$((i + 1)) ;;\n",
            group, sub.text);
  }
  fprintf(out,
          "  esac\n"
          "  %s_command \"$name\" || return\n"
          "  while [ \"$i\" -lt \"$COMP_CWORD\" ]; do # operands so far\n"
          "    w=${COMP_WORDS[i]}\n"
          "    if [ \"$dd\" = 1 ] || [[ $w != -?* ]]; then\n"
          "      n=$((n + 1))\n"
          "    elif [ \"$w\" = -- ]; then\n"
          "      dd=1\n"
          "    elif [[ \" $valued \" == *\" $w \"* ]]; then\n"
          "      i=$((i + 1))\n"
          "    fi\n"
          "    # After operand `stop`, the words are a command's (the container's)\n"
          "    [ \"$stop\" -gt 0 ] && [ \"$n\" -ge \"$stop\" ] && return\n"
          "    i=$((i + 1))\n"
          "  done\n"
          "  if [ \"$i\" -gt \"$COMP_CWORD\" ]; then # a flag's value\n"
          "    compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))\n"
          "  elif [ \"$dd\" = 0 ] && [[ $cur == -* ]]; then\n"
          "    COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n"
          "  elif [ \"$kind\" = file ]; then\n"
          "    compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))\n"
          "  elif [ -n \"$kind\" ]; then # compgen -W expands words: plain ones only\n"
          "    COMPREPLY=($(compgen -W \"$(%s_operands \"$kind\" \"${prog[@]}\" |\n"
          "      grep -E '^[A-Za-z0-9_.:/@+-]+$')\" -- \"$cur\"))\n"
          "  fi\n"
          "}\n\n"
          "complete -F %s %s\n",
          fn, fn, fn, p->name);
}

/* --- man pages */

/* Text for roff: backslashes and dashes escaped, no request at a line's
 * start. */
static void roff(FILE *out, const char *text) {
  if (text[0] == '.' || text[0] == '\'')
    fputs("\\&", out);
  for (const char *c = text; *c; c++) {
    if (*c == '\\')
      fputs("\\e", out);
    else if (*c == '-')
      fputs("\\-", out);
    else
      fputc(*c, out);
    if (*c == '\n' && (c[1] == '.' || c[1] == '\''))
      fputs("\\&", out);
  }
}

static void man_options(FILE *out, const struct cmdline_option *opts) {
  for (const struct cmdline_option *o = opts; o && !option_end(o); o++) {
    if (o->hidden)
      continue;
    fputs(".TP\n", out);
    if (o->short_name)
      fprintf(out, "\\fB\\-%c\\fR%s", o->short_name, o->long_name ? ", " : "");
    if (o->long_name) {
      fputs("\\fB\\-\\-", out);
      roff(out, o->long_name);
      fputs("\\fR", out);
    }
    if (o->arg != CMDLINE_FLAG) {
      fputs(o->arg == CMDLINE_OPTIONAL_VALUE ? "[=\\fI" : " \\fI", out);
      roff(out, o->value_name ? o->value_name : "VALUE");
      fputs(o->arg == CMDLINE_OPTIONAL_VALUE ? "\\fR]" : "\\fR", out);
    }
    fputc('\n', out);
    roff(out, o->help);
    fputs(o->arg == CMDLINE_LIST ? " (repeatable)\n" : "\n", out);
  }
}

void cmdline_write_man(FILE *out, const struct cmdline_program *p, const char *date) {
  char upper[64];
  snprintf(upper, sizeof upper, "%s", p->name);
  for (char *c = upper; *c; c++)
    if (*c >= 'a' && *c <= 'z')
      *c = (char)(*c - 'a' + 'A');
  fprintf(out, ".TH %s 1 \"%s\" \"%s %s\" \"User Commands\"\n.SH NAME\n", upper, date, p->name,
          p->version);
  roff(out, p->name);
  fputs(" \\- ", out);
  roff(out, p->globals->summary);
  fprintf(out, "\n.SH SYNOPSIS\n.B %s\n[\\fIOPTIONS\\fR] ", p->name);
  roff(out, p->globals->operands);
  fputc('\n', out);
  if (p->description) {
    fputs(".SH DESCRIPTION\n", out);
    roff(out, p->description);
    fputc('\n', out);
  }
  fputs(".SH OPTIONS\n", out);
  man_options(out, p->globals->options);
  fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nShow the help (also after a command)\n"
        ".SH COMMANDS\n",
        out);
  for (size_t i = 0; i < p->n; i++) {
    const struct cmdline_command *c = &p->table[i];
    if (c->flags & CMDLINE_HIDDEN)
      continue;
    fprintf(out, ".SS \"%s ", p->name);
    roff(out, c->name);
    if (has_visible_options(c))
      fputs(" [OPTIONS]", out);
    if (c->operands && *c->operands) {
      fputc(' ', out);
      roff(out, c->operands);
    }
    fputs("\"\n", out);
    roff(out, c->summary);
    fputc('\n', out);
    if (c->aliases && *c->aliases) {
      fputs(".PP\nAliases: ", out);
      for (const char *const *al = c->aliases; *al; al++) {
        roff(out, *al);
        fputs(al[1] ? ", " : "\n", out);
      }
    }
    man_options(out, c->options);
  }
  if (p->exit_status) {
    fputs(".SH EXIT STATUS\n", out);
    roff(out, p->exit_status);
    fputc('\n', out);
  }
}

int cmdline_write_doc(const struct cmdline_program *p, const char *what, err_t *e) {
  if (!strcmp(what, "bash")) {
    cmdline_write_bash_completion(stdout, p);
  } else if (!strcmp(what, "man")) {
    /* Reproducible: the date of the source when the build says so. */
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    time_t t = epoch && *epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
    struct tm tm;
    char date[32];
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    cmdline_write_man(stdout, p, date);
  } else {
    return err_set(e, EINVAL, "gen-docs: expected bash or man, got '%s'", what);
  }
  return fflush(stdout) == 0 && !ferror(stdout) ? 0 : err_sys(e, "gen-docs: write");
}
