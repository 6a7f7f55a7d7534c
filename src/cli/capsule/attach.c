/* The attached client: our stdin to the container, its frames to our
 * stdout and stderr (engine_attach's protocol), a raw terminal with -t,
 * docker's detach keys (ctrl-p ctrl-q, --detach-keys) and signal proxy
 * (--sig-proxy). */
#include "cli/capsule/attach.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static void send_size(const struct engine *eng, const char *id) {
  struct winsize ws;
  if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
    return;
  char req[64];
  snprintf(req, sizeof req, "resize %u %u", ws.ws_row, ws.ws_col);
  err_t ignored = ERR_INIT;
  engine_monitor_notify(eng, id, req, &ignored);
}

struct frames {
  unsigned char head[5];
  size_t head_len;
  size_t left; /* payload bytes of the current frame still to come */
  int stream;
  char code[16];
  size_t code_len;
};

/* Route what came from the monitor; 1 once the exit frame is whole. */
static int take(struct frames *f, const char *buf, size_t n, int *code) {
  while (n > 0) {
    if (f->head_len < 5) {
      f->head[f->head_len++] = (unsigned char)*buf++;
      n--;
      if (f->head_len == 5) {
        f->stream = f->head[0];
        f->left = (size_t)f->head[1] << 24 | (size_t)f->head[2] << 16 |
                  (size_t)f->head[3] << 8 | f->head[4];
        f->code_len = 0;
      }
    } else {
      size_t k = n < f->left ? n : f->left;
      if (f->stream == 3) {
        for (size_t i = 0; i < k && f->code_len < sizeof f->code - 1; i++)
          f->code[f->code_len++] = buf[i];
      } else {
        write_all(f->stream == 2 ? STDERR_FILENO : STDOUT_FILENO, buf, k);
      }
      buf += k;
      n -= k;
      f->left -= k;
    }
    if (f->head_len == 5 && f->left == 0) {
      f->head_len = 0;
      if (f->stream == 3) {
        f->code[f->code_len] = '\0';
        *code = atoi(f->code);
        return 1;
      }
    }
  }
  return 0;
}

/* docker's key names (moby/term's ToBytes): one character as itself, or
 * ctrl-X for X in a-z @ [ \ ] ^ _. */
static int parse_keys(const char *spec, struct attach_opts *o, err_t *e) {
  static const char ctrl_specials[] = "@[\\]^_"; /* 0, 27, 28, 29, 30, 31 */
  o->n_keys = 0;
  for (const char *p = spec; *p;) {
    size_t len = strcspn(p, ",");
    bool ctrl = len == 6 && !strncasecmp(p, "ctrl-", 5);
    int x = ctrl ? tolower((unsigned char)p[5]) : 0;
    unsigned char key;
    if (len == 1)
      key = (unsigned char)*p;
    else if (ctrl && x >= 'a' && x <= 'z')
      key = (unsigned char)(x - 'a' + 1);
    else if (ctrl && x && strchr(ctrl_specials, x))
      key = x == '@' ? 0 : (unsigned char)(26 + (strchr(ctrl_specials, x) - ctrl_specials));
    else
      return err_set(e, EINVAL, "invalid detach keys (%s): unknown key '%.*s' (want a letter "
                                "or ctrl-X, comma-separated)", spec, (int)len, p);
    if (o->n_keys == sizeof o->keys)
      return err_set(e, EINVAL, "invalid detach keys (%s): at most %zu keys", spec,
                     sizeof o->keys);
    o->keys[o->n_keys++] = key;
    p += len;
    if (*p == ',' && *++p == '\0')
      return err_set(e, EINVAL, "invalid detach keys (%s): a key after ','", spec);
  }
  if (!o->n_keys)
    return err_set(e, EINVAL, "invalid detach keys (%s): no key", spec);
  return 0;
}

int attach_opts_parse(struct cmdline_args *args, struct attach_opts *o, err_t *e) {
  o->sig_proxy = true;
  o->keys[0] = 0x10; /* ctrl-p ctrl-q */
  o->keys[1] = 0x11;
  o->n_keys = 2;
  const char *keys = cmdline_value(args, OPT_DETACH_KEYS);
  if (keys && *keys && parse_keys(keys, o, e) < 0) /* "": the default, as docker */
    return -1;
  if (cmdline_has(args, OPT_SIG_PROXY)) {
    const char *v = cmdline_value(args, OPT_SIG_PROXY);
    if (v && strcmp(v, "true") && strcmp(v, "false"))
      return err_set(e, EINVAL, "--sig-proxy=%s: expected true or false", v);
    o->sig_proxy = !v || !strcmp(v, "true");
  }
  return 0;
}

/* Our stdin to the container, watching for the detach keys (*matched of
 * them seen so far, held back): 1 on detach, 0 at its end, -1 on error, 2
 * to go on. */
static int forward_stdin(int sock, const struct attach_opts *o, size_t *matched) {
  char in[4096], out[4096 + sizeof o->keys];
  ssize_t n = read(STDIN_FILENO, in, sizeof in);
  if (n < 0)
    return errno == EINTR || errno == EAGAIN ? 2 : -1;
  if (n == 0)
    return 0;
  size_t k = 0;
  for (ssize_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)in[i];
    if (c == o->keys[*matched]) {
      if (++*matched == o->n_keys)
        return 1;
      continue;
    }
    /* Not the sequence: what was held goes through, and this key may
     * start it again. */
    memcpy(out + k, o->keys, *matched);
    k += *matched;
    *matched = 0;
    if (c == o->keys[0])
      *matched = 1;
    else
      out[k++] = (char)c;
  }
  return k && write_all(sock, out, k) < 0 ? -1 : 2;
}

int attach_run(const struct engine *eng, const char *id, int sock, const struct attach_opts *o,
               int *code, err_t *e) {
  bool tty = o->tty, with_stdin = o->with_stdin;
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof proxied / sizeof proxied[0]; i++)
    if (o->sig_proxy || proxied[i] == SIGWINCH)
      sigaddset(&set, proxied[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  struct termios saved;
  bool raw = tty && with_stdin && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
  }
  if (tty && isatty(STDIN_FILENO))
    send_size(eng, id);
  struct frames f = {0};
  bool stdin_open = with_stdin;
  size_t matched = 0;
  int ret = ATTACH_LOST;
  for (;;) {
    struct pollfd p[3] = {{.fd = sock, .events = POLLIN},
                          {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
                          {.fd = sfd, .events = POLLIN}};
    if (poll(p, 3, -1) < 0 && errno != EINTR) {
      ret = err_sys(e, "poll");
      break;
    }
    if (p[0].revents) {
      char buf[16384];
      ssize_t n = read(sock, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        ret = err_set(e, ECONNRESET, "the container's monitor went away");
        break;
      }
      if (take(&f, buf, (size_t)n, code)) {
        ret = ATTACH_EXITED;
        break;
      }
    }
    if (p[1].revents) {
      int r = forward_stdin(sock, o, &matched);
      if (r == 1) {
        ret = ATTACH_DETACHED;
        break;
      }
      if (r <= 0) {
        stdin_open = false;
        shutdown(sock, SHUT_WR);
      }
    }
    if (p[2].revents) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) != sizeof si)
        continue;
      if (si.ssi_signo == SIGWINCH) {
        if (tty)
          send_size(eng, id);
      } else if (!tty) {
        char req[32];
        snprintf(req, sizeof req, "signal %u", si.ssi_signo);
        err_t ignored = ERR_INIT;
        engine_monitor_notify(eng, id, req, &ignored);
      }
    }
  }
  if (raw)
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return ret;
}
