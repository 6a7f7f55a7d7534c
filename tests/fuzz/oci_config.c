/* config.json as capsule-runtime reads it: the JSON document, the spec
 * (process, mounts, hooks, linux: namespaces, devices, cgroup resources...)
 * and linux.seccomp compiled to BPF, as container_new() does. */
#include "fuzz.h"
#include "oci/spec.h"
#include "runtime/seccomp.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  err_t e = ERR_INIT;
  json_t *doc = json_load_object_buf((const char *)data, size, "config.json", &e);
  if (!doc) {
    fuzz_check_result("json_load_object_buf", -1, &e);
    return 0;
  }
  struct oci_spec *spec = NULL;
  int r = oci_spec_parse(doc, "/fuzz/bundle", &spec, &e);
  json_decref(doc); /* the spec holds its own reference */
  fuzz_check_result("oci_spec_parse", r, &e);
  if (r < 0)
    return 0;
  if (spec->seccomp) {
    struct seccomp_filter *filter = NULL;
    r = seccomp_compile(spec->seccomp, &filter, &e);
    fuzz_check_result("seccomp_compile", r, &e);
    if (r == 0)
      seccomp_filter_free(filter);
  }
  oci_spec_free(spec);
  return 0;
}
