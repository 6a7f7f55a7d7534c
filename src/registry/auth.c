#include "registry/auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/http.h"
#include "util/cleanup.h"
#include "util/json.h"

#define TOKEN_BODY_MAX (1u << 20)

void auth_challenge_free(struct auth_challenge *c) {
  free(c->realm);
  free(c->service);
  free(c->scope);
  *c = (struct auth_challenge){0};
}

void credentials_free(struct credentials *c) {
  free(c->user);
  if (c->pass)
    explicit_bzero(c->pass, strlen(c->pass));
  free(c->pass);
  *c = (struct credentials){0};
}

int credentials_parse(const char *s, struct credentials *out, err_t *e) {
  *out = (struct credentials){0};
  const char *colon = strchr(s, ':');
  if (!colon || colon == s)
    return err_set(e, EINVAL, "credentials: expected USER:PASSWORD");
  out->user = strndup(s, (size_t)(colon - s));
  out->pass = strdup(colon + 1);
  if (!out->user || !out->pass) {
    credentials_free(out);
    return err_sys(e, "credentials");
  }
  return 0;
}

/* One auth-param value: a quoted-string (with \-escapes) or a token. */
static char *param_value(const char **p) {
  const char *s = *p;
  size_t cap = strlen(s) + 1, n = 0;
  char *out = malloc(cap);
  if (!out)
    return NULL;
  if (*s == '"') {
    for (s++; *s && *s != '"'; s++) {
      if (*s == '\\' && s[1])
        s++;
      out[n++] = *s;
    }
    if (*s == '"')
      s++;
  } else {
    while (*s && *s != ',' && !isspace((unsigned char)*s))
      out[n++] = *s++;
  }
  out[n] = '\0';
  *p = s;
  return out;
}

static int parse_params(const char *s, struct auth_challenge *c, err_t *e) {
  while (*s) {
    while (*s == ',' || isspace((unsigned char)*s))
      s++;
    if (!*s)
      break;
    const char *name = s;
    while (*s && *s != '=' && *s != ',' && !isspace((unsigned char)*s))
      s++;
    size_t name_len = (size_t)(s - name);
    while (isspace((unsigned char)*s))
      s++;
    if (*s != '=')
      return err_set(e, EINVAL, "WWW-Authenticate: expected name=value near '%.*s'",
                     (int)name_len, name);
    s++;
    while (isspace((unsigned char)*s))
      s++;
    char *value = param_value(&s);
    if (!value)
      return err_sys(e, "WWW-Authenticate");
    char **slot = NULL;
    if (name_len == 5 && !strncasecmp(name, "realm", 5))
      slot = &c->realm;
    else if (name_len == 7 && !strncasecmp(name, "service", 7))
      slot = &c->service;
    else if (name_len == 5 && !strncasecmp(name, "scope", 5))
      slot = &c->scope;
    if (slot) {
      free(*slot);
      *slot = value;
    } else {
      free(value); /* error=, error_description= ... carry nothing we use */
    }
  }
  return 0;
}

int auth_challenge_parse(const char *header, struct auth_challenge *out, err_t *e) {
  *out = (struct auth_challenge){0};
  const char *s = header;
  while (isspace((unsigned char)*s))
    s++;
  const char *scheme = s;
  while (*s && !isspace((unsigned char)*s))
    s++;
  size_t len = (size_t)(s - scheme);
  if (len == 5 && !strncasecmp(scheme, "Basic", 5))
    out->scheme = AUTH_BASIC;
  else if (len == 6 && !strncasecmp(scheme, "Bearer", 6))
    out->scheme = AUTH_BEARER;
  else
    return err_set(e, ENOTSUP, "unsupported authentication scheme '%.*s'", (int)len, scheme);
  if (parse_params(s, out, e) < 0) {
    auth_challenge_free(out);
    return -1;
  }
  if (out->scheme == AUTH_BEARER && !out->realm) {
    auth_challenge_free(out);
    return err_set(e, EINVAL, "WWW-Authenticate: Bearer challenge without a realm");
  }
  return 0;
}

static int append_query(char **url, const char *name, const char *value, err_t *e) {
  char *esc = curl_easy_escape(NULL, value, 0);
  if (!esc)
    return err_set(e, ENOMEM, "token URL: out of memory");
  char *next = NULL;
  int n = asprintf(&next, "%s%c%s=%s", *url, strchr(*url, '?') ? '&' : '?', name, esc);
  curl_free(esc);
  if (n < 0)
    return err_sys(e, "token URL");
  free(*url);
  *url = next;
  return 0;
}

static char *token_url(const struct auth_challenge *c, const char *const *scopes, err_t *e) {
  _cleanup_free_ char *url = strdup(c->realm);
  if (!url) {
    err_sys(e, "token URL");
    return NULL;
  }
  if (c->service && append_query(&url, "service", c->service, e) < 0)
    return NULL;
  for (const char *const *s = scopes; s && *s; s++)
    if (append_query(&url, "scope", *s, e) < 0)
      return NULL;
  return steal_ptr(&url);
}

static char *token_from_body(const struct http_response *resp, err_t *e) {
  _cleanup_json_ json_t *doc =
      json_load_object_buf(resp->body ? resp->body : "", resp->body_len, "token response", e);
  if (!doc)
    return NULL;
  const char *token = NULL;
  /* The distribution spec names it "token"; OAuth2 servers say "access_token". */
  if (json_opt_str(doc, "token", "token response", &token, e) < 0 ||
      (!token && json_opt_str(doc, "access_token", "token response", &token, e) < 0))
    return NULL;
  if (!token || !*token) {
    err_set(e, EPROTO, "token response: no token");
    return NULL;
  }
  char *out = strdup(token);
  if (!out)
    err_sys(e, "token response");
  return out;
}

char *auth_fetch_token(CURLSH *share, bool tls_verify, const struct auth_challenge *c,
                       const char *const *scopes, const struct credentials *creds, err_t *e) {
  _cleanup_free_ char *url = token_url(c, scopes, e);
  if (!url)
    return NULL;
  _cleanup_free_ char *basic = NULL;
  if (creds && creds->user && !(basic = http_basic_authorization(creds->user, creds->pass))) {
    err_sys(e, "token request");
    return NULL;
  }
  struct http_request req = {.method = "GET", .url = url, .authorization = basic,
                             .tls_verify = tls_verify, .body_fd = -1,
                             .max_body = TOKEN_BODY_MAX};
  struct http_response resp;
  char *token = NULL;
  if (http_perform(share, &req, &resp, e) < 0)
    err_wrap(e, "token server %s", c->realm);
  else if (resp.status == 401 || resp.status == 403)
    err_set(e, EACCES, "token server %s: %s", c->realm,
            basic ? "invalid username or password" : "access denied");
  else if (resp.status != 200)
    err_set(e, EPROTO, "token server %s: HTTP %ld", c->realm, resp.status);
  else
    token = token_from_body(&resp, e);
  http_response_free(&resp);
  return token;
}
