/* Blobs over the distribution API: parallel downloads (libcurl multi) into
 * sinks that verify each blob while it streams, and the push side:
 * existence checks, cross-repository mounts and monolithic uploads. */
#ifndef CAPSULE_REGISTRY_BLOBS_H
#define CAPSULE_REGISTRY_BLOBS_H

#include <stddef.h>
#include <stdint.h>

#include "registry/client.h"

struct blob_request {
  const char *digest;
  uint64_t size;
};

/* Where downloaded bytes go; `i` is the blob's index in the request array.
 * begin() is called once before any byte, write() with the bytes in order
 * (never more than the blob's size in all), commit() after the last byte
 * (the sink verifies the sha256 there; the size was checked), discard()
 * for every begun blob that will not be committed. Errors of the sink
 * should name the blob. progress() is optional. */
struct blob_sink {
  int (*begin)(void *ctx, size_t i, err_t *e);
  int (*write)(void *ctx, size_t i, const void *buf, size_t len, err_t *e);
  int (*commit)(void *ctx, size_t i, err_t *e);
  void (*discard)(void *ctx, size_t i);
  void (*progress)(void *ctx, size_t i, uint64_t done);
  void *ctx;
};

/* GET /v2/REPO/blobs/DIGEST for each blob, up to `parallel` at a time. The
 * first failure stops every transfer, discards what was not committed and is
 * returned ("blob sha256:...: size mismatch ..."). */
int registry_download_blobs(struct registry *r, const char *repo, const struct blob_request *blobs,
                            size_t n, unsigned parallel, const struct blob_sink *sink, err_t *e);

/* HEAD /v2/REPO/blobs/DIGEST: 1 when the registry has it, 0 when not. */
int registry_blob_exists(struct registry *r, const char *repo, const char *digest, err_t *e);

/* POST /v2/REPO/blobs/uploads/?mount=DIGEST&from=FROM. 1 when mounted (201);
 * 0 when the registry opened an upload instead (202), whose URL is put in
 * *upload_url for registry_upload_blob. */
int registry_mount_blob(struct registry *r, const char *repo, const char *digest,
                        const char *from, char **upload_url, err_t *e);

typedef void (*upload_progress_fn)(void *data, uint64_t done);

/* Upload `size` bytes of `fd` as DIGEST, monolithically: POST an upload
 * (unless `upload_url` is an upload already opened) and PUT ...&digest=.
 * 0 when uploaded; 1 when the POST answered that the blob is complete
 * (201 Created) and the registry has it. */
int registry_upload_blob(struct registry *r, const char *repo, const char *digest, int fd,
                         uint64_t size, const char *upload_url, upload_progress_fn progress,
                         void *progress_data, err_t *e);

#endif
