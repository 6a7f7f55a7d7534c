/* Network namespaces bound to a file (see netns.h).
 *
 * The namespace is made in-process (unshare, then setns back) rather than
 * by a helper process or `ip netns`: with --network none this runs for
 * every container, and costs about 0.7 ms here (docs/NETWORK.md). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/netns.h"
#include "util/cleanup.h"

/* Bring the loopback of the current network namespace up. */
static int loopback_up(err_t *e) {
  _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return err_sys(e, "loopback: socket");
  struct ifreq r;
  memset(&r, 0, sizeof r);
  strcpy(r.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &r) < 0)
    return err_sys(e, "loopback: flags of lo");
  r.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &r) < 0)
    return err_sys(e, "loopback: bring lo up");
  return 0;
}

int netns_create(const char *path, err_t *e) {
  _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return err_sys(e, "network namespace: /proc/thread-self/ns/net");
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0)
    return err_sys(e, "network namespace: create %s", path);
  close(fd);
  if (unshare(CLONE_NEWNET) < 0) {
    err_sys(e, "network namespace: unshare");
    unlink(path);
    return -1;
  }
  int ret = loopback_up(e);
  if (ret == 0 && mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
    ret = err_sys(e, "network namespace: bind to %s", path);
  /* Back home whatever happened: the new namespace goes with its last
   * holder (the bind, if it was made). */
  if (setns(self, CLONE_NEWNET) < 0) {
    /* Nothing later may run in the wrong namespace: the caller fails. */
    err_sys(e, "network namespace: return to the engine's own");
    return -1;
  }
  if (ret < 0) {
    umount2(path, MNT_DETACH);
    unlink(path);
  }
  return ret;
}

int netns_bind(const char *source, const char *path, err_t *e) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0)
    return err_sys(e, "network namespace: create %s", path);
  close(fd);
  if (mount(source, path, NULL, MS_BIND, NULL) < 0) {
    err_sys(e, "network namespace: bind %s", source);
    unlink(path);
    return -1;
  }
  return 0;
}

int netns_remove(const char *path, err_t *e) {
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return err_sys(e, "network namespace: unmount %s", path);
  if (unlink(path) < 0 && errno != ENOENT)
    return err_sys(e, "network namespace: remove %s", path);
  return 0;
}
