/* The Dockerfile / Containerfile syntax, as docker and buildah read it:
 * parser directives (`# escape=`), comments, line continuations, the
 * instruction word (any case), `--flag=value`s of FROM, RUN, COPY, ADD and
 * HEALTHCHECK, the exec (JSON array) and shell forms, and BuildKit's here-
 * documents (`RUN <<EOF`, `COPY <<EOF /dst`). What the words mean is the
 * executor's (build.c); variables are expanded there too (args.h). */
#ifndef CAPSULE_BUILD_DOCKERFILE_H
#define CAPSULE_BUILD_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct df_heredoc {
  char *name; /* the word after << */
  char *body; /* its lines, each ending in '\n' */
  bool expand; /* unquoted word: variables are expanded (by the shell for RUN) */
};

struct df_instr {
  int line;        /* where it starts (1-based) */
  char *keyword;   /* upper case: "RUN" */
  char **flags;    /* "--from=x" as written, NULL-terminated (maybe empty) */
  char *args;      /* the rest, continuation lines joined, flags removed */
  char **exec;     /* the exec form's strings when args is a JSON array, else NULL */
  char *text;      /* the instruction as written, continuations joined (messages, history) */
  struct df_heredoc *heredocs;
  size_t n_heredocs;
};

struct dockerfile {
  struct df_instr *v;
  size_t n;
  char escape; /* '\\' or '`' */
};

/* Parse `text`; `name` (the file's name) goes into messages:
 * "Containerfile:4: ...". */
int dockerfile_parse(const char *text, size_t len, const char *name, struct dockerfile *out,
                     err_t *e);
void dockerfile_free(struct dockerfile *d);

/* The value of flag `name` ("from") of an instruction: the text after
 * "--from=", "" for a bare "--from", NULL when absent. */
const char *df_flag(const struct df_instr *in, const char *name);

#endif
