#include "registry/manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "image/manifest.h"
#include "util/cleanup.h"
#include "util/json.h"

/* Manifests are small; a huge one is a hostile registry. */
#define MANIFEST_MAX (4u << 20)

void remote_manifest_free(struct remote_manifest *m) {
  free(m->body);
  free(m->media_type);
  *m = (struct remote_manifest){0};
}

/* Content-Type without parameters, or the document's own mediaType. */
static char *manifest_media_type(const struct http_response *resp) {
  if (resp->content_type) {
    size_t n = strcspn(resp->content_type, "; ");
    if (n && strncmp(resp->content_type, "application/json", n) &&
        strncmp(resp->content_type, "text/plain", n))
      return strndup(resp->content_type, n);
  }
  _cleanup_json_ json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
  const char *mt = json_string_value(json_object_get(doc, "mediaType"));
  return strdup(mt ? mt : MEDIA_OCI_MANIFEST);
}

static int check_digest(const char *what, const char *want, const char *got, err_t *e) {
  if (strcmp(want, got))
    return err_set(e, EBADMSG, "%s: digest mismatch: expected %s, got %s", what, want, got);
  return 0;
}

int registry_get_manifest(struct registry *r, const char *repo, const char *ref,
                          struct remote_manifest *out, err_t *e) {
  *out = (struct remote_manifest){0};
  _cleanup_free_ char *path = NULL;
  if (asprintf(&path, "%s/manifests/%s", repo, ref) < 0)
    return err_sys(e, "manifest %s", ref);
  struct http_request req = {.method = "GET", .accept = MANIFEST_ACCEPT, .body_fd = -1,
                             .max_body = MANIFEST_MAX};
  struct http_response resp;
  if (registry_request(r, path, &req, &resp, e) < 0)
    return -1;
  int rc = 0;
  if (resp.status != 200) {
    rc = registry_status_error(&resp, e);
  } else if (sha256_digest(resp.body ? resp.body : "", resp.body_len, out->digest, e) < 0) {
    rc = -1;
  } else if (digest_valid(ref)) {
    rc = check_digest("manifest", ref, out->digest, e);
  } else if (resp.docker_content_digest) {
    rc = check_digest("manifest", resp.docker_content_digest, out->digest, e);
  }
  if (rc == 0) {
    out->media_type = manifest_media_type(&resp);
    out->body = resp.body ? resp.body : strdup("");
    out->len = resp.body_len;
    resp.body = NULL;
    if (!out->media_type || !out->body)
      rc = err_sys(e, "manifest");
  }
  http_response_free(&resp);
  if (rc < 0) {
    remote_manifest_free(out);
    return err_wrap(e, "%s/%s:%s", r->name, repo, ref);
  }
  return 0;
}

int registry_put_manifest(struct registry *r, const char *repo, const char *ref,
                          const char *media_type, const char *body, size_t len, err_t *e) {
  char digest[DIGEST_BUF];
  if (sha256_digest(body, len, digest, e) < 0)
    return -1;
  _cleanup_free_ char *path = NULL;
  if (asprintf(&path, "%s/manifests/%s", repo, ref) < 0)
    return err_sys(e, "manifest %s", ref);
  struct http_request req = {.method = "PUT", .content_type = media_type, .body = body,
                             .body_len = len, .body_fd = -1};
  struct http_response resp;
  if (registry_request(r, path, &req, &resp, e) < 0)
    return -1;
  int rc = 0;
  if (resp.status != 201)
    rc = registry_status_error(&resp, e);
  else if (resp.docker_content_digest)
    rc = check_digest("manifest", digest, resp.docker_content_digest, e);
  http_response_free(&resp);
  return rc < 0 ? err_wrap(e, "pushing manifest %s/%s:%s", r->name, repo, ref) : 0;
}
