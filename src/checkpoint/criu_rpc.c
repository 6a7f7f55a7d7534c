/* One request to `criu swrk`: spawn it on a socketpair, send the request,
 * answer its notifications, read the result, reap it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkpoint/criu.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* CRIU's answers are small; a notification carries at most one fd. */
#define CRIU_MSG_MAX (1 << 20)

static int send_req(int sk, const CriuReq *req, err_t *e) {
  size_t len = criu_req__get_packed_size(req);
  _cleanup_free_ uint8_t *buf = malloc(len ? len : 1);
  if (!buf)
    return err_sys(e, "criu request");
  criu_req__pack(req, buf);
  if (send(sk, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
    return err_sys(e, "send the request to criu");
  return 0;
}

/* One message; *fd is a descriptor that came with it, else -1. */
static CriuResp *recv_resp(int sk, int *fd, err_t *e) {
  *fd = -1;
  ssize_t len;
  do
    len = recv(sk, NULL, 0, MSG_PEEK | MSG_TRUNC);
  while (len < 0 && errno == EINTR);
  if (len < 0) {
    err_sys(e, "read criu's answer");
    return NULL;
  }
  if (len == 0) {
    err_set(e, EPROTO, "criu exited without an answer");
    return NULL;
  }
  if (len > CRIU_MSG_MAX) {
    err_set(e, EPROTO, "criu's answer is %zd bytes", len);
    return NULL;
  }
  _cleanup_free_ uint8_t *buf = malloc((size_t)len);
  if (!buf) {
    err_sys(e, "criu answer");
    return NULL;
  }
  union {
    struct cmsghdr h;
    char b[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct iovec iov = {buf, (size_t)len};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                      .msg_controllen = sizeof ctl.b};
  ssize_t n;
  do
    n = recvmsg(sk, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n != len) {
    err_sys(e, "read criu's answer");
    return NULL;
  }
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int)))
      memcpy(fd, CMSG_DATA(c), sizeof(int));
  CriuResp *r = criu_resp__unpack(NULL, (size_t)len, buf);
  if (!r) {
    if (*fd >= 0)
      close(*fd);
    err_set(e, EPROTO, "criu sent a message that is not a criu_resp");
  }
  return r;
}

/* The reason in CRIU's log: its first "Error" line, without the timestamp;
 * not the rlimit one, which CRIU prints whenever it lacks CAP_SYS_RESOURCE
 * and which is harmless. */
static void log_reason(const struct criu_call *c, char *out, size_t cap) {
  out[0] = 0;
  if (c->work_dirfd < 0 || !c->log_name)
    return;
  err_t ignored = ERR_INIT;
  size_t len = 0;
  _cleanup_free_ char *text = read_file_at(c->work_dirfd, c->log_name, 8 << 20, &len, &ignored);
  if (!text)
    return;
  const char *best = NULL;
  for (char *line = text; line && *line;) {
    char *next = strchr(line, '\n');
    if (next)
      *next++ = 0;
    if (!best && strstr(line, "Error (") && !strstr(line, "RLIMIT_NOFILE"))
      best = line;
    line = next;
  }
  if (!best)
    return;
  const char *msg = strstr(best, "): ");
  snprintf(out, cap, "%s", msg ? msg + 3 : best);
}

static void exec_swrk(const struct criu_call *c, int sk) {
  /* The socket's number must survive exec; the inherited fds too. */
  int fd = fcntl(sk, F_DUPFD, 3);
  for (size_t i = 0; i < c->n_keep; i++)
    fcntl(c->keep_fds[i], F_SETFD, 0);
  if (fd < 0 || (c->setup && c->setup(c->arg) < 0))
    _exit(127);
  int null = c->quiet ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
  if (null >= 0 && (dup2(null, 1) < 0 || dup2(null, 2) < 0))
    _exit(127);
  if (c->host->no_breakpoints)
    setenv("CRIU_FAULT", "130", 1);
  char num[16];
  snprintf(num, sizeof num, "%d", fd);
  signal(SIGPIPE, SIG_DFL);
  execl(c->host->path, "criu", "swrk", num, (char *)NULL);
  _exit(127);
}

static int reap(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return st;
}

/* Answer notifications until the request's own answer comes. */
static int converse(const struct criu_call *c, int sk, CriuResp **resp, err_t *e) {
  for (;;) {
    int fd;
    CriuResp *r = recv_resp(sk, &fd, e);
    if (!r)
      return -1;
    if (r->type != CRIU_REQ_TYPE__NOTIFY) {
      if (fd >= 0)
        close(fd);
      *resp = r;
      return 0;
    }
    const char *script = r->notify && r->notify->script ? r->notify->script : "";
    pid_t pid = r->notify && r->notify->has_pid ? r->notify->pid : 0;
    int nr = 0;
    if (c->notify)
      nr = c->notify(script, pid, fd, c->arg, e);
    else if (fd >= 0)
      close(fd);
    criu_resp__free_unpacked(r, NULL);
    CriuReq ack = CRIU_REQ__INIT;
    ack.type = CRIU_REQ_TYPE__NOTIFY;
    ack.has_notify_success = true;
    ack.notify_success = nr == 0;
    if (nr != 0) {
      err_t ignored = ERR_INIT;
      send_req(sk, &ack, &ignored);
      return -1;
    }
    if (send_req(sk, &ack, e) < 0)
      return -1;
  }
}

int criu_call(const struct criu_call *c, CriuResp **resp, err_t *e) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return err_sys(e, "criu socket");
  pid_t pid = fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    return err_sys(e, "fork criu");
  }
  if (pid == 0) {
    close(sv[0]);
    exec_swrk(c, sv[1]);
  }
  close(sv[1]);
  _cleanup_close_ int sk = sv[0];
  *resp = NULL;
  int r = c->started ? c->started(pid, c->arg, e) : 0;
  if (r == 0)
    r = send_req(sk, c->req, e);
  if (r == 0)
    r = converse(c, sk, resp, e);
  if (r < 0)
    kill(pid, SIGKILL);
  close(steal_fd(&sk));
  int st = reap(pid);
  if (r == 0 && !(*resp)->success) {
    char why[512];
    log_reason(c, why, sizeof why);
    int code = (*resp)->has_cr_errno && (*resp)->cr_errno ? (*resp)->cr_errno : EIO;
    /* CRIU's cr_errmsg is its first error, often the rlimit noise. */
    const char *msg = *why || !(*resp)->cr_errmsg ? why : (*resp)->cr_errmsg;
    err_set(e, code, "criu %s failed%s%s%s%s", c->host->path, *msg ? ": " : "", msg,
            c->log_name ? " (see " : "", c->log_name ? c->log_name : "");
    if (c->log_name)
      snprintf(e->msg + strlen(e->msg), sizeof e->msg - strlen(e->msg), ")");
    criu_resp__free_unpacked(*resp, NULL);
    *resp = NULL;
    return -1;
  }
  if (r == 0 && st != 0 && WIFSIGNALED(st)) {
    criu_resp__free_unpacked(*resp, NULL);
    *resp = NULL;
    return err_set(e, EIO, "criu was killed by signal %d", WTERMSIG(st));
  }
  if (r < 0 && e->code == EPROTO) {
    char why[512];
    log_reason(c, why, sizeof why);
    if (*why)
      err_wrap(e, "%s", why);
  }
  return r;
}
