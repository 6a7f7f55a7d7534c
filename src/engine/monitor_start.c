/* The monitor's birth and its start phase.
 *
 * `capsule` (run -d, start, run without --rm) spawns capsule-monitor with a
 * double fork (the monitor is nobody's child to wait for, in a session of
 * its own, stdio on /dev/null) and waits on a pipe for its report. The
 * monitor (sealed, as every process that starts a container) starts the
 * container itself, so that the container's init is its child: it mounts
 * the root if needed, makes the stdio pipes (or receives the pty master),
 * binds containers/<id>/attach.sock, runs the init with the runtime
 * library, records `running` in state.json and reports. Then it execs
 * itself into the watch phase (monitor.c): a fresh image holding only the
 * watch loop's pages, which keeps an idle monitor small; the init stays
 * its child across exec. A restart by the policy execs the start phase
 * again, with the lock and the socket kept.
 *
 * Its argv: capsule-monitor ROOT RUN_ROOT start|watch ID [key=value...],
 * descriptors by number (lock=, listen=, out=, err=, in=, client=,
 * report=), pid=, restarts=, mounted=1. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/internal.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

extern char **environ;

struct monitor_args {
  struct engine eng;
  const char *mode, *id;
  int lock, listen, out, err, in, client, report, pid, restarts;
  bool mounted;
};

int engine_exit_status(const err_t *e) {
  /* The runtime words a failed execve of the container's command so. */
  if (strncmp(e->msg, "exec: \"", 7))
    return 125;
  return e->code == ENOENT ? 127 : 126;
}

/* "/proc/self/fd/N/attach.sock": a socket path that fits sun_path
 * whatever the root's length. */
static int socket_addr(int dirfd, struct sockaddr_un *sa) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/" MONITOR_SOCKET, dirfd);
  return 0;
}

int monitor_connect(const struct engine *eng, const char *id, err_t *e) {
  _cleanup_free_ char *dir = container_path(eng, id, NULL);
  _cleanup_close_ int dirfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (dirfd < 0)
    return err_sys(e, "container %.12s", id);
  struct sockaddr_un sa;
  socket_addr(dirfd, &sa);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return err_sys(e, "socket");
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    return err_sys(e, "the monitor of container %.12s", id);
  return steal_fd(&fd);
}

/* Bind containers/<id>/attach.sock, replacing one a dead monitor left. */
static int bind_socket(const struct engine *eng, const char *id, err_t *e) {
  _cleanup_free_ char *dir = container_path(eng, id, NULL);
  _cleanup_close_ int dirfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (dirfd < 0)
    return err_sys(e, "container %.12s", id);
  unlinkat(dirfd, MONITOR_SOCKET, 0);
  struct sockaddr_un sa;
  socket_addr(dirfd, &sa);
  _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return err_sys(e, "socket");
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 64) < 0)
    return err_sys(e, "bind %s/%s", dir, MONITOR_SOCKET);
  return steal_fd(&fd);
}

/* ---- the caller's side ---- */

/* Clear close-on-exec on what goes on across exec. */
static int keep(int fd) {
  if (fd >= 0)
    fcntl(fd, F_SETFD, 0);
  return fd;
}

/* An fd handed across exec: above stdio, without close-on-exec. */
static int pass_fd(int fd) {
  if (fd < 0)
    return -1;
  int moved = fcntl(fd, F_DUPFD, 3);
  return moved;
}

static void add_arg(char **argv, int *n, char *buf, size_t cap, const char *key, int value) {
  if (value < 0)
    return;
  snprintf(buf, cap, "%s=%d", key, value);
  argv[(*n)++] = buf;
}

/* In the grandchild: become the monitor. Never returns. */
static void exec_monitor(const struct engine *eng, const char *id, int lock, int client,
                         bool mounted, int report) {
  lock = pass_fd(lock);
  client = pass_fd(client);
  report = pass_fd(report);
  /* Nothing else of our caller's goes on with the monitor: a pipe its own
   * caller reads to the end would wait for the monitor's end. */
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  keep(lock);
  keep(client);
  keep(report);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2)
      close(null);
  }
  char a_lock[32], a_client[32], a_report[32];
  char *argv[16] = {"capsule-monitor", (char *)eng->root, (char *)eng->run_root, "start",
                    (char *)id};
  int n = 5;
  add_arg(argv, &n, a_lock, sizeof a_lock, "lock", lock);
  add_arg(argv, &n, a_client, sizeof a_client, "client", client);
  add_arg(argv, &n, a_report, sizeof a_report, "report", report);
  if (mounted)
    argv[n++] = "mounted=1";
  argv[n] = NULL;
  execve(eng->monitor, argv, environ);
  dprintf(report, "%d exec %s: %s", errno, eng->monitor, strerror(errno));
  _exit(127);
}

int monitor_spawn(const struct engine *eng, const char *id, int lock, int client, bool mounted,
                  err_t *e) {
  if (!eng->monitor)
    return err_set(e, EINVAL, "no monitor program (capsule-monitor) configured");
  int rep[2];
  if (pipe2(rep, O_CLOEXEC) < 0)
    return err_sys(e, "pipe");
  pid_t child = fork();
  if (child < 0) {
    close(rep[0]);
    close(rep[1]);
    return err_sys(e, "fork the monitor");
  }
  if (child == 0) {
    close(rep[0]);
    setsid();
    pid_t m = fork();
    if (m == 0)
      exec_monitor(eng, id, lock, client, mounted, rep[1]);
    _exit(m < 0 ? 1 : 0);
  }
  close(rep[1]);
  int ws;
  while (waitpid(child, &ws, 0) < 0 && errno == EINTR)
    ;
  char buf[ERR_MSG_MAX + 32];
  ssize_t n = read_all(rep[0], buf, sizeof buf - 1);
  close(rep[0]);
  buf[n > 0 ? n : 0] = '\0';
  int code = 0, at = 0;
  if (n <= 0 || sscanf(buf, "%d %n", &code, &at) < 1)
    return err_set(e, EIO, "the monitor of container %.12s died before it reported", id);
  if (code == 0)
    return 0;
  return err_set(e, code, "%s", buf + at);
}

/* ---- the start phase, in the monitor ---- */

static void report(int fd, int code, const char *msg) {
  if (fd < 0)
    return;
  dprintf(fd, "%d %s", code, msg);
  close(fd);
}

static int receive_fd(int sock, err_t *e) {
  char byte;
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
  ssize_t n;
  while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
    ;
  struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
  if (!c || c->cmsg_type != SCM_RIGHTS)
    return err_set(e, EPROTO, "the container's terminal did not come");
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

struct stdio_set {
  int mine[3];   /* ours: stdin's write end, stdout's and stderr's read ends */
  int theirs[3]; /* the container's */
  int console[2];
};

static void stdio_close(struct stdio_set *s) {
  for (int i = 0; i < 3; i++) {
    if (s->mine[i] >= 0)
      close(s->mine[i]);
    if (s->theirs[i] >= 0)
      close(s->theirs[i]);
    s->mine[i] = s->theirs[i] = -1;
  }
  for (int i = 0; i < 2; i++)
    if (s->console[i] >= 0)
      close(s->console[i]);
  s->console[0] = s->console[1] = -1;
}

static int stdio_make(const struct container_record *r, struct stdio_set *s, err_t *e) {
  *s = (struct stdio_set){{-1, -1, -1}, {-1, -1, -1}, {-1, -1}};
  if (r->run.tty)
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->console) < 0
               ? err_sys(e, "console socket")
               : 0;
  int p[2];
  for (int i = 1; i < 3; i++) {
    if (pipe2(p, O_CLOEXEC) < 0)
      return err_sys(e, "pipe");
    s->mine[i] = p[0];
    s->theirs[i] = p[1];
  }
  if (r->run.interactive) {
    if (pipe2(p, O_CLOEXEC) < 0)
      return err_sys(e, "pipe");
    s->theirs[0] = p[0];
    s->mine[0] = p[1];
  } else if ((s->theirs[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
    return err_sys(e, "open /dev/null");
  }
  return 0;
}

/* Run the init; on success *pid and, with a terminal, s->mine[1] (the
 * pty master) are set. */
static int run_init(const struct monitor_args *a, const struct container_record *r,
                    struct stdio_set *s, int *pid, err_t *e) {
  _cleanup_free_ char *bundle = container_path(&a->eng, a->id, NULL);
  _cleanup_free_ char *cfg_path = container_path(&a->eng, a->id, "config.json");
  _cleanup_json_ json_t *config = cfg_path ? json_load_object_file(cfg_path, e) : NULL;
  if (!config || stdio_make(r, s, e) < 0)
    return -1;
  _cleanup_free_ char *pid_file = container_path(&a->eng, a->id, "init.pid");
  if (!pid_file)
    return err_sys(e, "container %.12s", a->id);
  struct create_opts co = {.bundle = bundle, .config = config, .pid_file = pid_file};
  if (r->run.tty) {
    co.console_fd = s->console[1];
  } else {
    co.has_stdio = true;
    for (int i = 0; i < 3; i++)
      co.stdio_fds[i] = s->theirs[i];
  }
  struct runtime_ctx rt = engine_runtime(&a->eng);
  int status = 0;
  if (runtime_run(&rt, a->id, &co, true, &status, e) < 0)
    return -1;
  /* From the runtime's pid file: its state no longer has the pid of an
   * init that exited already. */
  _cleanup_free_ char *text = read_file(pid_file, 32, NULL, e);
  unlink(pid_file);
  if (!text || (*pid = atoi(text)) <= 0)
    return err_set(e, EIO, "container %.12s: no pid from the runtime", a->id);
  if (r->run.tty && (s->mine[1] = receive_fd(s->console[0], e)) < 0)
    return -1;
  return 0;
}

static void exec_watch(const struct monitor_args *a, int pid, int listen_fd,
                       const struct stdio_set *s, bool interactive) {
  char v[8][32];
  char *argv[16] = {"capsule-monitor", (char *)a->eng.root, (char *)a->eng.run_root, "watch",
                    (char *)a->id};
  int n = 5;
  add_arg(argv, &n, v[0], sizeof v[0], "pid", pid);
  add_arg(argv, &n, v[1], sizeof v[1], "lock", keep(a->lock));
  add_arg(argv, &n, v[2], sizeof v[2], "listen", keep(listen_fd));
  add_arg(argv, &n, v[3], sizeof v[3], "out", keep(s->mine[1]));
  add_arg(argv, &n, v[4], sizeof v[4], "err", keep(s->mine[2]));
  /* With a terminal, stdin is written to the master too. */
  add_arg(argv, &n, v[5], sizeof v[5], "in", keep(s->console[0] >= 0 && interactive
                                                       ? s->mine[1] : s->mine[0]));
  add_arg(argv, &n, v[6], sizeof v[6], "client", keep(a->client));
  add_arg(argv, &n, v[7], sizeof v[7], "restarts", a->restarts);
  argv[n] = NULL;
  execve("/proc/self/exe", argv, environ);
}

void monitor_exec_start(const struct engine *eng, const char *id, int lock, int listen_fd,
                        int restarts) {
  char v[3][32];
  char *argv[12] = {"capsule-monitor", (char *)eng->root, (char *)eng->run_root, "start",
                    (char *)id};
  int n = 5;
  add_arg(argv, &n, v[0], sizeof v[0], "lock", keep(lock));
  add_arg(argv, &n, v[1], sizeof v[1], "listen", keep(listen_fd));
  add_arg(argv, &n, v[2], sizeof v[2], "restarts", restarts);
  argv[n] = NULL;
  execve("/proc/self/exe", argv, environ);
}

static int start_phase(struct monitor_args *a) {
  err_t e = ERR_INIT;
  struct container_record r = {0};
  struct stdio_set s = {{-1, -1, -1}, {-1, -1, -1}, {-1, -1}};
  int pid = 0, listen_fd = a->listen;
  bool mounted = a->mounted;
  if (container_dir_load(&a->eng, a->id, &r, &e) < 0)
    goto fail;
  /* A start after a killed monitor or a wiped run root: what the runtime
   * may still hold of the last run goes first (we hold the lock, and the
   * container does not run: the caller checked). */
  if (!mounted && (engine_runtime_remove(&a->eng, a->id, NULL, NULL, &e) < 0 ||
                   engine_net_down(&a->eng, a->id, &e) < 0 ||
                   engine_mount_root(&a->eng, &r, &e) < 0 || engine_net_up(&a->eng, &r, &e) < 0))
    goto fail;
  mounted = true;
  if (listen_fd < 0 && (listen_fd = bind_socket(&a->eng, a->id, &e)) < 0)
    goto fail;
  if (run_init(a, &r, &s, &pid, &e) < 0)
    goto fail;
  if (container_state_running(&a->eng, a->id, pid, a->restarts > 0, !r.run.auto_remove, &e) < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    goto fail;
  }
  engine_event_of(&a->eng, &r, "start", NULL);
  report(a->report, 0, "");
  exec_watch(a, pid, listen_fd, &s, r.run.interactive);
  /* exec failed: nobody would watch the container. */
  kill(pid, SIGKILL);
  err_sys(&e, "exec the monitor's watch phase");
  goto cleanup;
fail:
  report(a->report, e.code ? e.code : EIO, e.msg);
cleanup:;
  err_t undo = ERR_INIT;
  engine_runtime_remove(&a->eng, a->id, NULL, NULL, &undo);
  if (!a->mounted)
    engine_net_down(&a->eng, a->id, &undo);
  if (mounted && !a->mounted) {
    _cleanup_free_ char *merged = container_path(&a->eng, a->id, "merged");
    if (merged)
      overlay_unmount(merged, &undo);
  }
  /* A restart that failed is the container's end: recorded as docker does
   * (exit code 127 or 126 for its command, 125 else). */
  if (a->report < 0 && r.id[0]) {
    container_state_exited(&a->eng, a->id, engine_exit_status(&e), false, false, true,
                           &undo);
    struct container_state st;
    if (container_state_load(&a->eng, a->id, &st, &undo) == 0) {
      snprintf(st.error, sizeof st.error, "%.255s", e.msg);
      container_state_save(&a->eng, a->id, &st, true, &undo);
    }
  }
  if (listen_fd >= 0) {
    _cleanup_free_ char *sock = container_path(&a->eng, a->id, MONITOR_SOCKET);
    if (sock)
      unlink(sock);
  }
  container_record_free(&r);
  stdio_close(&s);
  return 1;
}

static int parse_args(int argc, char **argv, struct monitor_args *a) {
  *a = (struct monitor_args){.lock = -1, .listen = -1, .out = -1, .err = -1, .in = -1,
                             .client = -1, .report = -1};
  if (argc < 5)
    return -1;
  a->eng.root = argv[1];
  a->eng.run_root = argv[2];
  a->mode = argv[3];
  a->id = argv[4];
  static const char *const keys[] = {"lock", "listen", "out", "err", "in", "client", "report",
                                     "pid", "restarts", "mounted"};
  int *slots[] = {&a->lock, &a->listen, &a->out, &a->err, &a->in, &a->client, &a->report,
                  &a->pid, &a->restarts, NULL};
  for (int i = 5; i < argc; i++) {
    const char *eq = strchr(argv[i], '=');
    size_t k = 0;
    for (; eq && k < sizeof keys / sizeof keys[0]; k++)
      if (strlen(keys[k]) == (size_t)(eq - argv[i]) && !strncmp(argv[i], keys[k], (size_t)(eq - argv[i])))
        break;
    if (!eq || k == sizeof keys / sizeof keys[0])
      return -1;
    char *end;
    long v = strtol(eq + 1, &end, 10);
    if (*end || v < 0 || v > INT_MAX)
      return -1;
    if (slots[k])
      *slots[k] = (int)v;
    else
      a->mounted = v != 0;
  }
  return strlen(a->id) == 64 ? 0 : -1;
}

int engine_monitor_main(int argc, char **argv) {
  struct monitor_args a;
  if (parse_args(argc, argv, &a) < 0)
    return 2;
  prctl(PR_SET_NAME, "capsule-monitor", 0, 0, 0);
  if (!strcmp(a.mode, "start")) {
    /* The container inherits our signal dispositions and mask: a clean
     * slate, whatever our caller (or our own watch phase) had ignored or
     * blocked. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++)
      if (sig != SIGKILL && sig != SIGSTOP)
        signal(sig, SIG_DFL);
    return start_phase(&a);
  }
  if (strcmp(a.mode, "watch"))
    return 2;
  /* A client that went away must not kill us: send() says so. */
  signal(SIGPIPE, SIG_IGN);
  struct monitor_watch w = {.eng = &a.eng, .id = a.id, .pid = a.pid, .lock = a.lock,
                            .listen = a.listen, .out = a.out, .err = a.err, .in = a.in,
                            .client = a.client, .restarts = a.restarts};
  return monitor_watch(&w);
}
