#include "image/unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/archive_lib.h"
#include "image/decompress.h"
#include "image/tree_walk.h"
#include "image/whiteout.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define TAR_BUF (128 * 1024)

struct dir_time {
  char *path;
  struct timespec times[2]; /* atime, mtime */
};

struct unpacker {
  int root;                 /* the layer's directory */
  struct archive *tar;      /* libarchive's tar reader */
  struct decompress *src;   /* the decompressed stream it reads */
  struct sha256 hash;       /* of that stream: the diff id */
  uint64_t stream_bytes;
  unsigned char *buf;
  err_t src_err;            /* why the stream failed, when it did */
  struct dir_cache cache;   /* the last parent directory opened */
  struct dir_time *dirs;    /* mtimes to set once every entry is in */
  size_t n_dirs, cap_dirs;
  struct unpack_result *res;
  const struct extract_opts *opts; /* NULL: a layer */
};

static la_ssize_t tar_read_cb(struct archive *a, void *data, const void **out) {
  struct unpacker *u = data;
  ssize_t n = decompress_read(u->src, u->buf, TAR_BUF, &u->src_err);
  if (n < 0) {
    archive_set_error(a, EIO, "%s", u->src_err.msg);
    return -1;
  }
  sha256_update(&u->hash, u->buf, (size_t)n);
  u->stream_bytes += (uint64_t)n;
  *out = u->buf;
  return n;
}

/* Hash what the tar reader left unread (the end-of-archive padding). */
static int drain(struct unpacker *u, err_t *e) {
  for (;;) {
    ssize_t n = decompress_read(u->src, u->buf, TAR_BUF, e);
    if (n < 0)
      return -1;
    if (n == 0)
      return 0;
    sha256_update(&u->hash, u->buf, (size_t)n);
    u->stream_bytes += (uint64_t)n;
  }
}

static int tar_error(struct unpacker *u, const char *path, err_t *e) {
  if (u->src_err.code)
    return err_set(e, u->src_err.code, "%s", u->src_err.msg);
  const char *msg = archive_error_string(u->tar);
  if (!path)
    return err_set(e, EINVAL, "not a tar archive (nor tar+gzip or tar+zstd): %s",
                   msg ? msg : "unreadable");
  return err_set(e, EINVAL, "%s: corrupt tar entry: %s", path, msg ? msg : "unreadable");
}

/* Remember a directory's times; they are set after its children exist. */
static int remember_dir(struct unpacker *u, const char *path, struct archive_entry *ent,
                        err_t *e) {
  if (array_reserve_sz((void **)&u->dirs, &u->cap_dirs, u->n_dirs + 1, sizeof(*u->dirs)) < 0)
    return err_sys(e, "unpack");
  struct dir_time *d = &u->dirs[u->n_dirs];
  if (!(d->path = strdup(path)))
    return err_sys(e, "unpack");
  d->times[1] = (struct timespec){archive_entry_mtime(ent), archive_entry_mtime_nsec(ent)};
  d->times[0] = archive_entry_atime_is_set(ent)
                    ? (struct timespec){archive_entry_atime(ent), archive_entry_atime_nsec(ent)}
                    : d->times[1];
  u->n_dirs++;
  return 0;
}

static void entry_times(struct archive_entry *ent, struct timespec t[2]) {
  t[1] = (struct timespec){archive_entry_mtime(ent), archive_entry_mtime_nsec(ent)};
  t[0] = archive_entry_atime_is_set(ent)
             ? (struct timespec){archive_entry_atime(ent), archive_entry_atime_nsec(ent)}
             : t[1];
}

/* The entry's xattrs, on the open file `fd` or, for what cannot be opened
 * (symlinks, devices, fifos), on `name` in the directory `dirfd`. */
static int apply_xattrs(const struct unpacker *u, struct archive_entry *ent, const char *path,
                        int fd, int dirfd, const char *name, err_t *e) {
  if ((u->opts && u->opts->untrusted) || archive_entry_xattr_reset(ent) == 0)
    return 0;
  char proc[64 + NAME_MAX];
  if (fd < 0)
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dirfd, name);
  const char *key;
  const void *val;
  size_t len;
  while (archive_entry_xattr_next(ent, &key, &val, &len) == ARCHIVE_OK) {
    if (xattr_is_overlay(key))
      return err_set(e, EPERM, "%s: xattr %s is refused (it would steer overlayfs)", path, key);
    int r = fd >= 0 ? fsetxattr(fd, key, val, len, 0) : lsetxattr(proc, key, val, len, 0);
    if (r == 0)
      continue;
    if (errno == EOPNOTSUPP || (errno == EPERM && fd < 0 && !strncmp(key, "user.", 5))) {
      log_warn("%s: xattr %s not kept: %s", path, key, strerror(errno));
      continue;
    }
    return err_sys(e, "%s: set xattr %s", path, key);
  }
  return 0;
}

static uid_t entry_uid(const struct unpacker *u, struct archive_entry *ent) {
  return u->opts && !u->opts->keep_owner ? u->opts->uid : (uid_t)archive_entry_uid(ent);
}

static gid_t entry_gid(const struct unpacker *u, struct archive_entry *ent) {
  return u->opts && !u->opts->keep_owner ? u->opts->gid : (gid_t)archive_entry_gid(ent);
}

static mode_t entry_perm(const struct unpacker *u, struct archive_entry *ent) {
  mode_t perm = archive_entry_perm(ent);
  return u->opts && u->opts->untrusted ? perm & ~(mode_t)(S_ISUID | S_ISGID) : perm;
}

/* Owner, then mode (chown clears setuid bits), then xattrs (chown clears
 * security.capability), on an open file. */
static int apply_meta_fd(const struct unpacker *u, struct archive_entry *ent, const char *path,
                         int fd, err_t *e) {
  if (fchown(fd, entry_uid(u, ent), entry_gid(u, ent)) < 0)
    return err_sys(e, "%s: chown", path);
  if (fchmod(fd, entry_perm(u, ent)) < 0)
    return err_sys(e, "%s: chmod", path);
  return apply_xattrs(u, ent, path, fd, -1, NULL, e);
}

/* The same for a symlink, device or fifo, named in `dirfd`. */
static int apply_meta_at(const struct unpacker *u, struct archive_entry *ent, const char *path,
                         int dirfd, const char *name, bool symlink, err_t *e) {
  if (fchownat(dirfd, name, entry_uid(u, ent), entry_gid(u, ent), AT_SYMLINK_NOFOLLOW) < 0)
    return err_sys(e, "%s: chown", path);
  /* The node was just created by us in a directory nobody else writes to. */
  if (!symlink && fchmodat(dirfd, name, entry_perm(u, ent), 0) < 0)
    return err_sys(e, "%s: chmod", path);
  if (apply_xattrs(u, ent, path, -1, dirfd, name, e) < 0)
    return -1;
  struct timespec t[2];
  entry_times(ent, t);
  if (utimensat(dirfd, name, t, AT_SYMLINK_NOFOLLOW) < 0)
    return err_sys(e, "%s: set times", path);
  return 0;
}

/* Make room for a new non-directory `name`: whatever is there goes (a
 * directory with its contents, as tar does), and cached fds under it too. */
static int clear_name(struct unpacker *u, int dirfd, const char *path, const char *name,
                      err_t *e) {
  dir_cache_forget_under(&u->cache, path);
  if (remove_tree_at(dirfd, name, e) < 0)
    return err_wrap(e, "%s: replacing", path);
  return 0;
}

/* The entry's data into fd; *end gets where the last byte went. */
static int write_data(struct unpacker *u, int fd, const char *path, int64_t *end, err_t *e) {
  const void *buf;
  size_t len;
  la_int64_t off;
  int64_t pos = 0;
  for (;;) {
    int r = archive_read_data_block(u->tar, &buf, &len, &off);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN)
      return tar_error(u, path, e);
    if (off != pos && lseek(fd, off, SEEK_SET) < 0) /* a sparse hole */
      return err_sys(e, "%s: seek", path);
    if (write_all(fd, buf, len) < 0)
      return err_sys(e, "%s: write", path);
    pos = off + (int64_t)len;
    u->res->size += len;
  }
  *end = pos;
  return 0;
}

static int unpack_regular(struct unpacker *u, struct archive_entry *ent, const char *path,
                          int dirfd, const char *name, err_t *e) {
  _cleanup_close_ int fd = -1;
  for (int tries = 0; fd < 0; tries++) {
    fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && (errno != EEXIST || tries))
      return err_sys(e, "%s: create", path);
    if (fd < 0 && clear_name(u, dirfd, path, name, e) < 0)
      return -1;
  }
  int64_t end = 0;
  if (write_data(u, fd, path, &end, e) < 0)
    return -1;
  if (end < archive_entry_size(ent) && ftruncate(fd, archive_entry_size(ent)) < 0)
    return err_sys(e, "%s: truncate", path); /* a sparse file ending in a hole */
  if (apply_meta_fd(u, ent, path, fd, e) < 0)
    return -1;
  struct timespec t[2];
  entry_times(ent, t);
  if (futimens(fd, t) < 0)
    return err_sys(e, "%s: set times", path);
  return 0;
}

static int unpack_dir(struct unpacker *u, struct archive_entry *ent, const char *path, int dirfd,
                      const char *name, err_t *e) {
  _cleanup_close_ int fd = -1;
  if (!*path && u->opts)
    return 0; /* the destination directory stays as it is */
  if (!*path) {
    fd = dup(u->root);
  } else {
    if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
      return err_sys(e, "%s: mkdir", path);
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) { /* a non-directory was there */
      if (clear_name(u, dirfd, path, name, e) < 0)
        return -1;
      if (mkdirat(dirfd, name, 0700) < 0)
        return err_sys(e, "%s: mkdir", path);
      fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
  }
  if (fd < 0)
    return err_sys(e, "%s: open", path);
  if (apply_meta_fd(u, ent, path, fd, e) < 0)
    return -1;
  return remember_dir(u, path, ent, e);
}

/* Create a symlink, device or fifo with mk(), replacing what was there. */
static int unpack_node(struct unpacker *u, struct archive_entry *ent, const char *path, int dirfd,
                       const char *name, err_t *e) {
  mode_t type = archive_entry_filetype(ent);
  if (u->opts && u->opts->untrusted && (type == AE_IFCHR || type == AE_IFBLK))
    return err_set(e, EPERM, "%s: a device node from a container is refused", path);
  for (int tries = 0;; tries++) {
    int r = type == AE_IFLNK ? symlinkat(archive_entry_symlink(ent), dirfd, name)
                             : mknodat(dirfd, name, type | 0600, archive_entry_rdev(ent));
    if (r == 0)
      break;
    if (errno != EEXIST || tries)
      return err_sys(e, "%s: create", path);
    if (clear_name(u, dirfd, path, name, e) < 0)
      return -1;
  }
  return apply_meta_at(u, ent, path, dirfd, name, type == AE_IFLNK, e);
}

static int unpack_hardlink(struct unpacker *u, const char *path, int dirfd, const char *name,
                           const char *target_raw, err_t *e) {
  char target[PATH_MAX];
  if (layer_path_clean(target_raw, target, e) < 0)
    return err_wrap(e, "%s: hardlink target", path);
  if (!strcmp(target, path))
    return 0;
  if (!*target)
    return err_set(e, EINVAL, "%s: hardlink to the layer's root", path);
  char *slash = strrchr(target, '/');
  const char *tname = slash ? slash + 1 : target;
  _cleanup_close_ int tdir = -1;
  if (slash) {
    *slash = '\0';
    tdir = dir_open_beneath(u->root, target, false, e);
    *slash = '/';
    if (tdir < 0 && e->code == ENOENT)
      return err_set(e, ENOENT, "%s: hardlink target %s is not in the layer", path, target);
    if (tdir < 0)
      return err_wrap(e, "%s: hardlink target %s", path, target);
  }
  int tdirfd = slash ? tdir : u->root;
  for (int tries = 0;; tries++) {
    if (linkat(tdirfd, tname, dirfd, name, 0) == 0)
      return 0;
    if (errno == ENOENT)
      return err_set(e, ENOENT, "%s: hardlink target %s is not in the layer", path, target);
    if (errno == EPERM)
      return err_set(e, EPERM, "%s: hardlink target %s is a directory", path, target);
    if (errno != EEXIST || tries)
      return err_sys(e, "%s: link to %s", path, target);
    if (clear_name(u, dirfd, path, name, e) < 0)
      return -1;
  }
}

static int unpack_whiteout(struct unpacker *u, const char *path, int dirfd, const char *name,
                           err_t *e) {
  if (!strcmp(name, WHITEOUT_OPAQUE)) {
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      return err_sys(e, "%s: open", path);
    int r = fsetxattr(fd, XATTR_OPAQUE, "y", 1, 0);
    close(fd);
    return r < 0 ? err_sys(e, "%s: set %s", path, XATTR_OPAQUE) : 0;
  }
  if (!strncmp(name, WHITEOUT_META_PREFIX, strlen(WHITEOUT_META_PREFIX)))
    return 0; /* aufs bookkeeping (.wh..wh.plnk...), meaningless here */
  const char *hidden = name + strlen(WHITEOUT_PREFIX);
  if (!*hidden || !strcmp(hidden, ".") || !strcmp(hidden, ".."))
    return err_set(e, EINVAL, "%s: invalid whiteout", path);
  for (int tries = 0;; tries++) {
    if (mknodat(dirfd, hidden, S_IFCHR | 0000, makedev(0, 0)) == 0)
      return 0;
    if (errno != EEXIST || tries)
      return err_sys(e, "%s: whiteout", path);
    _cleanup_free_ char *hidden_path = NULL;
    if (asprintf(&hidden_path, "%.*s%s", (int)(strlen(path) - strlen(name)), path, hidden) < 0)
      return err_sys(e, "%s", path);
    if (clear_name(u, dirfd, hidden_path, hidden, e) < 0)
      return -1;
  }
}

static int unpack_entry(struct unpacker *u, struct archive_entry *ent, err_t *e) {
  const char *raw = archive_entry_pathname(ent);
  char path[PATH_MAX];
  if (!raw)
    return err_set(e, EINVAL, "tar entry without a name");
  if (layer_path_clean(raw, path, e) < 0)
    return -1;
  mode_t type = archive_entry_filetype(ent);
  const char *hardlink = archive_entry_hardlink(ent);
  if (!*path) {
    if (hardlink || type != AE_IFDIR)
      return err_set(e, EINVAL, "%s: would replace the layer's root directory", raw);
    return unpack_dir(u, ent, path, u->root, ".", e);
  }
  char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  int dirfd = u->root;
  if (slash) {
    *slash = '\0';
    dirfd = dir_cache_open(&u->cache, u->root, path, e);
    *slash = '/';
    if (dirfd < 0)
      return err_wrap(e, "%s", path);
  }
  if (!u->opts && !strncmp(name, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)))
    return unpack_whiteout(u, path, dirfd, name, e);
  if (hardlink)
    return unpack_hardlink(u, path, dirfd, name, hardlink, e);
  switch (type) {
  case AE_IFREG:
    return unpack_regular(u, ent, path, dirfd, name, e);
  case AE_IFDIR:
    return unpack_dir(u, ent, path, dirfd, name, e);
  case AE_IFLNK:
  case AE_IFCHR:
  case AE_IFBLK:
  case AE_IFIFO:
    return unpack_node(u, ent, path, dirfd, name, e);
  default:
    return err_set(e, EINVAL, "%s: unsupported entry type (0%o)", path, (unsigned)type);
  }
}

/* Directory times last: creating entries inside a directory changed them. */
static int set_dir_times(struct unpacker *u, err_t *e) {
  for (size_t i = u->n_dirs; i-- > 0;) {
    struct dir_time *d = &u->dirs[i];
    _cleanup_close_ int fd = *d->path ? dir_open_beneath(u->root, d->path, false, e) : dup(u->root);
    if (fd < 0) {
      if (e->code == ENOENT || e->code == ENOTDIR || e->code == ELOOP) { /* replaced since */
        err_clear(e);
        continue;
      }
      return -1;
    }
    if (futimens(fd, d->times) < 0)
      return err_sys(e, "%s: set times", d->path);
  }
  return 0;
}

static void unpacker_free(struct unpacker *u) {
  if (u->tar)
    archive_read_free(u->tar);
  if (u->src)
    decompress_close(u->src);
  sha256_free(&u->hash);
  free(u->buf);
  dir_cache_clear(&u->cache);
  for (size_t i = 0; i < u->n_dirs; i++)
    free(u->dirs[i].path);
  free(u->dirs);
}

static int unpack_all(struct unpacker *u, err_t *e) {
  struct archive_entry *ent;
  /* The previous entry's name, for an error in the next header: a copy, as
   * libarchive frees its entry's strings when it reads the next header. */
  char last[PATH_MAX] = "";
  for (;;) {
    int r = archive_read_next_header(u->tar, &ent);
    if (r == ARCHIVE_EOF && !*last && u->stream_bytes == 0)
      return err_set(e, EINVAL, "not a tar archive: it is empty");
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY) /* RETRY: a damaged header, no entry */
      return tar_error(u, *last ? last : NULL, e);
    const char *name = archive_entry_pathname(ent);
    snprintf(last, sizeof(last), "%s", name && *name ? name : "(unnamed)");
    u->res->entries++;
    if (unpack_entry(u, ent, e) < 0)
      return -1;
  }
  if (set_dir_times(u, e) < 0 || drain(u, e) < 0)
    return -1;
  sha256_final(&u->hash, u->res->diff_id);
  u->res->tar_size = u->stream_bytes;
  return 0;
}

static int unpack_with(int fd, int dirfd, const struct extract_opts *opts,
                       struct unpack_result *out, err_t *e) {
  *out = (struct unpack_result){0};
  struct unpacker u = {.root = dirfd, .res = out, .cache = DIR_CACHE_INIT, .opts = opts};
  int r = -1;
  if (archive_lib_load(e) < 0 || sha256_init(&u.hash, e) < 0)
    return -1;
  if (decompress_open(fd, &u.src, e) < 0)
    goto done;
  if (!(u.buf = malloc(TAR_BUF)) || !(u.tar = archive_read_new())) {
    err_sys(e, "unpack");
    goto done;
  }
  if (archive_read_support_format_tar(u.tar) != ARCHIVE_OK ||
      archive_read_support_format_empty(u.tar) != ARCHIVE_OK ||
      archive_read_open2(u.tar, &u, NULL, tar_read_cb, NULL, NULL) != ARCHIVE_OK) {
    tar_error(&u, NULL, e);
    goto done;
  }
  r = unpack_all(&u, e);
done:
  unpacker_free(&u);
  return r;
}

int layer_unpack(int fd, int dirfd, struct unpack_result *out, err_t *e) {
  return unpack_with(fd, dirfd, NULL, out, e);
}

int tar_extract(int fd, int dirfd, const struct extract_opts *o, err_t *e) {
  struct unpack_result ignored;
  return unpack_with(fd, dirfd, o, &ignored, e);
}
