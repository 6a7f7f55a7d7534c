/* layer_unpack on broken archives: errors that name the right entry, found
 * by fuzzing (tests/fuzz/layer_unpack.c, docs/FUZZING.md). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "image/unpack.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* One ustar header block for an empty regular file. */
static void ustar_header(unsigned char h[512], const char *name) {
  memset(h, 0, 512);
  snprintf((char *)h, 100, "%s", name);
  memcpy(h + 100, "0000644", 8);
  memcpy(h + 108, "0000000", 8);
  memcpy(h + 116, "0000000", 8);
  memcpy(h + 124, "00000000000", 12);
  memcpy(h + 136, "14524770400", 12);
  h[156] = '0';
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; i++)
    sum += h[i];
  snprintf((char *)h + 148, 8, "%06o", sum);
}

/* Unpack `buf` into a fresh directory (removed again): layer_unpack's result
 * and error message. */
static int unpack_bytes(const void *buf, size_t len, err_t *e) {
  char dir[] = "/tmp/capsule-unpack-errors.XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int fd = memfd_create("layer", MFD_CLOEXEC);
  CHECK(fd >= 0 && write_all(fd, buf, len) == 0 && lseek(fd, 0, SEEK_SET) == 0);
  struct unpack_result r;
  int rc = layer_unpack(fd, dfd, &r, e);
  err_t ignored = ERR_INIT;
  CHECK(remove_tree_at(AT_FDCWD, dir, &ignored) == 0);
  return rc;
}

static void expect_error(const void *tar, size_t len, const char *want) {
  err_t e = ERR_INIT;
  CHECK(unpack_bytes(tar, len, &e) == -1);
  CHECK(strstr(e.msg, want) != NULL);
  if (!strstr(e.msg, want))
    fprintf(stderr, "want \"%s\" in: %s\n", want, e.msg);
}

/* A header cut short after a good entry: the error names that entry. Its
 * name used to be read from libarchive's entry after the next header had
 * freed it (a use-after-free, caught by ASan). */
static void test_truncated_after_entry(void) {
  unsigned char tar[512 + 100];
  unsigned char next[512];
  ustar_header(tar, "first");
  ustar_header(next, "second");
  memcpy(tar + 512, next, 100);
  expect_error(tar, sizeof(tar), "first: corrupt tar entry: Truncated tar archive");
}

/* A header whose checksum is wrong (libarchive's ARCHIVE_RETRY): an error
 * naming the entry before it, not an entry without a name. */
static void test_damaged_header(void) {
  unsigned char tar[4 * 512] = {0};
  ustar_header(tar, "first");
  ustar_header(tar + 512, "second");
  tar[512] = 'X';
  expect_error(tar, sizeof(tar), "first: corrupt tar entry: Damaged tar archive");
}

int main(void) {
  test_truncated_after_entry();
  test_damaged_header();
  return check_report("image_unpack_errors");
}
