/* cpio "newc" archives, the initramfs format the kernel unpacks: a 110-byte
 * ASCII header per entry, its name and its data each padded to 4 bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fs.h"
#include "vm/vm.h"

static int put(struct vm_cpio *c, const char *name, mode_t mode, const void *data, size_t len,
               err_t *e) {
  size_t name_len = strlen(name) + 1;
  if (len > UINT32_MAX || name_len > 4096)
    return err_set(e, EFBIG, "initramfs entry %s too large", name);
  char head[128];
  /* ino, mode, uid, gid, nlink, mtime, size, dev major/minor, rdev
   * major/minor, name size, check: all root-owned, time 0. */
  snprintf(head, sizeof head, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
           c->ino++, (unsigned)mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, (unsigned)len, 0u, 0u, 0u,
           0u, (unsigned)name_len, 0u);
  static const char zeros[4];
  size_t name_pad = (4 - (110 + name_len) % 4) % 4, data_pad = (4 - len % 4) % 4;
  if (write_all(c->fd, head, 110) < 0 || write_all(c->fd, name, name_len) < 0 ||
      write_all(c->fd, zeros, name_pad) < 0 || (len && write_all(c->fd, data, len) < 0) ||
      write_all(c->fd, zeros, data_pad) < 0)
    return err_sys(e, "write the initramfs");
  return 0;
}

int vm_cpio_dir(struct vm_cpio *c, const char *name, mode_t mode, err_t *e) {
  return put(c, name, S_IFDIR | mode, NULL, 0, e);
}

int vm_cpio_file(struct vm_cpio *c, const char *name, mode_t mode, const void *data, size_t len,
                 err_t *e) {
  return put(c, name, S_IFREG | mode, data, len, e);
}

int vm_cpio_end(struct vm_cpio *c, err_t *e) {
  return put(c, "TRAILER!!!", 0, NULL, 0, e);
}
