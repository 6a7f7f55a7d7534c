/* Image references ("host[:port]/repo[:tag][@digest]"), as every command
 * that names an image parses them. A parsed reference printed back must
 * parse again to the same image. */
#include "fuzz.h"
#include "image/digest.h"
#include "image/reference.h"

static int same(const char *a, const char *b) {
  return (!a && !b) || (a && b && !strcmp(a, b));
}

static void round_trip(const char *input, const struct image_ref *ref) {
  char *s = image_ref_string(ref);
  if (!s)
    fuzz_die("out of memory");
  err_t e = ERR_INIT;
  struct image_ref again;
  if (image_ref_parse(s, &again, &e) < 0)
    fuzz_die("\"%s\" parsed, but its string \"%s\" does not: %s", input, s, e.msg);
  /* The string keeps the tag when there is one, else the digest. */
  if (!same(again.registry, ref->registry) || !same(again.repository, ref->repository) ||
      !same(again.tag, ref->tag) || (!ref->tag && !same(again.digest, ref->digest)))
    fuzz_die("\"%s\" -> \"%s\" parses to %s / %s : %s @ %s", input, s, again.registry,
             again.repository, again.tag ? again.tag : "-", again.digest ? again.digest : "-");
  image_ref_free(&again);
  free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *input = fuzz_cstr(data, size);
  err_t e = ERR_INIT;
  struct image_ref ref;
  int r = image_ref_parse(input, &ref, &e);
  fuzz_check_result("image_ref_parse", r, &e);
  if (r == 0) {
    if (!ref.registry || !ref.repository || (!ref.tag && !ref.digest))
      fuzz_die("\"%s\": a parsed reference misses a part", input);
    if (ref.digest && !digest_valid(ref.digest))
      fuzz_die("\"%s\": digest %s accepted", input, ref.digest);
    if (!strcmp(ref.registry, DOCKER_HUB) && !strchr(ref.repository, '/'))
      fuzz_die("\"%s\": Docker Hub repository %s without a namespace", input, ref.repository);
    round_trip(input, &ref);
    image_ref_free(&ref);
  }
  free(input);
  return 0;
}
