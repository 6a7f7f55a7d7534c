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

int rootfs_open_target(int rootfd, const char *path, enum target_kind kind, err_t *e) {
  int fd = sys_openat2(rootfd, path, O_PATH | O_CLOEXEC, 0, IN_ROOT);
  if (fd < 0 && errno != ENOENT)
    return err_sys(e, "open %s in the container", path);
  if (fd < 0) {
    /* Walk down the prefixes, each resolved from the root again, creating a
     * missing component inside its already-resolved parent: a symlink met
     * on the way is followed as the container would, and stays inside. */
    _cleanup_free_ char *prefix = strdup(path);
    if (!prefix)
      return err_sys(e, "open %s", path);
    _cleanup_close_ int parent = dup(rootfd);
    if (parent < 0)
      return err_sys(e, "open %s", path);
    size_t len = strlen(prefix);
    size_t i = 0;
    while (i < len) {
      while (i < len && prefix[i] == '/')
        i++;
      if (i == len)
        break;
      size_t start_comp = i;
      while (i < len && prefix[i] != '/')
        i++;
      char saved = prefix[i];
      prefix[i] = '\0';
      int child = sys_openat2(rootfd, prefix, O_PATH | O_CLOEXEC, 0, IN_ROOT);
      if (child < 0 && errno == ENOENT) {
        bool last = strspn(path + i, "/") == strlen(path + i);
        if (create_component(parent, prefix + start_comp, last, kind, path, e) < 0)
          return -1;
        child = sys_openat2(rootfd, prefix, O_PATH | O_CLOEXEC, 0, IN_ROOT);
      }
      if (child < 0)
        return err_sys(e, "open %s in the container", path);
      prefix[i] = saved;
      close(parent);
      parent = child;
    }
    fd = steal_fd(&parent);
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
