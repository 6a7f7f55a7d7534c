/* Control files: finding the hierarchy that holds a controller, reading and
 * writing its files with errors that name the file and the value. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

const struct cgroup_hierarchy *cgroup_v1(const struct cgroup *cg, const char *controller) {
  for (size_t i = 0; i < cg->n_hierarchies; i++)
    if (!cg->hierarchies[i].v2 && cgroup_controllers_have(cg->hierarchies[i].name, controller))
      return &cg->hierarchies[i];
  return NULL;
}

const struct cgroup_hierarchy *cgroup_v2(const struct cgroup *cg) {
  for (size_t i = 0; i < cg->n_hierarchies; i++)
    if (cg->hierarchies[i].v2)
      return &cg->hierarchies[i];
  return NULL;
}

static int file_path(const struct cgroup_hierarchy *h, const char *file, char *buf, err_t *e) {
  if (snprintf(buf, PATH_MAX, "%s/%s", h->dir, file) >= PATH_MAX)
    return err_set(e, ENAMETOOLONG, "cgroup: %s/%s: path too long", h->dir, file);
  return 0;
}

int cgroup_open(const struct cgroup_hierarchy *h, const char *file, int flags, err_t *e) {
  char path[PATH_MAX];
  if (file_path(h, file, path, e) < 0)
    return -1;
  int fd = open(path, flags | O_CLOEXEC);
  return fd < 0 ? err_sys(e, "cgroup: open %s", path) : fd;
}

/* err_set and err_sys format messages; keep errno for the caller. */
static int fail_keep_errno(int saved) {
  errno = saved;
  return -1;
}

int cgroup_write(const struct cgroup_hierarchy *h, const char *file, const char *value, err_t *e) {
  char path[PATH_MAX];
  if (file_path(h, file, path, e) < 0)
    return -1;
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    int saved = errno;
    if (saved == ENOENT) /* the usual cause, worth saying */
      err_set(e, ENOENT,
              "%s: no such control file (the %.*s controller is not available in this group)",
              path, (int)strcspn(file, "."), file);
    else
      err_sys(e, "open %s", path);
    return fail_keep_errno(saved);
  }
  /* A control file takes one value per write(); a short write is an error. */
  ssize_t n = write(fd, value, strlen(value));
  int saved = errno;
  close(fd);
  if (n < 0) {
    errno = saved;
    err_sys(e, "write \"%s\" to %s", value, path);
    return fail_keep_errno(saved);
  }
  if ((size_t)n != strlen(value))
    return err_set(e, EIO, "write \"%s\" to %s: short write", value, path);
  return 0;
}

int cgroup_writef(const struct cgroup_hierarchy *h, const char *file, err_t *e, const char *fmt,
                  ...) {
  char value[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(value, sizeof value, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof value)
    return err_set(e, EINVAL, "cgroup: value for %s too long", file);
  return cgroup_write(h, file, value, e);
}

char *cgroup_read(const struct cgroup_hierarchy *h, const char *file, err_t *e) {
  char path[PATH_MAX];
  if (file_path(h, file, path, e) < 0)
    return NULL;
  size_t len;
  char *s = read_file(path, 0, &len, e);
  if (s && len && s[len - 1] == '\n')
    s[len - 1] = '\0';
  return s;
}

int cgroup_for_each_child(const char *dir, int (*fn)(const char *child, void *arg, err_t *e),
                          void *arg, err_t *e) {
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : err_sys(e, "cgroup: open %s", dir);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    _cleanup_free_ char *child = path_join(dir, de->d_name);
    if (!child)
      return err_sys(e, "cgroup: %s", dir);
    if (fn(child, arg, e) < 0)
      return -1;
  }
  return 0;
}
