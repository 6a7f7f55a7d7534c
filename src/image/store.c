/* The store handle, its lock, tmp/, and blobs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/store_gc.h"
#include "image/store_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

void store_tmp_name(char *out, size_t cap, const char *kind) {
  static atomic_uint counter;
  unsigned r = 0;
  if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
    r = (unsigned)time(NULL);
  snprintf(out, cap, "%s-%d-%u-%08x", kind, (int)getpid(), atomic_fetch_add(&counter, 1), r);
}

bool store_name_digest(const char *name, char out[DIGEST_BUF]) {
  static const char algo[] = "sha256:";
  size_t len = strlen(name);
  if (len != DIGEST_BUF - sizeof(algo))
    return false;
  memcpy(out, algo, sizeof(algo) - 1);
  memcpy(out + sizeof(algo) - 1, name, len + 1);
  return digest_valid(out);
}

void store_now(char out[40]) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 40 - n, ".%09ldZ", ts.tv_nsec);
}

static int open_dir(int at, const char *path, const char *root, err_t *e) {
  if (mkdir_p_at(at, path, 0700, e) < 0)
    return err_wrap(e, "store %s", root);
  int fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return err_sys(e, "store %s: open %s", root, path);
  return fd;
}

int store_clear_tmp(struct image_store *s, unsigned *removed, err_t *e) {
  _cleanup_closedir_ DIR *d = fdopendir_dup(s->tmpfd);
  if (!d)
    return err_sys(e, "%s/tmp", s->root);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    if (remove_tree_at(s->tmpfd, de->d_name, e) < 0)
      return err_wrap(e, "%s/tmp", s->root);
    if (removed)
      (*removed)++;
  }
  /* images.json is replaced through a temp file beside it. */
  _cleanup_closedir_ DIR *rd = fdopendir_dup(s->rootfd);
  if (!rd)
    return err_sys(e, "%s", s->root);
  while ((de = readdir(rd)))
    if (!strncmp(de->d_name, DB_FILE ".tmp.", strlen(DB_FILE ".tmp.")) &&
        unlinkat(s->rootfd, de->d_name, 0) == 0 && removed)
      (*removed)++;
  return 0;
}

static int lock_store(struct image_store *s, int flags, err_t *e) {
  s->lockfd = openat(s->rootfd, STORE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lockfd < 0)
    return err_sys(e, "%s/%s", s->root, STORE_LOCK);
  s->exclusive = flags & IMAGE_STORE_EXCLUSIVE;
  if (!s->exclusive && flock(s->lockfd, LOCK_EX | LOCK_NB) == 0) {
    /* Nobody else is in the store: what tmp/ holds is a crashed command's. */
    err_t ignored = ERR_INIT;
    store_clear_tmp(s, NULL, &ignored);
  }
  while (flock(s->lockfd, s->exclusive ? LOCK_EX : LOCK_SH) < 0)
    if (errno != EINTR)
      return err_sys(e, "%s/%s: lock", s->root, STORE_LOCK);
  return 0;
}

int image_store_open(const char *root, int flags, struct image_store **out, err_t *e) {
  struct image_store *s = calloc(1, sizeof(*s));
  if (!s || !(s->root = strdup(root))) {
    free(s);
    return err_sys(e, "store %s", root);
  }
  s->rootfd = s->lockfd = s->blobsfd = s->layersfd = s->tmpfd = -1;
  if ((s->rootfd = open_dir(AT_FDCWD, root, root, e)) < 0 ||
      (s->blobsfd = open_dir(s->rootfd, "blobs/sha256", root, e)) < 0 ||
      (s->layersfd = open_dir(s->rootfd, "layers", root, e)) < 0 ||
      (s->tmpfd = open_dir(s->rootfd, "tmp", root, e)) < 0 || lock_store(s, flags, e) < 0) {
    image_store_close(s);
    return -1;
  }
  *out = s;
  return 0;
}

void image_store_cleanup(struct image_store *s) {
  /* Converting a shared flock drops it first; if another command holds the
   * store, take the shared lock back and leave the leftovers to it. */
  if (!s->exclusive && flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
    while (flock(s->lockfd, LOCK_SH) < 0 && errno == EINTR)
      ;
    return;
  }
  struct db_txn t;
  err_t ignored = ERR_INIT;
  struct sweep_result sw;
  bool was_exclusive = s->exclusive;
  s->exclusive = true;
  if (db_begin(s, &t, &ignored) == 0) {
    store_sweep(s, t.db, &sw, &ignored);
    db_end(&t);
  }
  s->exclusive = was_exclusive;
  if (!was_exclusive)
    flock(s->lockfd, LOCK_SH);
}

void image_store_close(struct image_store *s) {
  int fds[] = {s->lockfd, s->blobsfd, s->layersfd, s->tmpfd, s->rootfd};
  for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
    if (fds[i] >= 0)
      close(fds[i]);
  free(s->root);
  free(s);
}

const char *image_store_root(const struct image_store *s) {
  return s->root;
}

/* ---- Blobs ---- */

struct blob_writer {
  struct image_store *s;
  int fd;
  char tmp[96];
  struct sha256 hash;
  uint64_t size;
  int64_t expected_size;
  char expected[DIGEST_BUF];
  char got[DIGEST_BUF]; /* once the hash is final */
};

int blob_writer_new(struct image_store *s, const char *expected_digest, int64_t expected_size,
                    struct blob_writer **out, err_t *e) {
  if (expected_digest && !digest_valid(expected_digest))
    return err_set(e, EINVAL, "invalid digest '%s'", expected_digest);
  struct blob_writer *w = calloc(1, sizeof(*w));
  if (!w)
    return err_sys(e, "blob");
  w->s = s;
  w->expected_size = expected_size;
  snprintf(w->expected, sizeof(w->expected), "%s", expected_digest ? expected_digest : "");
  store_tmp_name(w->tmp, sizeof(w->tmp), "blob");
  if (sha256_init(&w->hash, e) < 0) {
    free(w);
    return -1;
  }
  w->fd = openat(s->tmpfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (w->fd < 0) {
    err_sys(e, "%s/tmp/%s", s->root, w->tmp);
    sha256_free(&w->hash);
    free(w);
    return -1;
  }
  *out = w;
  return 0;
}

int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, err_t *e) {
  if (w->got[0])
    return err_set(e, EINVAL, "blob %s: written after its digest was taken", w->got);
  if (w->expected_size >= 0 && w->size + len > (uint64_t)w->expected_size)
    return err_set(e, EIO, "blob %s: more than the expected %lld bytes",
                   w->expected[0] ? w->expected : "", (long long)w->expected_size);
  if (write_all(w->fd, buf, len) < 0)
    return err_sys(e, "%s/tmp/%s: write", w->s->root, w->tmp);
  sha256_update(&w->hash, buf, len);
  w->size += len;
  return 0;
}

int blob_writer_reader(struct blob_writer *w, err_t *e) {
  int fd = openat(w->s->tmpfd, w->tmp, O_RDONLY | O_CLOEXEC);
  return fd < 0 ? err_sys(e, "%s/tmp/%s", w->s->root, w->tmp) : fd;
}

uint64_t blob_writer_size(const struct blob_writer *w) {
  return w->size;
}

void blob_writer_digest(struct blob_writer *w, char digest[DIGEST_BUF]) {
  if (!w->got[0])
    sha256_final(&w->hash, w->got);
  memcpy(digest, w->got, DIGEST_BUF);
}

void blob_writer_abort(struct blob_writer *w) {
  if (!w)
    return;
  close(w->fd);
  unlinkat(w->s->tmpfd, w->tmp, 0);
  sha256_free(&w->hash);
  free(w);
}

int blob_writer_commit(struct blob_writer *w, char digest[DIGEST_BUF], err_t *e) {
  char got[DIGEST_BUF];
  blob_writer_digest(w, got);
  struct image_store *s = w->s;
  int r = -1;
  if (w->expected_size >= 0 && w->size != (uint64_t)w->expected_size)
    err_set(e, EIO, "blob %s: got %llu bytes, expected %lld", w->expected[0] ? w->expected : got,
            (unsigned long long)w->size, (long long)w->expected_size);
  else if (w->expected[0] && strcmp(got, w->expected))
    err_set(e, EIO, "blob %s: digest mismatch, content hashes to %s", w->expected, got);
  else if (fsync(w->fd) < 0)
    err_sys(e, "%s/tmp/%s: fsync", s->root, w->tmp);
  else if (renameat(s->tmpfd, w->tmp, s->blobsfd, digest_hex(got)) < 0)
    err_sys(e, "%s/blobs: publish %s", s->root, got);
  else {
    w->tmp[0] = '\0'; /* published: if not durable, an orphan until GC */
    if (fsync(s->blobsfd) < 0)
      err_sys(e, "%s/blobs: publish %s: fsync", s->root, got);
    else
      r = 0;
    if (r == 0 && digest)
      memcpy(digest, got, DIGEST_BUF);
  }
  close(w->fd);
  if (w->tmp[0])
    unlinkat(s->tmpfd, w->tmp, 0);
  free(w);
  return r;
}

int image_store_put_blob(struct image_store *s, const void *buf, size_t len,
                         const char *expected_digest, char digest[DIGEST_BUF], err_t *e) {
  struct blob_writer *w;
  if (blob_writer_new(s, expected_digest, (int64_t)len, &w, e) < 0)
    return -1;
  if (blob_writer_write(w, buf, len, e) < 0) {
    blob_writer_abort(w);
    return -1;
  }
  return blob_writer_commit(w, digest, e);
}

int image_store_has_blob(struct image_store *s, const char *digest, int64_t *size) {
  struct stat st;
  if (!digest_valid(digest) || fstatat(s->blobsfd, digest_hex(digest), &st, 0) < 0 ||
      !S_ISREG(st.st_mode))
    return 0;
  if (size)
    *size = st.st_size;
  return 1;
}

int image_store_open_blob(struct image_store *s, const char *digest, err_t *e) {
  if (!digest_valid(digest))
    return err_set(e, EINVAL, "invalid digest '%s'", digest);
  int fd = openat(s->blobsfd, digest_hex(digest), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return err_set(e, ENOENT, "blob %s is not in the store", digest);
  if (fd < 0)
    return err_sys(e, "blob %s", digest);
  return fd;
}

char *image_store_read_blob(struct image_store *s, const char *digest, size_t max, size_t *len,
                            err_t *e) {
  if (!digest_valid(digest)) {
    err_set(e, EINVAL, "invalid digest '%s'", digest);
    return NULL;
  }
  char *buf = read_file_at(s->blobsfd, digest_hex(digest), max ? max : SMALL_BLOB_MAX, len, e);
  if (!buf && e->code == ENOENT)
    err_set(e, ENOENT, "blob %s is not in the store", digest);
  else if (!buf)
    err_wrap(e, "blob %s", digest);
  return buf;
}
