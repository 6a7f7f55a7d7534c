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

/* `call` fails, naming fsync, while fsync fails on the directory `fd`. */
#define FAILS_ON_FSYNC(fd, e, call)                                              \
  do {                                                                           \
    fail_fd = (fd);                                                              \
    err_clear(e);                                                                \
    CHECK((call) < 0);                                                           \
    fail_fd = FAIL_NONE;                                                         \
    CHECK(strstr((e)->msg, "fsync") != NULL);                                    \
  } while (0)

static void test_atomic_write(const char *root) {
  char path[512];
  snprintf(path, sizeof(path), "%s/file", root);
  err_t e = ERR_INIT;
  FAILS_ON_FSYNC(FAIL_DIRS, &e, atomic_write_at(AT_FDCWD, path, "x", 1, 0644, &e));
}

static void test_store(struct image_store *s) {
  err_t e = ERR_INIT;
  char d[DIGEST_BUF];
  FAILS_ON_FSYNC(FAIL_DIRS, &e, image_store_put_blob(s, "hello", 5, NULL, d, &e));

  static char tar[1024]; /* an empty tar: two zero blocks */
  char blob[DIGEST_BUF], chain[DIGEST_BUF];
  err_clear(&e);
  CHECK(image_store_put_blob(s, tar, sizeof(tar), NULL, blob, &e) == 0);
  /* layer.json is not durable: nothing is published. */
  FAILS_ON_FSYNC(FAIL_DIRS, &e, image_store_unpack_layer(s, blob, NULL, blob, chain, &e));
  CHECK(image_store_has_layer(s, blob) == 0);
  /* The rename into layers/ is not durable: an error, the layer stays as an
   * orphan (complete) for GC. */
  FAILS_ON_FSYNC(s->layersfd, &e, image_store_unpack_layer(s, blob, NULL, blob, chain, &e));
  CHECK(image_store_has_layer(s, blob) == 1);
  /* Dropping it with a failing fsync fails too, and keeps its files out of
   * layers/ (in tmp/, for the next clean-up). */
  FAILS_ON_FSYNC(s->layersfd, &e, store_drop_layer(s, digest_hex(blob), &e));
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
