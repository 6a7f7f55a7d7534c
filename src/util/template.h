/* Go-template-like output formats, as `docker images --format` takes them:
 * literal text with {{.Field}} placeholders ("{{ .Field }}" too), the
 * escapes \t and \n, and a leading "table " that asks for a header line. */
#ifndef CAPSULE_UTIL_TEMPLATE_H
#define CAPSULE_UTIL_TEMPLATE_H

#include <stdbool.h>

#include "util/error.h"

struct template;

/* Parse `text` against the NULL-terminated list of field names ("ID",
 * "Repository"...). Unknown fields are errors that list the known ones. */
int template_parse(const char *text, const char *const *fields, struct template **out, err_t *e);
void template_free(struct template *t);

/* True when the format started with "table ". */
bool template_is_table(const struct template *t);

/* One line of output (without newline), on the heap: `value(ctx, i)` gives
 * the text of field i (its index in `fields`). With `header`, the headers
 * (indexed like the fields) replace the values. */
char *template_render(const struct template *t, const char *(*value)(void *ctx, int field),
                      void *ctx);
char *template_render_header(const struct template *t, const char *const *headers);

#endif
