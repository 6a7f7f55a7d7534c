/* Go templates over JSON (util/template.h): each form docker users write
 * in --format, as Go's text/template prints it, and the errors. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/template.h"

static const char *doc_text =
    "{\"Name\": \"/web\", \"State\": {\"Status\": \"running\", \"Running\": true, \"Pid\": 42,"
    " \"ExitCode\": 0}, \"Config\": {\"Labels\": {\"b\": \"2\", \"a\": \"1\"}, \"Env\": [\"A=1\","
    " \"B=2\"], \"Cmd\": null}, \"Mounts\": [{\"Source\": \"/s1\", \"Destination\": \"/d1\"},"
    " {\"Source\": \"/s2\", \"Destination\": \"/d2\"}], \"NetworkSettings\": {\"IPAddress\":"
    " \"10.0.0.2\"}, \"Size\": 1.5}";

static json_t *doc;

/* The template's output over doc, or "ERR: message". */
static char *render(const char *text) {
  struct template *t = NULL;
  err_t e = ERR_INIT;
  char *out = NULL;
  if (template_parse_json(text, &t, &e) == 0)
    out = template_render_json(t, doc, &e);
  template_free(t);
  if (!out && asprintf(&out, "ERR: %s", e.msg) < 0)
    out = NULL;
  return out;
}

#define RENDERS(text, want)                                                                   \
  do {                                                                                        \
    char *got_ = render(text);                                                                \
    CHECK_STR(got_, want);                                                                    \
    free(got_);                                                                               \
  } while (0)

#define FAILS(text, part)                                                                     \
  do {                                                                                        \
    char *got_ = render(text);                                                                \
    CHECK(got_ && !strncmp(got_, "ERR: ", 5) && strstr(got_, part));                          \
    if (got_ && !strstr(got_, part))                                                          \
      fprintf(stderr, "  got: %s\n", got_);                                                   \
    free(got_);                                                                               \
  } while (0)

static const char *header_of(const char *field) {
  return !strcmp(field, "ID") ? "CONTAINER ID" : !strcmp(field, "State") ? "STATE" : "?";
}

static const char *row_fields[] = {"ID", "Names", NULL};
static const char *row_value(void *ctx, int i) {
  if (ctx) /* counts the fields asked for */
    ++*(int *)ctx;
  return i == 0 ? "abc" : "web";
}

int main(void) {
  json_error_t je;
  CHECK_FATAL((doc = json_loads(doc_text, 0, &je)));

  /* Fields, nested; values printed as Go prints decoded JSON. */
  RENDERS("{{.State.Status}}", "running");
  RENDERS("{{ .Name }} {{.State.Pid}} {{.State.Running}} {{.Size}}", "/web 42 true 1.5");
  RENDERS("{{.NetworkSettings.IPAddress}}", "10.0.0.2");
  RENDERS("{{.Config.Labels}}", "map[a:1 b:2]");
  RENDERS("{{.Config.Env}}", "[A=1 B=2]");
  RENDERS("{{.Config.Cmd}}", "<nil>");
  RENDERS("{{.Nope}}", "<no value>");
  RENDERS("{{.Nope.Deeper}}", "<no value>");
  /* json, index, len, join, and pipes. */
  RENDERS("{{json .Config.Labels}}", "{\"a\":\"1\",\"b\":\"2\"}");
  RENDERS("{{json .Config.Env}}", "[\"A=1\",\"B=2\"]");
  RENDERS("{{.State | json}}",
          "{\"ExitCode\":0,\"Pid\":42,\"Running\":true,\"Status\":\"running\"}");
  RENDERS("{{index .Config.Labels \"a\"}}", "1");
  RENDERS("{{index .Config.Labels \"missing\"}}", "");
  RENDERS("{{(index .Mounts 1).Destination}}", "/d2");
  RENDERS("{{len .Mounts}} {{len .Config.Labels}}", "2 2");
  RENDERS("{{join .Config.Env \",\"}}", "A=1,B=2");
  RENDERS("{{upper .State.Status}} {{title \"a b\"}}", "RUNNING A B");
  RENDERS("{{printf \"%s=%d%%\" .Name .State.Pid}}", "/web=42%");
  /* range, with variables, else; if/else if/else; with. */
  RENDERS("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}", "/s1:/d1 /s2:/d2 ");
  RENDERS("{{range $i, $m := .Mounts}}{{$i}}={{$m.Destination}};{{end}}", "0=/d1;1=/d2;");
  RENDERS("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}", "a=1,b=2,");
  RENDERS("{{range .Config.Cmd}}x{{else}}none{{end}}", "none");
  RENDERS("{{range .Mounts}}{{$.Name}}{{end}}", "/web/web");
  RENDERS("{{if .State.Running}}up{{else}}down{{end}}", "up");
  RENDERS("{{if eq .State.Status \"exited\"}}E{{else if .State.Running}}R{{else}}?{{end}}", "R");
  RENDERS("{{if not .State.ExitCode}}ok{{end}}", "ok");
  RENDERS("{{with .NetworkSettings}}{{.IPAddress}}{{end}}", "10.0.0.2");
  RENDERS("{{$s := .State.Status}}{{$s}}", "running");
  RENDERS("a\\tb\\n", "a\tb\n");
  RENDERS("{{- \" x \" -}}  y", " x y");
  RENDERS("{{/* a comment */}}z", "z");
  /* Errors: parse and evaluation. */
  FAILS("{{.State", "unclosed {{");
  FAILS("{{if .X}}", "missing {{end}}");
  FAILS("{{end}}", "unexpected {{end}}");
  FAILS("{{nosuch .X}}", "unknown function \"nosuch\" in {{nosuch .X}}");
  FAILS("{{index .State.Pid 1}}", "cannot index");
  FAILS("{{index .Mounts 5}}", "out of range");
  FAILS("{{.State.Pid.X}}", "can't evaluate field X");
  FAILS("{{$nope}}", "undefined variable");
  FAILS("{{len .State.Pid}}", "len of");
  FAILS("a {{- -}} b", "bad number"); /* the trim markers' blank shared (fuzzing) */

  /* Nesting is bounded: parsing recursed into a stack overflow before. */
  enum { DEEP = 100000 };
  char *deep = malloc(2 * DEEP + 6);
  CHECK_FATAL(deep);
  memset(deep, '(', DEEP + 2);
  memcpy(deep, "{{", 2);
  memcpy(deep + DEEP + 2, "1}}", 4);
  FAILS(deep, "nested");
  free(deep);
  char *ifs = malloc(8 * 12000 + 32);
  CHECK_FATAL(ifs);
  char *w = ifs;
  for (int i = 0; i < 12000; i++)
    w += sprintf(w, "{{if 1}}");
  strcpy(w, "x{{end}}");
  FAILS(ifs, "nested");
  free(ifs);
  RENDERS("{{if 1}}{{if 1}}{{((len .Name))}}{{end}}{{end}}", "4");

  /* A table's header line: top-level fields shown as their headers. */
  struct template *t = NULL;
  err_t e = ERR_INIT;
  CHECK(template_parse_json("table {{.ID}}\\t{{.State.Status}}", &t, &e) == 0);
  CHECK(t && template_is_table(t));
  char *h = t ? template_render_header_json(t, header_of) : NULL;
  CHECK_STR(h, "CONTAINER ID\tSTATE");
  free(h);
  template_free(t);

  /* Rows of named fields: unknown ones are refused, listing the known. */
  CHECK(template_parse("{{.Nope}}", row_fields, &t, &e) < 0);
  CHECK(strstr(e.msg, "unknown field .Nope (known: .ID .Names)") != NULL);
  err_clear(&e);
  CHECK(template_parse("table {{.ID}}: {{.Names}} {{json .}}", row_fields, &t, &e) == 0);
  char *row = t ? template_render(t, row_value, NULL, NULL) : NULL;
  CHECK_STR(row, "abc: web {\"ID\":\"abc\",\"Names\":\"web\"}");
  free(row);
  template_free(t);
  /* Only the fields a template uses are asked for (ps's cost a cell); with
   * the document itself used, all. */
  int asked = 0;
  CHECK(template_parse("{{.Names}}", row_fields, &t, &e) == 0);
  row = t ? template_render(t, row_value, &asked, NULL) : NULL;
  CHECK_STR(row, "web");
  CHECK(asked == 1);
  free(row);
  template_free(t);
  asked = 0;
  CHECK(template_parse("{{with .Names}}{{.}}{{end}}", row_fields, &t, &e) == 0);
  row = t ? template_render(t, row_value, &asked, NULL) : NULL;
  CHECK_STR(row, "web");
  CHECK(asked == 2);
  free(row);
  template_free(t);
  /* An evaluation error is told when asked for. */
  CHECK(template_parse("{{index .ID 5}}", row_fields, &t, &e) == 0);
  row = t ? template_render(t, row_value, NULL, &e) : NULL;
  CHECK(!row && e.code);
  err_clear(&e);
  template_free(t);

  json_decref(doc);
  return check_report("template");
}
