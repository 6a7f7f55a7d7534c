#include "image/reference.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "util/cleanup.h"

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128

void image_ref_free(struct image_ref *r) {
  free(r->registry);
  free(r->repository);
  free(r->tag);
  free(r->digest);
  *r = (struct image_ref){0};
}

static bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component of a repository, per the distribution spec:
 * [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* */
static bool component_valid(const char *s, size_t len) {
  size_t i = 0;
  if (len == 0 || !lower_alnum(s[0]))
    return false;
  while (i < len) {
    while (i < len && lower_alnum(s[i]))
      i++;
    if (i == len)
      return true;
    size_t sep = i;
    if (s[i] == '.')
      i++;
    else if (s[i] == '_')
      i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
    else
      while (i < len && s[i] == '-')
        i++;
    if (i == sep || i == len || !lower_alnum(s[i]))
      return false;
  }
  return true;
}

static int repository_check(const char *repo, err_t *e) {
  if (strlen(repo) > NAME_MAX_LEN)
    return err_set(e, EINVAL, "repository name longer than %d characters", NAME_MAX_LEN);
  for (const char *p = repo; *p; p++)
    if (isupper((unsigned char)*p))
      return err_set(e, EINVAL, "repository name must be lowercase: %s", repo);
  const char *start = repo;
  for (;;) {
    const char *slash = strchr(start, '/');
    size_t len = slash ? (size_t)(slash - start) : strlen(start);
    if (!component_valid(start, len))
      return err_set(e, EINVAL, "invalid repository name: %s", repo);
    if (!slash)
      return 0;
    start = slash + 1;
  }
}

static int tag_check(const char *tag, err_t *e) {
  size_t len = strlen(tag);
  bool ok = len > 0 && len <= TAG_MAX_LEN && (isalnum((unsigned char)tag[0]) || tag[0] == '_');
  for (size_t i = 1; ok && i < len; i++)
    ok = isalnum((unsigned char)tag[i]) || strchr("_.-", tag[i]);
  return ok ? 0 : err_set(e, EINVAL, "invalid tag: %s", tag);
}

static int host_check(const char *host, err_t *e) {
  if (!*host)
    return err_set(e, EINVAL, "empty registry host");
  for (const char *p = host; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr(".-:[]", *p))
      return err_set(e, EINVAL, "invalid registry host: %s", host);
  return 0;
}

/* Docker's rule: the first component names a registry only if it looks like
 * a host (has a dot or a port, or is localhost); otherwise it is Docker Hub. */
static bool looks_like_host(const char *s, size_t len) {
  return memchr(s, '.', len) || memchr(s, ':', len) ||
         (len == 9 && !memcmp(s, "localhost", 9));
}

static int split_name(const char *name, struct image_ref *out, err_t *e) {
  const char *slash = strchr(name, '/');
  if (slash && looks_like_host(name, (size_t)(slash - name))) {
    out->registry = strndup(name, (size_t)(slash - name));
    out->repository = strdup(slash + 1);
  } else {
    out->registry = strdup(DOCKER_HUB);
    out->repository = strdup(name);
  }
  if (!out->registry || !out->repository)
    return err_sys(e, "parsing reference");
  if (!strcmp(out->registry, "index.docker.io")) {
    free(out->registry);
    if (!(out->registry = strdup(DOCKER_HUB)))
      return err_sys(e, "parsing reference");
  }
  /* Docker Hub has no top-level repositories: "busybox" and
   * "docker.io/busybox" both name library/busybox. */
  if (!strcmp(out->registry, DOCKER_HUB) && !strchr(out->repository, '/')) {
    char *full = NULL;
    if (asprintf(&full, "library/%s", out->repository) < 0)
      return err_sys(e, "parsing reference");
    free(out->repository);
    out->repository = full;
  }
  if (host_check(out->registry, e) < 0)
    return -1;
  return repository_check(out->repository, e);
}

int image_ref_parse(const char *s, struct image_ref *out, err_t *e) {
  *out = (struct image_ref){0};
  if (!*s)
    return err_set(e, EINVAL, "empty image reference");
  _cleanup_free_ char *copy = strdup(s);
  if (!copy)
    return err_sys(e, "parsing reference");
  char *at = strchr(copy, '@');
  if (at) {
    *at = '\0';
    if (!digest_valid(at + 1))
      return err_set(e, EINVAL, "%s: invalid digest (want sha256:<64 hex digits>)", s);
    if (!(out->digest = strdup(at + 1)))
      return err_sys(e, "parsing reference");
  }
  /* A tag follows the last ':' that is after the last '/' (a ':' before it is a port). */
  char *last_slash = strrchr(copy, '/');
  char *colon = strrchr(last_slash ? last_slash : copy, ':');
  if (colon) {
    *colon = '\0';
    if (tag_check(colon + 1, e) < 0 || !(out->tag = strdup(colon + 1)))
      goto fail;
  }
  if (split_name(copy, out, e) < 0)
    goto fail;
  if (!out->tag && !out->digest && !(out->tag = strdup("latest"))) {
    err_sys(e, "parsing reference");
    goto fail;
  }
  return 0;
fail:
  if (!e->code)
    err_sys(e, "parsing reference");
  err_wrap(e, "%s", s);
  image_ref_free(out);
  return -1;
}

char *image_ref_name(const struct image_ref *r) {
  char *s = NULL;
  return asprintf(&s, "%s/%s", r->registry, r->repository) < 0 ? NULL : s;
}

char *image_ref_string(const struct image_ref *r) {
  char *s = NULL;
  int n = r->tag ? asprintf(&s, "%s/%s:%s", r->registry, r->repository, r->tag)
                 : asprintf(&s, "%s/%s@%s", r->registry, r->repository, r->digest);
  return n < 0 ? NULL : s;
}
