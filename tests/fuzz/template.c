/* Go templates (--format of inspect, ps, images...): the input's first line
 * is the template, the rest a JSON document to render it over (or a fixed
 * container-like one when the rest is not JSON). Parsing and rendering
 * either succeed or fail with the error contract; a template the row API
 * accepts (fields ID, Names) renders too. */
#include <jansson.h>

#include "fuzz.h"
#include "util/template.h"

static const char *const fields[] = {"ID", "Names", NULL};

static const char *row_value(void *ctx, int i) {
  (void)ctx;
  return i == 0 ? "0123456789ab" : "web";
}

static const char *header_of(const char *field) {
  return field;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *input = fuzz_cstr(data, size);
  char *nl = strchr(input, '\n');
  json_t *doc = NULL;
  if (nl) {
    *nl = '\0';
    doc = json_loads(nl + 1, JSON_DECODE_ANY, NULL);
  }
  if (!doc)
    doc = json_pack("{s:s, s:{s:s, s:b, s:i}, s:{s:{s:s}, s:[s, s]}, s:[{s:s}]}", "Name", "/web",
                    "State", "Status", "running", "Running", 1, "Pid", 42, "Config", "Labels",
                    "k", "v", "Env", "A=1", "B=2", "Mounts", "Destination", "/data");
  err_t e = ERR_INIT;
  struct template *t = NULL;
  int r = template_parse_json(input, &t, &e);
  fuzz_check_result("template_parse_json", r, &e);
  if (r == 0) {
    char *out = template_render_json(t, doc, &e);
    fuzz_check_result("template_render_json", out ? 0 : -1, &e);
    free(out);
    free(template_render_header_json(t, header_of));
    template_free(t);
  }
  err_clear(&e);
  r = template_parse(input, fields, &t, &e);
  fuzz_check_result("template_parse", r, &e);
  if (r == 0) {
    char *out = template_render(t, row_value, NULL, &e);
    fuzz_check_result("template_render", out ? 0 : -1, &e);
    free(out);
    template_free(t);
  }
  json_decref(doc);
  free(input);
  return 0;
}
