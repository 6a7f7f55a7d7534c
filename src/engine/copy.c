/* `capsule cp`: files between the host and a container, running or not, as
 * docker copies them: the source becomes a tar stream (image/layer_tar.h)
 * that is extracted at the destination (image/unpack.h), in two threads.
 *
 * A container's paths are resolved with openat2(RESOLVE_IN_ROOT) from its
 * root: "..", and symlinks made by the container however hostile
 * (/etc/evil -> /../../../etc), stay inside it. Below the resolved
 * directory every step is relative to a directory fd without following
 * symlinks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "image/layer_tar.h"
#include "image/unpack.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/syscalls.h"

#define MAX_LINK_HOPS 40

/* One end of a copy. */
struct side {
  bool stream;       /* "-" */
  const char *name;  /* the container, NULL: the host */
  struct container_record rec;
  struct container_root root;
  int rootfd;        /* where paths start: the container's root, or AT_FDCWD */
  unsigned long long resolve;
  /* The path split: dir + base ("." for a root); `contents` for "DIR/.",
   * `need_dir` for "DIR/". */
  char dir[PATH_MAX], base[NAME_MAX + 1];
  bool contents, need_dir;
};

/* "CONTAINER:PATH", a host path, or "-". Host paths with a colon are
 * written "./a:b", as docker wants them. */
static void parse_arg(const char *arg, struct side *s, const char **path) {
  const char *colon = strchr(arg, ':');
  *path = arg;
  s->stream = !strcmp(arg, "-");
  if (!s->stream && arg[0] != '/' && arg[0] != '.' && colon && colon != arg) {
    s->name = arg;
    *path = colon + 1;
  }
}

/* Split `path` into s->dir and s->base, noting the trailing "/." and "/". */
static int split_path(struct side *s, const char *path, err_t *e) {
  char p[PATH_MAX];
  if (!*path)
    return err_set(e, EINVAL, "empty path");
  if (snprintf(p, sizeof p, "%s%s", s->name && path[0] != '/' ? "/" : "", path) >= (int)sizeof p)
    return err_set(e, ENAMETOOLONG, "%.64s...: path too long", path);
  size_t n = strlen(p);
  if (!strcmp(p, ".") || (n >= 2 && !strcmp(p + n - 2, "/."))) {
    s->contents = true;
    p[n -= 1] = '\0';
  }
  if (n > 1 && p[n - 1] == '/')
    s->need_dir = true;
  while (n > 1 && p[n - 1] == '/')
    p[--n] = '\0';
  char *slash = strrchr(p, '/');
  if (!strcmp(p, "/") || !*p) { /* the root, or "." of the host */
    snprintf(s->dir, sizeof s->dir, "%s", *p ? "/" : ".");
    snprintf(s->base, sizeof s->base, ".");
    s->contents = true;
    return 0;
  }
  const char *base = slash ? slash + 1 : p;
  size_t len = strlen(base);
  if (len >= sizeof s->base)
    return err_set(e, ENAMETOOLONG, "%s: name too long", path);
  memcpy(s->base, base, len + 1);
  if (!slash)
    snprintf(s->dir, sizeof s->dir, ".");
  else if (slash == p)
    snprintf(s->dir, sizeof s->dir, "/");
  else
    snprintf(s->dir, sizeof s->dir, "%.*s", (int)(slash - p), p);
  return 0;
}

static const char *where(const struct side *s) {
  return s->name ? s->rec.name : "the host";
}

/* Open `path` from the side's root (following symlinks, inside the root). */
static int open_in(const struct side *s, const char *path, int flags) {
  return sys_openat2(s->rootfd, path, (unsigned long long)flags | O_CLOEXEC, 0, s->resolve);
}

/* The source's directory, its entry (symlinks followed with `follow`, each
 * hop resolved in the root again) and what it is. */
static int open_source(struct side *s, bool follow, struct stat *st, err_t *e) {
  for (int hops = 0;; hops++) {
    _cleanup_close_ int dir = open_in(s, s->dir, O_RDONLY | O_DIRECTORY);
    if (dir < 0)
      return err_sys(e, "%s: %s", where(s), s->dir);
    if (fstatat(dir, s->base, st, AT_SYMLINK_NOFOLLOW) < 0)
      return err_sys(e, "%s: %s/%s", where(s), s->dir, s->base);
    if (!S_ISLNK(st->st_mode) || !follow)
      return steal_fd(&dir);
    if (hops == MAX_LINK_HOPS)
      return err_set(e, ELOOP, "%s: %s/%s: too many symlinks", where(s), s->dir, s->base);
    char target[PATH_MAX], next[PATH_MAX];
    ssize_t n = readlinkat(dir, s->base, target, sizeof target - 1);
    if (n <= 0)
      return err_sys(e, "%s: %s/%s: readlink", where(s), s->dir, s->base);
    target[n] = '\0';
    if (snprintf(next, sizeof next, "%s%s%s", target[0] == '/' ? "" : s->dir,
                 target[0] == '/' ? "" : "/", target) >= (int)sizeof next)
      return err_set(e, ENAMETOOLONG, "%s: symlink target too long", s->base);
    bool contents = s->contents;
    if (split_path(s, next, e) < 0)
      return -1;
    s->contents = contents;
  }
}

/* Where the tar goes: a directory of the destination and the name the
 * source takes in it (`as`, "" for a directory's contents). */
struct target {
  int dir;
  char as[NAME_MAX + 1];
};

static int open_target(struct side *d, const struct side *src, bool src_dir, struct target *t,
                       err_t *e) {
  char full[PATH_MAX + NAME_MAX + 2];
  snprintf(full, sizeof full, "%s/%s", d->dir, d->base);
  struct stat st;
  _cleanup_close_ int fd = open_in(d, full, O_PATH);
  bool exists = fd >= 0 && fstat(fd, &st) == 0;
  if (fd < 0 && errno != ENOENT)
    return err_sys(e, "%s: %s", where(d), full);
  if (exists && S_ISDIR(st.st_mode)) {
    /* Into the directory, under the source's name, or its contents. */
    snprintf(t->as, sizeof t->as, "%s", src && !src->contents ? src->base : "");
    t->dir = open_in(d, full, O_RDONLY | O_DIRECTORY);
    return t->dir < 0 ? err_sys(e, "%s: %s", where(d), full) : 0;
  }
  if (!src)
    return err_set(e, ENOTDIR, "%s: %s: %s", where(d), full,
                   exists ? "not a directory" : "no such directory");
  if (exists && src_dir)
    return err_set(e, ENOTDIR, "%s: %s: cannot copy a directory to a file", where(d), full);
  if (d->need_dir || d->contents)
    return err_set(e, ENOTDIR, "%s: %s: %s", where(d), full,
                   exists ? "not a directory" : "no such directory");
  /* A new file or directory of that name, or a file replaced. */
  snprintf(t->as, sizeof t->as, "%s", d->base);
  t->dir = open_in(d, d->dir, O_RDONLY | O_DIRECTORY);
  if (t->dir < 0)
    return errno == ENOENT || errno == ENOTDIR
               ? err_set(e, ENOENT, "%s: %s: no such directory", where(d), d->dir)
               : err_sys(e, "%s: %s", where(d), d->dir);
  return 0;
}

static int send_all(void *ctx, const void *buf, size_t len, err_t *e) {
  int fd = *(int *)ctx;
  for (const char *p = buf; len;) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return err_sys(e, "copy");
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* The source's tar, written by its own thread into a socket. */
struct producer {
  int dir;
  const char *name, *as;
  int fd;
  err_t err;
};

static void *produce(void *arg) {
  struct producer *p = arg;
  tar_write_path(p->dir, p->name, p->as, send_all, &p->fd, &p->err);
  close(p->fd);
  return NULL;
}

/* The source's tar extracted at the target, both at once. */
static int transfer(int src_dir, const char *name, const struct target *t,
                    const struct extract_opts *xo, err_t *e) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return err_sys(e, "copy");
  struct producer p = {.dir = src_dir, .name = name, .as = t->as, .fd = sv[1], .err = ERR_INIT};
  pthread_t th;
  int rc = pthread_create(&th, NULL, produce, &p);
  if (rc) {
    close(sv[0]);
    close(sv[1]);
    errno = rc;
    return err_sys(e, "copy");
  }
  err_t x = ERR_INIT;
  int r = tar_extract(sv[0], t->dir, xo, &x);
  close(sv[0]); /* a producer still writing fails now */
  pthread_join(th, NULL);
  /* The producer's error caused a truncated stream, unless it is the
   * broken pipe that the extractor's own failure caused. */
  if (p.err.code && !(r < 0 && p.err.code == EPIPE))
    return *e = p.err, -1;
  return r < 0 ? (*e = x, -1) : 0;
}

static int open_side(const struct engine *eng, struct side *s, bool live, err_t *e) {
  s->rootfd = AT_FDCWD;
  if (!s->name)
    return 0;
  char name[256];
  const char *colon = strchr(s->name, ':');
  if ((size_t)(colon - s->name) >= sizeof name)
    return err_set(e, ENOENT, "no such container: %.*s", (int)(colon - s->name), s->name);
  snprintf(name, sizeof name, "%.*s", (int)(colon - s->name), s->name);
  if (container_dir_find(eng, name, &s->rec, e) < 0 ||
      container_root_open(eng, &s->rec, live, &s->root, e) < 0)
    return -1;
  s->rootfd = s->root.fd;
  s->resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return 0;
}

static void close_side(struct side *s) {
  if (s->name) {
    container_root_close(&s->root);
    container_record_free(&s->rec);
  }
}

static int copy(const struct engine *eng, struct side *src, struct side *dst,
                const struct cp_opts *o, int in_fd, int out_fd, err_t *e) {
  if (open_side(eng, src, true, e) < 0 || open_side(eng, dst, true, e) < 0)
    return -1;
  struct extract_opts xo = {.keep_owner = o->archive, .untrusted = src->name != NULL};
  if (src->name) { /* to the host: owned by who copies */
    xo.uid = getuid();
    xo.gid = getgid();
  }
  struct target t = {.dir = -1};
  int rc = -1;
  _cleanup_close_ int dir = -1;
  if (src->stream) {
    if (open_target(dst, NULL, true, &t, e) == 0)
      rc = tar_extract(in_fd, t.dir, &xo, e);
    goto out;
  }
  struct stat st;
  if ((dir = open_source(src, o->follow || src->need_dir, &st, e)) < 0)
    goto out;
  bool is_dir = S_ISDIR(st.st_mode);
  if (fs_is_kernel_view(dir)) {
    err_set(e, EPERM, "%s: %s/%s: a kernel file system's file (/proc, /sys...) is not copied",
            where(src), src->dir, src->base);
    goto out;
  }
  if ((src->need_dir || src->contents) && !is_dir) {
    err_set(e, ENOTDIR, "%s: %s/%s: not a directory", where(src), src->dir, src->base);
    goto out;
  }
  if (dst->stream) {
    rc = tar_write_path(dir, src->base, src->contents ? "" : src->base, tar_sink_fd, &out_fd, e);
    goto out;
  }
  if (open_target(dst, src, is_dir, &t, e) == 0)
    rc = transfer(dir, src->base, &t, &xo, e);
out:
  if (t.dir >= 0)
    close(t.dir);
  return rc;
}

int engine_cp(const struct engine *eng, const char *from, const char *to,
              const struct cp_opts *o, int in_fd, int out_fd, err_t *e) {
  struct side src = {0}, dst = {0};
  const char *src_path, *dst_path;
  parse_arg(from, &src, &src_path);
  parse_arg(to, &dst, &dst_path);
  if (src.stream && dst.stream)
    return err_set(e, EINVAL, "copying from - to - makes no sense");
  if (src.name && dst.name)
    return err_set(e, EINVAL, "copying between containers is not supported");
  if (!src.name && !dst.name)
    return err_set(e, EINVAL, "one of the paths must be a container's: CONTAINER:PATH");
  if ((!src.stream && split_path(&src, src_path, e) < 0) ||
      (!dst.stream && split_path(&dst, dst_path, e) < 0))
    return -1;
  int rc = copy(eng, &src, &dst, o, in_fd, out_fd, e);
  close_side(&src);
  close_side(&dst);
  return rc;
}
