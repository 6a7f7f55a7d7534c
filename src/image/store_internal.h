/* What the store's files share: the handle, the image database (images.json)
 * and the helpers around them. Not for use outside src/image/. */
#ifndef CAPSULE_IMAGE_STORE_INTERNAL_H
#define CAPSULE_IMAGE_STORE_INTERNAL_H

#include <dirent.h>
#include <jansson.h>
#include <stdbool.h>

#include "image/manifest.h"
#include "image/store.h"

#define DB_FILE "images.json"
#define DB_LOCK "images.lock"
#define STORE_LOCK "store.lock"
#define LAYER_META "layer.json"
#define LAYER_DIFF "diff"
#define SMALL_BLOB_MAX (4u << 20)

struct image_store {
  char *root;
  int rootfd;
  int lockfd; /* store.lock, held shared or exclusive */
  int blobsfd; /* blobs/sha256 */
  int layersfd;
  int tmpfd;
  bool exclusive;
};

/* A unique name for something under tmp/: "<kind>-<pid>-<n>-<random>". */
void store_tmp_name(char *out, size_t cap, const char *kind);

/* "sha256:<name>" in `out`, true when `name` (of a file in blobs/sha256 or
 * layers/) is a digest's hex; false for anything else (a stray entry). */
bool store_name_digest(const char *name, char out[DIGEST_BUF]);

/* "2024-05-01T12:00:00.123456789Z", now. */
void store_now(char out[40]);

/* ---- images.json ----
 * { "version": 1,
 *   "images": { "<manifest digest>": { "config", "index"?, "media_type", "chains": [...],
 *                                      "size", "created"?, "added" } },
 *   "refs":   { "<normalised reference>": "<manifest digest>" },
 *   "pins":   { "<owner>": "<manifest digest>" } } */

/* A consistent snapshot (readers need no lock: the file is replaced atomically). */
json_t *db_read(struct image_store *s, err_t *e);

/* Read-modify-write under images.lock. */
struct db_txn {
  int lockfd;
  json_t *db;
};
int db_begin(struct image_store *s, struct db_txn *t, err_t *e);
int db_commit(struct image_store *s, struct db_txn *t, err_t *e);
void db_end(struct db_txn *t);

json_t *db_images(json_t *db);
json_t *db_refs(json_t *db);
json_t *db_pins(json_t *db);
/* Point section(db)[key] at a stored image, in a transaction of its own
 * (ENOENT when no image has that manifest digest). */
int db_point(struct image_store *s, json_t *(*section)(json_t *), const char *key,
             const char *manifest_digest, err_t *e);

/* The record of one image, as struct image_info (refs and pins gathered,
 * the transient pins too). */
int db_image_info(struct image_store *s, json_t *db, const char *manifest, struct image_info *out,
                  err_t *e);
/* Append to the NULL-terminated *pins the owners of transient pins of
 * `manifest` (store_pins.c). */
int store_add_transient_pins(struct image_store *s, const char *manifest, char ***pins, err_t *e);

/* The manifest of a stored image, parsed. */
int store_read_manifest(struct image_store *s, const char *digest, struct manifest *out,
                        err_t *e);

/* Check an image's blobs against its manifest and config, unpack the layers
 * not yet unpacked, and build its images.json record. */
json_t *store_build_record(struct image_store *s, const char *manifest_digest,
                           const char *index_digest, err_t *e);

/* A layer tarball that `fill` writes (capsule import, and commit): stored as
 * a blob and unpacked on `parent_chain` (NULL: a base layer), its diff id
 * computed on the way. Nothing is published unless both succeed. */
struct imported_layer {
  char blob[DIGEST_BUF];
  char diff_id[DIGEST_BUF];
  char chain[DIGEST_BUF];
  uint64_t size; /* of the blob */
  enum layer_compression compression;
};
typedef int (*layer_fill_fn)(struct blob_writer *w, void *ctx, err_t *e);
int store_import_layer(struct image_store *s, layer_fill_fn fill, void *ctx,
                       const char *parent_chain, struct imported_layer *out, err_t *e);
/* A layer_fill_fn copying from the fd *(int *)ctx to its end. */
int store_fill_from_fd(struct blob_writer *w, void *ctx, err_t *e);

/* An fd reading what a blob writer has written so far, from the start. */
int blob_writer_reader(struct blob_writer *w, err_t *e);

/* Remove everything under tmp/ (only with the store held exclusively). */
int store_clear_tmp(struct image_store *s, unsigned *removed, err_t *e);

/* The layer's layer.json, parsed; NULL (e set) when absent or invalid. */
json_t *store_layer_meta(struct image_store *s, const char *chain, err_t *e);

/* Free the layer directory of `chain`: moved to tmp/ first, so a crash in
 * the middle leaves no half layer in layers/. */
int store_drop_layer(struct image_store *s, const char *hex, err_t *e);

#endif
