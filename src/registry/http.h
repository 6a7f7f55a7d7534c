/* One HTTP exchange over libcurl, as the registry client needs it: a request
 * body from memory or from a file, a response body collected in memory or
 * streamed to a sink, and the few response headers the distribution API uses.
 * Transfers share one connection cache, so sequential and parallel requests
 * to a registry reuse their connections. */
#ifndef CAPSULE_REGISTRY_HTTP_H
#define CAPSULE_REGISTRY_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/curl_lib.h"
#include "util/error.h"

/* Streams a 2xx response body; returns 0 to go on, -1 to abort the transfer
 * (the sink keeps its own reason). Non-2xx bodies are collected instead. */
typedef int (*http_sink_fn)(const char *buf, size_t len, void *data);

struct http_request {
  const char *method; /* "GET", "HEAD", "POST", "PUT" */
  const char *url;
  const char *accept;        /* Accept header, or NULL */
  const char *content_type;  /* of the request body, or NULL */
  const char *authorization; /* whole header value ("Bearer x"), or NULL */
  bool tls_verify;
  /* Request body: `body_len` bytes at `body`, or `body_size` bytes of `body_fd`
   * from offset 0 (body_fd < 0 when unused). */
  const void *body;
  size_t body_len;
  int body_fd;
  uint64_t body_size;
  /* Response body: streamed to `sink` when set, else kept (up to max_body). */
  http_sink_fn sink;
  void *sink_data;
  size_t max_body;
  /* Bytes of the request body sent so far, reported as they go (optional). */
  void (*upload_progress)(void *data, uint64_t sent);
  void *upload_progress_data;
};

struct http_response {
  long status;       /* 0 when no HTTP answer came (see transport error) */
  char *body;        /* NUL-terminated; non-2xx bodies even with a sink */
  size_t body_len;
  char *content_type;
  char *location; /* absolute URL (resolved against the request's) */
  char *www_authenticate;
  char *docker_content_digest;
  int64_t content_length; /* -1 when unknown */
  bool sink_failed;       /* the sink asked to abort */
  CURLcode transport;     /* CURLE_OK, or why no HTTP answer came */
};

void http_response_free(struct http_response *r);

/* A transfer owns its easy handle and the buffers the callbacks write into;
 * several can run on one multi handle. */
struct http_transfer {
  CURL *curl;
  struct curl_slist *headers;
  const struct http_request *req;
  struct http_response resp;
  uint64_t upload_off;
  long body_status; /* the status whose body resp.body holds */
  char errbuf[CURL_ERROR_SIZE];
};

/* The connection/DNS/TLS-session cache shared by every transfer of a client. */
CURLSH *http_share_new(err_t *e);

/* Prepare `t` for `req` (which must outlive the transfer). */
int http_transfer_init(struct http_transfer *t, CURLSH *share, const struct http_request *req,
                       err_t *e);
/* After curl finished the transfer with `rc`: fill t->resp's status and
 * headers. A transport failure (no HTTP answer) returns -1 with e set. */
int http_transfer_finish(struct http_transfer *t, CURLcode rc, err_t *e);
/* Free the easy handle and header list; t->resp stays with the caller. */
void http_transfer_cleanup(struct http_transfer *t);

/* Run one request to completion; the response is filled in *resp (free it
 * with http_response_free). -1 only for transport failures. */
int http_perform(CURLSH *share, const struct http_request *req, struct http_response *resp,
                 err_t *e);

/* True for the errors where no server spoke HTTP (refused, TLS failure...):
 * the cases where a registry may be retried over plain HTTP. */
bool http_transport_failed(const struct http_response *resp);

/* "Basic base64(user:pass)" on the heap. */
char *http_basic_authorization(const char *user, const char *pass);

#endif
