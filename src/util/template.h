/* Go templates as docker's --format takes them, evaluated over JSON:
 *
 *   {{.Field.Sub}}  {{.}}  {{$}}  {{$var.Field}}  {{"text"}} {{42}} {{true}}
 *   {{json .Config}}  {{index .Config.Labels "k"}}  {{index .Args 0}}
 *   {{len .Mounts}}  {{join .Args " "}}  {{split .X ","}}  {{upper .X}}
 *   {{lower .X}}  {{title .X}}  {{printf "%s:%d" .A .B}}  {{println .X}}
 *   {{eq .A "x"}} {{ne ..}} {{not ..}} {{and ..}} {{or ..}}  {{.X | json}}
 *   {{if P}}..{{else if P}}..{{else}}..{{end}}  {{with P}}..{{end}}
 *   {{range P}}..{{else}}..{{end}}  {{range $k, $v := P}}..{{end}}
 *   {{$x := P}}  {{- trims blanks before, -}} after; comments are skipped
 *
 * plus the escapes \t and \n in text, and a leading "table " that asks for
 * a header line (docker's table format). Values print as Go prints decoded
 * JSON: strings bare, objects "map[k:v]", arrays "[a b]", a missing key
 * "<no value>". */
#ifndef CAPSULE_UTIL_TEMPLATE_H
#define CAPSULE_UTIL_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

struct template;

/* A template over any JSON document (inspect --format). */
int template_parse_json(const char *text, struct template **out, err_t *e);

/* A template over rows of named string fields ("ID", "Repository"...,
 * NULL-terminated, kept by reference): a field that is not one of them is
 * an error that lists them. */
int template_parse(const char *text, const char *const *fields, struct template **out, err_t *e);
void template_free(struct template *t);

/* True when the format started with "table ". */
bool template_is_table(const struct template *t);

/* The output over `doc`, on the heap (without a newline of its own); NULL
 * with e set when the evaluation fails (index of a number...). */
char *template_render_json(const struct template *t, const json_t *doc, err_t *e);

/* The header line of a table: each top-level field the template names
 * (".State.Status" names "State") shows as header(field). */
char *template_render_header_json(const struct template *t, const char *(*header)(const char *field));

/* For templates of template_parse: `value(ctx, i)` gives the text of field
 * i (its index in `fields`), asked only for the fields the template uses;
 * the headers are indexed like the fields. NULL when out of memory or the
 * evaluation fails (why in `e`, when not NULL). */
char *template_render(const struct template *t, const char *(*value)(void *ctx, int field),
                      void *ctx, err_t *e);
char *template_render_header(const struct template *t, const char *const *headers);

#endif
