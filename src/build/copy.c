/* COPY and ADD. Sources come from the context (hostile: each is opened with
 * openat2(RESOLVE_BENEATH), so "../x", or a symlink leading out, is refused,
 * and .dockerignore applies) or from a stage's or an image's root
 * (--from, RESOLVE_IN_ROOT). They are walked twice: once to hash names,
 * types, modes and contents for the cache key, then, when the cache has no
 * image for that key, to copy them into a step container's root, whose
 * changes become the layer. Destinations are opened with the container's
 * root as "/" (rootfs_path.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/args.h"
#include "build/internal.h"
#include "image/unpack.h"
#include "runtime/rootfs_path.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/syscalls.h"

struct copy {
  struct builder *b;
  const struct df_instr *in;
  char **srcs;          /* as written (expanded) */
  char *dest;           /* absolute in the container */
  bool dest_dir;        /* ends in '/' or several sources */
  bool add;
  const char *chown;    /* --chown spec or NULL */
  int chmod;            /* --chmod, -1: the source's */
  char from[DIGEST_BUF]; /* --from: the image's manifest, "" for the context */
  /* per walk */
  int src_root;
  int dst_root;         /* --from: the destination's root while the source's is mounted */
  struct sha256 *hash;  /* hashing, or NULL when copying */
  uid_t uid;
  gid_t gid;
  /* Files met with more than one name: the first one's copy (or, hashing,
   * its walk name), for the others to be hard links to it. */
  struct copy_link {
    dev_t dev;
    ino_t ino;
    int dirfd; /* -1 when hashing */
    char *name;
  } *links;
  size_t n_links, cap_links;
};

/* Past this many linked files (an fd each), the rest are copied as files. */
#define MAX_LINKS 512

static void forget_links(struct copy *c) {
  for (size_t i = 0; i < c->n_links; i++) {
    if (c->links[i].dirfd >= 0)
      close(c->links[i].dirfd);
    free(c->links[i].name);
  }
  free(c->links);
  c->links = NULL;
  c->n_links = c->cap_links = 0;
}

static bool in_context(const struct copy *c) {
  return !*c->from;
}

/* A source path as the walk names it: relative to the source's root
 * ("/x" is the context's x, as docker), "." for the root. ".." stays, for
 * openat2 to refuse if it leads out. */
static char *source_rel(const char *src) {
  while (*src == '/')
    src++;
  char *p = strdup(*src ? src : ".");
  size_t n = p ? strlen(p) : 0;
  while (n > 1 && p[n - 1] == '/')
    p[--n] = '\0';
  return p;
}

static int open_source(const struct copy *c, const char *rel, err_t *e) {
  unsigned long long how = in_context(c) ? RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS
                                         : RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  /* Looked at before it is opened: opening a device node an image names
   * opens the host's device (a watchdog would start counting down). */
  _cleanup_close_ int path = sys_openat2(c->src_root, rel, O_PATH | O_CLOEXEC, 0, how);
  if (path < 0) {
    if (errno == EXDEV || errno == ELOOP)
      return err_set(e, EXDEV, "%s: outside the build context (refused)", rel);
    if (errno == ENOENT)
      return err_set(e, ENOENT, "%s: no such file or directory in the %s", rel,
                     in_context(c) ? "build context" : "source image");
    return err_sys(e, "%s", rel);
  }
  struct stat st;
  if (fstat(path, &st) < 0)
    return err_sys(e, "%s", rel);
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    return err_set(e, EINVAL, "%s: not a regular file or directory", rel);
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", path);
  int fd = open(self, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  return fd >= 0 ? fd : err_sys(e, "%s", rel);
}

static void hash_str(struct sha256 *h, const char *s) {
  sha256_update(h, s, strlen(s) + 1);
}

static void hash_meta(struct sha256 *h, const char *kind, const char *rel, const struct stat *st) {
  char meta[96];
  snprintf(meta, sizeof meta, "%s %o %lld", kind, st->st_mode & 07777, (long long)st->st_size);
  hash_str(h, meta);
  hash_str(h, rel);
}

static int hash_chunk(void *h, const void *buf, size_t len, err_t *e) {
  (void)e;
  sha256_update(h, buf, len);
  return 0;
}

static int write_chunk(void *fd, const void *buf, size_t len, err_t *e) {
  return write_all(*(int *)fd, buf, len) < 0 ? err_sys(e, "write") : 0;
}

static int hash_file(struct sha256 *h, int fd, err_t *e) {
  return read_chunks(fd, hash_chunk, h, e);
}

static mode_t mode_of(const struct copy *c, const struct stat *st) {
  return c->chmod >= 0 ? (mode_t)c->chmod : st->st_mode & 07777;
}

/* Make way for a new entry `name` in dirfd: what is there goes, unless
 * it is a directory and a directory comes. */
static int make_way(int dirfd, const char *name, bool dir, err_t *e) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : err_sys(e, "%s", name);
  if (S_ISDIR(st.st_mode)) {
    if (dir)
      return 0;
    return err_set(e, EISDIR, "cannot replace the directory %s with a file", name);
  }
  if (unlinkat(dirfd, name, 0) < 0)
    return err_sys(e, "replace %s", name);
  return 0;
}

static int put_file(const struct copy *c, int src, const struct stat *st, int dirfd,
                    const char *name, err_t *e) {
  if (make_way(dirfd, name, false, e) < 0)
    return -1;
  _cleanup_close_ int fd =
      openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return err_sys(e, "create %s", name);
  struct timespec t[2] = {st->st_atim, st->st_mtim};
  if (read_chunks(src, write_chunk, &fd, e) < 0)
    return err_wrap(e, "%s", name);
  if (fchown(fd, c->uid, c->gid) < 0 || fchmod(fd, mode_of(c, st)) < 0 || futimens(fd, t) < 0)
    return err_sys(e, "%s", name);
  return 0;
}

static int remember_link(struct copy *c, const struct stat *st, int ddir, const char *name,
                         err_t *e) {
  if (c->n_links == MAX_LINKS)
    return 0;
  if (array_reserve_sz((void **)&c->links, &c->cap_links, c->n_links + 1, sizeof *c->links) < 0)
    return err_set(e, ENOMEM, "COPY");
  struct copy_link *l = &c->links[c->n_links];
  *l = (struct copy_link){st->st_dev, st->st_ino, -1, strdup(name)};
  if (!l->name || (ddir >= 0 && (l->dirfd = fcntl(ddir, F_DUPFD_CLOEXEC, 3)) < 0)) {
    free(l->name);
    return err_sys(e, "COPY");
  }
  c->n_links++;
  return 0;
}

/* A regular file (open as fd): hashed, or copied into ddir as `name`. A
 * further name of a file met before in this source becomes a hard link
 * to its copy, as buildah keeps them. */
static int file_entry(struct copy *c, int fd, const struct stat *st, const char *rel, int ddir,
                      const char *name, err_t *e) {
  const struct copy_link *l = NULL;
  for (size_t i = 0; st->st_nlink > 1 && i < c->n_links && !l; i++)
    if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
      l = &c->links[i];
  if (l && c->hash) {
    hash_meta(c->hash, "H", rel, st);
    hash_str(c->hash, l->name);
    return 0;
  }
  if (l)
    return make_way(ddir, name, false, e) < 0                ? -1
           : linkat(l->dirfd, l->name, ddir, name, 0) < 0 ? err_sys(e, "link %s", rel)
                                                            : 0;
  if (c->hash)
    hash_meta(c->hash, "F", rel, st);
  if ((c->hash ? hash_file(c->hash, fd, e) : put_file(c, fd, st, ddir, name, e)) < 0)
    return -1;
  return st->st_nlink > 1 ? remember_link(c, st, c->hash ? -1 : ddir, c->hash ? rel : name, e) : 0;
}

static int walk_dir(struct copy *c, int src, const char *rel, int dst, err_t *e);

/* One entry `name` of the source directory `sdir` (its walk name `rel`),
 * into the destination directory `ddir` (-1 when hashing). */
static int walk_entry(struct copy *c, int sdir, const char *name, const char *rel, int ddir,
                      err_t *e) {
  struct stat st;
  if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return err_sys(e, "%s", rel);
  bool ignored = in_context(c) && ignore_match(&c->b->ignore, rel);
  if (ignored && !(S_ISDIR(st.st_mode) && c->b->ignore.has_exceptions))
    return 0;
  if (S_ISREG(st.st_mode)) {
    _cleanup_close_ int fd = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return err_sys(e, "%s", rel);
    return file_entry(c, fd, &st, rel, ddir, name, e);
  }
  if (S_ISLNK(st.st_mode)) {
    char target[4097];
    ssize_t n = readlinkat(sdir, name, target, sizeof target - 1);
    if (n < 0)
      return err_sys(e, "%s", rel);
    target[n] = '\0';
    if (c->hash) {
      hash_meta(c->hash, "L", rel, &st);
      hash_str(c->hash, target);
      return 0;
    }
    if (make_way(ddir, name, false, e) < 0 || symlinkat(target, ddir, name) < 0 ||
        fchownat(ddir, name, c->uid, c->gid, AT_SYMLINK_NOFOLLOW) < 0)
      return e->code ? -1 : err_sys(e, "symlink %s", rel);
    return 0;
  }
  if (!S_ISDIR(st.st_mode))
    return 0; /* devices, fifos, sockets: not build material */
  _cleanup_close_ int sfd = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sfd < 0)
    return err_sys(e, "%s", rel);
  if (c->hash) {
    hash_meta(c->hash, "D", rel, &st);
    return walk_dir(c, sfd, rel, -1, e);
  }
  if (make_way(ddir, name, true, e) < 0 || (mkdirat(ddir, name, 0700) < 0 && errno != EEXIST))
    return e->code ? -1 : err_sys(e, "mkdir %s", rel);
  _cleanup_close_ int dfd = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return err_sys(e, "%s", rel);
  if (walk_dir(c, sfd, rel, dfd, e) < 0)
    return -1;
  struct timespec t[2] = {st.st_atim, st.st_mtim};
  if (fchown(dfd, c->uid, c->gid) < 0 || fchmod(dfd, mode_of(c, &st)) < 0 || futimens(dfd, t) < 0)
    return err_sys(e, "%s", rel);
  return 0;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted (the hash must not depend on the
 * order readdir gives). */
static char **dir_names(int fd, err_t *e) {
  int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
  if (!d) {
    if (dup_fd >= 0)
      close(dup_fd);
    err_sys(e, "read directory");
    return NULL;
  }
  char **v = calloc(1, sizeof *v);
  size_t n = 0;
  struct dirent *de;
  while (v && (de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    char **nv = realloc(v, (n + 2) * sizeof *v);
    if (!nv || !(nv[n] = strdup(de->d_name))) {
      v = nv ? nv : v;
      v[n] = NULL;
      strv_free(v);
      v = NULL;
      break;
    }
    v = nv;
    v[++n] = NULL;
  }
  closedir(d);
  if (!v)
    err_sys(e, "read directory");
  else
    qsort(v, n, sizeof *v, cmp_names);
  return v;
}

static int walk_dir(struct copy *c, int src, const char *rel, int dst, err_t *e) {
  _cleanup_strv_ char **names = dir_names(src, e);
  if (!names)
    return -1;
  for (char **n = names; *n; n++) {
    _cleanup_free_ char *sub = NULL;
    if (asprintf(&sub, "%s%s%s", strcmp(rel, ".") ? rel : "", strcmp(rel, ".") ? "/" : "", *n) < 0)
      return err_sys(e, "COPY");
    if (walk_entry(c, src, *n, sub, dst, e) < 0)
      return -1;
  }
  return 0;
}

/* An fd to write into the container's directory `path`, made if missing
 * (owned by the --chown user then, as buildah; its parents by root). */
static int dest_dir(const struct copy *c, int root, const char *path, err_t *e) {
  err_t missing = ERR_INIT;
  int fd = rootfs_open(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, &missing);
  if (fd >= 0)
    return fd;
  _cleanup_close_ int p = rootfs_open_target(root, path, TARGET_DIR, e);
  if (p < 0)
    return -1;
  fd = openat(p, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (c->chown && fchown(fd, c->uid, c->gid) < 0)) {
    err_sys(e, "%s", path);
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

static bool is_archive(int fd) {
  unsigned char m[512];
  ssize_t n = pread(fd, m, sizeof m, 0);
  if (n >= 4 && ((m[0] == 0x1f && m[1] == 0x8b) || (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f &&
                                                     m[3] == 0xfd)))
    return true;
  return n >= 262 && !memcmp(m + 257, "ustar", 5);
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* One top-level source (already opened): a directory's contents go into
 * the destination, a file into it or as it. */
static int one_source(struct copy *c, int fd, const char *rel, int root, err_t *e) {
  forget_links(c); /* links are kept within a source, not across sources, as buildah */
  struct stat st;
  if (fstat(fd, &st) < 0)
    return err_sys(e, "%s", rel);
  if (S_ISDIR(st.st_mode)) {
    if (c->hash) {
      hash_meta(c->hash, "D", rel, &st);
      return walk_dir(c, fd, rel, -1, e);
    }
    _cleanup_close_ int d = dest_dir(c, root, c->dest, e);
    return d < 0 ? -1 : walk_dir(c, fd, rel, d, e);
  }
  if (c->hash)
    return file_entry(c, fd, &st, rel, -1, NULL, e);
  bool into = c->dest_dir;
  if (!into) {
    err_t ignored = ERR_INIT;
    int probe = rootfs_open(root, c->dest, O_PATH | O_DIRECTORY | O_CLOEXEC, &ignored);
    into = probe >= 0;
    if (probe >= 0)
      close(probe);
  }
  if (c->add && is_archive(fd)) {
    _cleanup_close_ int d = dest_dir(c, root, c->dest, e);
    struct extract_opts xo = {.keep_owner = true};
    return d < 0 ? -1 : tar_extract(fd, d, &xo, e);
  }
  _cleanup_free_ char *parent = into ? strdup(c->dest) : build_path(c->dest, "..");
  if (!parent)
    return err_sys(e, "COPY");
  _cleanup_close_ int d = dest_dir(c, root, parent, e);
  return d < 0 ? -1 : file_entry(c, fd, &st, rel, d, into ? base_name(rel) : base_name(c->dest), e);
}

/* A here-document as a source file "<<NAME". */
static int heredoc_source(struct copy *c, const struct df_heredoc *h, int root, err_t *e) {
  if (c->hash) {
    hash_str(c->hash, h->name);
    hash_str(c->hash, h->body);
    return 0;
  }
  _cleanup_free_ char *parent = c->dest_dir ? strdup(c->dest) : build_path(c->dest, "..");
  _cleanup_close_ int d = parent ? dest_dir(c, root, parent, e) : -1;
  if (d < 0)
    return parent ? -1 : err_sys(e, "COPY");
  const char *name = c->dest_dir ? h->name : base_name(c->dest);
  if (make_way(d, name, false, e) < 0)
    return -1;
  _cleanup_close_ int fd = openat(d, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || write_all(fd, h->body, strlen(h->body)) < 0 || fchown(fd, c->uid, c->gid) < 0 ||
      fchmod(fd, c->chmod >= 0 ? (mode_t)c->chmod : 0644) < 0)
    return err_sys(e, "%s", name);
  return 0;
}

static const struct df_heredoc *heredoc_named(const struct df_instr *in, const char *src) {
  if (strncmp(src, "<<", 2))
    return NULL;
  src += 2 + (src[2] == '-');
  for (size_t i = 0; i < in->n_heredocs; i++)
    if (!strcmp(in->heredocs[i].name, src))
      return &in->heredocs[i];
  return NULL;
}

/* Every source, globs expanded (in the last path element), in order. */
static int each_source(struct copy *c, int root, err_t *e) {
  for (char **s = c->srcs; *s; s++) {
    const struct df_heredoc *h = heredoc_named(c->in, *s);
    if (h) {
      if (heredoc_source(c, h, root, e) < 0)
        return -1;
      continue;
    }
    _cleanup_free_ char *rel = source_rel(*s);
    if (!rel)
      return err_sys(e, "COPY");
    const char *base = base_name(rel);
    if (!strpbrk(base, "*?[")) {
      if (in_context(c) && strcmp(rel, ".") && ignore_match(&c->b->ignore, rel))
        return err_set(e, ENOENT, "%s: excluded by .dockerignore", rel);
      _cleanup_close_ int fd = open_source(c, rel, e);
      if (fd < 0 || one_source(c, fd, rel, root, e) < 0)
        return -1;
      continue;
    }
    _cleanup_free_ char *dir = base == rel ? strdup(".") : strndup(rel, (size_t)(base - rel - 1));
    _cleanup_close_ int dfd = dir ? open_source(c, dir, e) : -1;
    _cleanup_strv_ char **names = dfd >= 0 ? dir_names(dfd, e) : NULL;
    if (!names)
      return dir ? -1 : err_sys(e, "COPY");
    size_t matched = 0;
    for (char **n = names; *n; n++) {
      _cleanup_free_ char *sub = NULL;
      if (fnmatch(base, *n, FNM_PERIOD) ||
          asprintf(&sub, "%s%s%s", strcmp(dir, ".") ? dir : "", strcmp(dir, ".") ? "/" : "", *n) < 0)
        continue;
      if (in_context(c) && ignore_match(&c->b->ignore, sub))
        continue;
      _cleanup_close_ int fd = open_source(c, sub, e);
      if (fd < 0 || one_source(c, fd, sub, root, e) < 0)
        return -1;
      matched++;
    }
    if (!matched)
      return err_set(e, ENOENT, "%s: no source files were specified", *s);
  }
  return 0;
}

/* ---- the step ---- */

static int copy_fill(void *arg, int root, err_t *e) {
  struct copy *c = arg;
  c->uid = 0;
  c->gid = 0;
  if (c->chown) {
    unsigned long uid, gid;
    if (engine_user_lookup(root, c->chown, &uid, &gid, e) < 0)
      return err_wrap(e, "--chown=%s", c->chown);
    c->uid = (uid_t)uid;
    c->gid = strchr(c->chown, ':') ? (gid_t)gid : (gid_t)uid; /* docker: the uid's number */
  }
  return each_source(c, root, e);
}

/* --from: the other root is mounted as a step container too, for as long
 * as the copy lasts. */
static int from_fill(void *arg, int from_root, err_t *e) {
  struct copy *c = arg;
  c->src_root = from_root;
  return copy_fill(c, c->dst_root, e);
}

static int from_outer_fill(void *arg, int root, err_t *e) {
  struct copy *c = arg;
  c->dst_root = root;
  char *cmd[] = {"true", NULL}, *no_entrypoint[] = {NULL};
  struct run_opts ro = {.image = c->from, .cmd = cmd, .entrypoint = no_entrypoint, .rm = true};
  struct engine_step step = {.fill = from_fill, .arg = c};
  int status;
  return engine_build_step(c->b->eng, &ro, &step, &status, e);
}

struct copy_step {
  struct builder *b;
  struct stage *s;
};

static int copy_done(void *arg, int upper, err_t *e) {
  struct copy_step *cs = arg;
  return build_commit(cs->b, cs->s, upper, cs->b->in->text, e);
}

struct both {
  struct copy *c;
  struct copy_step cs;
};

static int both_fill(void *arg, int root, err_t *e) {
  struct both *x = arg;
  return *x->c->from ? from_outer_fill(x->c, root, e) : copy_fill(x->c, root, e);
}

static int both_done(void *arg, int upper, err_t *e) {
  struct both *x = arg;
  return copy_done(&x->cs, upper, e);
}

static int flags(struct copy *c, struct stage *s, err_t *e) {
  struct builder *b = c->b;
  for (char **f = c->in->flags; *f; f++) {
    const char *v = strchr(*f, '=');
    v = v ? v + 1 : "";
    if (!strncmp(*f, "--from=", 7)) {
      struct stage *st = build_stage_named(b, v);
      if (st == s)
        return err_set(e, EINVAL, "--from=%s: a stage cannot copy from itself", v);
      if (st && !*st->manifest && build_commit(b, st, -1, NULL, e) < 0)
        return -1;
      _cleanup_image_info_ struct image_info img = {0};
      if (!st && ((b->o->pull && b->o->pull(b->o->pull_arg, v, e) < 0) ||
                  image_store_resolve(b->store, v, &img, e) < 0))
        return err_set(e, ENOENT, "--from=%s: no stage or image of that name", v);
      snprintf(c->from, DIGEST_BUF, "%s", st ? st->manifest : img.manifest);
    } else if (!strncmp(*f, "--chown=", 8) && *v) {
      c->chown = v;
    } else if (!strncmp(*f, "--chmod=", 8)) {
      char *end;
      long m = strtol(v, &end, 8);
      if (!*v || *end || m < 0 || m > 07777)
        return err_set(e, EINVAL, "--chmod=%s: want an octal mode", v);
      c->chmod = (int)m;
    } else if (strcmp(*f, "--link") && strncmp(*f, "--link=", 7))
      return err_set(e, EINVAL, "%s %s is not supported", c->in->keyword, *f);
  }
  return 0;
}

/* The sources and destination, variables expanded. */
static int operands(struct copy *c, struct stage *s, err_t *e) {
  struct lookup l = {c->b, s};
  const struct df_instr *in = c->in;
  _cleanup_strv_ char **w = NULL;
  if (in->exec) {
    size_t n = 0;
    while (in->exec[n])
      n++;
    if (!(w = calloc(n + 1, sizeof *w)))
      return err_sys(e, "%s", in->keyword);
    for (size_t i = 0; i < n; i++)
      if (build_word(in->exec[i], c->b->df.escape, build_lookup, &l, &w[i], e) < 0)
        return -1;
  } else if (build_words(in->args, c->b->df.escape, build_lookup, &l, true, &w, e) < 0)
    return -1;
  size_t n = 0;
  while (w[n])
    n++;
  if (n < 2)
    return err_set(e, EINVAL, "%s requires at least two arguments (SOURCE... DEST)", in->keyword);
  for (size_t i = 0; c->add && i + 1 < n; i++)
    if (strstr(w[i], "://") || !strncmp(w[i], "git@", 4))
      return err_set(e, EINVAL, "ADD %s: URLs are not supported (builds have no network): "
                                "download it into the context and COPY it", w[i]);
  const char *dest = w[n - 1];
  size_t dl = strlen(dest);
  c->dest_dir = dl && dest[dl - 1] == '/';
  bool glob = false;
  for (size_t i = 0; i + 1 < n; i++)
    glob |= strpbrk(w[i], "*?[") != NULL;
  if ((n > 2 || glob) && !c->dest_dir && !(n == 2 && glob)) 
    return err_set(e, EINVAL, "with more than one source the destination must be a directory "
                              "and end with a /");
  c->dest_dir |= n > 2;
  const char *wd = json_string_value(json_object_get(s->config, "WorkingDir"));
  if (!(c->dest = build_path(wd ? wd : "/", dest)))
    return err_sys(e, "%s", in->keyword);
  free(w[n - 1]);
  w[n - 1] = NULL;
  c->srcs = steal_ptr(&w);
  return 0;
}

int build_copy(struct builder *b, struct stage *s, const struct df_instr *in, err_t *e) {
  struct copy c = {.b = b, .in = in, .add = !strcmp(in->keyword, "ADD"), .chmod = -1,
                   .src_root = b->context, .dst_root = -1};
  int ret = -1;
  struct sha256 h;
  _cleanup_free_ char *what = NULL;
  if (flags(&c, s, e) < 0 || operands(&c, s, e) < 0 || sha256_init(&h, e) < 0)
    goto out;
  hash_str(&h, in->text);
  hash_str(&h, c.dest);
  for (char **w = c.srcs; *w; w++)
    hash_str(&h, *w);
  if (*c.from)
    hash_str(&h, c.from); /* content-addressed already */
  else {
    c.hash = &h;
    int r = each_source(&c, -1, e);
    forget_links(&c);
    if (r < 0) {
      sha256_free(&h);
      goto out;
    }
    c.hash = NULL;
  }
  char sum[DIGEST_BUF], key[DIGEST_BUF];
  sha256_final(&h, sum);
  if (asprintf(&what, "%s\n%s", in->keyword, sum) < 0) {
    what = NULL;
    err_sys(e, "%s", in->keyword);
    goto out;
  }
  int hit = build_cached(b, s, what, key, e);
  if (hit) {
    ret = hit < 0 ? -1 : 0;
    goto out;
  }
  if (!*s->manifest && build_commit(b, s, -1, NULL, e) < 0)
    goto out;
  struct both x = {&c, {b, s}};
  char *cmd[] = {"true", NULL}, *no_entrypoint[] = {NULL};
  struct run_opts ro = {.image = s->manifest, .cmd = cmd, .entrypoint = no_entrypoint, .rm = true};
  struct engine_step step = {.fill = both_fill, .done = both_done, .arg = &x};
  int status;
  if (engine_build_step(b->eng, &ro, &step, &status, e) < 0)
    goto out;
  build_cache_put(b, key, s->manifest);
  ret = 0;
out:
  forget_links(&c);
  strv_free(c.srcs);
  free(c.dest);
  return ret;
}
