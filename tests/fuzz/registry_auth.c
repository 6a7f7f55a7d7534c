/* A registry's WWW-Authenticate header (one challenge: scheme, realm,
 * service, scope), and "user:pass" credentials as `capsule login` takes them. */
#include "fuzz.h"
#include "registry/auth.h"

static void challenge(const char *header) {
  struct auth_challenge c;
  err_t e = ERR_INIT;
  int r = auth_challenge_parse(header, &c, &e);
  fuzz_check_result("auth_challenge_parse", r, &e);
  if (r < 0)
    return;
  if (c.scheme != AUTH_BASIC && c.scheme != AUTH_BEARER)
    fuzz_die("auth_challenge_parse: scheme %d", c.scheme);
  if (c.scheme == AUTH_BEARER && !c.realm)
    fuzz_die("auth_challenge_parse: a bearer challenge without a realm");
  auth_challenge_free(&c);
}

/* The first ':' splits, nothing is lost. */
static void credentials(const char *s) {
  struct credentials cr;
  err_t e = ERR_INIT;
  int r = credentials_parse(s, &cr, &e);
  fuzz_check_result("credentials_parse", r, &e);
  if (r < 0)
    return;
  if (!*cr.user || strchr(cr.user, ':') || strlen(cr.user) + 1 + strlen(cr.pass) != strlen(s))
    fuzz_die("credentials_parse split \"%s\" into \"%s\" and \"%s\"", s, cr.user, cr.pass);
  credentials_free(&cr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fuzz_cstr(data, size);
  challenge(s);
  credentials(s);
  free(s);
  return 0;
}
