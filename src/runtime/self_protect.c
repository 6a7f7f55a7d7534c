#include "runtime/self_protect.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

#define ALL_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

bool runtime_binary_is_sealed(void) {
  _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  int seals = fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & ALL_SEALS) == ALL_SEALS;
}

int runtime_ensure_sealed(char **argv, err_t *e) {
  if (runtime_binary_is_sealed())
    return 0;
  _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return err_sys(e, "open our own binary");
  struct stat st;
  if (fstat(self, &st) < 0)
    return err_sys(e, "stat our own binary");
  _cleanup_close_ int mfd = memfd_create(program_invocation_short_name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return err_sys(e, "memfd for a sealed copy of the runtime");
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, self, &off, (size_t)(st.st_size - off));
    if (n <= 0)
      return err_sys(e, "copy the runtime binary");
  }
  if (fcntl(mfd, F_ADD_SEALS, ALL_SEALS) < 0)
    return err_sys(e, "seal the runtime copy");
  fexecve(mfd, argv, environ);
  return err_sys(e, "re-execute the sealed runtime copy");
}

int runtime_require_sealed(const char *what, err_t *e) {
  if (runtime_binary_is_sealed())
    return 0;
  return err_set(e, EPERM, "%s: the caller must run from a sealed copy of its binary "
                           "(runtime_ensure_sealed, CVE-2019-5736)", what);
}
