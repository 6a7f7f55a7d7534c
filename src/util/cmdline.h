/* One command table and one option parser for every front end (capsule,
 * capsule-runtime). A command is data: its name and aliases, its operands,
 * its options (each with its help line), flags, and the function that runs
 * it. Help text, bash completion and man pages are generated from the same
 * data (cmdline_doc.c).
 *
 * Parsing rules (docker's and runc's, without getopt's surprises):
 *  - long options match exactly: "--pid" never means "--pids-limit";
 *  - "--name=value" and "--name value"; "-e X" and "-eX"; grouped short
 *    flags "-it", "-dit". In a group, a value-taking letter takes the rest
 *    of the word as its value, or the next word when it is last: "-de X"
 *    is -d and -e X, "-deX" is -d and -e X too (as docker's pflag);
 *  - a value is taken as given, even when it starts with '-'
 *    ("--memory -1");
 *  - options are accepted after operands ("save busybox -o f"), except in
 *    commands flagged CMDLINE_STOP_AT_OPERAND: once `stop_after` operands
 *    are seen, every later word is an operand ("run IMG ls -l": "ls", "-l"
 *    belong to the container's command);
 *  - "--" ends the options; a lone "-" is an operand (stdin);
 *  - "--help" (and "-h" unless the command has its own -h) asks for help:
 *    operand counts are then not checked.
 *
 * The library never prints: errors come back in err_t, one line each, without
 * the program's or the command's name (the front end adds them). */
#ifndef CAPSULE_UTIL_CMDLINE_H
#define CAPSULE_UTIL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/error.h"

/* Option kinds. */
enum cmdline_arg {
  CMDLINE_FLAG,  /* no value: "--rm" */
  CMDLINE_VALUE, /* one value: "--name x"; given twice, the last wins */
  CMDLINE_LIST,  /* repeatable value: "-e A=1 -e B=2" */
  /* A value that may be omitted, and only with "=": "--foo" or "--foo=x". */
  CMDLINE_OPTIONAL_VALUE,
};

struct cmdline_option {
  int id;               /* what cmdline_next returns: the short letter, or a
                           value >= 256 for a long-only option */
  char short_name;      /* 0: none */
  const char *long_name; /* NULL: none */
  enum cmdline_arg arg;
  const char *value_name; /* the value in help ("SIZE"), NULL for flags */
  const char *help;       /* one line, no trailing period */
  bool hidden;            /* accepted, left out of help (compatibility) */
};
#define CMDLINE_OPTIONS_END {0}

/* Command flags. */
#define CMDLINE_SEALED 1            /* starts processes in containers: runs from a
                                       sealed copy of the binary (self_protect.h) */
#define CMDLINE_STOP_AT_OPERAND 2   /* options end at operand `stop_after` (1-based) */
#define CMDLINE_HIDDEN 4            /* left out of help and completion */

struct cli; /* each front end defines its own */
struct cmdline_args;

/* A command's function: returns the exit status (>= 0), or -1 with `e` set;
 * the front end prints e once and exits with its error status. */
typedef int (*cmdline_fn)(struct cli *cli, struct cmdline_args *args, err_t *e);

struct cmdline_command {
  const char *name;     /* as typed: "run", "image ls" (one or two words) */
  cmdline_fn run;
  const char *operands; /* usage after the name and [OPTIONS]: "IMAGE [COMMAND [ARG...]]" */
  const char *summary;  /* one line */
  const struct cmdline_option *options; /* ends with CMDLINE_OPTIONS_END; may be NULL */
  int min_operands, max_operands;       /* max < 0: unbounded */
  int flags;
  int stop_after;       /* with CMDLINE_STOP_AT_OPERAND: after this many operands, the
                           rest are operands too */
  /* What completion offers for operands: NULL, or "container", "image",
     "volume", "network", "file", "command" (a front end's own kinds, see
     cmdline_write_bash_completion). */
  const char *complete;
  /* The exit status when `run` fails (returns -1); 0: the front end's
     default. */
  int fail_status;
  /* Other names of the same command, NULL-terminated, may be NULL:
     (const char *const[]){"images", "image list", NULL}. */
  const char *const *aliases;
};

/* The result of parsing one command line. Options come back in the order
 * given. */
struct cmdline_args {
  const struct cmdline_command *cmd;
  const char *name; /* the command's name as typed (an alias, maybe) */
  size_t n_options;
  struct cmdline_parsed {
    const struct cmdline_option *option;
    const char *value; /* NULL for flags (and an omitted optional value) */
  } *options;
  int n_operands;
  char **operands; /* borrowed from argv, NULL-terminated */
  bool help;       /* -h/--help was given (the caller prints help, returns 0) */
  size_t next;     /* cmdline_next's cursor */
};

/* Parse argv (argv[0..n-1], the words after the command's name) for `cmd`.
 * On error (unknown option, missing value, wrong operand count), -1 and a
 * one-line message naming the option ("unknown flag --pid" ...); `out` then
 * holds nothing to free. */
int cmdline_parse(const struct cmdline_command *cmd, int argc, char **argv,
                  struct cmdline_args *out, err_t *e);
void cmdline_args_free(struct cmdline_args *a);
#define _cleanup_cmdline_args_ __attribute__((cleanup(cmdline_args_free)))

/* Iterate the parsed options: returns the next option's id and sets *value,
 * or -1 at the end. */
int cmdline_next(struct cmdline_args *a, const char **value);

/* The value of the last occurrence of option `id`, or NULL. */
const char *cmdline_value(const struct cmdline_args *a, int id);
/* Whether option `id` was given. */
bool cmdline_has(const struct cmdline_args *a, int id);
/* Every value of option `id` in order, as a NULL-terminated vector of
 * borrowed strings (free only the vector); NULL with e set on ENOMEM. */
char **cmdline_values(const struct cmdline_args *a, int id, err_t *e);

/* Find the command named by the first one or two words of argv in `table`
 * (n entries), by its name or an alias; *words gets how many words the name
 * took. NULL if none. */
const struct cmdline_command *cmdline_find(const struct cmdline_command *table, size_t n,
                                           int argc, char **argv, int *words);
/* Whether `word` starts some two-word name or alias ("image", "container"). */
bool cmdline_is_group(const struct cmdline_command *table, size_t n, const char *word);

/* A front end as the writers below see it. */
struct cmdline_completer {
  const char *kind;  /* as in cmdline_command.complete: "container" */
  const char *words; /* a shell command printing candidates, one a line; "$@" holds the
                        program and its global options as typed ("capsule --root X") */
};
struct cmdline_program {
  const char *name, *version;
  /* The words before the command: its options are the global ones, its
     summary the program's; flags CMDLINE_STOP_AT_OPERAND, stop_after 1. */
  const struct cmdline_command *globals;
  const struct cmdline_command *table;
  size_t n;
  const char *description; /* man's DESCRIPTION and EXIT STATUS paragraphs, may be NULL */
  const char *exit_status;
  const struct cmdline_completer *completers; /* ends with {0}; "file" is built in */
};

/* Writers generated from the table (cmdline_doc.c; the front end owns the
 * FILE). `name` is the command as typed (NULL: its own name). */
void cmdline_write_help(FILE *out, const char *program, const struct cmdline_command *cmd,
                        const char *name);
/* The program's usage and global options, then its commands (with their
 * one-word aliases) and summaries, one a line; with `group` ("image"), only
 * the names in that group, aliases included. */
void cmdline_write_usage(FILE *out, const struct cmdline_program *p, const char *group);
/* A bash completion script: `complete -F _<name> <name>` over the table's
 * commands, groups, flags and operand kinds. */
void cmdline_write_bash_completion(FILE *out, const struct cmdline_program *p);
/* A man page in section 1 (roff): NAME, SYNOPSIS, DESCRIPTION, OPTIONS (the
 * global ones), COMMANDS (one subsection per command: usage, summary,
 * aliases, options), EXIT STATUS. `date` as "2026-12-02". */
void cmdline_write_man(FILE *out, const struct cmdline_program *p, const char *date);
/* `what` is "bash" (completion) or "man" (dated $SOURCE_DATE_EPOCH, else
 * today), written to stdout: the front ends' hidden `gen-docs` command. */
int cmdline_write_doc(const struct cmdline_program *p, const char *what, err_t *e);

#endif
