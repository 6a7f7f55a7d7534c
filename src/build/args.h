/* Variables in instructions, as docker expands them: $NAME, ${NAME},
 * ${NAME:-word} ${NAME-word} (a default), ${NAME:+word} ${NAME+word} (an
 * alternative), with quotes ('...' literal, "..." expanded) and the escape
 * character. Which names are visible (ARG's scoping, ENV over ARG) is the
 * lookup's business (build.c). */
#ifndef CAPSULE_BUILD_ARGS_H
#define CAPSULE_BUILD_ARGS_H

#include <stdbool.h>

#include "util/error.h"

/* The value of a variable, or NULL when it is not set. */
typedef const char *(*build_lookup_fn)(void *ctx, const char *name);

/* Expand `s`. With `split`, unquoted blanks separate words; without, the
 * whole is one word. *out: a NULL-terminated heap vector (strv_free). */
int build_words(const char *s, char escape, build_lookup_fn fn, void *ctx, bool split,
                char ***out, err_t *e);
/* One word (blanks kept): *out on the heap. */
int build_word(const char *s, char escape, build_lookup_fn fn, void *ctx, char **out, err_t *e);

#endif
