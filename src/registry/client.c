#include "registry/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "util/cleanup.h"
#include "util/json.h"

void registry_close(struct registry *r) {
  if (!r)
    return;
  free(r->name);
  free(r->base);
  credentials_free(&r->creds);
  auth_challenge_free(&r->challenge);
  free(r->authorization);
  strv_free(r->scopes);
  if (r->share)
    curl_share_cleanup(r->share);
  free(r);
}

static void registry_closep(struct registry **r) {
  registry_close(*r);
}

char *registry_url(const struct registry *r, const char *path) {
  char *url = NULL;
  return asprintf(&url, "%s/v2/%s", r->base, path) < 0 ? NULL : url;
}

int (registry_status_error)(const struct http_response *resp, err_t *e) {
  _cleanup_json_ json_t *doc =
      resp->body ? json_loads(resp->body, 0, NULL) : NULL;
  json_t *first = json_array_get(json_object_get(doc, "errors"), 0);
  const char *msg = json_string_value(json_object_get(first, "message"));
  int code = resp->status == 404 ? ENOENT
             : resp->status == 401 || resp->status == 403 ? EACCES
                                                            : EPROTO;
  if (msg && *msg)
    return err_set(e, code, "%s (HTTP %ld)", msg, resp->status);
  return err_set(e, code, "HTTP %ld", resp->status);
}

static bool has_scope(char **scopes, const char *scope) {
  for (char **s = scopes; s && *s; s++)
    if (!strcmp(*s, scope))
      return true;
  return false;
}

static int add_scope_string(struct registry *r, const char *scope, err_t *e) {
  if (has_scope(r->scopes, scope))
    return 0;
  size_t n = 0;
  while (r->scopes && r->scopes[n])
    n++;
  char **bigger = realloc(r->scopes, (n + 2) * sizeof *bigger);
  if (!bigger)
    return err_sys(e, "registry scopes");
  r->scopes = bigger;
  if (!(r->scopes[n] = strdup(scope)))
    return err_sys(e, "registry scopes");
  r->scopes[n + 1] = NULL;
  /* A token only covers the scopes it was issued for. */
  free(r->authorization);
  r->authorization = NULL;
  return 0;
}

int registry_add_scope(struct registry *r, const char *repo, const char *actions, err_t *e) {
  _cleanup_free_ char *scope = NULL;
  if (asprintf(&scope, "repository:%s:%s", repo, actions) < 0)
    return err_sys(e, "registry scopes");
  return add_scope_string(r, scope, e);
}

static int learn_challenge(struct registry *r, const struct http_response *resp, err_t *e) {
  if (!resp->www_authenticate)
    return err_set(e, EACCES, "%s: HTTP 401 without a WWW-Authenticate challenge", r->name);
  auth_challenge_free(&r->challenge);
  if (auth_challenge_parse(resp->www_authenticate, &r->challenge, e) < 0)
    return err_wrap(e, "%s", r->name);
  /* A scope in the challenge is what this request needs (e.g. push). */
  if (r->challenge.scheme == AUTH_BEARER && r->challenge.scope)
    return add_scope_string(r, r->challenge.scope, e);
  return 0;
}

int registry_authorize(struct registry *r, err_t *e) {
  if (r->authorization || r->challenge.scheme == AUTH_NONE)
    return 0;
  if (r->challenge.scheme == AUTH_BASIC) {
    if (!r->creds.user)
      return err_set(e, EACCES, "%s: authentication required (use capsule login or --creds)",
                     r->name);
    r->authorization = http_basic_authorization(r->creds.user, r->creds.pass);
    return r->authorization ? 0 : err_sys(e, "%s: authorization", r->name);
  }
  _cleanup_free_ char *token =
      auth_fetch_token(r->share, r->tls_verify, &r->challenge, (const char *const *)r->scopes,
                       &r->creds, e);
  if (!token)
    return err_wrap(e, "%s", r->name);
  if (asprintf(&r->authorization, "Bearer %s", token) < 0) {
    r->authorization = NULL;
    return err_sys(e, "%s: authorization", r->name);
  }
  return 0;
}

/* After a 401 to an authorized request: what to tell the user. */
static int auth_refused(struct registry *r, err_t *e) {
  if (!r->creds.user)
    return err_set(e, EACCES, "%s: authentication required (use capsule login or --creds)",
                   r->name);
  if (r->challenge.scheme == AUTH_BASIC)
    return err_set(e, EACCES, "%s: invalid username or password", r->name);
  return err_set(e, EACCES, "%s: access denied to %s", r->name,
                 r->challenge.scope ? r->challenge.scope : "the registry");
}

int registry_reauthorize(struct registry *r, const struct http_response *resp, err_t *e) {
  if (learn_challenge(r, resp, e) < 0)
    return -1;
  /* Tokens expire and may lack a scope this request needs: get a new one. */
  free(r->authorization);
  r->authorization = NULL;
  return registry_authorize(r, e);
}

int registry_request_url(struct registry *r, const char *url, struct http_request *req,
                         struct http_response *resp, err_t *e) {
  req->url = url;
  req->tls_verify = r->tls_verify;
  int rc = 0;
  for (int attempt = 0;; attempt++) {
    if ((rc = registry_authorize(r, e)) < 0)
      break;
    req->authorization = r->authorization;
    if ((rc = http_perform(r->share, req, resp, e)) < 0) {
      http_response_free(resp);
      err_wrap(e, "%s", r->name);
      break;
    }
    if (resp->status != 401)
      break;
    rc = attempt == 0 ? registry_reauthorize(r, resp, e) : auth_refused(r, e);
    http_response_free(resp);
    if (rc < 0)
      break;
  }
  req->url = NULL;
  req->authorization = NULL;
  return rc;
}

int registry_request(struct registry *r, const char *path, struct http_request *req,
                     struct http_response *resp, err_t *e) {
  _cleanup_free_ char *url = registry_url(r, path);
  if (!url)
    return err_sys(e, "%s: URL", r->name);
  return registry_request_url(r, url, req, resp, e);
}

/* GET /v2/ over `scheme`: 200 or 401 proves a registry is there. */
static int ping(struct registry *r, const char *scheme, struct http_response *resp, err_t *e) {
  const char *host = registry_api_host(r->name);
  free(r->base);
  if (asprintf(&r->base, "%s://%s", scheme, host) < 0) {
    r->base = NULL;
    return err_sys(e, "%s: URL", r->name);
  }
  _cleanup_free_ char *url = registry_url(r, "");
  if (!url)
    return err_sys(e, "%s: URL", r->name);
  struct http_request req = {.method = "GET", .url = url, .tls_verify = r->tls_verify,
                             .body_fd = -1, .max_body = 1 << 16};
  return http_perform(r->share, &req, resp, e);
}

static int load_credentials(struct registry *r, const struct registry_opts *o, err_t *e) {
  if (o->creds)
    return credentials_parse(o->creds, &r->creds, e);
  if (!o->authfile)
    return 0;
  return authfile_get(o->authfile, r->name, &r->creds, e) < 0 ? -1 : 0;
}

const char *registry_api_host(const char *registry) {
  return strcmp(registry, DOCKER_HUB) ? registry : "registry-1.docker.io";
}

struct registry *registry_connect(const char *registry, const struct registry_opts *o,
                                  err_t *e) {
  __attribute__((cleanup(registry_closep))) struct registry *r = calloc(1, sizeof *r);
  if (!r || !(r->name = strdup(registry))) {
    err_sys(e, "registry %s", registry);
    return NULL;
  }
  r->tls_verify = o->tls_verify;
  if (!(r->share = http_share_new(e)) || load_credentials(r, o, e) < 0)
    return NULL;
  struct http_response resp;
  int rc = ping(r, "https", &resp, e);
  if (rc < 0 && !r->tls_verify) {
    http_response_free(&resp);
    err_clear(e);
    rc = ping(r, "http", &resp, e);
  }
  if (rc < 0) {
    /* A plain-http server answering a TLS hello is the usual cause. */
    if (r->tls_verify && resp.transport == CURLE_SSL_CONNECT_ERROR)
      snprintf(e->msg + strlen(e->msg), sizeof e->msg - strlen(e->msg),
               " (for a plain-http registry, use --tls-verify=false)");
    http_response_free(&resp);
    err_wrap(e, "cannot reach registry %s", registry);
    return NULL;
  }
  if (resp.status == 401)
    rc = learn_challenge(r, &resp, e);
  else if (resp.status != 200)
    rc = err_set(e, EPROTO, "%s: not a registry (GET /v2/ answered HTTP %ld)", registry,
                 resp.status);
  http_response_free(&resp);
  return rc < 0 ? NULL : steal_ptr(&r);
}

int registry_verify_login(struct registry *r, err_t *e) {
  if (!r->creds.user)
    return err_set(e, EINVAL, "%s: no credentials given", r->name);
  struct http_request req = {.method = "GET", .body_fd = -1, .max_body = 1 << 16};
  struct http_response resp;
  if (registry_request(r, "", &req, &resp, e) < 0)
    return -1;
  int rc = resp.status == 200 ? 0 : registry_status_error(&resp, e);
  http_response_free(&resp);
  return rc < 0 ? err_wrap(e, "%s: login", r->name) : 0;
}
