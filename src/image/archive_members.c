#include "image/archive_members.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/archive_lib.h"
#include "image/digest.h"
#include "image/tree_walk.h"
#include "util/cleanup.h"

#define SMALL_MEMBER (1u << 20) /* kept in memory: manifests, configs, small layers */
#define READ_BUF (128 * 1024)
#define MAX_ALIAS_HOPS 8

void members_free(struct members *m) {
  for (size_t i = 0; i < m->n; i++) {
    free(m->v[i].name);
    free(m->v[i].alias);
    free(m->v[i].data);
    blob_writer_abort(m->v[i].w);
  }
  free(m->v);
  *m = (struct members){0};
}

static struct member *add_member(struct members *m, const char *name, err_t *e) {
  struct member *v = realloc(m->v, (m->n + 1) * sizeof(*v));
  if (!v) {
    err_sys(e, "archive");
    return NULL;
  }
  m->v = v;
  struct member *x = &v[m->n];
  *x = (struct member){0};
  if (!(x->name = strdup(name))) {
    err_sys(e, "archive");
    return NULL;
  }
  m->n++;
  return x;
}

/* "blobs/sha256/<hex>" names its own digest: check it while copying. */
static void expected_digest(const char *name, char out[DIGEST_BUF]) {
  out[0] = '\0';
  if (!strncmp(name, "blobs/sha256/", 13)) {
    char d[DIGEST_BUF + 8];
    snprintf(d, sizeof(d), "sha256:%s", name + 13);
    if (digest_valid(d))
      memcpy(out, d, DIGEST_BUF);
  }
}

static int read_small(struct archive *a, struct member *x, size_t size, err_t *e) {
  if (!(x->data = malloc(size + 1)))
    return err_sys(e, "%s", x->name);
  la_ssize_t n = archive_read_data(a, x->data, size);
  if (n < 0 || (size_t)n != size)
    return err_set(e, EIO, "%s: %s", x->name, n < 0 ? archive_error_string(a) : "truncated");
  x->data[size] = '\0';
  x->len = size;
  if (sha256_digest(x->data, size, x->digest, e) < 0)
    return -1;
  char want[DIGEST_BUF];
  expected_digest(x->name, want);
  if (want[0] && strcmp(want, x->digest))
    return err_set(e, EIO, "%s: digest mismatch, content hashes to %s", x->name, x->digest);
  return 0;
}

static int read_large(struct image_store *s, struct archive *a, struct member *x, int64_t size,
                      err_t *e) {
  char want[DIGEST_BUF];
  expected_digest(x->name, want);
  if (blob_writer_new(s, want[0] ? want : NULL, size, &x->w, e) < 0)
    return -1;
  _cleanup_free_ char *buf = malloc(READ_BUF);
  if (!buf)
    return err_sys(e, "%s", x->name);
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, READ_BUF);
    if (n < 0)
      return err_set(e, EIO, "%s: %s", x->name, archive_error_string(a));
    if (n == 0)
      break;
    if (blob_writer_write(x->w, buf, (size_t)n, e) < 0)
      return err_wrap(e, "%s", x->name);
  }
  if (blob_writer_size(x->w) != (uint64_t)size)
    return err_set(e, EIO, "%s: truncated", x->name);
  blob_writer_digest(x->w, x->digest);
  if (want[0] && strcmp(want, x->digest))
    return err_set(e, EIO, "%s: digest mismatch, content hashes to %s", x->name, x->digest);
  return 0;
}

/* A link: remember where it points (relative to the archive's root). */
static int add_alias(struct members *m, const char *path, const char *target, bool symlink,
                     err_t *e) {
  char joined[PATH_MAX * 2], clean[PATH_MAX];
  const char *slash = strrchr(path, '/');
  int jn = symlink && target[0] != '/' && slash
               ? snprintf(joined, sizeof(joined), "%.*s/%s", (int)(slash - path), path, target)
               : snprintf(joined, sizeof(joined), "%s", target + (target[0] == '/'));
  if (jn < 0 || (size_t)jn >= sizeof(joined))
    return err_set(e, ENAMETOOLONG, "%.64s...: link target too long", path);
  /* "a/../b" is fine inside an archive index; resolve it lexically. */
  char *parts[PATH_MAX / 2];
  size_t n = 0;
  for (char *tok = strtok(joined, "/"); tok; tok = strtok(NULL, "/")) {
    if (!strcmp(tok, ".."))
      n -= n > 0;
    else if (strcmp(tok, ".") && n == PATH_MAX / 2)
      return err_set(e, ENAMETOOLONG, "%.64s...: link target too long", path);
    else if (strcmp(tok, "."))
      parts[n++] = tok;
  }
  size_t len = 0;
  clean[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    size_t part = strlen(parts[i]);
    if (len + !!i + part >= sizeof(clean))
      return err_set(e, ENAMETOOLONG, "%.64s...: link target too long", path);
    if (i)
      clean[len++] = '/';
    memcpy(clean + len, parts[i], part + 1);
    len += part;
  }
  struct member *x = add_member(m, path, e);
  if (!x || !(x->alias = strdup(clean)))
    return x ? err_sys(e, "%s", path) : -1;
  return 0;
}

static int read_entry(struct image_store *s, struct archive *a, struct archive_entry *ent,
                      struct members *m, err_t *e) {
  char path[PATH_MAX];
  const char *raw = archive_entry_pathname(ent);
  if (!raw || layer_path_clean(raw, path, e) < 0)
    return raw ? err_wrap(e, "archive member") : err_set(e, EINVAL, "archive member without name");
  if (archive_entry_hardlink(ent))
    return add_alias(m, path, archive_entry_hardlink(ent), false, e);
  switch (archive_entry_filetype(ent)) {
  case AE_IFLNK:
    return add_alias(m, path, archive_entry_symlink(ent), true, e);
  case AE_IFREG:
    break;
  default:
    return 0; /* directories and the like carry nothing */
  }
  int64_t size = archive_entry_size(ent);
  struct member *x = add_member(m, path, e);
  if (!x)
    return -1;
  x->size = (uint64_t)size;
  return size <= SMALL_MEMBER ? read_small(a, x, (size_t)size, e) : read_large(s, a, x, size, e);
}

int members_read(struct image_store *s, int fd, struct members *out, err_t *e) {
  *out = (struct members){0};
  if (archive_lib_load(e) < 0)
    return -1;
  struct archive *a = archive_read_new();
  if (!a)
    return err_sys(e, "archive");
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_format_tar(a);
  int r = archive_read_open_fd(a, fd, READ_BUF);
  if (r != ARCHIVE_OK)
    err_set(e, EINVAL, "not a tar archive: %s", archive_error_string(a));
  struct archive_entry *ent;
  bool first = true;
  while (r == ARCHIVE_OK) {
    r = archive_read_next_header(a, &ent);
    if (r == ARCHIVE_EOF) {
      r = first ? ARCHIVE_FATAL : ARCHIVE_OK;
      if (first)
        err_set(e, EINVAL, "not a tar archive: it is empty");
      break;
    }
    if (r < ARCHIVE_WARN) {
      err_set(e, EINVAL, "%s: %s", first ? "not a tar archive" : "corrupt archive",
              archive_error_string(a));
      break;
    }
    first = false;
    r = read_entry(s, a, ent, out, e) < 0 ? ARCHIVE_FATAL : ARCHIVE_OK;
  }
  archive_read_free(a);
  if (r != ARCHIVE_OK) {
    members_free(out);
    return -1;
  }
  return 0;
}

struct member *members_find(struct members *m, const char *name) {
  char clean[PATH_MAX];
  err_t ignored = ERR_INIT;
  if (layer_path_clean(name, clean, &ignored) < 0)
    return NULL;
  const char *want = clean;
  for (int hops = 0; hops < MAX_ALIAS_HOPS; hops++) {
    struct member *found = NULL;
    for (size_t i = 0; i < m->n && !found; i++)
      if (!strcmp(m->v[i].name, want))
        found = &m->v[i];
    if (!found || !found->alias)
      return found;
    want = found->alias;
  }
  return NULL;
}

int member_publish(struct image_store *s, struct member *x, err_t *e) {
  if (x->published)
    return 0;
  int r = x->w ? blob_writer_commit(x->w, NULL, e)
               : image_store_put_blob(s, x->data, x->len, x->digest, NULL, e);
  x->w = NULL; /* commit frees it, success or not */
  if (r < 0)
    return err_wrap(e, "%s", x->name);
  x->published = true;
  return 0;
}

ssize_t member_head(struct image_store *s, const struct member *x, void *buf, size_t len) {
  if (x->data) {
    size_t n = x->len < len ? x->len : len;
    memcpy(buf, x->data, n);
    return (ssize_t)n;
  }
  err_t ignored = ERR_INIT;
  _cleanup_close_ int fd = image_store_open_blob(s, x->digest, &ignored);
  return fd < 0 ? -1 : pread(fd, buf, len, 0);
}
