/* A connection to one registry (OCI distribution spec): picks https or, when
 * TLS verification is off, falls back to plain http as podman does; answers
 * 401 challenges with basic credentials or bearer tokens and retries. */
#ifndef CAPSULE_REGISTRY_CLIENT_H
#define CAPSULE_REGISTRY_CLIENT_H

#include <stdbool.h>

#include "registry/auth.h"
#include "registry/http.h"
#include "util/error.h"

struct registry_opts {
  bool tls_verify;      /* false: accept any certificate, and plain http */
  const char *creds;    /* "user:pass" from --creds, or NULL */
  const char *authfile; /* credentials file of `capsule login`, or NULL */
};

struct registry {
  char *name;           /* as in references: "docker.io", "127.0.0.1:5000" */
  char *base;           /* "https://registry-1.docker.io" */
  bool tls_verify;
  CURLSH *share;
  struct credentials creds;
  struct auth_challenge challenge; /* the registry's last 401 challenge */
  char *authorization;             /* header value for the next requests */
  char **scopes;                   /* what bearer tokens are asked for */
};

/* The host the distribution API is served from: docker.io's is
 * registry-1.docker.io, every other registry serves itself. */
const char *registry_api_host(const char *registry);

/* Reach `registry` (GET /v2/), choosing the scheme and learning whether and
 * how it authenticates. Credentials come from o->creds, else the auth file. */
struct registry *registry_connect(const char *registry, const struct registry_opts *o, err_t *e);
void registry_close(struct registry *r);

/* Ask bearer tokens for "repository:REPO:ACTIONS" too (ACTIONS "pull",
 * "pull,push"); a token is fetched lazily, for every scope added so far. */
int registry_add_scope(struct registry *r, const char *repo, const char *actions, err_t *e);

/* Check the credentials against /v2/ (capsule login). */
int registry_verify_login(struct registry *r, err_t *e);

/* Run `req` against "BASE/v2/PATH" (req->url is set here). Authorization is
 * added, and a 401 answered once by authenticating and retrying. The
 * response is any HTTP status; -1 only for transport or auth failures. */
int registry_request(struct registry *r, const char *path, struct http_request *req,
                     struct http_response *resp, err_t *e);

/* The same for an absolute URL (an upload Location). */
int registry_request_url(struct registry *r, const char *url, struct http_request *req,
                         struct http_response *resp, err_t *e);

/* For transfers run elsewhere (parallel blob downloads): make sure an
 * authorization is ready, and after a 401 learn the new challenge. */
int registry_authorize(struct registry *r, err_t *e);
int registry_reauthorize(struct registry *r, const struct http_response *resp, err_t *e);

/* "BASE/v2/PATH" on the heap. */
char *registry_url(const struct registry *r, const char *path);

/* Describe a failed response in e: the registry's error message from its
 * JSON body ("manifest unknown") and the status. Returns -1. */
int registry_status_error(const struct http_response *resp, err_t *e);
/* Always -1, and the compiler sees it (as err_set(), util/error.h). */
#define registry_status_error(...) ((registry_status_error)(__VA_ARGS__), err_failed())

#endif
