#include "registry/http.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Error bodies of registries are small JSON documents. */
#define ERROR_BODY_MAX (64u << 10)
#define CONNECT_TIMEOUT_S 30L
/* A transfer that moves less than 1 byte/s for this long is stalled. */
#define STALL_TIMEOUT_S 60L

void http_response_free(struct http_response *r) {
  free(r->body);
  free(r->content_type);
  free(r->location);
  free(r->www_authenticate);
  free(r->docker_content_digest);
  *r = (struct http_response){0};
}

static int curl_global_ready(err_t *e) {
  static int done;
  if (!done) {
    if (curl_lib_load(e) < 0)
      return -1;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return err_set(e, EIO, "libcurl initialisation failed");
    done = 1;
  }
  return 0;
}

CURLSH *http_share_new(err_t *e) {
  if (curl_global_ready(e) < 0)
    return NULL;
  CURLSH *s = curl_share_init();
  if (!s) {
    err_set(e, ENOMEM, "libcurl: cannot create a share handle");
    return NULL;
  }
  curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  return s;
}

static int keep_body(struct http_response *r, const char *buf, size_t len, size_t max) {
  if (r->body_len + len > max)
    return -1;
  char *bigger = realloc(r->body, r->body_len + len + 1);
  if (!bigger)
    return -1;
  memcpy(bigger + r->body_len, buf, len);
  r->body = bigger;
  r->body_len += len;
  r->body[r->body_len] = '\0';
  return 0;
}

static size_t on_body(char *buf, size_t size, size_t n, void *data) {
  struct http_transfer *t = data;
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->req->sink && status >= 200 && status < 300) {
    if (t->req->sink(buf, len, t->req->sink_data) < 0) {
      t->resp.sink_failed = true;
      return 0; /* curl aborts with CURLE_WRITE_ERROR */
    }
    return len;
  }
  /* A followed redirect's body must not prefix the final one. */
  if (status != t->body_status) {
    t->body_status = status;
    t->resp.body_len = 0;
  }
  size_t max = t->req->sink || !t->req->max_body ? ERROR_BODY_MAX : t->req->max_body;
  return keep_body(&t->resp, buf, len, max) < 0 ? 0 : len;
}

static size_t on_upload(char *buf, size_t size, size_t n, void *data) {
  struct http_transfer *t = data;
  const struct http_request *q = t->req;
  size_t want = size * n;
  if (q->body_fd < 0) {
    size_t left = q->body_len - t->upload_off;
    size_t len = left < want ? left : want;
    memcpy(buf, (const char *)q->body + t->upload_off, len);
    t->upload_off += len;
    return len;
  }
  for (;;) {
    ssize_t got = pread(q->body_fd, buf, want, (off_t)t->upload_off);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return CURL_READFUNC_ABORT;
    t->upload_off += (uint64_t)got;
    return (size_t)got;
  }
}

static int on_xfer(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                   curl_off_t ulnow) {
  (void)dltotal, (void)dlnow, (void)ultotal;
  const struct http_transfer *t = data;
  t->req->upload_progress(t->req->upload_progress_data, (uint64_t)ulnow);
  return 0;
}

static int add_header(struct http_transfer *t, const char *name, const char *value, err_t *e) {
  _cleanup_free_ char *line = NULL;
  if (asprintf(&line, "%s: %s", name, value) < 0)
    return err_sys(e, "HTTP header");
  struct curl_slist *l = curl_slist_append(t->headers, line);
  if (!l)
    return err_set(e, ENOMEM, "HTTP header: out of memory");
  t->headers = l;
  return 0;
}

static int set_headers(struct http_transfer *t, err_t *e) {
  const struct http_request *q = t->req;
  /* "Expect: 100-continue" would cost a round trip per upload. */
  if (add_header(t, "Expect", "", e) < 0)
    return -1;
  if (q->accept && add_header(t, "Accept", q->accept, e) < 0)
    return -1;
  if (q->content_type && add_header(t, "Content-Type", q->content_type, e) < 0)
    return -1;
  /* libcurl drops a custom Authorization header when a redirect leaves the
   * host, so blob redirects to storage never see the registry's credentials. */
  if (q->authorization && add_header(t, "Authorization", q->authorization, e) < 0)
    return -1;
  return 0;
}

static void set_method(struct http_transfer *t) {
  const struct http_request *q = t->req;
  bool has_body = q->body || q->body_fd >= 0;
  uint64_t size = q->body_fd >= 0 ? q->body_size : q->body_len;
  if (!strcmp(q->method, "HEAD")) {
    curl_easy_setopt(t->curl, CURLOPT_NOBODY, 1L);
  } else if (!strcmp(q->method, "POST") && !has_body) {
    curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE, 0L);
  } else if (has_body || !strcmp(q->method, "PUT")) {
    curl_easy_setopt(t->curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(t->curl, CURLOPT_READFUNCTION, on_upload);
    curl_easy_setopt(t->curl, CURLOPT_READDATA, t);
    curl_easy_setopt(t->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
    curl_easy_setopt(t->curl, CURLOPT_CUSTOMREQUEST, q->method);
  } else if (strcmp(q->method, "GET")) {
    curl_easy_setopt(t->curl, CURLOPT_CUSTOMREQUEST, q->method);
  }
}

int http_transfer_init(struct http_transfer *t, CURLSH *share, const struct http_request *req,
                       err_t *e) {
  *t = (struct http_transfer){.req = req};
  t->resp.content_length = -1;
  if (!(t->curl = curl_easy_init()))
    return err_set(e, ENOMEM, "libcurl: cannot create a transfer");
  CURL *c = t->curl;
  curl_easy_setopt(c, CURLOPT_SHARE, share);
  curl_easy_setopt(c, CURLOPT_URL, req->url);
  curl_easy_setopt(c, CURLOPT_PRIVATE, t);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "capsule");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, STALL_TIMEOUT_S);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L << 10);
  if (!req->tls_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (req->upload_progress) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
  }
  set_method(t);
  if (set_headers(t, e) < 0)
    return -1;
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
  return 0;
}

static char *header_value(CURL *c, const char *name) {
  struct curl_header *h;
  if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
    return NULL;
  return strdup(h->value);
}

static char *absolute_location(CURL *c, const char *location) {
  if (!location)
    return NULL;
  char *base = NULL;
  curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &base);
  CURLU *u = curl_url();
  char *out = NULL;
  if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK)
    curl_url_get(u, CURLUPART_URL, &out, 0);
  curl_url_cleanup(u);
  char *copy = out ? strdup(out) : NULL;
  curl_free(out);
  return copy;
}

int http_transfer_finish(struct http_transfer *t, CURLcode rc, err_t *e) {
  struct http_response *r = &t->resp;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &r->status);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && r->sink_failed)) {
    const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
    r->status = 0;
    r->transport = rc;
    return err_set(e, rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : EIO, "%s", why);
  }
  curl_off_t len = -1;
  curl_easy_getinfo(t->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
  r->content_length = len;
  r->content_type = header_value(t->curl, "Content-Type");
  r->www_authenticate = header_value(t->curl, "WWW-Authenticate");
  r->docker_content_digest = header_value(t->curl, "Docker-Content-Digest");
  _cleanup_free_ char *location = header_value(t->curl, "Location");
  r->location = absolute_location(t->curl, location);
  return 0;
}

void http_transfer_cleanup(struct http_transfer *t) {
  if (t->curl)
    curl_easy_cleanup(t->curl);
  curl_slist_free_all(t->headers);
  t->curl = NULL;
  t->headers = NULL;
}

int http_perform(CURLSH *share, const struct http_request *req, struct http_response *resp,
                 err_t *e) {
  struct http_transfer t;
  int rc = http_transfer_init(&t, share, req, e);
  if (rc == 0)
    rc = http_transfer_finish(&t, curl_easy_perform(t.curl), e);
  http_transfer_cleanup(&t);
  *resp = t.resp;
  return rc;
}

bool http_transport_failed(const struct http_response *resp) {
  return resp->status == 0;
}

char *http_basic_authorization(const char *user, const char *pass) {
  _cleanup_free_ char *plain = NULL;
  int n = asprintf(&plain, "%s:%s", user, pass);
  if (n < 0)
    return NULL;
  _cleanup_free_ char *b64 = malloc(4 * (((size_t)n + 2) / 3) + 1);
  if (!b64)
    return NULL;
  EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, n);
  char *out = NULL;
  return asprintf(&out, "Basic %s", b64) < 0 ? NULL : out;
}
