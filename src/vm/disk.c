/* The VM's root disk: an ext4 image of the image's root filesystem, made
 * once per image (mkfs.ext4 -d copies a tree into a new filesystem,
 * owners, modes, links and devices included) and shared read-only, under
 * a qcow2 overlay per VM that takes its writes (so a VM's disk is a file
 * QEMU can migrate and rm removes). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "vm/vm.h"

/* nftw has no argument for its callback: the totals of one walk. */
static __thread uint64_t walk_bytes, walk_inodes;

static int count(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)path, (void)type, (void)ftw;
  walk_bytes += (uint64_t)st->st_size + 4096;
  walk_inodes++;
  return 0;
}

char *vm_disk_base(const char *cache, const char *key, const char *src, err_t *e) {
  char *path;
  if (asprintf(&path, "%s/disks/%s.ext4", cache, key) < 0) {
    err_sys(e, "disk path");
    return NULL;
  }
  if (access(path, R_OK) == 0)
    return path;
  _cleanup_free_ char *dir = path_join(cache, "disks"), *tmp = NULL;
  walk_bytes = walk_inodes = 0;
  int ret = !dir ? err_sys(e, "disk path") : mkdir_p_at(AT_FDCWD, dir, 0700, e);
  if (ret == 0 && asprintf(&tmp, "%s.tmp.%d", path, getpid()) < 0) {
    tmp = NULL;
    ret = err_sys(e, "disk path");
  }
  if (ret == 0 && nftw(src, count, 64, FTW_PHYS | FTW_MOUNT) < 0)
    ret = err_sys(e, "the root filesystem %s", src);
  if (ret < 0) {
    free(path);
    return NULL;
  }
  /* Inode tables initialised now (else each guest would do it at boot, in
   * its overlay). Room for the tree and its metadata, and for the container's own
   * writes (kept in the overlay: the file itself stays sparse). */
  uint64_t kib = (walk_bytes + walk_bytes / 4) / 1024 + 256 * 1024;
  char size[32], inodes[32];
  snprintf(size, sizeof size, "%lluk", (unsigned long long)kib);
  snprintf(inodes, sizeof inodes, "%llu", (unsigned long long)(walk_inodes * 2 + 65536));
  const char *const argv[] = {"mkfs.ext4", "-q", "-F", "-N", inodes, "-E",
                              "root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0",
                              "-L", "capsule", "-d", src, tmp, size, NULL};
  ret = vm_tool_run(argv, "e2fsprogs", e);
  if (ret == 0) {
    _cleanup_close_ int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0 || fchmod(fd, 0444) < 0 || rename(tmp, path) < 0)
      ret = err_sys(e, "save %s", path);
  }
  if (ret < 0) {
    unlink(tmp);
    free(path);
    return NULL;
  }
  return path;
}

int vm_disk_overlay(const char *base, const char *out, err_t *e) {
  const char *const argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw",
                              "-b", base, out, NULL};
  return vm_tool_run(argv, "qemu-utils", e);
}
