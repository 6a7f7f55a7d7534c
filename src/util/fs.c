#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/array.h"
#include "util/cleanup.h"

/* hot: the monitor's loop calls it for every chunk of output (engine/monitor.c). */
__attribute__((hot)) int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

ssize_t read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, p + got, len - got);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (n == 0)
      break;
    got += (size_t)n;
  }
  return (ssize_t)got;
}

char *read_file_at(int dirfd, const char *path, size_t max, size_t *len, err_t *e) {
  _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err_sys(e, "open %s", path);
    return NULL;
  }
  size_t cap = 4096, used = 0;
  _cleanup_free_ char *buf = malloc(cap);
  if (!buf) {
    err_sys(e, "read %s", path);
    return NULL;
  }
  for (;;) {
    if (array_reserve_sz((void **)&buf, &cap, used + 2, 1) < 0) {
      err_sys(e, "read %s", path);
      return NULL;
    }
    ssize_t n = read(fd, buf + used, cap - used - 1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      err_sys(e, "read %s", path);
      return NULL;
    }
    if (n == 0)
      break;
    used += (size_t)n;
    if (max && used > max) {
      err_set(e, EFBIG, "%s: larger than %zu bytes", path, max);
      return NULL;
    }
  }
  buf[used] = '\0';
  if (len)
    *len = used;
  return steal_ptr(&buf);
}

int write_file_at(int dirfd, const char *path, const void *buf, size_t len, err_t *e) {
  _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return err_sys(e, "open %s", path);
  /* Kernel knobs take one write(); a short write is an error there. */
  ssize_t n = write(fd, buf, len);
  if (n < 0)
    return err_sys(e, "write %s", path);
  if ((size_t)n != len)
    return err_set(e, EIO, "write %s: short write", path);
  return 0;
}

int write_str_at(int dirfd, const char *path, const char *s, err_t *e) {
  return write_file_at(dirfd, path, s, strlen(s), e);
}

static int replace_file(int dirfd, const char *path, const void *buf, size_t len, mode_t mode,
                        bool durable, err_t *e) {
  _cleanup_free_ char *tmp = NULL;
  if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
    return err_sys(e, "write %s", path);
  _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return err_sys(e, "create %s", tmp);
  if (write_all(fd, buf, len) < 0 || (durable && fsync(fd) < 0)) {
    err_sys(e, "write %s", tmp);
    unlinkat(dirfd, tmp, 0);
    return -1;
  }
  if (renameat(dirfd, tmp, dirfd, path) < 0) {
    err_sys(e, "rename %s", tmp);
    unlinkat(dirfd, tmp, 0);
    return -1;
  }
  if (!durable)
    return 0;
  /* The rename is durable only once the directory entry is. */
  _cleanup_free_ char *dir = strdup(path);
  if (!dir)
    return err_sys(e, "write %s", path);
  char *slash = strrchr(dir, '/');
  const char *parent = ".";
  if (slash == dir)
    parent = "/";
  else if (slash) {
    *slash = '\0';
    parent = dir;
  }
  _cleanup_close_ int dfd = openat(dirfd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fsync(dfd) < 0)
    return err_sys(e, "write %s: fsync of its directory", path);
  return 0;
}

int mkdir_p_at(int dirfd, const char *path, mode_t mode, err_t *e) {
  if (mkdirat(dirfd, path, mode) == 0 || errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return err_sys(e, "mkdir %s", path);
  _cleanup_free_ char *copy = strdup(path);
  if (!copy)
    return err_sys(e, "mkdir %s", path);
  for (char *p = copy + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdirat(dirfd, copy, mode) < 0 && errno != EEXIST)
      return err_sys(e, "mkdir %s", copy);
    *p = '/';
  }
  if (mkdirat(dirfd, copy, mode) < 0 && errno != EEXIST)
    return err_sys(e, "mkdir %s", copy);
  return 0;
}

DIR *fdopendir_dup(int fd) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0)
    return NULL;
  DIR *d = fdopendir(copy);
  if (!d) {
    int saved = errno;
    close(copy);
    errno = saved;
    return NULL;
  }
  rewinddir(d);
  return d;
}

static int remove_children(int dfd, const char *path, err_t *e) {
  _cleanup_closedir_ DIR *d = fdopendir_dup(dfd);
  if (!d)
    return err_sys(e, "remove %s", path);
  struct dirent *de;
  while ((errno = 0, de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    if (de->d_type == DT_DIR) {
      if (remove_tree_at(dfd, de->d_name, e) < 0)
        return err_wrap(e, "%s", path);
    } else if (unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT) {
      return err_sys(e, "remove %s/%s", path, de->d_name);
    }
  }
  return errno ? err_sys(e, "read dir %s", path) : 0;
}

int remove_tree_at(int dirfd, const char *path, err_t *e) {
  if (unlinkat(dirfd, path, AT_REMOVEDIR) == 0 || errno == ENOENT)
    return 0;
  if (errno == ENOTDIR)
    return unlinkat(dirfd, path, 0) == 0 || errno == ENOENT ? 0 : err_sys(e, "remove %s", path);
  if (errno != ENOTEMPTY && errno != EEXIST)
    return err_sys(e, "remove %s", path);
  _cleanup_close_ int dfd =
      openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return errno == ENOENT ? 0 : err_sys(e, "open %s", path);
  if (remove_children(dfd, path, e) < 0)
    return -1;
  if (unlinkat(dirfd, path, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return err_sys(e, "remove %s", path);
  return 0;
}

char *path_join(const char *a, const char *b) {
  size_t la = strlen(a);
  while (la > 1 && a[la - 1] == '/')
    la--;
  while (*b == '/')
    b++;
  char *out = NULL;
  if (asprintf(&out, "%.*s%s%s", (int)la, a, (la == 1 && a[0] == '/') ? "" : "/", b) < 0)
    return NULL;
  return out;
}

int atomic_write_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode,
                    err_t *e) {
  return replace_file(dirfd, path, buf, len, mode, true, e);
}

int atomic_replace_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode,
                      err_t *e) {
  return replace_file(dirfd, path, buf, len, mode, false, e);
}

const char *file_type_name(mode_t mode) {
  switch (mode & S_IFMT) {
  case S_IFREG:
    return "regular file";
  case S_IFDIR:
    return "directory";
  case S_IFLNK:
    return "symbolic link";
  case S_IFCHR:
    return "character device";
  case S_IFBLK:
    return "block device";
  case S_IFIFO:
    return "FIFO";
  case S_IFSOCK:
    return "socket";
  default:
    return "file of unknown type";
  }
}

uint64_t tree_file_bytes(int fd) {
  uint64_t total = 0;
  _cleanup_closedir_ DIR *d = fdopendir_dup(fd);
  for (struct dirent *de; d && (de = readdir(d));) {
    struct stat st;
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
        fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      _cleanup_close_ int sub =
          openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      total += sub >= 0 ? tree_file_bytes(sub) : 0;
    } else if (S_ISREG(st.st_mode)) {
      total += (uint64_t)st.st_size;
    }
  }
  return total;
}

bool fs_is_kernel_view(int fd) {
  static const unsigned long magics[] = {
      0x9fa0,     /* proc */
      0x62656572, /* sysfs */
      0x27e0eb,   /* cgroup */
      0x63677270, /* cgroup2 */
      0x1cd1,     /* devpts */
      0x19800202, /* mqueue */
      0x73636673, /* securityfs */
      0x64626720, /* debugfs */
      0x74726163, /* tracefs */
      0xcafe4a11, /* bpf */
      0x6165676c, /* pstore */
      0xde5e81e4, /* efivarfs */
      0x62656570, /* configfs */
      0x65735543, /* fusectl */
  };
  struct statfs fs;
  if (fstatfs(fd, &fs) < 0)
    return false;
  for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
    if ((unsigned long)fs.f_type == magics[i])
      return true;
  return false;
}

char *memstream_text(FILE *f, char **text) {
  if (!f || fclose(f) != 0) {
    free(*text);
    *text = NULL;
  }
  return *text;
}

int read_chunks(int fd, chunk_fn fn, void *arg, err_t *e) {
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return err_sys(e, "read");
    if (n == 0)
      return 0;
    if (fn(arg, buf, (size_t)n, e) < 0)
      return -1;
  }
}
