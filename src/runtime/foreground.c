/* A container (or exec'd process) run in the foreground: the runtime stays
 * its parent, forwards the signals it receives, relays a terminal when the
 * process has one and no console socket took it, and returns its status. */
#include "runtime/foreground.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const int forwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1,
                                SIGUSR2, SIGCONT, SIGTSTP, SIGWINCH};

static int exit_code(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

/* Copy what is readable on `from` to `to`; false at EOF or error. */
static bool relay(int from, int to) {
  char buf[8192];
  ssize_t n = read(from, buf, sizeof buf);
  if (n <= 0)
    return n < 0 && (errno == EINTR || errno == EAGAIN);
  return write_all(to, buf, (size_t)n) == 0;
}

static void copy_winsize(int master) {
  struct winsize ws;
  if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl(master, TIOCSWINSZ, &ws);
}

int foreground_wait(pid_t pid, int master, int *status, err_t *e) {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    sigaddset(&set, forwarded[i]);
  if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
    return err_sys(e, "block signals");
  _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    return err_sys(e, "signalfd");
  }
  struct termios saved;
  bool raw = master >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
    copy_winsize(master);
  }
  bool stdin_open = master >= 0, master_open = master >= 0;
  int ret = 0;
  for (;;) {
    /* The child may have exited before the signal was blocked. */
    int ws;
    pid_t r = waitpid(pid, &ws, WNOHANG);
    if (r == pid) {
      while (master_open && relay(master, STDOUT_FILENO))
        ;
      *status = exit_code(ws);
      break;
    }
    if (r < 0 && errno != EINTR) {
      ret = err_sys(e, "wait for the container");
      break;
    }
    struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
                          {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
                          {.fd = master_open ? master : -1, .events = POLLIN}};
    if (poll(p, 3, -1) < 0 && errno != EINTR) {
      ret = err_sys(e, "poll");
      break;
    }
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD) {
        if (si.ssi_signo == SIGWINCH && master >= 0)
          copy_winsize(master);
        else
          kill(pid, (int)si.ssi_signo);
      }
    }
    if (p[1].revents & (POLLIN | POLLHUP) && !relay(STDIN_FILENO, master))
      stdin_open = false;
    if (p[2].revents & (POLLIN | POLLHUP) && !relay(master, STDOUT_FILENO))
      master_open = false;
  }
  if (raw)
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return ret;
}

int container_wait_and_delete(struct container *c, int *status, err_t *e) {
  int wait_r = foreground_wait(c->pid, c->console_master, status, e);
  c->pid = 0; /* reaped */
  if (container_destroy(c, e) < 0)
    return -1;
  return wait_r;
}
