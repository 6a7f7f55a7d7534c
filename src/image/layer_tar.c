#include "image/layer_tar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/archive_lib.h"
#include "image/whiteout.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define COPY_BUF (128 * 1024)
#define XATTR_LIST_MAX_LEN (64 * 1024)

struct hardlink {
  dev_t dev;
  ino_t ino;
  char *path;
};

struct writer {
  struct archive *tar;      /* pax tar, uncompressed */
  struct archive *filter;   /* raw + gzip/zstd, or NULL */
  tar_sink_fn sink;
  void *ctx;
  struct sha256 diff_hash, blob_hash;
  uint64_t written;
  err_t sink_err;
  struct hardlink *links;
  size_t n_links, cap_links;
  char *buf;
};

/* Compressed (or plain) bytes: hash them and hand them to the sink. */
static int emit(struct writer *w, const void *buf, size_t len) {
  if (w->sink(w->ctx, buf, len, &w->sink_err) < 0)
    return -1;
  sha256_update(&w->blob_hash, buf, len);
  w->written += len;
  return 0;
}

static la_ssize_t filter_write_cb(struct archive *a, void *data, const void *buf, size_t len) {
  struct writer *w = data;
  if (emit(w, buf, len) < 0) {
    archive_set_error(a, EIO, "%s", w->sink_err.msg);
    return -1;
  }
  return (la_ssize_t)len;
}

/* The tar stream: hash it (the diff id), then compress or emit it. */
static la_ssize_t tar_write_cb(struct archive *a, void *data, const void *buf, size_t len) {
  struct writer *w = data;
  sha256_update(&w->diff_hash, buf, len);
  if (w->filter) {
    if (archive_write_data(w->filter, buf, len) < 0) {
      archive_set_error(a, EIO, "%s", archive_error_string(w->filter));
      return -1;
    }
  } else if (emit(w, buf, len) < 0) {
    archive_set_error(a, EIO, "%s", w->sink_err.msg);
    return -1;
  }
  return (la_ssize_t)len;
}

static int archive_fail(struct writer *w, struct archive *a, const char *path, err_t *e) {
  if (w->sink_err.code)
    return err_set(e, w->sink_err.code, "%s", w->sink_err.msg);
  return err_set(e, EIO, "%s: %s", path, archive_error_string(a));
}

/* Copy xattrs of `path` (an open fd, or a name under /proc/self/fd/dirfd)
 * into the entry, except overlayfs's own. *opaque is set for a directory
 * that overlayfs marked opaque. */
static int read_xattrs(struct archive_entry *ent, int fd, int dirfd, const char *name,
                       const char *path, bool *opaque, err_t *e) {
  char proc[64 + NAME_MAX];
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dirfd, name);
  _cleanup_free_ char *list = malloc(XATTR_LIST_MAX_LEN);
  _cleanup_free_ char *val = malloc(XATTR_LIST_MAX_LEN);
  if (!list || !val)
    return err_sys(e, "%s", path);
  ssize_t n = fd >= 0 ? flistxattr(fd, list, XATTR_LIST_MAX_LEN)
                      : llistxattr(proc, list, XATTR_LIST_MAX_LEN);
  if (n < 0)
    return errno == ENOTSUP ? 0 : err_sys(e, "%s: list xattrs", path);
  for (char *k = list; k < list + n; k += strlen(k) + 1) {
    ssize_t len = fd >= 0 ? fgetxattr(fd, k, val, XATTR_LIST_MAX_LEN)
                          : lgetxattr(proc, k, val, XATTR_LIST_MAX_LEN);
    if (len < 0)
      return errno == ENODATA ? 0 : err_sys(e, "%s: get xattr %s", path, k);
    if (!strcmp(k, XATTR_OPAQUE))
      *opaque = len == 1 && val[0] == 'y';
    if (!xattr_is_overlay(k))
      archive_entry_xattr_add_entry(ent, k, val, (size_t)len);
  }
  return 0;
}

static struct archive_entry *entry_for(const char *path, const struct stat *st) {
  struct archive_entry *ent = archive_entry_new();
  if (!ent)
    return NULL;
  archive_entry_set_pathname(ent, path);
  archive_entry_set_mode(ent, st->st_mode);
  archive_entry_set_uid(ent, st->st_uid);
  archive_entry_set_gid(ent, st->st_gid);
  archive_entry_set_mtime(ent, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
  return ent;
}

static int write_header(struct writer *w, struct archive_entry *ent, const char *path,
                        err_t *e) {
  int r = archive_write_header(w->tar, ent);
  archive_entry_free(ent);
  return r < ARCHIVE_WARN ? archive_fail(w, w->tar, path, e) : 0;
}

/* An empty regular file entry: an OCI whiteout. */
static int write_marker(struct writer *w, const char *path, const struct stat *st, err_t *e) {
  struct stat empty = *st;
  empty.st_mode = S_IFREG | 0644;
  empty.st_uid = empty.st_gid = 0;
  struct archive_entry *ent = entry_for(path, &empty);
  if (!ent)
    return err_sys(e, "%s", path);
  archive_entry_set_size(ent, 0);
  return write_header(w, ent, path, e);
}

/* The path of an earlier entry with the same inode, if any (else remember it). */
static const char *hardlink_target(struct writer *w, const struct stat *st, const char *path) {
  for (size_t i = 0; i < w->n_links; i++)
    if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
      return w->links[i].path;
  if (w->n_links == w->cap_links) {
    size_t cap = w->cap_links ? 2 * w->cap_links : 32;
    struct hardlink *l = realloc(w->links, cap * sizeof(*l));
    if (!l)
      return NULL;
    w->links = l;
    w->cap_links = cap;
  }
  char *copy = strdup(path);
  if (copy)
    w->links[w->n_links++] = (struct hardlink){st->st_dev, st->st_ino, copy};
  return NULL;
}

static int copy_data(struct writer *w, int fd, const char *path, err_t *e) {
  for (;;) {
    ssize_t n = read(fd, w->buf, COPY_BUF);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return err_sys(e, "%s: read", path);
    if (n == 0)
      return 0;
    if (archive_write_data(w->tar, w->buf, (size_t)n) < 0)
      return archive_fail(w, w->tar, path, e);
  }
}

static int write_tree(struct writer *w, int dirfd, const char *prefix, err_t *e);

/* An entry name, refused rather than cut when it does not fit in PATH_MAX:
 * a cut whiteout would delete another file. */
static int entry_name(char out[PATH_MAX], err_t *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int entry_name(char out[PATH_MAX], err_t *e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out, PATH_MAX, fmt, ap);
  va_end(ap);
  if (n < 0 || n >= PATH_MAX)
    return err_set(e, ENAMETOOLONG, "%.64s...: path too long for a tar entry (%d bytes, limit %d)",
                   out, n, PATH_MAX - 1);
  return 0;
}

/* The helpers below hold the PATH_MAX buffers, out of write_one's frame:
 * write_one recurses once per directory level, and a container's tree 400
 * levels deep overflowed the stack of export, commit and cp. */
#define OUT_OF_LINE __attribute__((noinline))

/* An overlayfs whiteout (a 0/0 character device) as its marker file. */
OUT_OF_LINE static int write_whiteout(struct writer *w, const char *name, const char *path,
                                      const struct stat *st, err_t *e) {
  char wh[PATH_MAX];
  const char *slash = strrchr(path, '/');
  int dirlen = slash ? (int)(slash - path + 1) : 0;
  if (entry_name(wh, e, "%.*s" WHITEOUT_PREFIX "%s", dirlen, path, name) < 0)
    return -1;
  return write_marker(w, wh, st, e);
}

/* The header of the entry at `path` (fd open on it if a file or directory);
 * *copy: its data follows; *opaque: a directory marked opaque. */
OUT_OF_LINE static int write_entry_header(struct writer *w, int dirfd, const char *name,
                                          const char *path, int fd, const struct stat *st,
                                          bool *copy, bool *opaque, err_t *e) {
  char entry_path[PATH_MAX];
  if (entry_name(entry_path, e, "%s%s", path, S_ISDIR(st->st_mode) ? "/" : "") < 0)
    return -1;
  struct archive_entry *ent = entry_for(entry_path, st);
  if (!ent)
    return err_sys(e, "%s", path);
  if (read_xattrs(ent, fd, dirfd, name, path, opaque, e) < 0) {
    archive_entry_free(ent);
    return -1;
  }
  const char *link = S_ISREG(st->st_mode) && st->st_nlink > 1 ? hardlink_target(w, st, path) : NULL;
  if (link) {
    archive_entry_set_hardlink(ent, link);
    archive_entry_set_size(ent, 0);
  } else if (S_ISREG(st->st_mode)) {
    archive_entry_set_size(ent, st->st_size);
  } else if (S_ISLNK(st->st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
    if (n < 0) {
      archive_entry_free(ent);
      return err_sys(e, "%s: readlink", path);
    }
    target[n] = '\0';
    archive_entry_set_symlink(ent, target);
  } else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
    archive_entry_set_rdev(ent, st->st_rdev);
  }
  *copy = S_ISREG(st->st_mode) && !link;
  return write_header(w, ent, path, e);
}

OUT_OF_LINE static int write_opaque_marker(struct writer *w, const char *path,
                                           const struct stat *st, err_t *e) {
  char marker[PATH_MAX];
  if (entry_name(marker, e, "%s/" WHITEOUT_OPAQUE, path) < 0)
    return -1;
  return write_marker(w, marker, st, e);
}

static int write_one(struct writer *w, int dirfd, const char *name, const char *path, err_t *e) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return err_sys(e, "%s", path);
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) /* overlayfs whiteout */
    return write_whiteout(w, name, path, &st, e);
  if (S_ISSOCK(st.st_mode))
    return 0; /* tar cannot hold sockets; docker skips them too */
  _cleanup_close_ int fd = -1;
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
    /* O_NONBLOCK, then the same inode: a tree being changed (a running
     * container's) may put a fifo there meanwhile, which would block us. */
    fd = openat(dirfd, name,
                O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
    struct stat now;
    if (fd < 0 || fstat(fd, &now) < 0)
      return err_sys(e, "%s: open", path);
    if (now.st_ino != st.st_ino || now.st_dev != st.st_dev)
      return err_set(e, EAGAIN, "%s: changed while it was read", path);
  }
  bool copy = false, opaque = false;
  if (write_entry_header(w, dirfd, name, path, fd, &st, &copy, &opaque, e) < 0)
    return -1;
  if (copy)
    return copy_data(w, fd, path, e);
  if (!S_ISDIR(st.st_mode))
    return 0;
  /* A running container's /proc, /sys...: the mount point only, as
   * docker's copies show them. */
  if (fs_is_kernel_view(fd))
    return 0;
  if (opaque && write_opaque_marker(w, path, &st, e) < 0)
    return -1;
  return write_tree(w, fd, path, e);
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted, so the same tree gives the same tar. */
static char **sorted_names(int dirfd, const char *path, err_t *e) {
  DIR *d = fdopendir_dup(dirfd);
  if (!d) {
    err_sys(e, "%s: read dir", *path ? path : ".");
    return NULL;
  }
  size_t n = 0, cap = 16;
  char **v = calloc(cap, sizeof(*v));
  bool failed = !v;
  struct dirent *de;
  while (!failed && (errno = 0, de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    if (n + 2 > cap) {
      char **bigger = realloc(v, (cap *= 2) * sizeof(*v));
      failed = !bigger;
      v = bigger ? bigger : v;
    }
    failed = failed || !(v[n] = strdup(de->d_name));
    if (!failed)
      v[++n] = NULL;
  }
  failed = failed || errno;
  closedir(d);
  if (failed) {
    strv_free(v);
    err_sys(e, "%s: read dir", *path ? path : ".");
    return NULL;
  }
  qsort(v, n, sizeof(*v), cmp_name);
  return v;
}

static int write_tree(struct writer *w, int dirfd, const char *prefix, err_t *e) {
  _cleanup_strv_ char **names = sorted_names(dirfd, prefix, e);
  if (!names)
    return -1;
  _cleanup_free_ char *path = malloc(PATH_MAX); /* (not in the recursive frame) */
  if (!path)
    return err_sys(e, "%s", *prefix ? prefix : ".");
  for (char **n = names; *n; n++) {
    if (entry_name(path, e, "%s%s%s", prefix, *prefix ? "/" : "", *n) < 0 ||
        write_one(w, dirfd, *n, path, e) < 0)
      return -1;
  }
  return 0;
}

static int open_archives(struct writer *w, enum layer_compression c, err_t *e) {
  if (archive_lib_load(e) < 0)
    return -1;
  if (!(w->tar = archive_write_new()) || !(w->buf = malloc(COPY_BUF)))
    return err_sys(e, "layer tar");
  if (c != LAYER_TAR) {
    if (!(w->filter = archive_write_new()))
      return err_sys(e, "layer tar");
    int r = c == LAYER_GZIP ? archive_write_add_filter_gzip(w->filter)
                            : archive_write_add_filter_zstd(w->filter);
    struct archive_entry *raw = archive_entry_new();
    if (raw) {
      archive_entry_set_pathname(raw, "layer.tar");
      archive_entry_set_filetype(raw, AE_IFREG);
    }
    if (!raw || r != ARCHIVE_OK || archive_write_set_format_raw(w->filter) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(w->filter, 1) != ARCHIVE_OK ||
        archive_write_open2(w->filter, w, NULL, filter_write_cb, NULL, NULL) != ARCHIVE_OK ||
        archive_write_header(w->filter, raw) != ARCHIVE_OK) {
      archive_entry_free(raw);
      return archive_fail(w, w->filter, "layer tar", e);
    }
    archive_entry_free(raw);
  }
  if (archive_write_set_format_pax_restricted(w->tar) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(w->tar, 1) != ARCHIVE_OK ||
      archive_write_open2(w->tar, w, NULL, tar_write_cb, NULL, NULL) != ARCHIVE_OK)
    return archive_fail(w, w->tar, "layer tar", e);
  return 0;
}

static void writer_free(struct writer *w) {
  if (w->tar)
    archive_write_free(w->tar);
  if (w->filter)
    archive_write_free(w->filter);
  sha256_free(&w->diff_hash);
  sha256_free(&w->blob_hash);
  for (size_t i = 0; i < w->n_links; i++)
    free(w->links[i].path);
  free(w->links);
  free(w->buf);
}

int tar_sink_fd(void *ctx, const void *buf, size_t len, err_t *e) {
  return write_all(*(int *)ctx, buf, len) < 0 ? err_sys(e, "write the archive") : 0;
}

/* The entries: the tree under dirfd, or `name` in it as `as`. */
static int write_entries(struct writer *w, int dirfd, const char *name, const char *as,
                         err_t *e) {
  if (!name)
    return write_tree(w, dirfd, "", e);
  if (*as)
    return write_one(w, dirfd, name, as, e);
  _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return err_sys(e, "%s: open", name);
  return fs_is_kernel_view(fd) ? 0 : write_tree(w, fd, "", e);
}

static int write_tar(int dirfd, const char *name, const char *as, enum layer_compression c,
                     tar_sink_fn sink, void *ctx, struct layer_tar_result *out, err_t *e) {
  struct writer w = {.sink = sink, .ctx = ctx};
  int r = -1;
  if (sha256_init(&w.diff_hash, e) < 0 || sha256_init(&w.blob_hash, e) < 0 ||
      open_archives(&w, c, e) < 0 || write_entries(&w, dirfd, name, as, e) < 0)
    goto done;
  if (archive_write_close(w.tar) != ARCHIVE_OK) {
    archive_fail(&w, w.tar, "layer tar", e);
    goto done;
  }
  if (w.filter && archive_write_close(w.filter) != ARCHIVE_OK) {
    archive_fail(&w, w.filter, "layer tar", e);
    goto done;
  }
  sha256_final(&w.diff_hash, out->diff_id);
  sha256_final(&w.blob_hash, out->digest);
  out->size = w.written;
  r = 0;
done:
  writer_free(&w);
  return r;
}

int layer_tar_write(int dirfd, enum layer_compression c, tar_sink_fn sink, void *ctx,
                    struct layer_tar_result *out, err_t *e) {
  return write_tar(dirfd, NULL, NULL, c, sink, ctx, out, e);
}

int tar_write_path(int dirfd, const char *name, const char *as, tar_sink_fn sink, void *ctx,
                   err_t *e) {
  struct layer_tar_result ignored;
  return write_tar(dirfd, name, as, LAYER_TAR, sink, ctx, &ignored, e);
}
