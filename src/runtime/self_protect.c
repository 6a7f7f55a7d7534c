#include "runtime/self_protect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/cleanup.h"

#define ALL_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
/* The id of the read-only mount we re-executed from (see exec_readonly_bind). */
#define SEALED_MOUNT_ENV RUNTIME_PRIVATE_ENV_PREFIX "SEALED_MOUNT"

extern char **environ;

static bool mount_id_of(int fd, char id[24]) {
  struct statx stx;
  if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
    return false;
  snprintf(id, 24, "%llu", (unsigned long long)stx.stx_mnt_id);
  return true;
}

/* Our own read-only bind of the binary: the environment names its mount,
 * and the mount is read-only. (The name alone proves nothing: whoever sets
 * it still cannot make a writable binary pass.) */
static bool on_sealed_mount(int fd) {
  const char *want = getenv(SEALED_MOUNT_ENV);
  char id[24];
  struct statvfs vfs;
  return want && mount_id_of(fd, id) && !strcmp(id, want) && fstatvfs(fd, &vfs) == 0 &&
         (vfs.f_flag & ST_RDONLY);
}

bool runtime_binary_is_sealed(void) {
  _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  int seals = fcntl(fd, F_GET_SEALS);
  return (seals >= 0 && (seals & ALL_SEALS) == ALL_SEALS) || on_sealed_mount(fd);
}

/* The cheap way, as root: a read-only bind mount of the binary, cloned and
 * never attached, so it is reachable from no mount namespace and nobody
 * without CAP_SYS_ADMIN over the host can make it writable; no copy is
 * made. Returns only on failure (errno set). */
static void exec_readonly_bind(char **argv) {
  _cleanup_close_ int tree =
      open_tree(AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
  char id[24];
  if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH, &ro, sizeof ro) < 0 ||
      !mount_id_of(tree, id) || setenv(SEALED_MOUNT_ENV, id, 1) < 0)
    return;
  execveat(tree, "", argv, environ, AT_EMPTY_PATH);
  int saved = errno;
  unsetenv(SEALED_MOUNT_ENV);
  errno = saved;
}

/* Anywhere (a user namespace, no mount API): a copy in a sealed memfd. */
static int exec_sealed_memfd(char **argv, err_t *e) {
  _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return err_sys(e, "open our own binary");
  struct stat st;
  if (fstat(self, &st) < 0)
    return err_sys(e, "stat our own binary");
  _cleanup_close_ int mfd =
      memfd_create(program_invocation_short_name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return err_sys(e, "memfd for a sealed copy of our binary");
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, self, &off, (size_t)(st.st_size - off));
    if (n <= 0)
      return err_sys(e, "copy our binary");
  }
  if (fcntl(mfd, F_ADD_SEALS, ALL_SEALS) < 0)
    return err_sys(e, "seal the copy of our binary");
  fexecve(mfd, argv, environ);
  return err_sys(e, "re-execute the sealed copy of our binary");
}

int runtime_ensure_sealed(char **argv, err_t *e) {
  if (runtime_binary_is_sealed())
    return 0;
  if (!getenv("CAPSULE_SEAL_WITH_MEMFD"))
    exec_readonly_bind(argv);
  return exec_sealed_memfd(argv, e);
}

int runtime_require_sealed(const char *what, err_t *e) {
  if (runtime_binary_is_sealed())
    return 0;
  return err_set(e, EPERM, "%s: the caller must run from a sealed copy of its binary "
                           "(runtime_ensure_sealed, CVE-2019-5736)", what);
}

bool runtime_env_is_private(const char *entry) {
  return !strncmp(entry, RUNTIME_PRIVATE_ENV_PREFIX, strlen(RUNTIME_PRIVATE_ENV_PREFIX));
}
