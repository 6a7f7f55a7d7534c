/* Registry authentication: the WWW-Authenticate challenge, bearer tokens
 * fetched from the challenge's realm, and the credentials file that
 * `capsule login` writes (containers' auth.json format:
 * {"auths": {"host:port": {"auth": base64("user:pass")}}}). */
#ifndef CAPSULE_REGISTRY_AUTH_H
#define CAPSULE_REGISTRY_AUTH_H

#include <stdbool.h>

#include "registry/curl_lib.h"
#include "util/error.h"

enum auth_scheme { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct auth_challenge {
  enum auth_scheme scheme;
  char *realm;
  char *service;
  char *scope; /* what the registry asked for, e.g. "repository:x:pull,push" */
};

struct credentials {
  char *user;
  char *pass;
};

/* Parse a WWW-Authenticate header (RFC 7235, one challenge). Unknown schemes
 * are an error naming them. */
int auth_challenge_parse(const char *header, struct auth_challenge *out, err_t *e);
void auth_challenge_free(struct auth_challenge *c);

/* Fetch a token from the challenge's realm for `scopes` (NULL-terminated,
 * may be empty), with basic credentials when `creds` has a user. Returns the
 * token on the heap. A 401/403 from the realm is EACCES. */
char *auth_fetch_token(CURLSH *share, bool tls_verify, const struct auth_challenge *c,
                       const char *const *scopes, const struct credentials *creds, err_t *e);

/* "user:pass" (the first ':' splits) into creds. */
int credentials_parse(const char *s, struct credentials *out, err_t *e);
void credentials_free(struct credentials *c);

/* The auth file: `explicit_path` when set, else $REGISTRY_AUTH_FILE, else
 * ROOT/auth.json. */
char *authfile_path(const char *explicit_path, const char *root);
/* 1 and *out filled when the file has credentials for `registry`, 0 when it
 * has none (or does not exist), -1 on a malformed file. */
int authfile_get(const char *path, const char *registry, struct credentials *out, err_t *e);
/* Store credentials for `registry`, atomically, mode 0600. */
int authfile_set(const char *path, const char *registry, const struct credentials *c, err_t *e);
/* 1 when an entry was removed, 0 when there was none. */
int authfile_remove(const char *path, const char *registry, err_t *e);

#endif
