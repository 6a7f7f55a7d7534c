/* Parallel blob downloads on one libcurl multi handle. Bytes are counted as
 * they arrive, so a blob longer than its descriptor says is cut off at once;
 * the sink hashes them and verifies size and digest when committing. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/blobs.h"
#include "util/cleanup.h"

#define POLL_TIMEOUT_MS 1000

struct download {
  size_t index;
  const struct blob_request *blob;
  const struct blob_sink *sink;
  char *url;
  struct http_request req;
  struct http_transfer t;
  uint64_t got;
  bool begun, retried, active;
  err_t err; /* why the sink aborted the transfer */
};

static int on_data(const char *buf, size_t len, void *data) {
  struct download *d = data;
  if (d->got + len > d->blob->size)
    return err_set(&d->err, EBADMSG, "blob %s: size mismatch: more than the %llu bytes expected",
                   d->blob->digest, (unsigned long long)d->blob->size);
  if (d->sink->write(d->sink->ctx, d->index, buf, len, &d->err) < 0)
    return -1;
  d->got += len;
  if (d->sink->progress)
    d->sink->progress(d->sink->ctx, d->index, d->got);
  return 0;
}

static int download_start(struct registry *r, CURLM *multi, struct download *d, err_t *e) {
  if (registry_authorize(r, e) < 0)
    return -1;
  d->req = (struct http_request){.method = "GET", .url = d->url, .tls_verify = r->tls_verify,
                                 .authorization = r->authorization, .body_fd = -1,
                                 .sink = on_data, .sink_data = d};
  if (http_transfer_init(&d->t, r->share, &d->req, e) < 0) {
    http_transfer_cleanup(&d->t);
    return -1;
  }
  if (!d->begun) {
    if (d->sink->begin(d->sink->ctx, d->index, e) < 0)
      return err_wrap(e, "blob %s", d->blob->digest);
    d->begun = true;
  }
  if (curl_multi_add_handle(multi, d->t.curl) != CURLM_OK)
    return err_set(e, EIO, "blob %s: libcurl refused the transfer", d->blob->digest);
  d->active = true;
  return 0;
}

static int download_verify(struct download *d, err_t *e) {
  const char *digest = d->blob->digest;
  if (d->got != d->blob->size)
    return err_set(e, EBADMSG, "blob %s: size mismatch: expected %llu bytes, got %llu", digest,
                   (unsigned long long)d->blob->size, (unsigned long long)d->got);
  if (d->sink->commit(d->sink->ctx, d->index, e) < 0)
    return -1; /* the sink names the blob */
  d->begun = false; /* committed: nothing to discard */
  return 0;
}

/* 1 when the transfer must be started again (after authenticating). */
static int download_finish(struct registry *r, CURLM *multi, struct download *d, CURLcode rc,
                           err_t *e) {
  curl_multi_remove_handle(multi, d->t.curl);
  d->active = false;
  int ret = http_transfer_finish(&d->t, rc, e);
  struct http_response *resp = &d->t.resp;
  http_transfer_cleanup(&d->t);
  if (ret < 0)
    err_wrap(e, "%s: blob %s", r->name, d->blob->digest);
  else if (resp->sink_failed)
    ret = err_set(e, d->err.code, "%s", d->err.msg);
  else if (resp->status == 401 && !d->retried && d->got == 0) {
    d->retried = true;
    ret = registry_reauthorize(r, resp, e) < 0 ? -1 : 1;
  } else if (resp->status != 200) {
    registry_status_error(resp, e);
    ret = err_wrap(e, "%s: blob %s", r->name, d->blob->digest);
  } else
    ret = download_verify(d, e);
  http_response_free(resp);
  return ret;
}

static int run_multi(struct registry *r, CURLM *multi, struct download *ds, size_t n,
                     unsigned parallel, err_t *e) {
  size_t next = 0, running = 0;
  while (next < n || running > 0) {
    for (; running < parallel && next < n; next++, running++)
      if (download_start(r, multi, &ds[next], e) < 0)
        return -1;
    int still = 0;
    if (curl_multi_perform(multi, &still) != CURLM_OK)
      return err_set(e, EIO, "%s: libcurl transfer loop failed", r->name);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left))) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      struct http_transfer *t = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
      struct download *d = (struct download *)((char *)t - offsetof(struct download, t));
      int rc = download_finish(r, multi, d, msg->data.result, e);
      if (rc < 0)
        return -1;
      running--;
      if (rc == 1) {
        if (download_start(r, multi, d, e) < 0)
          return -1;
        running++;
      }
    }
    if (running > 0 && curl_multi_poll(multi, NULL, 0, POLL_TIMEOUT_MS, NULL) != CURLM_OK)
      return err_set(e, EIO, "%s: libcurl poll failed", r->name);
  }
  return 0;
}

static void downloads_free(CURLM *multi, struct download *ds, size_t n) {
  for (size_t i = 0; i < n; i++) {
    struct download *d = &ds[i];
    if (d->active)
      curl_multi_remove_handle(multi, d->t.curl);
    if (d->t.curl) {
      http_transfer_cleanup(&d->t);
      http_response_free(&d->t.resp);
    }
    if (d->begun)
      d->sink->discard(d->sink->ctx, d->index);
    free(d->url);
  }
  free(ds);
}

int registry_download_blobs(struct registry *r, const char *repo, const struct blob_request *blobs,
                            size_t n, unsigned parallel, const struct blob_sink *sink, err_t *e) {
  if (n == 0)
    return 0;
  struct download *ds = calloc(n, sizeof *ds);
  CURLM *multi = curl_multi_init();
  int rc = 0;
  if (!ds || !multi)
    rc = err_set(e, ENOMEM, "%s: cannot set up downloads", r->name);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    ds[i] = (struct download){.index = i, .blob = &blobs[i], .sink = sink};
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "%s/blobs/%s", repo, blobs[i].digest) < 0 ||
        !(ds[i].url = registry_url(r, path)))
      rc = err_sys(e, "%s: URL", r->name);
  }
  if (rc == 0)
    rc = run_multi(r, multi, ds, n, parallel ? parallel : 1, e);
  if (ds)
    downloads_free(multi, ds, n);
  if (multi)
    curl_multi_cleanup(multi);
  return rc;
}
