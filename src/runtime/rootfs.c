#include "runtime/rootfs.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/console.h"
#include "runtime/rootfs_path.h"
#include "runtime/sysctl.h"
#include "util/cleanup.h"
#include "util/copy_tree.h"
#include "util/fs.h"
#include "util/syscalls.h"

unsigned mount_attr_from_flags(unsigned long flags) {
  unsigned a = 0;
  if (flags & MS_RDONLY)
    a |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID)
    a |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV)
    a |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC)
    a |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME)
    a |= MOUNT_ATTR_NODIRATIME;
  if (flags & MS_NOSYMFOLLOW)
    a |= MOUNT_ATTR_NOSYMFOLLOW;
  if (flags & MS_NOATIME)
    a |= MOUNT_ATTR_NOATIME;
  else if (flags & MS_STRICTATIME)
    a |= MOUNT_ATTR_STRICTATIME;
  else if (flags & MS_RELATIME)
    a |= MOUNT_ATTR_RELATIME;
  return a;
}

int mount_set_attrs(int fd, unsigned set, unsigned clear, bool recursive, const char *what,
                    err_t *e) {
  if (!set && !clear)
    return 0;
  struct mount_attr attr = {.attr_set = set, .attr_clr = clear};
  /* The atime mode is one field: changing it means clearing the whole field. */
  if (set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_RELATIME) ||
      clear & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME))
    attr.attr_clr |= MOUNT_ATTR__ATIME;
  attr.attr_clr &= ~(set & ~MOUNT_ATTR__ATIME);
  if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    return err_sys(e, "set mount options of %s", what);
  return 0;
}

/* A bind mount: the source is a host path (relative ones are relative to
 * the bundle), the target was resolved inside the root. */
static int mount_bind(struct launch *l, int rootfd, const struct oci_mount *m, const char *dest,
                      err_t *e) {
  _cleanup_free_ char *src_path =
      m->source[0] == '/' ? strdup(m->source) : path_join(l->spec->bundle, m->source);
  if (!src_path)
    return err_sys(e, "mount %s", dest);
  _cleanup_close_ int src = open(src_path, O_PATH | O_CLOEXEC);
  if (src < 0)
    return err_sys(e, "mount %s: source %s", dest, src_path);
  struct stat st;
  if (fstat(src, &st) < 0)
    return err_sys(e, "mount %s: source %s", dest, src_path);
  _cleanup_close_ int dst =
      rootfs_open_target(rootfd, dest, S_ISDIR(st.st_mode) ? TARGET_DIR : TARGET_FILE, e);
  if (dst < 0)
    return -1;
  char from[32], to[32];
  fd_path(from, src);
  fd_path(to, dst);
  if (mount(from, to, NULL, MS_BIND | (m->recursive_bind ? MS_REC : 0), NULL) < 0)
    return err_sys(e, "bind mount %s on %s", src_path, dest);
  return 0;
}

/* Does a comma-separated option string give `key`=...? */
static bool data_has_option(const char *data, const char *key) {
  size_t n = strlen(key);
  for (const char *o = data; o; o = strchr(o, ',')) {
    if (*o == ',')
      o++;
    if (!strncmp(o, key, n) && o[n] == '=')
      return true;
  }
  return false;
}

/* The options of a tmpfs mounted over an existing directory: its root keeps
 * the directory's mode unless the options give one, as with runc (which
 * applies the directory's even over a mode= option). NULL (nothing to add)
 * or a string the caller frees in *out. */
static int tmpfs_data(int rootfd, const struct oci_mount *m, const char *dest, char **out,
                      err_t *e) {
  *out = NULL;
  if (!m->type || strcmp(m->type, "tmpfs") || data_has_option(m->data, "mode"))
    return 0;
  err_t missing = ERR_INIT;
  _cleanup_close_ int before = rootfs_open(rootfd, dest, O_PATH, &missing);
  struct stat st;
  if (before < 0 || fstat(before, &st) < 0 || !S_ISDIR(st.st_mode))
    return 0;
  const char *data = m->data ? m->data : "";
  if (asprintf(out, "%s%smode=%04o", data, *data ? "," : "", st.st_mode & 07777) < 0)
    return err_sys(e, "mount %s", dest);
  return 0;
}

/* proc, tmpfs, sysfs, devpts, mqueue and any other filesystem. */
static int mount_fs(struct launch *l, int rootfd, const struct oci_mount *m, const char *dest,
                    err_t *e) {
  _cleanup_free_ char *data = NULL;
  if (tmpfs_data(rootfd, m, dest, &data, e) < 0)
    return -1;
  _cleanup_close_ int dst = rootfs_open_target(rootfd, dest, TARGET_DIR, e);
  if (dst < 0)
    return -1;
  _cleanup_close_ int original = -1;
  if (m->tmpcopyup) {
    char p[32];
    fd_path(p, dst);
    original = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (original < 0)
      return err_sys(e, "tmpcopyup %s", dest);
  }
  char to[32];
  fd_path(to, dst);
  unsigned long flags = m->flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
  const char *source = m->source && *m->source ? m->source : m->type;
  if (mount(source, to, m->type, flags, data ? data : m->data) < 0) {
    /* sysfs needs a network namespace we own; in a user namespace without
     * one, bind the host's /sys read-only instead, as runc does. */
    if (errno == EPERM && !strcmp(m->type, "sysfs") && (l->clone_flags & CLONE_NEWUSER)) {
      if (mount("/sys", to, NULL, MS_BIND | MS_REC, NULL) < 0)
        return err_sys(e, "mount %s (bind of /sys)", dest);
    } else {
      return err_sys(e, "mount %s on %s", m->type, dest);
    }
  }
  if (original >= 0) {
    _cleanup_close_ int fresh = rootfs_open(rootfd, dest, O_RDONLY | O_DIRECTORY, e);
    char what[PATH_MAX + 16];
    snprintf(what, sizeof what, "tmpcopyup %s", dest);
    /* The tmpfs's content only: its root keeps the mode tmpfs_data gave it. */
    if (fresh < 0 || copy_tree(original, fresh, what, e) < 0)
      return -1;
  }
  return 0;
}

static int mount_one(struct launch *l, int rootfd, const struct oci_mount *m, err_t *e) {
  char dest[4096];
  snprintf(dest, sizeof dest, "%s%s", m->destination[0] == '/' ? "" : "/", m->destination);
  int r;
  if (m->type && !strcmp(m->type, "cgroup"))
    r = rootfs_mount_cgroup(l, rootfd, m, e);
  else if (m->bind)
    r = mount_bind(l, rootfd, m, dest, e);
  else
    r = mount_fs(l, rootfd, m, dest, e);
  if (r < 0)
    return -1;
  /* Flags of a bind, propagation and recursive attributes apply to the new
   * mount, which a fresh lookup of the destination now finds. */
  unsigned set = m->bind ? mount_attr_from_flags(m->flags) : 0;
  unsigned clear = m->bind ? mount_attr_from_flags(m->clear_flags) : 0;
  if (!set && !clear && !m->propagation && !m->rec_attr_set && !m->rec_attr_clear)
    return 0;
  _cleanup_close_ int top = rootfs_open(rootfd, dest, O_PATH, e);
  if (top < 0)
    return -1;
  if (mount_set_attrs(top, set, clear, false, dest, e) < 0 ||
      mount_set_attrs(top, m->rec_attr_set, m->rec_attr_clear, true, dest, e) < 0)
    return -1;
  if (m->propagation) {
    char p[32];
    fd_path(p, top);
    if (mount(NULL, p, NULL, m->propagation, NULL) < 0)
      return err_sys(e, "set propagation of %s", dest);
  }
  return 0;
}

/* With a shared root (rootfsPropagation "shared" or "rshared") the
 * namespace keeps the host's peer groups, so that binds of shared host
 * directories propagate both ways, as in runc (Kubernetes' Bidirectional
 * volumes). The root's bind onto itself must still not reach the host, and
 * pivot_root refuses a shared current root or parent of the new root: "/"
 * and the innermost mount holding the root become private. That mount is
 * the first of the root and its ancestors that accepts MS_PRIVATE (the
 * others are no mount points: EINVAL). */
static int keep_root_mounts_private(const char *root, err_t *e) {
  if (mount(NULL, "/", NULL, MS_PRIVATE, NULL) < 0)
    return err_sys(e, "make / private");
  _cleanup_free_ char *p = realpath(root, NULL);
  if (!p)
    return err_sys(e, "resolve the root %s", root);
  while (mount(NULL, p, NULL, MS_PRIVATE, NULL) < 0) {
    if (errno != EINVAL || !strcmp(p, "/"))
      return err_sys(e, "make the mount holding %s private", root);
    char *slash = strrchr(p, '/');
    if (slash == p)
      p[1] = '\0';
    else
      *slash = '\0';
  }
  return 0;
}

int rootfs_prepare(struct launch *l, err_t *e) {
  const struct oci_spec *s = l->spec;
  /* Unless the root is shared, nothing we mount may propagate to the host. */
  bool shared_root = s->rootfs_propagation & MS_SHARED;
  if (shared_root) {
    if (keep_root_mounts_private(s->root_path_abs, e) < 0)
      return -1;
  } else if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) {
    return err_sys(e, "make / a slave mount");
  }
  if (mount(s->root_path_abs, s->root_path_abs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return err_sys(e, "bind the root %s", s->root_path_abs);
  /* pivot_root refuses a shared new root too. */
  if (shared_root && mount(NULL, s->root_path_abs, NULL, MS_PRIVATE, NULL) < 0)
    return err_sys(e, "make the root %s private", s->root_path_abs);
  _cleanup_close_ int rootfd = open(s->root_path_abs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return err_sys(e, "open the root %s", s->root_path_abs);
  for (size_t i = 0; i < s->n_mounts; i++)
    if (mount_one(l, rootfd, &s->mounts[i], e) < 0)
      return -1;
  if (rootfs_create_devices(l, rootfd, e) < 0)
    return -1;
  /* The working directory exists before the user switch, as runc and crun
   * create it. */
  _cleanup_close_ int cwd = rootfs_open_target(rootfd, l->process->cwd, TARGET_DIR, e);
  if (cwd < 0)
    return err_wrap(e, "process.cwd");
  return steal_fd(&rootfd);
}

int rootfs_pivot(int rootfd, bool no_pivot, err_t *e) {
  _cleanup_close_ int old_root = no_pivot ? -1 : open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (!no_pivot && old_root < 0)
    return err_sys(e, "open the old root");
  if (fchdir(rootfd) < 0)
    return err_sys(e, "enter the root");
  if (no_pivot) {
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
      return err_sys(e, "move the root onto /");
    if (chroot(".") < 0)
      return err_sys(e, "chroot");
    return chdir("/") < 0 ? err_sys(e, "chdir /") : 0;
  }
  /* pivot_root(".", ".") stacks the old root on top of the new one; it is
   * then detached without needing a directory for it in the image. Our
   * working directory is still the new root's mount, so we enter the old
   * one by fd: making "." a slave would otherwise hit the container's
   * mounts and cut a shared root's propagation to the host. */
  if (sys_pivot_root(".", ".") < 0)
    return err_sys(e, "pivot_root");
  if (fchdir(old_root) < 0)
    return err_sys(e, "enter the old root");
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return err_sys(e, "make the old root a slave");
  if (umount2(".", MNT_DETACH) < 0)
    return err_sys(e, "detach the old root");
  return chdir("/") < 0 ? err_sys(e, "chdir /") : 0;
}

/* The source every masked file is bound from: the container's /dev/null,
 * opened without following links and checked to be the null device, then
 * used through that fd. A /dev/null that is a link (to the host's
 * core_pattern, say) would otherwise turn a masked path into a writable
 * window on its target (CVE-2025-31133). */
static int open_null_device(err_t *e) {
  _cleanup_close_ int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return err_sys(e, "linux.maskedPaths: open /dev/null");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return err_sys(e, "linux.maskedPaths: /dev/null");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
    return err_set(e, EPERM,
                   "linux.maskedPaths: the container's /dev/null is a %s, not the null device "
                   "1:3; refusing to mask with it",
                   file_type_name(st.st_mode));
  return steal_fd(&fd);
}

/* Hide a path: an empty read-only tmpfs over a directory, the null device
 * (`*null_fd`, opened on first use) over anything else. */
static int mask_path(const char *path, int *null_fd, err_t *e) {
  _cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : err_sys(e, "linux.maskedPaths: %s", path);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return err_sys(e, "linux.maskedPaths: %s", path);
  char p[32], from[32];
  fd_path(p, fd);
  int r;
  if (S_ISDIR(st.st_mode)) {
    r = mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k");
  } else {
    if (*null_fd < 0 && (*null_fd = open_null_device(e)) < 0)
      return -1;
    fd_path(from, *null_fd);
    r = mount(from, p, NULL, MS_BIND, NULL);
  }
  if (r < 0 && errno != ENOENT)
    return err_sys(e, "linux.maskedPaths: %s", path);
  return 0;
}

static int readonly_path(const char *path, err_t *e) {
  _cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : err_sys(e, "linux.readonlyPaths: %s", path);
  char p[32];
  fd_path(p, fd);
  if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
    return err_sys(e, "linux.readonlyPaths: %s", path);
  _cleanup_close_ int top = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (top < 0)
    return err_sys(e, "linux.readonlyPaths: %s", path);
  return mount_set_attrs(top, MOUNT_ATTR_RDONLY, 0, true, path, e);
}

/* Stdio that is the null device (the caller's /dev/null, on a host mount)
 * becomes the container's own /dev/null, as runc does: no process of the
 * container then holds a file of a mount it cannot see, which CRIU could not
 * checkpoint ("Can't lookup mount"). A /dev/null that is not the null device
 * is left alone. */
static int reopen_null_stdio(err_t *e) {
  _cleanup_close_ int null = -1;
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
      continue;
    if (null < 0) {
      null = open("/dev/null", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
      if (null < 0 || fstat(null, &st) < 0 || !S_ISCHR(st.st_mode) ||
          st.st_rdev != makedev(1, 3))
        return 0;
    }
    if (dup3(null, fd, 0) < 0)
      return err_sys(e, "reopen stdio %d on the container's /dev/null", fd);
  }
  return 0;
}

int rootfs_finish(const struct oci_spec *s, err_t *e) {
  if (sysctl_write(s, e) < 0 || reopen_null_stdio(e) < 0)
    return -1;
  _cleanup_close_ int null_fd = -1;
  for (char **p = s->masked_paths; p && *p; p++)
    if (mask_path(*p, &null_fd, e) < 0)
      return -1;
  for (char **p = s->readonly_paths; p && *p; p++)
    if (readonly_path(*p, e) < 0)
      return -1;
  if (s->root_readonly) {
    _cleanup_close_ int root = open("/", O_PATH | O_CLOEXEC);
    if (root < 0 || mount_set_attrs(root, MOUNT_ATTR_RDONLY, 0, false, "root", e) < 0)
      return root < 0 ? err_sys(e, "open /") : -1;
  }
  if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
    return err_sys(e, "linux.rootfsPropagation");
  return 0;
}
