#include "runtime/rootfs_path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/syscalls.h"

#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

void fd_path(char buf[32], int fd) {
  snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

int rootfs_open(int rootfd, const char *path, int flags, err_t *e) {
  int fd = sys_openat2(rootfd, path, (unsigned)flags | O_CLOEXEC, 0, IN_ROOT);
  if (fd < 0)
    return err_sys(e, "open %s in the container", path);
  return fd;
}

/* Create one missing component `name` under the directory `dirfd`. */
static int create_component(int dirfd, const char *name, bool last, enum target_kind kind,
                            const char *path, err_t *e) {
  if (last && kind == TARGET_FILE) {
    int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno != EEXIST)
      return err_sys(e, "create %s in the container", path);
    if (fd >= 0)
      close(fd);
    return 0;
  }
  if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
    return err_sys(e, "create %s in the container", path);
  return 0;
}

/* A dangling symlink at the end of `prefix` (inside `parent`): the path to
 * create instead, its target followed by `rest`, as the container would
 * resolve it (relative targets from the link's directory). NULL if the
 * entry is not a symlink. */
static char *follow_dangling(int parent, const char *name, const char *prefix, const char *rest) {
  char target[4096];
  ssize_t n = readlinkat(parent, name, target, sizeof target - 1);
  if (n < 0)
    return NULL;
  /* No "/" at the end: it would name a directory, and a file target
   * created there could never be opened as "newfile/" (ENOTDIR). */
  while (n > 1 && target[n - 1] == '/')
    n--;
  target[n] = '\0';
  const char *sep = *rest ? "/" : "";
  char *out = NULL;
  int r = target[0] == '/' ? asprintf(&out, "%s%s%s", target, sep, rest)
                           : asprintf(&out, "%.*s/%s%s%s", (int)(strlen(prefix) - strlen(name)),
                                      prefix, target, sep, rest);
  return r < 0 ? NULL : out;
}

/* Make every missing component of `path` under the root, each created in
 * its already-resolved parent, so nothing can lead outside. Returns 0, or 1
 * with *restart set when a dangling symlink redirects the walk. */
static int create_path(int rootfd, const char *path, enum target_kind kind, char **restart,
                       err_t *e) {
  _cleanup_free_ char *prefix = strdup(path);
  if (!prefix)
    return err_sys(e, "open %s", path);
  _cleanup_close_ int parent = dup(rootfd);
  if (parent < 0)
    return err_sys(e, "open %s", path);
  size_t len = strlen(prefix), i = 0;
  while (i < len) {
    while (i < len && prefix[i] == '/')
      i++;
    if (i == len)
      break;
    size_t start = i;
    while (i < len && prefix[i] != '/')
      i++;
    char saved = prefix[i];
    prefix[i] = '\0';
    int child = sys_openat2(rootfd, prefix, O_PATH | O_CLOEXEC, 0, IN_ROOT);
    if (child < 0 && errno == ENOENT) {
      struct stat st;
      if (fstatat(parent, prefix + start, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        *restart = follow_dangling(parent, prefix + start, prefix, saved ? prefix + i + 1 : "");
        return *restart ? 1 : err_sys(e, "follow %s in the container", prefix);
      }
      bool last = strspn(path + i, "/") == strlen(path + i);
      if (create_component(parent, prefix + start, last, kind, path, e) < 0)
        return -1;
      child = sys_openat2(rootfd, prefix, O_PATH | O_CLOEXEC, 0, IN_ROOT);
    }
    if (child < 0)
      return err_sys(e, "open %s in the container", path);
    prefix[i] = saved;
    close(parent);
    parent = child;
  }
  return 0;
}

int rootfs_open_target(int rootfd, const char *path, enum target_kind kind, err_t *e) {
  _cleanup_free_ char *current = strdup(path);
  if (!current)
    return err_sys(e, "open %s", path);
  int fd;
  /* Each round either opens the path, or creates what is missing, or
   * follows one dangling symlink; the kernel's own limit bounds the links. */
  for (int hops = 0;; hops++) {
    fd = sys_openat2(rootfd, current, O_PATH | O_CLOEXEC, 0, IN_ROOT);
    if (fd >= 0)
      break;
    if (errno != ENOENT)
      return err_sys(e, "open %s in the container", path);
    if (hops > 40)
      return err_set(e, ELOOP, "open %s in the container: too many symlinks", path);
    char *restart = NULL;
    int r = create_path(rootfd, current, kind, &restart, e);
    if (r < 0)
      return -1;
    if (r == 1) {
      free(current);
      current = restart;
    }
  }
  struct stat st;
  if (fstat(fd, &st) < 0) {
    close(fd);
    return err_sys(e, "stat %s in the container", path);
  }
  if (kind == TARGET_DIR && !S_ISDIR(st.st_mode)) {
    close(fd);
    return err_set(e, ENOTDIR, "mount target %s in the container is not a directory", path);
  }
  if (kind == TARGET_FILE && S_ISDIR(st.st_mode)) {
    close(fd);
    return err_set(e, EISDIR, "mount target %s in the container is a directory, the source is not",
                   path);
  }
  return fd;
}
