/* Manifests over the distribution API: GET with every media type capsule
 * understands in Accept (a registry answers 404 for an OCI manifest to a
 * client that does not list it), digest-checked; PUT with its media type. */
#ifndef CAPSULE_REGISTRY_MANIFEST_H
#define CAPSULE_REGISTRY_MANIFEST_H

#include <stddef.h>

#include "registry/client.h"
#include "image/digest.h"

struct remote_manifest {
  char *body;
  size_t len;
  char *media_type; /* from Content-Type, else the document's mediaType */
  char digest[DIGEST_BUF];
};

void remote_manifest_free(struct remote_manifest *m);

/* GET /v2/REPO/manifests/REF (a tag or a digest). The body's sha256 must
 * equal REF when it is a digest, and the Docker-Content-Digest header when
 * the registry sends one. A 404 is ENOENT. */
int registry_get_manifest(struct registry *r, const char *repo, const char *ref,
                          struct remote_manifest *out, err_t *e);

/* PUT /v2/REPO/manifests/REF; the registry must answer 201 and, when it
 * sends Docker-Content-Digest, name the digest of `body`. */
int registry_put_manifest(struct registry *r, const char *repo, const char *ref,
                          const char *media_type, const char *body, size_t len, err_t *e);

#endif
