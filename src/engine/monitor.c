/* The monitor's watch phase: one poll loop over the container's output, its
 * stdin, the attach socket and its clients, and a signalfd.
 *
 *  - output (stdout and stderr pipes, or the pty master) goes to the log
 *    (logfile.c) and to the attached clients, in frames (engine.h); while
 *    a client cannot take more, the output is not read: the container
 *    waits, as under docker attach, and memory stays bounded;
 *  - clients send one request line: "attach 0|1" (1: what follows is
 *    stdin), "wait", "stop SIG SECONDS", "kill SIG", "signal SIG" (kill
 *    without giving up the restart policy: a foreground run's signal
 *    proxy), "resize ROWS COLS", "remove" (rm -f: kill, clean up, exit
 *    without a word in state.json); wait, stop and remove are answered
 *    "exit CODE" once the container exited, kill and signal "ok";
 *  - SIGTERM and SIGINT to the monitor go to the container's init;
 *  - when the init exits: the rest of its output, the OOM kill count of its
 *    cgroup, the runtime's state and cgroup removed, the root unmounted,
 *    state.json `exited` (fsync'd), a "die" event, the clients told; then
 *    the restart policy (a delay, state `restarting`, and the start phase
 *    exec'd again), or --rm's removal, or the end. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* The watch loop's code, together at the start of the binary's text: an
 * idle monitor keeps resident only the 64 KiB windows it faulted in. */
#define HOT __attribute__((hot))

#define MAX_CLIENTS 32
#define REQUEST_MAX 64

enum client_kind { C_NEW, C_ATTACH, C_EXIT_WAITER, C_DONE };

struct client {
  int fd;
  enum client_kind kind;
  bool stdin_open;
  char req[REQUEST_MAX];
  size_t req_len;
  char *pending; /* output it could not take yet */
  size_t pending_len, pending_off;
};

struct monitor {
  const struct monitor_watch *w;
  struct log_writer log;
  struct client clients[MAX_CLIENTS];
  int sfd;
  int out, err, in;
  bool tty, exited, manual_stop, removing;
  int code;
  int64_t kill_at_ms; /* SIGKILL then (a stop's grace time), 0: none */
};

HOT static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

HOT static void client_close(struct client *c) {
  if (c->fd >= 0)
    close(c->fd);
  free(c->pending);
  memset(c, 0, sizeof *c);
  c->fd = -1;
}

HOT static void client_add(struct monitor *m, int fd, enum client_kind kind, bool with_stdin) {
  for (int i = 0; i < MAX_CLIENTS; i++) {
    struct client *c = &m->clients[i];
    if (c->fd >= 0)
      continue;
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->kind = kind;
    c->stdin_open = with_stdin;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return;
  }
  close(fd);
}

/* Queue a frame for an attached client; a client that fails is dropped. */
HOT static void client_frame(struct client *c, int stream, const char *data, size_t len) {
  if (c->pending) {
    client_close(c);
    return;
  }
  unsigned char head[5] = {(unsigned char)stream, (unsigned char)(len >> 24),
                           (unsigned char)(len >> 16), (unsigned char)(len >> 8),
                           (unsigned char)len};
  struct iovec iov[2] = {{head, 5}, {(void *)data, len}};
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
  ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0 && errno != EAGAIN) {
    client_close(c);
    return;
  }
  size_t sent = n < 0 ? 0 : (size_t)n;
  if (sent == len + 5)
    return;
  size_t rest = len + 5 - sent;
  if (!(c->pending = malloc(rest))) {
    client_close(c);
    return;
  }
  for (size_t i = sent; i < len + 5; i++)
    c->pending[i - sent] = i < 5 ? (char)head[i] : data[i - 5];
  c->pending_len = rest;
  c->pending_off = 0;
}

HOT static void client_flush(struct client *c) {
  ssize_t n = send(c->fd, c->pending + c->pending_off, c->pending_len - c->pending_off,
                   MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0 && errno != EAGAIN) {
    client_close(c);
    return;
  }
  c->pending_off += n > 0 ? (size_t)n : 0;
  if (c->pending_off == c->pending_len) {
    free(c->pending);
    c->pending = NULL;
    c->pending_len = c->pending_off = 0;
  }
}

HOT static bool any_pending(const struct monitor *m) {
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (m->clients[i].fd >= 0 && m->clients[i].pending)
      return true;
  return false;
}

/* Read once from the container's `fd` (stream 1 or 2): to the log and to
 * every attached client. False at EOF. */
HOT static bool pump(struct monitor *m, int fd, int stream) {
  static char buf[LOG_CHUNK_MAX];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  log_writer_write(&m->log, stream, buf, (size_t)n);
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (m->clients[i].fd >= 0 && m->clients[i].kind == C_ATTACH)
      client_frame(&m->clients[i], stream, buf, (size_t)n);
  return true;
}

HOT static void reply(struct client *c, const char *text) {
  if (send(c->fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
    client_close(c);
    return;
  }
  c->kind = C_DONE;
}

HOT static void signal_init(struct monitor *m, int sig) {
  if (!m->exited && sig > 0 && sig < 65)
    kill(m->w->pid, sig);
}

HOT static void handle_request(struct monitor *m, struct client *c) {
  char *req = c->req;
  int a = 0, b = 0;
  if (!strncmp(req, "attach ", 7)) {
    c->kind = C_ATTACH;
    c->stdin_open = req[7] == '1' && m->in >= 0;
  } else if (!strcmp(req, "wait")) {
    c->kind = C_EXIT_WAITER;
  } else if (sscanf(req, "stop %d %d", &a, &b) == 2) {
    m->manual_stop = true;
    c->kind = C_EXIT_WAITER;
    signal_init(m, a);
    if (b >= 0 && !m->kill_at_ms)
      m->kill_at_ms = now_ms() + (int64_t)b * 1000;
  } else if (!strcmp(req, "remove")) {
    m->manual_stop = m->removing = true;
    c->kind = C_EXIT_WAITER;
    signal_init(m, SIGKILL);
  } else if (sscanf(req, "kill %d", &a) == 1) {
    m->manual_stop = true;
    signal_init(m, a);
    reply(c, "ok\n");
  } else if (sscanf(req, "signal %d", &a) == 1) {
    signal_init(m, a);
    reply(c, "ok\n");
  } else if (sscanf(req, "resize %d %d", &a, &b) == 2) {
    struct winsize ws = {.ws_row = (unsigned short)a, .ws_col = (unsigned short)b};
    if (m->tty && m->out >= 0)
      ioctl(m->out, TIOCSWINSZ, &ws);
    reply(c, "ok\n");
  } else {
    reply(c, "error unknown request\n");
  }
}

/* A client's bytes: its request line, then (attach with stdin) stdin. */
HOT static void client_read(struct monitor *m, struct client *c) {
  if (c->kind == C_ATTACH && c->stdin_open) {
    char buf[4096]; /* what a pipe takes at once when poll said it can */
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      c->stdin_open = false;
      if (m->in >= 0 && m->in != m->out) {
        close(m->in); /* the container sees the end of its stdin */
        m->in = -1;
      }
      return;
    }
    if (m->in >= 0)
      write_all(m->in, buf, (size_t)n);
    return;
  }
  while (c->req_len < sizeof c->req - 1) {
    ssize_t n = read(c->fd, c->req + c->req_len, 1);
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      client_close(c);
      return;
    }
    if (c->req[c->req_len] == '\n') {
      c->req[c->req_len] = '\0';
      handle_request(m, c);
      return;
    }
    c->req_len++;
  }
  client_close(c);
}

static int exit_code_of(int ws) {
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static bool oom_killed(const char *id) {
  char path[ENGINE_CGROUP_MAX];
  engine_cgroup_path(path, sizeof path, id);
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  uint64_t n = 0;
  err_t e = ERR_INIT;
  return cgroup_resolve(path, id, &cg, &e) == 0 && cgroup_oom_kills(cg, &n, &e) == 0 && n > 0;
}

/* The init is gone: the rest of the output (its processes die with it in
 * its pid namespace; a short bound covers one that lingers). */
static void drain(struct monitor *m) {
  int64_t until = now_ms() + 500;
  while ((m->out >= 0 || m->err >= 0) && now_ms() < until) {
    struct pollfd p[2] = {{.fd = m->out, .events = POLLIN}, {.fd = m->err, .events = POLLIN}};
    if (poll(p, 2, 100) <= 0)
      continue;
    if (p[0].revents && !pump(m, m->out, 1)) {
      close(m->out);
      m->out = -1;
    }
    if (p[1].revents && !pump(m, m->err, 2)) {
      close(m->err);
      m->err = -1;
    }
  }
}

/* Tell every client the end, and let them read it. */
static void announce_exit(struct monitor *m) {
  char text[32];
  snprintf(text, sizeof text, "%d", m->code);
  char line[40];
  snprintf(line, sizeof line, "exit %d\n", m->code);
  for (int i = 0; i < MAX_CLIENTS; i++) {
    struct client *c = &m->clients[i];
    if (c->fd < 0)
      continue;
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
    if (c->kind == C_ATTACH) {
      if (c->pending)
        write_all(c->fd, c->pending + c->pending_off, c->pending_len - c->pending_off);
      unsigned char head[5] = {3, 0, 0, 0, (unsigned char)strlen(text)};
      if (write_all(c->fd, head, 5) == 0)
        write_all(c->fd, text, strlen(text));
    } else if (c->kind == C_EXIT_WAITER) {
      write_all(c->fd, line, strlen(line));
    }
    client_close(c);
  }
}

/* After the exit: the runtime's state and cgroup, the root's mount. */
static void clean_up(struct monitor *m, bool *oom) {
  const struct engine *eng = m->w->eng;
  *oom = oom_killed(m->w->id);
  err_t e = ERR_INIT;
  engine_runtime_remove(eng, m->w->id, NULL, NULL, &e);
  engine_net_down(eng, m->w->id, &e);
  _cleanup_free_ char *merged = container_path(eng, m->w->id, "merged");
  if (merged)
    overlay_unmount(merged, &e);
}

static bool should_restart(const struct container_record *r, const struct monitor *m) {
  const char *p = r->run.restart_policy;
  if (m->manual_stop || !strcmp(p, "no"))
    return false;
  if (!strcmp(p, "on-failure"))
    return m->code != 0 && (!r->run.restart_max || m->w->restarts < r->run.restart_max);
  return true;
}

/* Serve requests for `ms` (a restart's delay); false if a stop came. */
static bool serve_for(struct monitor *m, int64_t ms) {
  int64_t until = now_ms() + ms;
  for (int64_t left; (left = until - now_ms()) > 0;) {
    struct pollfd p = {.fd = m->w->listen, .events = POLLIN};
    if (poll(&p, 1, (int)left) <= 0)
      continue;
    int fd = accept4(m->w->listen, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    char req[REQUEST_MAX] = "";
    struct pollfd q = {.fd = fd, .events = POLLIN};
    ssize_t n = poll(&q, 1, 1000) > 0 ? read(fd, req, sizeof req - 1) : -1;
    req[n > 0 ? n : 0] = '\0';
    bool stop = !strncmp(req, "stop", 4) || !strncmp(req, "kill", 4) ||
                !strncmp(req, "remove", 6);
    if (stop || !strncmp(req, "wait", 4)) {
      char line[40];
      snprintf(line, sizeof line, "exit %d\n", m->code);
      write_all(fd, line, strlen(line));
    } else {
      write_all(fd, "ok\n", 3);
    }
    close(fd);
    if (stop) {
      m->manual_stop = true;
      m->removing = !strncmp(req, "remove", 6);
      return false;
    }
  }
  return true;
}

/* docker's delay: 100 ms, doubled at each restart, at most a minute. */
static int64_t restart_delay(int restarts) {
  int64_t ms = 100;
  for (int i = 0; i < restarts && ms < 60000; i++)
    ms *= 2;
  return ms < 60000 ? ms : 60000;
}

/* Requests that came as the container exited (a stop racing its end)
 * count before the policy is applied: read what is there. */
static void absorb_requests(struct monitor *m) {
  for (int fd; (fd = accept4(m->w->listen, NULL, NULL, SOCK_CLOEXEC)) >= 0;)
    client_add(m, fd, C_NEW, false);
  for (int i = 0; i < MAX_CLIENTS; i++) {
    struct client *c = &m->clients[i];
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (c->fd >= 0 && c->kind == C_NEW && poll(&p, 1, 20) > 0)
      client_read(m, c);
  }
}

/* The socket and the container's lock: others may start or remove it. */
static void let_go(struct monitor *m) {
  _cleanup_free_ char *sock = container_path(m->w->eng, m->w->id, MONITOR_SOCKET);
  if (sock)
    unlink(sock);
  close(m->w->listen);
  close(m->w->lock);
}

static int after_exit(struct monitor *m) {
  const struct monitor_watch *w = m->w;
  const struct engine *eng = w->eng;
  drain(m);
  absorb_requests(m);
  bool oom = false;
  clean_up(m, &oom);
  struct container_record r = {0};
  err_t e = ERR_INIT;
  bool have_record = container_dir_load(eng, w->id, &r, &e) == 0;
  bool restart = !m->removing && have_record && should_restart(&r, m);
  if (!m->removing) {
    container_state_ended(eng, w->id, restart ? "restarting" : "exited", m->code, oom,
                          m->manual_stop, true, &e);
    char code[16];
    snprintf(code, sizeof code, "%d", m->code);
    if (have_record)
      engine_event_of(eng, &r, "die", (const char *const[]){"exitCode", code, NULL});
  }
  log_writer_close(&m->log);
  if (m->in >= 0 && m->in != m->out)
    close(m->in);
  bool auto_remove = have_record && r.run.auto_remove && !m->removing;
  if (!restart)
    let_go(m); /* before the clients hear the end: their next command finds it free */
  announce_exit(m);
  if (restart) {
    if (serve_for(m, restart_delay(w->restarts))) {
      container_record_free(&r);
      monitor_exec_start(eng, w->id, w->lock, w->listen, w->restarts + 1);
      return 1; /* the exec failed */
    }
    if (!m->removing)
      container_state_exited(eng, w->id, m->code, oom, m->manual_stop, true, &e);
    let_go(m);
  }
  container_record_free(&r);
  if (auto_remove) /* the lock is free: the removal takes it */
    engine_rm(eng, w->id, true, true, &e); /* --rm takes its anonymous volumes */
  return 0;
}

HOT static void on_signal(struct monitor *m) {
  struct signalfd_siginfo si;
  while (read(m->sfd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo != SIGCHLD) {
      signal_init(m, (int)si.ssi_signo);
      continue;
    }
    int ws;
    pid_t p;
    while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
      if (p == m->w->pid) {
        m->exited = true;
        m->code = exit_code_of(ws);
      }
  }
}

/* An idle monitor's memory is the pages it touched. Start-up (the C
 * library's, the record's parsing) touched code all over the binary, and
 * the kernel maps file pages 64 KiB around each fault: drop the binary's
 * pages that were never written (file pages of its read-only mappings:
 * /proc/self/pagemap tells them from the relocated, anonymous ones), and
 * the loop faults back only what it uses. */
struct page_ranges {
  struct {
    unsigned long lo, hi;
  } r[64];
  size_t n;
};

static void add_range(struct page_ranges *pr, unsigned long lo, unsigned long hi) {
  if (pr->n && pr->r[pr->n - 1].hi == lo)
    pr->r[pr->n - 1].hi = hi;
  else if (pr->n < sizeof pr->r / sizeof pr->r[0])
    pr->r[pr->n].lo = lo, pr->r[pr->n++].hi = hi;
}

/* The pages of [lo, hi) that are not anonymous copies. */
static void file_pages(struct page_ranges *pr, int pagemap, unsigned long lo, unsigned long hi) {
  const unsigned long page = 4096;
  uint64_t entries[128];
  for (unsigned long at = lo; at < hi;) {
    size_t want = (hi - at) / page < 128 ? (hi - at) / page : 128;
    ssize_t n = pread(pagemap, entries, want * 8, (off_t)(at / page * 8));
    if (n <= 0)
      return;
    for (size_t i = 0; i < (size_t)n / 8; i++, at += page)
      /* bit 63: present, bit 61: a file page (not an anonymous copy) */
      if (!(entries[i] >> 63 & 1) || (entries[i] >> 61 & 1))
        add_range(pr, at, at + page);
  }
}

static void drop_startup_pages(void) {
  struct page_ranges pr = {.n = 0};
  FILE *f = fopen("/proc/self/maps", "re");
  int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (!f || pagemap < 0)
    goto out;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char perms[8];
    int inode;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %d", &lo, &hi, perms, &inode) == 4 && inode &&
        perms[1] == '-')
      file_pages(&pr, pagemap, lo, hi);
  }
out:
  if (f)
    fclose(f);
  if (pagemap >= 0)
    close(pagemap);
  /* All at once, last: any libc call in between would fault pages back. */
  for (size_t i = 0; i < pr.n; i++)
    madvise((void *)pr.r[i].lo, pr.r[i].hi - pr.r[i].lo, MADV_DONTNEED);
}

HOT int monitor_watch(const struct monitor_watch *w) {
  struct monitor m = {.w = w, .out = w->out, .err = w->err, .in = w->in, .sfd = -1,
                      .tty = w->err < 0};
  for (int i = 0; i < MAX_CLIENTS; i++)
    m.clients[i].fd = -1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, NULL);
  m.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  _cleanup_free_ char *dir = container_path(w->eng, w->id, NULL);
  struct container_record r;
  err_t e = ERR_INIT;
  int64_t max_size = 0;
  int max_file = 1;
  if (container_dir_load(w->eng, w->id, &r, &e) == 0) {
    max_size = r.run.log_max_size;
    max_file = r.run.log_max_file;
    container_record_free(&r);
  }
  if (!dir || log_writer_open(&m.log, dir, max_size, max_file, &e) < 0)
    m.log.fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (w->client >= 0)
    client_add(&m, w->client, C_ATTACH, m.in >= 0);
  drop_startup_pages();
  /* The init may have exited before SIGCHLD was blocked. */
  on_signal(&m);
  int ws;
  if (!m.exited && waitpid(w->pid, &ws, WNOHANG) == w->pid) {
    m.exited = true;
    m.code = exit_code_of(ws);
  }
  while (!m.exited) {
    struct pollfd p[4 + MAX_CLIENTS];
    bool hold = any_pending(&m);
    p[0] = (struct pollfd){.fd = m.sfd, .events = POLLIN};
    p[1] = (struct pollfd){.fd = hold ? -1 : m.out, .events = POLLIN};
    p[2] = (struct pollfd){.fd = hold ? -1 : m.err, .events = POLLIN};
    p[3] = (struct pollfd){.fd = w->listen, .events = POLLIN};
    /* stdin is read from clients only when the container can take it. */
    bool stdin_ready = false;
    if (m.in >= 0) {
      struct pollfd q = {.fd = m.in, .events = POLLOUT};
      stdin_ready = poll(&q, 1, 0) > 0 && (q.revents & POLLOUT);
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
      struct client *c = &m.clients[i];
      /* Others are only watched for hanging up (always reported). */
      short ev = 0;
      if (c->fd >= 0 && (c->kind == C_NEW || (c->kind == C_ATTACH && c->stdin_open && stdin_ready)))
        ev |= POLLIN;
      if (c->fd >= 0 && c->pending)
        ev |= POLLOUT;
      p[4 + i] = (struct pollfd){.fd = c->fd >= 0 ? c->fd : -1, .events = ev};
    }
    int timeout = -1;
    if (m.kill_at_ms)
      timeout = (int)(m.kill_at_ms > now_ms() ? m.kill_at_ms - now_ms() : 0);
    else if (m.in >= 0 && !stdin_ready)
      timeout = 50; /* look again whether the container reads its stdin */
    if (poll(p, 4 + MAX_CLIENTS, timeout) < 0 && errno != EINTR)
      break;
    if (m.kill_at_ms && now_ms() >= m.kill_at_ms) {
      signal_init(&m, SIGKILL);
      m.kill_at_ms = 0;
    }
    if (p[0].revents)
      on_signal(&m);
    if (p[1].revents && !pump(&m, m.out, 1)) {
      close(m.out);
      m.out = -1;
    }
    if (p[2].revents && !pump(&m, m.err, 2)) {
      close(m.err);
      m.err = -1;
    }
    if (p[3].revents & POLLIN) {
      int fd = accept4(w->listen, NULL, NULL, SOCK_CLOEXEC);
      if (fd >= 0)
        client_add(&m, fd, C_NEW, false);
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
      struct client *c = &m.clients[i];
      if (c->fd < 0 || p[4 + i].fd != c->fd)
        continue;
      if (p[4 + i].revents & POLLOUT && c->pending)
        client_flush(c);
      if (c->fd >= 0 && p[4 + i].revents & POLLIN)
        client_read(&m, c);
      else if (c->fd >= 0 && p[4 + i].revents & (POLLHUP | POLLERR))
        client_close(c);
      if (c->fd >= 0 && c->kind == C_DONE)
        client_close(c);
    }
  }
  return after_exit(&m);
}
