/* A directory fsync that fails is an error wherever something is published
 * by a rename (docs/CODING.md): atomic_write_at, blob commits, layer
 * publication and removal. fsync() is replaced here, for this binary only,
 * by one that fails with EIO on the directory `fail_fd` (FAIL_DIRS: any). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "image/archive_lib.h"
#include "image/store_internal.h"
#include "util/fs.h"

#define FAIL_NONE -1
#define FAIL_DIRS -2
static int fail_fd = FAIL_NONE;

int fsync(int fd) {
  struct stat st;
  if ((fail_fd == fd || fail_fd == FAIL_DIRS) && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    errno = EIO;
    return -1;
  }
  return (int)syscall(SYS_fsync, fd);
}

/* A tar holding one empty file `name`, in memory. */
static size_t one_file_tar(char *buf, size_t cap, const char *name) {
  struct archive *a = archive_write_new();
  size_t used = 0;
  archive_write_set_format_pax_restricted(a);
  archive_write_open_memory(a, buf, cap, &used);
  struct archive_entry *ent = archive_entry_new();
  archive_entry_set_pathname(ent, name);
  archive_entry_set_filetype(ent, AE_IFREG);
  archive_entry_set_perm(ent, 0644);
  archive_entry_set_size(ent, 0);
  archive_write_header(a, ent);
  archive_entry_free(ent);
  archive_write_close(a);
  archive_write_free(a);
  return used;
}

static void test_atomic_write(const char *root) {
  char path[512];
  snprintf(path, sizeof(path), "%s/file", root);
  err_t e = ERR_INIT;
  fail_fd = FAIL_DIRS;
  CHECK(atomic_write_at(AT_FDCWD, path, "x", 1, 0644, &e) < 0);
  fail_fd = FAIL_NONE;
  CHECK(strstr(e.msg, "fsync") != NULL);
}

static void test_store(struct image_store *s) {
  err_t e = ERR_INIT;
  char d[DIGEST_BUF];
  fail_fd = FAIL_DIRS;
  CHECK(image_store_put_blob(s, "hello", 5, NULL, d, &e) < 0);
  fail_fd = FAIL_NONE;
  CHECK(strstr(e.msg, "fsync") != NULL);

  static char tar[1 << 14];
  size_t n = one_file_tar(tar, sizeof(tar), "f");
  char blob[DIGEST_BUF], chain[DIGEST_BUF];
  err_clear(&e);
  CHECK(image_store_put_blob(s, tar, n, NULL, blob, &e) == 0);
  /* layer.json is not durable: nothing is published. */
  fail_fd = FAIL_DIRS;
  err_clear(&e);
  CHECK(image_store_unpack_layer(s, blob, NULL, blob, chain, &e) < 0);
  fail_fd = FAIL_NONE;
  CHECK(strstr(e.msg, "fsync") != NULL);
  CHECK(image_store_has_layer(s, blob) == 0);
  /* The rename into layers/ is not durable: an error, the layer stays as an
   * orphan (complete) for GC. */
  fail_fd = s->layersfd;
  err_clear(&e);
  CHECK(image_store_unpack_layer(s, blob, NULL, blob, chain, &e) < 0);
  fail_fd = FAIL_NONE;
  CHECK(strstr(e.msg, "fsync") != NULL);
  CHECK(image_store_has_layer(s, blob) == 1);
  /* Dropping it with a failing fsync fails too, and keeps its files out of
   * layers/ (in tmp/, for the next clean-up). */
  fail_fd = s->layersfd;
  err_clear(&e);
  CHECK(store_drop_layer(s, digest_hex(blob), &e) < 0);
  fail_fd = FAIL_NONE;
  CHECK(strstr(e.msg, "fsync") != NULL);
  CHECK(image_store_has_layer(s, blob) == 0);
}

int main(void) {
  char root[] = "/tmp/capsule-dir-fsync.XXXXXX";
  CHECK(mkdtemp(root) != NULL);
  err_t e = ERR_INIT;
  CHECK(archive_lib_load(&e) == 0);
  test_atomic_write(root);
  struct image_store *s = NULL;
  char store[600];
  snprintf(store, sizeof(store), "%s/store", root);
  CHECK(image_store_open(store, 0, &s, &e) == 0);
  if (s) {
    test_store(s);
    image_store_close(s);
  }
  err_t ignored = ERR_INIT;
  remove_tree_at(AT_FDCWD, root, &ignored);
  return check_report("store_dir_fsync");
}
