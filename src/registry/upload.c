/* The push side of blobs: HEAD to skip what the registry has, cross-repository
 * mounts, and monolithic uploads (POST an upload, PUT its Location&digest=). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/blobs.h"
#include "util/cleanup.h"

int registry_blob_exists(struct registry *r, const char *repo, const char *digest, err_t *e) {
  _cleanup_free_ char *path = NULL;
  if (asprintf(&path, "%s/blobs/%s", repo, digest) < 0)
    return err_sys(e, "blob %s", digest);
  struct http_request req = {.method = "HEAD", .body_fd = -1};
  struct http_response resp;
  if (registry_request(r, path, &req, &resp, e) < 0)
    return -1;
  int rc = resp.status == 200 ? 1 : resp.status == 404 ? 0 : registry_status_error(&resp, e);
  http_response_free(&resp);
  return rc < 0 ? err_wrap(e, "checking blob %s", digest) : rc;
}

/* POST to the uploads endpoint with `query`. As the distribution spec has it,
 * 201 Created with the blob's Location says the blob is complete (a mount that
 * succeeded) -> 1; 202 Accepted with the upload's Location says go on -> 0,
 * with *upload_url set. Either without a Location is the registry's error. */
static int post_upload(struct registry *r, const char *repo, const char *query,
                       char **upload_url, err_t *e) {
  _cleanup_free_ char *path = NULL;
  if (asprintf(&path, "%s/blobs/uploads/%s", repo, query) < 0)
    return err_sys(e, "starting upload");
  struct http_request req = {.method = "POST", .body_fd = -1};
  struct http_response resp;
  if (registry_request(r, path, &req, &resp, e) < 0)
    return -1;
  int rc;
  if ((resp.status == 201 || resp.status == 202) && !resp.location) {
    rc = err_set(e, EPROTO, "%s: upload start answered %ld without a Location", r->name,
                 resp.status);
  } else if (resp.status == 201) {
    rc = 1;
  } else if (resp.status == 202) {
    *upload_url = steal_ptr(&resp.location);
    rc = 0;
  } else {
    rc = registry_status_error(&resp, e);
  }
  http_response_free(&resp);
  return rc;
}

/* Open an upload of DIGEST: 0 with *upload_url set, or 1 when the registry
 * answered that the blob is complete (201 Created), which is believed once a
 * HEAD finds the blob: we did not name it, so the registry may be wrong. */
static int open_upload(struct registry *r, const char *repo, const char *digest,
                       char **upload_url, err_t *e) {
  int rc = post_upload(r, repo, "", upload_url, e);
  if (rc <= 0)
    return rc;
  if ((rc = registry_blob_exists(r, repo, digest, e)) == 0)
    rc = err_set(e, EPROTO, "%s: upload start answered 201 Created but has no blob %s",
                 r->name, digest);
  return rc;
}

int registry_mount_blob(struct registry *r, const char *repo, const char *digest,
                        const char *from, char **upload_url, err_t *e) {
  *upload_url = NULL;
  _cleanup_free_ char *query = NULL;
  if (asprintf(&query, "?mount=%s&from=%s", digest, from) < 0)
    return err_sys(e, "mounting blob %s", digest);
  int rc = post_upload(r, repo, query, upload_url, e);
  return rc < 0 ? err_wrap(e, "mounting blob %s from %s", digest, from) : rc;
}

int registry_upload_blob(struct registry *r, const char *repo, const char *digest, int fd,
                         uint64_t size, const char *upload_url, upload_progress_fn progress,
                         void *progress_data, err_t *e) {
  _cleanup_free_ char *opened = NULL;
  if (!upload_url) {
    int rc = open_upload(r, repo, digest, &opened, e);
    if (rc != 0)
      return rc < 0 ? err_wrap(e, "uploading blob %s", digest) : 1;
    upload_url = opened;
  }
  _cleanup_free_ char *url = NULL;
  if (asprintf(&url, "%s%cdigest=%s", upload_url, strchr(upload_url, '?') ? '&' : '?',
               digest) < 0)
    return err_sys(e, "uploading blob %s", digest);
  struct http_request req = {.method = "PUT", .content_type = "application/octet-stream",
                             .body_fd = fd, .body_size = size, .upload_progress = progress,
                             .upload_progress_data = progress_data};
  struct http_response resp;
  if (registry_request_url(r, url, &req, &resp, e) < 0)
    return err_wrap(e, "uploading blob %s", digest);
  int rc = resp.status == 201 ? 0 : registry_status_error(&resp, e);
  http_response_free(&resp);
  return rc < 0 ? err_wrap(e, "uploading blob %s", digest) : 0;
}
