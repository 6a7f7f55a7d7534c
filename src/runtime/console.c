#include "runtime/console.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/rootfs_path.h"
#include "runtime/sync.h"
#include "util/cleanup.h"

int console_socket_connect(const char *path, err_t *e) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path)
    return err_set(e, ENAMETOOLONG, "console socket %s: path too long", path);
  strcpy(addr.sun_path, path);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return err_sys(e, "console socket %s", path);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return err_sys(e, "console socket %s", path);
  return steal_fd(&fd);
}

int console_create(int rootfd, const struct oci_process *p, int master_sink, bool bind_console,
                   err_t *e) {
  _cleanup_close_ int master = rootfs_open(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, e);
  if (master < 0)
    return err_wrap(e, "process.terminal needs a devpts mount at /dev/pts");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
    return err_sys(e, "unlock the pty");
  /* The peer is opened through the master, not by a path an image controls. */
  _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return err_sys(e, "open the pty's peer");
  struct winsize ws = {.ws_row = p->console_height, .ws_col = p->console_width};
  /* Without consoleSize, the size of the terminal the runtime runs on: a
   * foreground run relays that terminal, and the process must see its size
   * from its first instruction, not once the relay starts. */
  if ((p->has_console_size || ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) &&
      ioctl(master, TIOCSWINSZ, &ws) < 0)
    return err_sys(e, "set the console size");
  if (fchown(slave, p->user.uid, (gid_t)-1) < 0)
    return err_sys(e, "chown the pty");
  if (bind_console) {
    _cleanup_close_ int console = rootfs_open_target(rootfd, "/dev/console", TARGET_FILE, e);
    if (console < 0)
      return -1;
    char from[32], to[32];
    fd_path(from, slave);
    fd_path(to, console);
    if (mount(from, to, NULL, MS_BIND, NULL) < 0)
      return err_sys(e, "bind the pty over /dev/console");
  }
  if (sync_send_fd(master_sink, master, e) < 0)
    return err_wrap(e, "hand over the console");
  return steal_fd(&slave);
}

int console_attach(int slave, err_t *e) {
  if (setsid() < 0)
    return err_sys(e, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return err_sys(e, "set the controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0)
      return err_sys(e, "attach the terminal");
  return 0;
}
