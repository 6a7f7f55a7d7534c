/* References as users write them: the normalised
 * "docker.io/library/busybox:latest" reads "busybox:latest", as docker shows
 * it; references to other registries are shown whole. */
#ifndef CAPSULE_IMAGE_REF_DISPLAY_H
#define CAPSULE_IMAGE_REF_DISPLAY_H

/* A pointer into `normalized` (no allocation). */
const char *ref_familiar(const char *normalized);

/* Split a familiar reference into repository and tag (or "<none>" when it is
 * a digest reference) into caller buffers of `cap` bytes. */
void ref_split(const char *normalized, char *repo, char *tag, unsigned long cap);

#endif
