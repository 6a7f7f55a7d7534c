/* The content-addressed image store under a root directory (capsule --root,
 * default /var/lib/capsule). See docs/IMAGES.md for the design.
 *
 * On disk:
 *   <root>/store.lock          flock: shared by every handle, exclusive for GC
 *   <root>/images.lock         flock: serialises updates of images.json
 *   <root>/images.json         image records, references, pins (atomic replace)
 *   <root>/blobs/sha256/<hex>  blobs: manifests, indexes, configs, layer tars
 *   <root>/layers/<hex>/       one unpacked layer per chain id <hex>:
 *                                diff/       the files (an overlayfs lowerdir)
 *                                layer.json  chain id, diff id, parent, size
 *   <root>/tmp/                in-flight writes; garbage once nobody holds the store
 *
 * Crash safety: a blob is hashed while written to tmp/, fsynced, verified and
 * renamed into blobs/; a layer is unpacked in tmp/, synced (syncfs), then its
 * directory is renamed into layers/ (so a present layer is complete); an image
 * record is written only after its blobs and layers are durable, and removed
 * before any of them is freed. Whatever a kill -9 leaves is in tmp/ or is an
 * orphan, both removed by the next exclusive opener (rmi, prune, system check)
 * and never read by anyone.
 *
 * Concurrency: every handle holds <root>/store.lock for its whole life:
 * shared by default (reads, pulls, loads, imports may run side by side),
 * exclusive with IMAGE_STORE_EXCLUSIVE (removals, prune, check), which waits
 * for the shared holders to finish. Open one handle per process: a second
 * exclusive open in the same process would wait for the first forever.
 * Blob writers and layer unpacks on one handle may run in parallel threads;
 * the image-record calls serialise themselves with images.lock.
 *
 * Names: references are parsed and normalised by image_ref_parse()
 * (image/reference.h): "busybox" is stored as
 * "docker.io/library/busybox:latest". An image is identified by its manifest
 * digest; its ID, as shown to users, is its config digest (as docker and
 * podman show it). */
#ifndef CAPSULE_IMAGE_STORE_H
#define CAPSULE_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/config.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "util/error.h"

#define IMAGE_STORE_DEFAULT_ROOT "/var/lib/capsule"

struct image_store;

/* Flags of image_store_open(). */
#define IMAGE_STORE_EXCLUSIVE 0x1 /* hold store.lock exclusively (GC, repair) */

/* Open (creating the layout if needed) the store under `root`, waiting for
 * the store lock. A shared opener that finds nobody else in the store also
 * clears tmp/ of what a crashed command left there. */
int image_store_open(const char *root, int flags, struct image_store **out, err_t *e);
void image_store_close(struct image_store *s);
const char *image_store_root(const struct image_store *s);

/* ---- Blobs ------------------------------------------------------------- */

/* A blob being written: bytes go to a temp file under tmp/ and into SHA-256
 * as they arrive; commit verifies and publishes it by rename. */
struct blob_writer;

/* Start a blob. `expected_digest` (or NULL) is checked at commit;
 * `expected_size` (or -1) is enforced on every write, so an oversized stream
 * fails as soon as it passes the size. */
int blob_writer_new(struct image_store *s, const char *expected_digest, int64_t expected_size,
                    struct blob_writer **out, err_t *e);
int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, err_t *e);
uint64_t blob_writer_size(const struct blob_writer *w);
/* Verify size and digest, fsync, rename to blobs/sha256/<hex>, fsync the dir.
 * `digest` (may be NULL) receives the blob's digest. Frees `w` in all cases;
 * on failure nothing is left behind. A blob that already exists is fine. */
int blob_writer_commit(struct blob_writer *w, char digest[DIGEST_BUF], err_t *e);
/* Drop an unfinished blob (NULL is fine). */
void blob_writer_abort(struct blob_writer *w);
/* The digest of what was written, before committing (no more writes after). */
void blob_writer_digest(struct blob_writer *w, char digest[DIGEST_BUF]);

/* A whole blob from memory (manifests, configs): new + write + commit. */
int image_store_put_blob(struct image_store *s, const void *buf, size_t len,
                         const char *expected_digest, char digest[DIGEST_BUF], err_t *e);
/* 1 and *size (may be NULL) when the blob is present, 0 when absent. The
 * blob's content is trusted (verified when written; system check re-hashes). */
int image_store_has_blob(struct image_store *s, const char *digest, int64_t *size);
/* An O_RDONLY|O_CLOEXEC fd on the blob; ENOENT names the digest. */
int image_store_open_blob(struct image_store *s, const char *digest, err_t *e);
/* A small blob in memory (NUL-terminated; at most `max` bytes, 0: 4 MiB). */
char *image_store_read_blob(struct image_store *s, const char *digest, size_t max, size_t *len,
                            err_t *e);

/* ---- Layers ------------------------------------------------------------ */

/* Unpack the layer blob `blob_digest` (tar, tar+gzip or tar+zstd, detected by
 * its magic bytes) on top of `parent_chain` (NULL or "" for a base layer),
 * checking that the uncompressed stream hashes to `diff_id`. `chain` (may be
 * NULL) receives the layer's chain id. Returns at once when that chain is
 * already unpacked; concurrent unpacks of one chain are safe (the first to
 * finish wins, the other discards its copy). Hostile archives are refused (see
 * image/unpack.h) and leave nothing behind. The parent need not be unpacked
 * yet: layers of one image may be unpacked in parallel, in any order. */
int image_store_unpack_layer(struct image_store *s, const char *blob_digest,
                             const char *parent_chain, const char *diff_id,
                             char chain[DIGEST_BUF], err_t *e);
/* 1 when the layer with this chain id is unpacked (complete), 0 otherwise. */
int image_store_has_layer(struct image_store *s, const char *chain);
/* "<root>/layers/<hex>/diff" on the heap: the layer's files. */
char *image_store_layer_dir(const struct image_store *s, const char *chain);

struct layer_info {
  char chain_id[DIGEST_BUF];
  char diff_id[DIGEST_BUF];
  char parent[DIGEST_BUF]; /* "" for a base layer */
  uint64_t size;           /* bytes of file data in the layer */
  uint64_t tar_size;       /* bytes of its uncompressed tar */
};
/* What the store knows of an unpacked layer; ENOENT when it is not unpacked. */
int image_store_layer_info(struct image_store *s, const char *chain, struct layer_info *out,
                           err_t *e);

/* ---- Images and references --------------------------------------------- */

struct image_info {
  char manifest[DIGEST_BUF];  /* the image's identity in the store */
  char config[DIGEST_BUF];    /* its ID, as shown to users */
  char index[DIGEST_BUF];     /* the index/manifest list it was chosen from, or "" */
  char *manifest_media_type;
  char **refs;                /* normalised "registry/repo:tag" or "registry/repo@digest",
                                 sorted, NULL-terminated (maybe empty) */
  char **chains;              /* chain ids, lowest layer first, NULL-terminated */
  size_t n_layers;
  uint64_t size;              /* bytes of the unpacked layers (apparent sizes) */
  char *created;              /* from the config (RFC 3339), or NULL */
  char *added;                /* when it entered the store (RFC 3339) */
  char **pins;                /* owners that pin it (see image_store_pin), NULL-terminated */
};
void image_info_free(struct image_info *i);

/* Record the image whose manifest blob is `manifest_digest` (an OCI or Docker
 * schema2 image manifest, not an index). Its config and layer blobs must be in
 * the store; layers not yet unpacked are unpacked now (checking each against
 * the config's diff ids). `index_digest` (or NULL) names the index or manifest
 * list the manifest was selected from; its blob must be stored too, and is kept
 * as long as the image. Adding an image that exists is not an error.
 * `out` (may be NULL) receives the record. */
int image_store_add_image(struct image_store *s, const char *manifest_digest,
                          const char *index_digest, struct image_info *out, err_t *e);

/* Point `reference` ("name[:tag]", "name@sha256:...") at the stored image
 * `manifest_digest`, replacing what it pointed at before (which keeps its
 * other references, or becomes dangling). */
int image_store_tag(struct image_store *s, const char *reference, const char *manifest_digest,
                    err_t *e);

/* Find an image by what a user typed: a reference ("busybox", "x:1",
 * "x@sha256:<manifest or index digest>"), a full digest ("sha256:<hex>" of a
 * manifest or a config), or an ID prefix (4 to 64 hex digits of the config
 * digest, unambiguous). ENOENT: "no such image: NAME". */
int image_store_resolve(struct image_store *s, const char *name, struct image_info *out,
                        err_t *e);

/* Every image, in no particular order. Free each with image_info_free and the
 * array with free(). */
int image_store_list(struct image_store *s, struct image_info **out, size_t *n, err_t *e);

/* The image's manifest, parsed. */
int image_store_manifest(struct image_store *s, const struct image_info *img,
                         struct manifest *out, err_t *e);

/* The image's config, parsed. */
int image_store_config(struct image_store *s, const struct image_info *img,
                       struct image_config *out, err_t *e);

/* The unpacked layer directories of an image, lowest first, absolute,
 * NULL-terminated (free with strv_free): overlayfs wants them reversed
 * (lowerdir=top:...:base). */
int image_store_layer_dirs(struct image_store *s, const struct image_info *img, char ***out,
                           err_t *e);

/* For a push: a gzip'd form of the uncompressed layer blob `tar_digest` (diff
 * id `diff_id`) of `img`. A gzip blob of that diff id the store has is used
 * (an image pulled or loaded compressed, an earlier push); else one is made
 * now, streamed through gzip. Either is kept with the image (its record's
 * "compressed"), so that the next push sends the same bytes. */
int image_store_gzip_layer(struct image_store *s, const struct image_info *img,
                           const char *tar_digest, const char *diff_id, char digest[DIGEST_BUF],
                           int64_t *size, err_t *e);

/* Parent and children, as `image inspect` and `image history` show them:
 * the parent of an image is the stored image whose layers are the longest
 * proper prefix of its own (images built on it share those layers); its
 * children are the images it is the parent of. Computed over `all` (from
 * image_store_list); returns the index of the parent in `all` or -1, and
 * fills `children` (may be NULL) with indexes, -1-terminated (cap n + 1). */
long image_lineage(const struct image_info *all, size_t n, const struct image_info *img,
                   long *children);

/* Pins keep an image (and so its layers) alive while something uses it, e.g.
 * a container: `owner` is a name of [A-Za-z0-9_.-] (a container id). Pinning
 * again under the same owner moves the pin. Unpinning an unknown owner is not
 * an error. Pins survive restarts; they are removed only by unpin.
 * With IMAGE_PIN_TRANSIENT the pin is an empty file (pins/<owner>@<hex>),
 * not forced to disk, rather than a member of images.json: for owners that
 * cannot outlive the machine (a container run with --rm), where a pin lost
 * to a power failure is harmless and rewriting images.json twice would be a
 * large part of the container's life. An unpin without the flag removes
 * either kind. */
#define IMAGE_PIN_TRANSIENT 0x1
int image_store_pin(struct image_store *s, const char *owner, const char *manifest_digest,
                    int flags, err_t *e);
int image_store_unpin(struct image_store *s, const char *owner, int flags, err_t *e);

/* After a failed command: if no other command is in the store right now,
 * free what the failure left behind (blobs and layers no image uses, tmp/);
 * otherwise leave that to the next exclusive command. Best effort, silent. */
void image_store_cleanup(struct image_store *s);

/* ---- Removal and garbage collection (need IMAGE_STORE_EXCLUSIVE) -------- */

/* What a removal or check did, one line at a time, for the front end to print. */
typedef void (*store_note_fn)(void *data, const char *kind, const char *text);
/* note(data, kind, the formatted text), when note is not NULL. */
void store_notef(store_note_fn note, void *data, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* `capsule rmi NAME`, as docker does it:
 * - by reference: remove that reference; the image goes when no reference is
 *   left (unless pinned);
 * - by ID or digest: refused when the image has several repositories' tags,
 *   unless `force`; then every reference goes, and the image with them;
 * - a pinned image is refused unless `force`, which removes its references
 *   and keeps the record until the pins go (a later prune frees it).
 * Layers and blobs no remaining image uses are freed.
 * Notes: ("untagged", "docker.io/library/x:1"), ("deleted", "sha256:<id>"). */
int image_store_remove(struct image_store *s, const char *name, bool force, store_note_fn note,
                       void *data, err_t *e);

/* Remove dangling images (no reference, no pin); with `all`, every image that
 * no pin holds. Then free unused layers and blobs. *reclaimed gets the bytes
 * freed. Notes: ("deleted", "sha256:<id>"). */
int image_store_prune(struct image_store *s, bool all, uint64_t *reclaimed, store_note_fn note,
                      void *data, err_t *e);

/* `capsule system check`: verify every blob's digest, every layer's
 * completeness and key, every image's blobs, config and layers, references and
 * pins; repair what can be repaired (leftovers in tmp/, orphan blobs and
 * layers, missing layers that can be unpacked again from their blobs, corrupt
 * blobs are removed, records of images whose blobs are gone are kept and
 * reported). Notes: ("repaired", what), ("problem", what), ("ok", summary).
 * Returns 0 when the store is consistent afterwards, -1 with e set otherwise. */
int image_store_check(struct image_store *s, store_note_fn note, void *data, err_t *e);

static inline void image_store_closep(struct image_store **s) {
  if (*s)
    image_store_close(*s);
}
#define _cleanup_image_store_ __attribute__((cleanup(image_store_closep)))

static inline void image_info_freep(struct image_info *i) {
  image_info_free(i);
}
#define _cleanup_image_info_ __attribute__((cleanup(image_info_freep)))

#endif
