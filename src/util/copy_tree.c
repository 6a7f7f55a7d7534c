#include "util/copy_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"

struct link_seen {
  dev_t dev;
  ino_t ino;
  char *path; /* of its copy, relative to the copy's root */
};

struct copy {
  int root; /* the destination's root */
  const char *what;
  struct link_seen *links;
  size_t n_links, cap_links;
  char path[PATH_MAX]; /* of the directory being copied, relative to the roots */
};

static int fail(struct copy *c, err_t *e, const char *name) {
  return err_sys(e, "%s: %s%s%s", c->what, c->path, *c->path ? "/" : "", name);
}

/* "/proc/self/fd/N/name": the path functions without an *at form (the
 * l*xattr ones) reach an entry through its parent's fd this way. */
static void entry_path(char buf[PATH_MAX], int dir, const char *name) {
  snprintf(buf, PATH_MAX, "/proc/self/fd/%d/%s", dir, name);
}

/* Extended attributes a filesystem refuses (user.* on a symlink, security.*
 * without the right) are skipped: the copy is as faithful as the target
 * allows. */
static int copy_xattrs(struct copy *c, int from, int to, const char *name, err_t *e) {
  char src[PATH_MAX], dst[PATH_MAX];
  entry_path(src, from, name);
  entry_path(dst, to, name);
  ssize_t n = llistxattr(src, NULL, 0);
  if (n <= 0)
    return n < 0 && errno != ENOTSUP && errno != EOPNOTSUPP ? fail(c, e, name) : 0;
  _cleanup_free_ char *names = malloc((size_t)n);
  if (!names || (n = llistxattr(src, names, (size_t)n)) < 0)
    return fail(c, e, name);
  for (char *k = names; k < names + n; k += strlen(k) + 1) {
    char value[65536];
    ssize_t len = lgetxattr(src, k, value, sizeof value);
    if (len < 0)
      continue; /* gone meanwhile, or too large for any filesystem we copy to */
    if (lsetxattr(dst, k, value, (size_t)len, 0) < 0 && errno != EPERM && errno != ENOTSUP &&
        errno != EOPNOTSUPP)
      return fail(c, e, name);
  }
  return 0;
}

/* Owner first (chown clears setuid bits and file capabilities), then the
 * attributes, the mode and the times. */
static int copy_attrs(struct copy *c, int from, int to, const char *name, const struct stat *st,
                      err_t *e) {
  if (fchownat(to, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
      copy_xattrs(c, from, to, name, e) < 0)
    return e->code ? -1 : fail(c, e, name);
  if (!S_ISLNK(st->st_mode) && fchmodat(to, name, st->st_mode & 07777, 0) < 0)
    return fail(c, e, name);
  struct timespec times[2] = {st->st_atim, st->st_mtim};
  if (utimensat(to, name, times, AT_SYMLINK_NOFOLLOW) < 0)
    return fail(c, e, name);
  return 0;
}

static int copy_bytes(struct copy *c, int from, int to, const char *name, const struct stat *st,
                      err_t *e) {
  _cleanup_close_ int sf = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_close_ int df = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                  0600);
  if (sf < 0 || df < 0)
    return fail(c, e, name);
  /* sendfile, not copy_file_range: between filesystems (an image layer and
   * a tmpfs) the latter fails with EXDEV. */
  for (off_t left = st->st_size; left > 0;) {
    ssize_t n = sendfile(df, sf, NULL, (size_t)left);
    if (n < 0)
      return fail(c, e, name);
    if (n == 0)
      break; /* the file shrank while we copied it */
    left -= n;
  }
  return 0;
}

/* A second name of a file already copied: a link to its copy. */
static int link_again(struct copy *c, int to, const char *name, const struct stat *st, bool *done,
                      err_t *e) {
  *done = false;
  if (st->st_nlink < 2)
    return 0;
  for (size_t i = 0; i < c->n_links; i++)
    if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino) {
      if (linkat(c->root, c->links[i].path, to, name, 0) < 0)
        return fail(c, e, name);
      *done = true;
      return 0;
    }
  char *path = NULL;
  if (array_reserve_sz((void **)&c->links, &c->cap_links, c->n_links + 1, sizeof *c->links) < 0 ||
      asprintf(&path, "%s%s%s", c->path, *c->path ? "/" : "", name) < 0)
    return fail(c, e, name);
  c->links[c->n_links++] = (struct link_seen){st->st_dev, st->st_ino, path};
  return 0;
}

static int copy_dir(struct copy *c, int from, int to, err_t *e);

/* Out of copy_entry's frame, which recurses once a directory level: with
 * this buffer in it, an image's tree 2000 levels deep under a VOLUME
 * overflowed the stack of run. */
__attribute__((noinline)) static int copy_symlink(struct copy *c, int from, int to,
                                                  const char *name, err_t *e) {
  char target[PATH_MAX];
  ssize_t n = readlinkat(from, name, target, sizeof target - 1);
  if (n < 0)
    return fail(c, e, name);
  target[n] = '\0';
  return symlinkat(target, to, name) < 0 ? fail(c, e, name) : 0;
}

static int copy_entry(struct copy *c, int from, int to, const char *name, err_t *e) {
  struct stat st;
  if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return fail(c, e, name);
  if (S_ISDIR(st.st_mode)) {
    if (mkdirat(to, name, 0700) < 0 && errno != EEXIST)
      return fail(c, e, name);
    _cleanup_close_ int sf = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int df = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    size_t len = strlen(c->path);
    if (sf < 0 || df < 0)
      return fail(c, e, name);
    if (snprintf(c->path + len, sizeof c->path - len, "%s%s", len ? "/" : "", name) >=
        (int)(sizeof c->path - len))
      return err_set(e, ENAMETOOLONG, "%s: %s/%s: path too long", c->what, c->path, name);
    int r = copy_dir(c, sf, df, e);
    c->path[len] = '\0';
    /* Its mode and times once its content is in (a read-only directory
     * would refuse it; adding entries moves the times). */
    return r < 0 ? -1 : copy_attrs(c, from, to, name, &st, e);
  }
  bool linked;
  if (link_again(c, to, name, &st, &linked, e) < 0)
    return -1;
  if (linked)
    return 0;
  if (S_ISLNK(st.st_mode)) {
    if (copy_symlink(c, from, to, name, e) < 0)
      return -1;
  } else if (S_ISREG(st.st_mode)) {
    if (copy_bytes(c, from, to, name, &st, e) < 0)
      return -1;
  } else if (mknodat(to, name, st.st_mode, st.st_rdev) < 0) {
    return fail(c, e, name);
  }
  return copy_attrs(c, from, to, name, &st, e);
}

static int copy_dir(struct copy *c, int from, int to, err_t *e) {
  _cleanup_closedir_ DIR *d = fdopendir_dup(from);
  if (!d)
    return err_sys(e, "%s: %s", c->what, *c->path ? c->path : ".");
  for (struct dirent *de; (de = readdir(d));)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
        copy_entry(c, from, to, de->d_name, e) < 0)
      return -1;
  return 0;
}

int copy_tree(int from, int to, const char *what, err_t *e) {
  struct copy c = {.root = to, .what = what};
  int r = copy_dir(&c, from, to, e);
  for (size_t i = 0; i < c.n_links; i++)
    free(c.links[i].path);
  free(c.links);
  return r;
}

int copy_dir_attrs(int from, int to, const char *what, err_t *e) {
  struct copy c = {.root = to, .what = what};
  struct stat st;
  if (fstat(from, &st) < 0)
    return err_sys(e, "%s", what);
  /* "." through each fd: the directories themselves. */
  return copy_attrs(&c, from, to, ".", &st, e);
}
