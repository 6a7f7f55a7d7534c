/* The guest's initramfs, written by capsule: /init (capsule-vminit,
 * static), the kernel modules it loads (Debian builds virtio, its block
 * and console drivers and ext4 as modules) and, appended per VM, the
 * configuration of the process to run. The first part depends only on the
 * kernel and the init binary and is cached; the kernel unpacks the
 * concatenation of the two archives. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "vm/vm.h"

/* What the guest needs: the virtio-mmio transport (microvm's), the root
 * disk, the serial ports of stdio and status, ext4 and the checksum it asks
 * the crypto API for (nothing could load it on demand: no modprobe). */
static const char *const guest_modules[] = {"virtio_mmio", "virtio_blk", "virtio_console",
                                            "crc32c_generic", "ext4", NULL};

/* modules.dep's line of module `name`: "kernel/.../name.ko: deps...". */
static char *dep_line(const char *dep, const char *name) {
  size_t n = strlen(name);
  for (const char *l = dep; *l;) {
    const char *end = strchrnul(l, '\n'), *colon = memchr(l, ':', end - l);
    if (colon && colon - l >= (ptrdiff_t)(n + 3) && !memcmp(colon - 3, ".ko", 3) &&
        !memcmp(colon - 3 - n, name, n) && (colon - 3 - n == l || colon[-4 - (ptrdiff_t)n] == '/'))
      return strndup(l, end - l);
    l = *end ? end + 1 : end;
  }
  errno = ENOENT;
  return NULL;
}

/* Append a copy of path[0..len) to the NULL-terminated *list unless it is there. */
static int add_once(char ***list, size_t *n, size_t *cap, const char *path, size_t len,
                    err_t *e) {
  for (size_t i = 0; i < *n; i++)
    if (strlen((*list)[i]) == len && !memcmp((*list)[i], path, len))
      return 0;
  char *copy = strndup(path, len);
  if (!copy || array_reserve_sz((void **)list, cap, *n + 2, sizeof **list) < 0) {
    free(copy);
    return err_sys(e, "module list");
  }
  (*list)[(*n)++] = copy;
  return 0;
}

int vm_modules_resolve(const char *modules_dir, const char *const *names, char ***out,
                       err_t *e) {
  _cleanup_free_ char *path = path_join(modules_dir, "modules.dep");
  _cleanup_free_ char *dep = path ? read_file(path, 64 << 20, NULL, e) : NULL;
  if (!dep)
    return path ? -1 : err_sys(e, "modules.dep");
  _cleanup_strv_ char **list = NULL;
  size_t n = 0, cap = 0;
  for (const char *const *name = names; *name; name++) {
    _cleanup_free_ char *line = dep_line(dep, *name);
    if (!line)
      return err_set(e, ENOENT, "module %s not in %s", *name, path);
    char *colon = strchr(line, ':');
    /* The dependencies are listed nearest first: load them from the end. */
    char *deps[64];
    size_t nd = 0;
    for (char *tok = strtok(colon + 1, " "); tok && nd < 64; tok = strtok(NULL, " "))
      deps[nd++] = tok;
    while (nd--)
      if (add_once(&list, &n, &cap, deps[nd], strlen(deps[nd]), e) < 0)
        return -1;
    if (add_once(&list, &n, &cap, line, colon - line, e) < 0)
      return -1;
  }
  if (!list && !(list = calloc(1, sizeof *list)))
    return err_sys(e, "module list");
  *out = steal_ptr(&list);
  return 0;
}

static int add_file(struct vm_cpio *c, const char *name, const char *src, mode_t mode, err_t *e) {
  size_t len;
  _cleanup_free_ char *data = read_file(src, 256 << 20, &len, e);
  return data ? vm_cpio_file(c, name, mode, data, len, e) : -1;
}

static int write_base(int fd, const struct vm_kernel *k, const char *init_bin, err_t *e) {
  _cleanup_strv_ char **mods = NULL;
  if (vm_modules_resolve(k->modules, guest_modules, &mods, e) < 0)
    return -1;
  struct vm_cpio c = {.fd = fd, .ino = 1};
  static const char *const dirs[] = {"capsule", "capsule/lib", "dev", "proc", "sys", "newroot"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    if (vm_cpio_dir(&c, dirs[i], 0755, e) < 0)
      return -1;
  if (add_file(&c, "init", init_bin, 0755, e) < 0)
    return -1;
  _cleanup_free_ char *order = NULL;
  size_t order_len = 0;
  _cleanup_fclose_ FILE *f = open_memstream(&order, &order_len);
  if (!f)
    return err_sys(e, "module order");
  for (char **m = mods; *m; m++) {
    const char *base = strrchr(*m, '/');
    base = base ? base + 1 : *m;
    _cleanup_free_ char *src = path_join(k->modules, *m);
    char name[256];
    snprintf(name, sizeof name, "capsule/lib/%s", base);
    if (!src || add_file(&c, name, src, 0644, e) < 0)
      return src ? -1 : err_sys(e, "module path");
    fprintf(f, "%s\n", base);
  }
  if (fclose(steal_ptr(&f)) != 0)
    return err_sys(e, "module order");
  return vm_cpio_file(&c, VM_GUEST_MODULES, 0644, order, order_len, e) < 0 ? -1
                                                                            : vm_cpio_end(&c, e);
}

char *vm_initramfs_base(const char *cache, const struct vm_kernel *k, const char *init_bin,
                        err_t *e) {
  struct stat st;
  if (stat(init_bin, &st) < 0) {
    err_sys(e, "the guest init %s", init_bin);
    return NULL;
  }
  /* A rebuilt init binary makes a new base. */
  char *path;
  if (asprintf(&path, "%s/initramfs-%s-%llx-%llx.cpio", cache, k->version,
               (unsigned long long)st.st_size,
               (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + st.st_mtim.tv_nsec) < 0) {
    err_sys(e, "initramfs path");
    return NULL;
  }
  if (access(path, R_OK) == 0)
    return path;
  _cleanup_free_ char *tmp = NULL;
  if (mkdir_p_at(AT_FDCWD, cache, 0700, e) < 0 ||
      asprintf(&tmp, "%s.tmp.%d", path, getpid()) < 0) {
    free(path);
    return NULL;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int ret = fd < 0 ? err_sys(e, "create %s", tmp) : write_base(fd, k, init_bin, e);
  if (ret == 0 && (fsync(fd) < 0 || rename(tmp, path) < 0))
    ret = err_sys(e, "save %s", path);
  if (fd >= 0)
    close(fd);
  if (ret < 0) {
    unlink(tmp);
    free(path);
    return NULL;
  }
  return path;
}

int vm_initramfs_write(const char *base, const json_t *guest, const char *out, err_t *e) {
  _cleanup_close_ int in = open(base, O_RDONLY | O_CLOEXEC);
  _cleanup_close_ int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  struct stat st;
  if (in < 0 || fstat(in, &st) < 0)
    return err_sys(e, "open %s", base);
  if (fd < 0)
    return err_sys(e, "create %s", out);
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = sendfile(fd, in, NULL, left);
    if (n <= 0)
      return err_sys(e, "write %s", out);
    left -= n;
  }
  _cleanup_free_ char *text = json_dump_checked(guest, JSON_COMPACT);
  if (!text)
    return err_set(e, ENOMEM, "the guest's configuration");
  struct vm_cpio c = {.fd = fd, .ino = 1u << 20};
  if (vm_cpio_file(&c, VM_GUEST_CONFIG, 0600, text, strlen(text), e) < 0 ||
      vm_cpio_end(&c, e) < 0)
    return -1;
  return 0;
}
