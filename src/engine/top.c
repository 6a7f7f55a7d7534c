/* top: the host's `ps` (with the user's options, "-ef" by default), cut to
 * the lines of the container's processes, as docker's daemon does it:
 * whatever columns the options ask for, the PID column says whose line it
 * is. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/json.h"

/* ps's output, however many processes the host has, stays below this. */
#define PS_OUTPUT_MAX (64u << 20)

extern char **environ;

/* All of `fd` up to `max` bytes, NUL-terminated. */
static char *read_stream(int fd, size_t max, err_t *e) {
  size_t cap = 0, used = 0;
  _cleanup_free_ char *buf = NULL;
  for (;;) {
    if (array_reserve_sz((void **)&buf, &cap, used + 4097, 1) < 0) {
      err_sys(e, "top: read ps's output");
      return NULL;
    }
    ssize_t n = read(fd, buf + used, cap - used - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      err_sys(e, "top: read ps's output");
      return NULL;
    }
    if (n == 0)
      break;
    used += (size_t)n;
    if (used > max) {
      err_set(e, EFBIG, "top: ps printed more than %zu bytes", max);
      return NULL;
    }
  }
  buf[used] = '\0';
  return steal_ptr(&buf);
}

/* Run `ps args...` (no args: -ef) and return its stdout. Its stderr goes
 * to a memfd, read for the message if it fails (a pipe could fill and
 * block it while we read stdout). */
static char *run_ps(char **ps_args, err_t *e) {
  size_t n = 0;
  while (ps_args && ps_args[n])
    n++;
  _cleanup_free_ char **argv = calloc(n + 3, sizeof *argv);
  _cleanup_close_ int errfd = memfd_create("ps-stderr", MFD_CLOEXEC);
  int out[2];
  if (!argv || errfd < 0 || pipe2(out, O_CLOEXEC) < 0) {
    err_sys(e, "top: run ps");
    return NULL;
  }
  _cleanup_close_ int rd = out[0];
  argv[0] = "ps";
  if (n)
    memcpy(argv + 1, ps_args, n * sizeof *argv);
  else
    argv[1] = "-ef";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, errfd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (rc) {
    errno = rc;
    err_sys(e, "top: run ps (Debian's procps)");
    return NULL;
  }
  err_t read_err = ERR_INIT;
  _cleanup_free_ char *text = read_stream(rd, PS_OUTPUT_MAX, &read_err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (text && WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return steal_ptr(&text);
  char msg[512] = "";
  ssize_t got = pread(errfd, msg, sizeof msg - 1, 0);
  msg[got > 0 ? got : 0] = '\0';
  msg[strcspn(msg, "\n")] = '\0';
  if (!text)
    *e = read_err;
  else
    err_set(e, EINVAL, "ps failed: %s", *msg ? msg : "exit status not 0");
  return NULL;
}

/* The whitespace-separated words of `line`, in place. */
static size_t split_fields(char *line, char **fields, size_t max) {
  size_t n = 0;
  for (char *save = NULL, *w = strtok_r(line, " \t", &save); w && n < max;
       w = strtok_r(NULL, " \t", &save))
    fields[n++] = w;
  return n;
}

static bool has_pid(const pid_t *pids, size_t n, long pid) {
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* docker's parsing: the titles are the header's words; a row takes as many
 * words, the last column the rest of the line (a command with spaces). */
static json_t *ps_table(char *text, const pid_t *pids, size_t n_pids, err_t *e) {
  enum { MAX_FIELDS = 64 };
  char *fields[MAX_FIELDS], *save = NULL;
  char *header = strtok_r(text, "\n", &save);
  size_t n_titles = header ? split_fields(header, fields, MAX_FIELDS) : 0;
  size_t pid_col = n_titles;
  bool failed = false;
  _cleanup_json_ json_t *titles = json_array(), *rows = json_array();
  for (size_t i = 0; i < n_titles; i++) {
    json_push(titles, json_string(fields[i]), &failed);
    if (!strcmp(fields[i], "PID"))
      pid_col = i;
  }
  if (pid_col == n_titles) {
    err_set(e, EINVAL, "couldn't find PID field in ps output");
    return NULL;
  }
  for (char *line; (line = strtok_r(NULL, "\n", &save));) {
    /* The words of the last column are joined again by the line's text. */
    char *copy = strdup(line);
    if (!copy) {
      err_sys(e, "top");
      return NULL;
    }
    size_t n = split_fields(line, fields, n_titles);
    char *end;
    long pid = n > pid_col ? strtol(fields[pid_col], &end, 10) : -1;
    if (n == n_titles && pid > 0 && !*end && has_pid(pids, n_pids, pid)) {
      json_t *row = json_array();
      for (size_t i = 0; i + 1 < n_titles; i++)
        json_push(row, json_string(fields[i]), &failed);
      /* the last column from its first word to the end of the line */
      const char *last = copy + (fields[n_titles - 1] - line);
      json_push(row, json_string(last), &failed);
      json_push(rows, row, &failed);
    }
    free(copy);
  }
  json_t *out = json_pack("{s:O, s:O}", "Titles", titles, "Processes", rows);
  if (json_built(failed || !out, "top", e) < 0) {
    json_decref(out);
    return NULL;
  }
  return out;
}

int engine_top(const struct engine *eng, const char *name, char **ps_args, json_t **out,
               err_t *e) {
  struct container_record r;
  if (container_dir_find(eng, name, &r, e) < 0)
    return -1;
  json_int_t pid;
  const char *st = engine_status(eng, r.id, &pid);
  struct runtime_ctx rt = engine_runtime(eng);
  _cleanup_free_ pid_t *pids = NULL;
  _cleanup_free_ char *text = NULL;
  size_t n = 0;
  int ret = -1;
  if (strcmp(st, "running") && strcmp(st, "paused"))
    err_set(e, EINVAL, "container %s is not running", name);
  else if (runtime_ps(&rt, r.id, &pids, &n, e) == 0 && (text = run_ps(ps_args, e)) &&
           (*out = ps_table(text, pids, n, e)))
    ret = 0;
  container_record_free(&r);
  return ret;
}
