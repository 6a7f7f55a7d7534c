/* capsule-vminit: the pid 1 of a VM container (vm/vm.h), in its initramfs.
 * It loads the kernel modules listed there, mounts the root disk
 * (/dev/vda) and moves into it, applies the container's configuration
 * (args, env, cwd, uid/gid, hostname: capsule/config.json, written by the
 * engine), runs the process with its stdout and stderr on the
 * virtio-serial ports the host reads, reaps orphans, sends its process the
 * signals the host asks for on the status port ("signal N"; SIGTERM and
 * SIGINT of its own too), reports "started" then "exit N" (or "error MSG")
 * there, and powers the VM off. Its messages go to the serial console. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "vm/vm.h"

static int status_fd = -1;

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (status_fd >= 0)
    dprintf(status_fd, "%s\n", line);
}

static __attribute__((noreturn)) void power_off(void) {
  sync();
  reboot(RB_POWER_OFF);
  _exit(1);
}

/* Fail before the process ran: said on the console and to the host. */
static __attribute__((noreturn)) void fail(const char *what, int err) {
  fprintf(stderr, "capsule-vminit: %s: %s\n", what, strerror(err));
  report("error %s: %s", what, strerror(err));
  power_off();
}

static void load_modules(void) {
  err_t e = ERR_INIT;
  _cleanup_free_ char *list = read_file("/" VM_GUEST_MODULES, 1 << 16, NULL, &e);
  if (!list)
    fail(e.msg, e.code);
  for (char *name = strtok(list, "\n"); name; name = strtok(NULL, "\n")) {
    char path[512];
    snprintf(path, sizeof path, "/capsule/lib/%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST))
      fail(path, errno);
    close(fd);
  }
}

/* Wait up to ~10 s for a device the drivers just loaded announce. */
static bool wait_for(const char *path) {
  for (int i = 0; i < 1000; i++) {
    if (access(path, F_OK) == 0)
      return true;
    nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
  }
  return false;
}

/* The /dev node of the virtio-serial port named `name`. */
static int open_port(const char *name, int flags) {
  for (int tries = 0; tries < 1000; tries++) {
    _cleanup_closedir_ DIR *d = opendir("/sys/class/virtio-ports");
    for (struct dirent *de; d && (de = readdir(d));) {
      char path[300];
      snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", de->d_name);
      err_t ignored = ERR_INIT;
      _cleanup_free_ char *n = read_file(path, 256, NULL, &ignored);
      if (!n || strcmp(strtok(n, "\n") ?: "", name))
        continue;
      snprintf(path, sizeof path, "/dev/%s", de->d_name);
      if (wait_for(path))
        return open(path, flags | O_CLOEXEC);
    }
    nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
  }
  errno = ENODEV;
  return -1;
}

static void mount_or_fail(const char *src, const char *dst, const char *type, unsigned long flags,
                          const char *data) {
  mkdir(dst, 0755);
  if (mount(src, dst, type, flags, data) < 0)
    fail(dst, errno);
}

/* The root disk at /newroot, the kernel's filesystems in it, then it as /. */
static void enter_root(bool read_only) {
  if (!wait_for("/dev/vda"))
    fail("no root disk /dev/vda", ENODEV);
  mount_or_fail("/dev/vda", "/newroot", "ext4", read_only ? MS_RDONLY : 0, NULL);
  mount_or_fail("proc", "/newroot/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_or_fail("sysfs", "/newroot/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
                NULL);
  mount_or_fail("devtmpfs", "/newroot/dev", "devtmpfs", MS_NOSUID, NULL);
  mount_or_fail("devpts", "/newroot/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666");
  mount_or_fail("shm", "/newroot/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  if (chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
      chdir("/") < 0)
    fail("switch to the root disk", errno);
}

struct proc {
  char **args, **env;
  const char *cwd, *hostname;
  uid_t uid;
  gid_t gid;
  gid_t gids[64];
  size_t n_gids;
  bool read_only;
};

static void parse_config(json_t *c, struct proc *p) {
  err_t e = ERR_INIT;
  json_t *user = json_object_get(c, "user"), *gids = json_object_get(user, "additionalGids");
  int64_t uid = 0, gid = 0;
  if (json_opt_strv(c, "args", "config", &p->args, &e) < 0 ||
      json_opt_strv(c, "env", "config", &p->env, &e) < 0 ||
      json_opt_str(c, "cwd", "config", &p->cwd, &e) < 0 ||
      json_opt_str(c, "hostname", "config", &p->hostname, &e) < 0 ||
      json_opt_bool(c, "readonly", "config", &p->read_only, &e) < 0 ||
      json_opt_i64(user, "uid", "config", &uid, &e) < 0 ||
      json_opt_i64(user, "gid", "config", &gid, &e) < 0 || !p->args || !p->args[0])
    fail(e.msg[0] ? e.msg : "no command in the configuration", EINVAL);
  p->uid = uid;
  p->gid = gid;
  for (size_t i = 0; i < json_array_size(gids) && p->n_gids < 64; i++)
    p->gids[p->n_gids++] = json_integer_value(json_array_get(gids, i));
}

/* The child: the container's identity and directory, then its command. */
static __attribute__((noreturn)) void exec_process(const struct proc *p, int out, int err) {
  int null = open("/dev/null", O_RDWR);
  if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
    _exit(125);
  setsid();
  const char *cwd = p->cwd ? p->cwd : "/";
  err_t ignored = ERR_INIT; /* chdir says what is wrong */
  mkdir_p_at(AT_FDCWD, cwd, 0755, &ignored);
  if (setgroups(p->n_gids, p->gids) < 0 || setgid(p->gid) < 0 || setuid(p->uid) < 0) {
    fprintf(stderr, "capsule-vminit: set the user: %s\n", strerror(errno));
    _exit(126);
  }
  if (chdir(cwd) < 0) {
    fprintf(stderr, "capsule-vminit: chdir to %s: %s\n", cwd, strerror(errno));
    _exit(126);
  }
  /* execvpe searches the PATH of this process's environment. */
  for (char **v = p->env; v && *v; v++)
    if (!strncmp(*v, "PATH=", 5))
      setenv("PATH", *v + 5, 1);
  execvpe(p->args[0], p->args, p->env ? p->env : (char *[]){NULL});
  int code = errno == ENOENT ? 127 : 126;
  fprintf(stderr, "capsule-vminit: exec %s: %s\n", p->args[0], strerror(errno));
  _exit(code);
}

static volatile sig_atomic_t pending;

static void on_signal(int sig) {
  pending = sig;
}

int main(void) {
  if (getpid() != 1) {
    fprintf(stderr, "capsule-vminit: the pid 1 of a VM container, not a command\n");
    return 125;
  }
  mount("proc", "/proc", "proc", 0, NULL);
  mount("sysfs", "/sys", "sysfs", 0, NULL);
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  load_modules();
  /* Both ways: reports go, "signal N" lines come. */
  if ((status_fd = open_port(VM_PORT_STATUS, O_RDWR)) < 0)
    fail("the status port", errno);
  int out = open_port(VM_PORT_STDOUT, O_WRONLY), err = open_port(VM_PORT_STDERR, O_WRONLY);
  if (out < 0 || err < 0)
    fail("the stdio ports", errno);
  err_t e = ERR_INIT;
  _cleanup_json_ json_t *config = json_load_object_file("/" VM_GUEST_CONFIG, &e);
  if (!config)
    fail(e.msg, EINVAL);
  struct proc p = {0};
  parse_config(config, &p);
  enter_root(p.read_only);
  if (p.hostname && sethostname(p.hostname, strlen(p.hostname)) < 0)
    fail("set the hostname", errno);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);
  report("started");
  pid_t child = fork();
  if (child < 0)
    fail("fork", errno);
  if (child == 0)
    exec_process(&p, out, err);
  /* Signals only while waiting in ppoll: none is lost between a reap and
   * the wait. */
  sigset_t block, none;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGCHLD);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &block, NULL);
  char buf[256];
  size_t len = 0;
  int host = status_fd;
  for (;;) {
    /* Reap everything; the exit of our child ends the VM. */
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0 || (pid < 0 && errno == EINTR))
      if (pid == child) {
        report("exit %d", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        power_off();
      }
    if (pending)
      kill(child, pending);
    pending = 0;
    struct pollfd pfd = {host, POLLIN, 0};
    if (ppoll(&pfd, 1, NULL, &none) <= 0 || !(pfd.revents & (POLLIN | POLLHUP)))
      continue;
    ssize_t n = read(host, buf + len, sizeof buf - 1 - len);
    if (n <= 0) {
      host = -1; /* the host hung up: only our child's end matters now */
      continue;
    }
    len += n;
    buf[len] = '\0';
    /* "signal N" lines from the host, for our child. */
    for (char *nl; (nl = strchr(buf, '\n'));) {
      *nl = '\0';
      int sig;
      if (sscanf(buf, "signal %d", &sig) == 1 && sig > 0 && sig < 65)
        kill(child, sig);
      len -= nl + 1 - buf;
      memmove(buf, nl + 1, len + 1);
    }
    if (len == sizeof buf - 1)
      len = 0; /* a line too long to be ours */
  }
}
