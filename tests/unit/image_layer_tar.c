/* The diff -> tar side: an overlayfs upper dir written as an OCI layer
 * (whiteouts converted back, overlay xattrs dropped), unpacked again to the
 * same tree, deterministically; and image_commit on top of a stored image. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "check.h"
#include "image/archive_lib.h"
#include "image/create.h"
#include "image/layer_tar.h"
#include "image/unpack.h"
#include "util/cleanup.h"
#include "util/fs.h"

struct membuf {
  char *data;
  size_t len, cap;
};

static int to_mem(void *ctx, const void *buf, size_t len, err_t *e) {
  struct membuf *m = ctx;
  if (m->len + len > m->cap) {
    size_t cap = (m->len + len) * 2;
    char *d = realloc(m->data, cap);
    if (!d)
      return err_set(e, 12, "out of memory");
    m->data = d;
    m->cap = cap;
  }
  memcpy(m->data + m->len, buf, len);
  m->len += len;
  return 0;
}

static void write_file(const char *dir, const char *name, const char *content) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  err_t e = ERR_INIT;
  CHECK(atomic_write_at(AT_FDCWD, path, content, strlen(content), 0644, &e) == 0);
}

/* An upper dir as overlayfs leaves it. */
/* DIR/NAME in `out`. */
static void in_dir(char out[PATH_MAX], const char *dir, const char *name) {
  CHECK(snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
}

static void make_upper(const char *d) {
  char p[PATH_MAX];
  write_file(d, "file", "hello");
  in_dir(p, d, "dir");
  mkdir(p, 0755);
  write_file(d, "dir/inner", "inside");
  in_dir(p, d, "opq");
  mkdir(p, 0700);
  CHECK(setxattr(p, "trusted.overlay.opaque", "y", 1, 0) == 0);
  write_file(d, "opq/new", "new");
  in_dir(p, d, "gone");
  CHECK(mknod(p, S_IFCHR | 0, makedev(0, 0)) == 0);
  in_dir(p, d, "dir/gone2");
  CHECK(mknod(p, S_IFCHR | 0, makedev(0, 0)) == 0);
  in_dir(p, d, "link");
  CHECK(symlink("file", p) == 0);
  char a[PATH_MAX];
  in_dir(a, d, "file");
  in_dir(p, d, "hard");
  CHECK(link(a, p) == 0);
  CHECK(setxattr(a, "user.note", "kept", 4, 0) == 0);
  CHECK(setxattr(a, "trusted.overlay.origin", "xx", 2, 0) == 0);
  in_dir(p, d, "fifo");
  CHECK(mkfifo(p, 0600) == 0);
}

/* Names (and flags) of the entries in a tar held in memory. */
static void list_entries(const struct membuf *m, char *out, size_t cap) {
  struct archive *a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  CHECK(archive_read_open_memory(a, m->data, m->len) == ARCHIVE_OK);
  struct archive_entry *ent;
  size_t off = 0;
  out[0] = '\0';
  while (archive_read_next_header(a, &ent) == ARCHIVE_OK) {
    const char *name, *extra = "";
    const void *v;
    size_t len;
    archive_entry_xattr_reset(ent);
    while (archive_entry_xattr_next(ent, &name, &v, &len) == ARCHIVE_OK)
      if (!strncmp(name, "trusted.overlay.", 16))
        extra = "[overlay xattr!]";
    if (archive_entry_hardlink(ent))
      extra = "[hardlink]";
    off += (size_t)snprintf(out + off, cap - off, "%s%s ", archive_entry_pathname(ent), extra);
  }
  archive_read_free(a);
}

static int memfd_with(const struct membuf *m) {
  int fd = memfd_create("layer", MFD_CLOEXEC);
  CHECK(fd >= 0 && write_all(fd, m->data, m->len) == 0);
  lseek(fd, 0, SEEK_SET);
  return fd;
}

static void test_round_trip(const char *base) {
  char upper[512], again[512];
  snprintf(upper, sizeof(upper), "%s/upper", base);
  snprintf(again, sizeof(again), "%s/again", base);
  mkdir(upper, 0755);
  mkdir(again, 0755);
  make_upper(upper);
  _cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  err_t e = ERR_INIT;
  struct layer_tar_result gz, plain, zst;
  struct membuf mg = {0}, mp = {0}, mz = {0};
  CHECK(layer_tar_write(ufd, LAYER_GZIP, to_mem, &mg, &gz, &e) == 0);
  CHECK(layer_tar_write(ufd, LAYER_TAR, to_mem, &mp, &plain, &e) == 0);
  CHECK(layer_tar_write(ufd, LAYER_ZSTD, to_mem, &mz, &zst, &e) == 0);
  if (e.code)
    fprintf(stderr, "layer_tar_write: %s\n", e.msg);
  /* One tree, one diff id, whatever the compression; digests of the bytes. */
  CHECK_STR(gz.diff_id, plain.diff_id);
  CHECK_STR(zst.diff_id, plain.diff_id);
  CHECK_STR(plain.digest, plain.diff_id);
  char d[DIGEST_BUF];
  CHECK(sha256_digest(mg.data, mg.len, d, &e) == 0);
  CHECK_STR(d, gz.digest);
  CHECK(gz.size == mg.len && (unsigned char)mg.data[0] == 0x1f);
  CHECK((unsigned char)mz.data[0] == 0x28);

  char names[4096];
  list_entries(&mp, names, sizeof(names));
  /* Sorted by the names on disk ("gone" sorts after "file"). */
  CHECK_STR(names, "dir/ dir/.wh.gone2 dir/inner fifo file .wh.gone hard[hardlink] link opq/ "
                   "opq/.wh..wh..opq opq/new ");

  /* Written again: the same bytes. */
  struct layer_tar_result twice;
  struct membuf m2 = {0};
  CHECK(layer_tar_write(ufd, LAYER_TAR, to_mem, &m2, &twice, &e) == 0);
  CHECK_STR(twice.diff_id, plain.diff_id);
  free(m2.data);

  /* Unpacked: the overlay form again. */
  _cleanup_close_ int afd = open(again, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int tar = memfd_with(&mg);
  struct unpack_result r;
  CHECK(layer_unpack(tar, afd, &r, &e) == 0);
  CHECK_STR(r.diff_id, plain.diff_id);
  CHECK(r.tar_size == mp.len);
  struct stat st, st2;
  char p[600];
  snprintf(p, sizeof(p), "%s/dir/gone2", again);
  CHECK(lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  char v[8] = "";
  snprintf(p, sizeof(p), "%s/opq", again);
  CHECK(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y');
  CHECK(lstat(p, &st) == 0 && (st.st_mode & 07777) == 0700);
  snprintf(p, sizeof(p), "%s/file", again);
  CHECK(lstat(p, &st) == 0);
  CHECK(getxattr(p, "trusted.overlay.origin", v, sizeof(v)) < 0);
  CHECK(getxattr(p, "user.note", v, sizeof(v)) == 4);
  snprintf(p, sizeof(p), "%s/hard", again);
  CHECK(lstat(p, &st2) == 0 && st2.st_ino == st.st_ino);
  free(mg.data);
  free(mp.data);
  free(mz.data);
}

static void test_commit(const char *base) {
  char root[512], upper[512];
  snprintf(root, sizeof(root), "%s/store", base);
  snprintf(upper, sizeof(upper), "%s/upper", base);
  err_t e = ERR_INIT;
  _cleanup_image_store_ struct image_store *s = NULL;
  CHECK(image_store_open(root, 0, &s, &e) == 0);
  /* A base image from a tar of "file" and "old". */
  char src[512];
  snprintf(src, sizeof(src), "%s/base", base);
  mkdir(src, 0755);
  write_file(src, "file", "base");
  write_file(src, "old", "old");
  _cleanup_close_ int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct membuf m = {0};
  struct layer_tar_result r;
  CHECK(layer_tar_write(sfd, LAYER_TAR, to_mem, &m, &r, &e) == 0);
  _cleanup_close_ int tfd = memfd_with(&m);
  free(m.data);
  const char *changes[] = {"CMD [\"/bin/true\"]", NULL};
  struct image_create_opts o = {.reference = "base:1", .changes = changes};
  _cleanup_image_info_ struct image_info b = {0}, c = {0};
  CHECK(image_import(s, tfd, &o, &b, &e) == 0);
  /* The upper dir made a layer on top of it. */
  _cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const char *more[] = {"ENV X=1", NULL};
  struct image_create_opts co = {.parent = "base:1", .reference = "committed:1",
                                 .changes = more, .created_by = "capsule commit ctr"};
  CHECK(image_commit(s, ufd, &co, &c, &e) == 0);
  if (e.code)
    fprintf(stderr, "commit: %s\n", e.msg);
  CHECK(c.n_layers == 2);
  CHECK(b.n_layers == 1 && c.n_layers == 2 && !strcmp(c.chains[0], b.chains[0]));
  struct image_config cfg;
  CHECK(image_store_config(s, &c, &cfg, &e) == 0);
  CHECK(cfg.cmd && !strcmp(cfg.cmd[0], "/bin/true")); /* inherited */
  CHECK(cfg.env && !strcmp(cfg.env[0], "X=1"));
  CHECK(cfg.n_history == 2 && !strcmp(cfg.history[1].created_by, "capsule commit ctr"));
  image_config_free(&cfg);
  _cleanup_strv_ char **dirs = NULL;
  CHECK(image_store_layer_dirs(s, &c, &dirs, &e) == 0);
  char p[600];
  struct stat st;
  snprintf(p, sizeof(p), "%s/gone", dirs[1]);
  CHECK(lstat(p, &st) == 0 && S_ISCHR(st.st_mode));
  struct image_info *all;
  size_t n;
  CHECK(image_store_list(s, &all, &n, &e) == 0 && n == 2);
  long kids[3];
  long parent = image_lineage(all, n, &c, NULL);
  CHECK(parent >= 0 && !strcmp(all[parent].config, b.config));
  CHECK(image_lineage(all, n, &b, kids) == -1 && kids[0] >= 0 && kids[1] == -1);
  for (size_t i = 0; i < n; i++)
    image_info_free(&all[i]);
  free(all);
}

/* Directories nested under `fd` to a depth whose path, in the tar, is
 * `len` bytes long; returns an fd on the deepest one. */
static int nested_dirs(int fd, size_t len) {
  char name[201];
  int cur = dup(fd);
  size_t used = 0;
  while (cur >= 0 && used < len) {
    size_t n = len - used - (used > 0) > 200 ? 200 : len - used - (used > 0);
    memset(name, 'd', n);
    name[n] = '\0';
    CHECK(mkdirat(cur, name, 0755) == 0);
    int next = openat(cur, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(cur);
    cur = next;
    used += n + (used > 0);
  }
  return cur;
}

/* Entry names that PATH_MAX cannot hold are refused, never cut: a whiteout
 * ".wh.NAME" or an opaque marker 4 and 14 bytes longer than a path that fits
 * was cut into the name of another file. */
static void test_long_names(const char *base) {
  static const struct {
    size_t dir_len;
    const char *name;
    bool whiteout;
  } cases[] = {
      {PATH_MAX - 1 - 8, "whiteout", true},  /* dir/whiteout fits, dir/.wh.whiteout not */
      {PATH_MAX - 1 - 5, "opaq", false},     /* dir/opaq fits, dir/opaq/.wh..wh..opq not */
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char top[512];
    snprintf(top, sizeof(top), "%s/long%zu", base, i);
    CHECK(mkdir(top, 0755) == 0);
    _cleanup_close_ int tfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int dfd = nested_dirs(tfd, cases[i].dir_len);
    if (cases[i].whiteout) {
      CHECK(mknodat(dfd, cases[i].name, S_IFCHR | 0, makedev(0, 0)) == 0);
    } else {
      CHECK(mkdirat(dfd, cases[i].name, 0755) == 0);
      _cleanup_close_ int ofd = openat(dfd, cases[i].name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      CHECK(fsetxattr(ofd, "trusted.overlay.opaque", "y", 1, 0) == 0);
    }
    struct membuf m = {0};
    struct layer_tar_result r;
    err_t e = ERR_INIT;
    CHECK(layer_tar_write(tfd, LAYER_TAR, to_mem, &m, &r, &e) < 0);
    CHECK(e.code == ENAMETOOLONG && strstr(e.msg, "path too long for a tar entry") != NULL);
    free(m.data);
  }
}

int main(void) {
  err_t load_err = ERR_INIT;
  CHECK(archive_lib_load(&load_err) == 0); /* the tests read tars themselves too */
  if (check_failures)
    return check_report("image_layer_tar");
  char base[] = "/tmp/capsule-layer-tar.XXXXXX";
  CHECK(mkdtemp(base) != NULL);
  test_round_trip(base);
  test_commit(base);
  test_long_names(base);
  err_t ignored = ERR_INIT;
  remove_tree_at(AT_FDCWD, base, &ignored);
  return check_report("image_layer_tar");
}
