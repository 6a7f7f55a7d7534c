#include "image/tree_walk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

int layer_path_clean(const char *raw, char out[PATH_MAX], err_t *e) {
  if (raw[0] == '/')
    return err_set(e, EPERM, "%s: absolute path refused", raw);
  size_t len = 0;
  const char *p = raw;
  while (*p) {
    const char *end = strchrnul(p, '/');
    size_t n = (size_t)(end - p);
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return err_set(e, EPERM, "%s: path with '..' refused", raw);
    if (n > 0 && !(n == 1 && p[0] == '.')) {
      if (len + n + 2 > PATH_MAX)
        return err_set(e, ENAMETOOLONG, "%.64s...: path too long", raw);
      if (len)
        out[len++] = '/';
      memcpy(out + len, p, n);
      len += n;
    }
    p = *end ? end + 1 : end;
  }
  out[len] = '\0';
  return 0;
}

/* Why the component ending at `end` of `path` (`name` in `dirfd`) cannot be
 * walked through. */
static int not_walkable(int dirfd, const char *name, const char *path, const char *end,
                        err_t *e) {
  struct stat st;
  int len = (int)(end - path);
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
    return err_set(e, ELOOP, "goes through the symlink %.*s (refused)", len, path);
  return err_set(e, ENOTDIR, "%.*s is not a directory", len, path);
}

static int walk_components(int root, const char *path, bool create, err_t *e) {
  _cleanup_close_ int cur = dup(root);
  if (cur < 0)
    return err_sys(e, "open %s", path);
  char comp[NAME_MAX + 1];
  const char *p = path;
  while (*p) {
    const char *end = strchrnul(p, '/');
    size_t n = (size_t)(end - p);
    if (n > NAME_MAX)
      return err_set(e, ENAMETOOLONG, "a name in %s is too long", path);
    memcpy(comp, p, n);
    comp[n] = '\0';
    int next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create) {
      if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
        return err_sys(e, "mkdir %.*s", (int)(end - path), path);
      next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0) {
      if (errno == ENOENT)
        return err_set(e, ENOENT, "%.*s does not exist", (int)(end - path), path);
      if (errno == ELOOP || errno == ENOTDIR)
        return not_walkable(cur, comp, path, end, e);
      return err_sys(e, "open %.*s", (int)(end - path), path);
    }
    close(cur);
    cur = next;
    p = *end ? end + 1 : end;
  }
  return steal_fd(&cur);
}

int dir_open_beneath(int root, const char *path, bool create, err_t *e) {
  struct open_how how = {
      .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
  if (fd >= 0)
    return fd;
  /* Missing parts to create, or a precise message: walk it step by step. */
  return walk_components(root, path, create, e);
}

int dir_cache_open(struct dir_cache *c, int root, const char *path, err_t *e) {
  if (c->fd >= 0 && !strcmp(c->path, path))
    return c->fd;
  dir_cache_clear(c);
  int fd = dir_open_beneath(root, path, true, e);
  if (fd < 0)
    return -1;
  snprintf(c->path, sizeof(c->path), "%s", path);
  c->fd = fd;
  return fd;
}

void dir_cache_forget_under(struct dir_cache *c, const char *path) {
  size_t n = strlen(path);
  if (c->fd >= 0 && !strncmp(c->path, path, n) && (c->path[n] == '\0' || c->path[n] == '/'))
    dir_cache_clear(c);
}

void dir_cache_clear(struct dir_cache *c) {
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  c->path[0] = '\0';
}
