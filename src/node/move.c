#include "node/move.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

enum { MOVE_ANSWER_TIMEOUT = 60, MOVE_ARGS = 64 };

/* A worker keeps nothing of the agent's descriptors (its listener above
 * all: the port must be free when the agent restarts). */
static void worker_fds(void) {
  syscall(SYS_close_range, 3u, ~0u, 0u);
}

/* Run `capsule --root R --runroot RR args...`; its stdout (up to `cap`
 * bytes) in `out` when given. 0 when it exits 0. */
static int capsule(const struct move_env *m, char *out, size_t cap, const char *const *args) {
  const char *argv[MOVE_ARGS + 6] = {"capsule", "--root", m->root, "--runroot", m->run_root};
  int n = 5;
  for (int i = 0; args[i] && n < MOVE_ARGS + 5; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(out ? p[1] : null, 1);
    execv(m->exe, (char *const *)argv);
    _exit(127);
  }
  close(p[1]);
  size_t got = 0;
  ssize_t r;
  char sink[512];
  while ((r = read(p[0], out && got + 1 < cap ? out + got : sink,
                   out && got + 1 < cap ? cap - 1 - got : sizeof sink)) > 0 ||
         (r < 0 && errno == EINTR))
    if (r > 0 && out && got + 1 < cap)
      got += (size_t)r;
  close(p[0]);
  if (out) {
    out[got] = 0;
    out[strcspn(out, "\n")] = 0;
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* What `run` needs to start the container again elsewhere, from inspect. */
static json_t *meta_of(const struct move_env *m, const struct host_ve *v) {
  static char buf[1 << 16];
  if (capsule(m, buf, sizeof buf, (const char *const[]){"inspect", "--format", "{{json .}}", v->id, NULL}) < 0)
    return NULL;
  err_t e = ERR_INIT;
  _cleanup_json_ json_t *in = json_load_object_buf(buf, strlen(buf), "inspect", &e);
  if (!in)
    return NULL;
  json_t *cmd = json_array();
  json_array_append(cmd, json_object_get(in, "Path"));
  json_array_extend(cmd, json_object_get(in, "Args"));
  const char *name = json_string_value(json_object_get(in, "Name"));
  const char *net = json_string_value(
      json_object_get(json_object_get(in, "HostConfig"), "NetworkMode"));
  return json_pack("{s:i, s:s, s:s, s:o, s:O?, s:i, s:i, s:i}", "ve", v->ve, "network",
                   net && !strcmp(net, "none") ? "none" : "", "name",
                   name ? name + (name[0] == '/') : "", "cmd", cmd, "env",
                   json_object_get(json_object_get(in, "Config"), "Env"), "quota", v->quota,
                   "cpu", v->demand, "mem", v->mem);
}

static int send_move(const struct move_env *m, const char *dst, const json_t *meta,
                     const char *tar, int *fd_out, struct frame_auth *a) {
  err_t e = ERR_INIT;
  _cleanup_free_ char *text = json_dumps(meta, JSON_COMPACT);
  size_t tlen = 0;
  _cleanup_free_ char *fs = read_file_at(AT_FDCWD, tar, FRAME_MOVE_MAX - (64 << 10), &tlen, &e);
  if (!text || !fs)
    return -1;
  uint32_t mlen = (uint32_t)strlen(text);
  size_t len = 4 + mlen + tlen;
  _cleanup_free_ uint8_t *p = malloc(len);
  if (!p || frame_auth_init(a, m->key, false, &e) < 0)
    return -1;
  memcpy(p, &mlen, 4);
  memcpy(p + 4, text, mlen);
  memcpy(p + 4 + mlen, fs, tlen);
  int fd = frame_dial(dst, a, m->self, 5, &e);
  if (fd < 0 || frame_send(fd, a, FRAME_MOVE, p, len, &e) < 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  *fd_out = fd;
  return 0;
}

static int move_out(const struct move_env *m, const struct host_ve *v, const char *dst) {
  const char *id = v->id;
  char tar[4096];
  snprintf(tar, sizeof tar, "%s/node/tmp/out-%d.tar", m->root, v->ve);
  _cleanup_json_ json_t *meta = meta_of(m, v);
  if (!meta)
    return MOVE_ROLLED_BACK; /* nothing changed yet */
  if (capsule(m, NULL, 0, (const char *const[]){"stop", "-t", "2", id, NULL}) < 0 ||
      capsule(m, NULL, 0, (const char *const[]){"export", "-o", tar, id, NULL}) < 0) {
    unlink(tar);
    capsule(m, NULL, 0, (const char *const[]){"start", id, NULL});
    return MOVE_ROLLED_BACK;
  }
  struct frame_auth a;
  int fd = -1;
  int rc = send_move(m, dst, meta, tar, &fd, &a);
  unlink(tar);
  if (rc < 0) { /* the destination cannot have started it */
    capsule(m, NULL, 0, (const char *const[]){"start", id, NULL});
    return MOVE_ROLLED_BACK;
  }
  err_t e = ERR_INIT;
  size_t n = 0;
  _cleanup_free_ uint8_t *ans = frame_recv(fd, &a, FRAME_MOVED, MOVE_ANSWER_TIMEOUT, &n, &e);
  close(fd);
  if (!ans || n < 1) { /* it may run there: this copy stays stopped */
    char doubt[4096], line[256];
    snprintf(doubt, sizeof doubt, "%s/node/doubt/%d", m->root, v->ve);
    snprintf(line, sizeof line, "%s %s\n", id, dst);
    atomic_write_at(AT_FDCWD, doubt, line, strlen(line), 0600, &e);
    return MOVE_IN_DOUBT;
  }
  if (!ans[0]) {
    capsule(m, NULL, 0, (const char *const[]){"start", id, NULL});
    return MOVE_ROLLED_BACK;
  }
  capsule(m, NULL, 0, (const char *const[]){"rm", "-f", id, NULL});
  return MOVE_OK;
}

pid_t move_out_start(const struct move_env *m, const struct host_ve *v, const char *dst,
                     err_t *e) {
  pid_t pid = fork();
  if (pid < 0)
    return err_sys(e, "node: fork a move worker");
  if (pid == 0) {
    worker_fds();
    _exit(move_out(m, v, dst));
  }
  return pid;
}

pid_t move_resolve_start(const struct move_env *m, const char *id, bool keep, err_t *e) {
  pid_t pid = fork();
  if (pid < 0)
    return err_sys(e, "node: fork a move worker");
  if (pid == 0) {
    worker_fds();
    _exit(capsule(m, NULL, 0, keep ? (const char *const[]){"start", id, NULL}
                                   : (const char *const[]){"rm", "-f", id, NULL}) < 0);
  }
  return pid;
}

int32_t move_payload_ve(const uint8_t *payload, size_t len, int32_t *cpu, int32_t *mem) {
  uint32_t mlen;
  if (len < 4)
    return -1;
  memcpy(&mlen, payload, 4);
  if (mlen > len - 4 || mlen > FRAME_MAX)
    return -1;
  err_t e = ERR_INIT;
  _cleanup_json_ json_t *meta = json_load_object_buf((const char *)payload + 4, mlen, "move", &e);
  json_t *ve = meta ? json_object_get(meta, "ve") : NULL;
  json_int_t c = json_integer_value(json_object_get(meta, "cpu"));
  json_int_t m = json_integer_value(json_object_get(meta, "mem"));
  if (!json_is_integer(ve) || json_integer_value(ve) < 0 || json_integer_value(ve) >= HOST_NVES ||
      c < 0 || c > INT32_MAX || m < 0 || m > INT32_MAX)
    return -1;
  *cpu = (int32_t)c;
  *mem = (int32_t)m;
  return (int32_t)json_integer_value(ve);
}

/* Why a move failed, for the agent's event (the worker's output). */
static int fail(const char *idfile, const char *why) {
  err_t e = ERR_INIT;
  atomic_replace_at(AT_FDCWD, idfile, why, strlen(why), 0600, &e);
  return 1;
}

/* The run command line from the meta: names and values come from a peer
 * that holds the cluster key, and still only ever become arguments. */
static int move_in(const struct move_env *m, const uint8_t *payload, size_t len,
                   const char *idfile) {
  uint32_t mlen;
  memcpy(&mlen, payload, 4);
  err_t e = ERR_INIT;
  _cleanup_json_ json_t *meta = json_load_object_buf((const char *)payload + 4, mlen, "move", &e);
  json_t *cmd = json_object_get(meta, "cmd"), *env = json_object_get(meta, "env");
  const char *name = json_string_value(json_object_get(meta, "name"));
  int32_t ve = (int32_t)json_integer_value(json_object_get(meta, "ve"));
  int32_t quota = (int32_t)json_integer_value(json_object_get(meta, "quota"));
  if (!json_is_array(cmd) || !json_array_size(cmd) || !name)
    return fail(idfile, "error: the move names no command or name");
  char tar[4096], image[64], cpus[32], out[256];
  snprintf(tar, sizeof tar, "%s/node/tmp/in-%d.tar", m->root, ve);
  snprintf(image, sizeof image, "capsule-node/ve-%d:moved", ve);
  snprintf(cpus, sizeof cpus, "%.3f", quota / 1000.0);
  if (atomic_replace_at(AT_FDCWD, tar, payload + 4 + mlen, len - 4 - mlen, 0600, &e) < 0)
    return fail(idfile, "error: cannot write the file system");
  int rc = capsule(m, NULL, 0, (const char *const[]){"import", tar, image, NULL});
  unlink(tar);
  if (rc < 0)
    return fail(idfile, "error: capsule import failed");
  const char *args[MOVE_ARGS + 1];
  int n = 0;
  args[n++] = "run";
  args[n++] = "-d";
  if (name[0]) {
    args[n++] = "--name";
    args[n++] = name;
  }
  const char *net = json_string_value(json_object_get(meta, "network"));
  if (net && !strcmp(net, "none")) {
    args[n++] = "--network";
    args[n++] = "none";
  }
  if (quota > 0) {
    args[n++] = "--cpus";
    args[n++] = cpus;
  }
  size_t i;
  json_t *v;
  json_array_foreach(env, i, v) if (json_is_string(v) && n < MOVE_ARGS / 2) {
    args[n++] = "-e";
    args[n++] = json_string_value(v);
  }
  args[n++] = "--";
  args[n++] = image;
  json_array_foreach(cmd, i, v) if (json_is_string(v) && n < MOVE_ARGS) args[n++] =
      json_string_value(v);
  args[n] = NULL;
  if (capsule(m, out, sizeof out, args) < 0) {
    capsule(m, NULL, 0, (const char *const[]){"rmi", image, NULL});
    return fail(idfile, "error: capsule run failed");
  }
  return atomic_replace_at(AT_FDCWD, idfile, out, strlen(out), 0600, &e) < 0 ? 1 : 0;
}

pid_t move_in_start(const struct move_env *m, const uint8_t *payload, size_t len,
                    const char *idfile, err_t *e) {
  int32_t cpu, mem;
  if (move_payload_ve(payload, len, &cpu, &mem) < 0)
    return err_set(e, EINVAL, "node: malformed move"), -1;
  pid_t pid = fork();
  if (pid < 0)
    return err_sys(e, "node: fork a move worker");
  if (pid == 0) {
    worker_fds();
    _exit(move_in(m, payload, len, idfile));
  }
  return pid;
}
