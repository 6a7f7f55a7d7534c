/* The guest kernel: Debian's linux-image-amd64. Its bzImage carries the
 * kernel as an xz stream; unpacked, the ELF vmlinux has a PVH entry note,
 * so QEMU boots it directly (no firmware, no decompression at each boot:
 * about half the boot time under TCG). Unpacked once per kernel version. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "vm/vm.h"

#define KERNEL_PACKAGE "linux-image-amd64"

void vm_kernel_free(struct vm_kernel *k) {
  free(k->version);
  free(k->vmlinux);
  free(k->modules);
  *k = (struct vm_kernel){0};
}

/* The newest /boot/vmlinuz-<version> of an amd64 kernel. */
static char *newest_vmlinuz(err_t *e) {
  _cleanup_closedir_ DIR *d = opendir("/boot");
  char *best = NULL;
  for (struct dirent *de; d && (de = readdir(d));) {
    const char *v = de->d_name;
    size_t n = strlen(v);
    if (strncmp(v, "vmlinuz-", 8) || n < 14 || strcmp(v + n - 6, "-amd64"))
      continue;
    if (!best || strverscmp(v, best) > 0) {
      free(best);
      if (!(best = strdup(v)))
        break;
    }
  }
  if (!best) {
    err_set(e, ENOENT, "no guest kernel in /boot: install Debian's package %s", KERNEL_PACKAGE);
    return NULL;
  }
  char *path = path_join("/boot", best);
  free(best);
  if (!path)
    err_sys(e, "kernel path");
  return path;
}

/* xz-decompress the stream starting at `in` into `fd`. */
static int unxz(const uint8_t *in, size_t len, int fd, err_t *e) {
  lzma_stream s = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
    return err_set(e, ENOMEM, "xz decoder");
  uint8_t out[1 << 16];
  s.next_in = in;
  s.avail_in = len;
  lzma_ret r;
  do {
    s.next_out = out;
    s.avail_out = sizeof out;
    /* The bzImage goes on after the stream: LZMA_STREAM_END ends it. */
    r = lzma_code(&s, LZMA_FINISH);
    if ((r == LZMA_OK || r == LZMA_STREAM_END) &&
        write_all(fd, out, sizeof out - s.avail_out) < 0) {
      lzma_end(&s);
      return err_sys(e, "write the kernel");
    }
  } while (r == LZMA_OK);
  lzma_end(&s);
  return r == LZMA_STREAM_END ? 0 : err_set(e, EINVAL, "the kernel's xz payload is damaged");
}

/* Unpack the vmlinux of `vmlinuz` to `out` (atomically: a crash leaves a
 * temp file, never a half kernel at `out`). */
static int unpack(const char *vmlinuz, const char *out, err_t *e) {
  _cleanup_close_ int in = open(vmlinuz, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (in < 0 || fstat(in, &st) < 0)
    return err_sys(e, "open %s", vmlinuz);
  uint8_t *map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, in, 0);
  if (map == MAP_FAILED)
    return err_sys(e, "map %s", vmlinuz);
  static const uint8_t magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0};
  uint8_t *xz = memmem(map, st.st_size, magic, sizeof magic);
  _cleanup_free_ char *tmp = NULL;
  int ret = -1;
  if (!xz) {
    err_set(e, EINVAL, "%s has no xz payload (not a Debian amd64 kernel?)", vmlinuz);
  } else if (asprintf(&tmp, "%s.tmp.%d", out, getpid()) < 0) {
    tmp = NULL;
    err_sys(e, "kernel path");
  } else {
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      err_sys(e, "create %s", tmp);
    } else {
      ret = unxz(xz, st.st_size - (xz - map), fd, e);
      if (ret == 0 && (fsync(fd) < 0 || rename(tmp, out) < 0))
        ret = err_sys(e, "save %s", out);
      close(fd);
      if (ret < 0)
        unlink(tmp);
    }
  }
  munmap(map, st.st_size);
  return ret;
}

/* An ELF file (the unpacked kernel is one; a damaged cache entry is not). */
static bool is_elf(const char *path) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  char head[4];
  return fd >= 0 && read(fd, head, 4) == 4 && !memcmp(head, "\177ELF", 4);
}

int vm_kernel_find(const char *cache, const char *vmlinuz, struct vm_kernel *k, err_t *e) {
  *k = (struct vm_kernel){0};
  _cleanup_free_ char *found = vmlinuz ? NULL : newest_vmlinuz(e);
  const char *path = vmlinuz ? vmlinuz : found;
  if (!path)
    return -1;
  if (access(path, R_OK) < 0)
    return err_sys(e, "guest kernel %s (Debian's package %s)", path, KERNEL_PACKAGE);
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *version = strncmp(base, "vmlinuz-", 8) ? base : base + 8;
  if (!(k->version = strdup(version)) || asprintf(&k->modules, "/lib/modules/%s", version) < 0 ||
      asprintf(&k->vmlinux, "%s/vmlinux-%s", cache, version) < 0) {
    k->modules = k->vmlinux = NULL;
    vm_kernel_free(k);
    return err_sys(e, "kernel paths");
  }
  _cleanup_free_ char *dep = path_join(k->modules, "modules.dep");
  if (!dep || access(dep, R_OK) < 0) {
    err_set(e, ENOENT, "no modules for the guest kernel %s in %s (Debian's package %s)", version,
            k->modules, KERNEL_PACKAGE);
    vm_kernel_free(k);
    return -1;
  }
  if (!is_elf(k->vmlinux) &&
      (mkdir_p_at(AT_FDCWD, cache, 0700, e) < 0 || unpack(path, k->vmlinux, e) < 0)) {
    vm_kernel_free(k);
    return -1;
  }
  return 0;
}
