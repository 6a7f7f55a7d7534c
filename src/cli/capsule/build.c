/* capsule build: a Dockerfile / Containerfile to an image (src/build/). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/build.h"
#include "image/layer_tar.h"
#include "image/unpack.h"
#include "cli/capsule/cli.h"
#include "cli/capsule/cli_engine.h"
#include "cli/capsule/commands.h"
#include "cli/capsule/run_flags.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"

enum { OPT_BUILD_ARG = 256, OPT_TARGET, OPT_NO_CACHE, OPT_LABEL, OPT_NETWORK, OPT_BUILD_PULL };

const struct cmdline_option build_options[] = {
    {'t', 't', "tag", CMDLINE_LIST, "NAME", "Name the image (repeatable)"},
    {'f', 'f', "file", CMDLINE_VALUE, "FILE",
     "The Containerfile (default CONTEXT/Containerfile, else CONTEXT/Dockerfile; - for stdin)"},
    {OPT_BUILD_ARG, 0, "build-arg", CMDLINE_LIST, "K=V", "Set a build argument (repeatable)"},
    {OPT_TARGET, 0, "target", CMDLINE_VALUE, "STAGE", "Stop after this stage"},
    {OPT_NO_CACHE, 0, "no-cache", CMDLINE_FLAG, NULL, "Run every step, use no cached result"},
    {OPT_LABEL, 0, "label", CMDLINE_LIST, "K=V", "Add a label to the image (repeatable)"},
    {OPT_NETWORK, 0, "network", CMDLINE_VALUE, "MODE", "RUN's network: none (default), host or bridge"},
    {OPT_BUILD_PULL, 0, "pull", CMDLINE_OPTIONAL_VALUE, "POLICY",
     "Pull base images: missing (default), always (--pull alone) or never"},
    {'q', 'q', "quiet", CMDLINE_FLAG, NULL, "Print only the image ID"},
    CMDLINE_OPTIONS_END,
};

static void say(void *arg, const char *line) {
  (void)arg;
  printf("%s\n", line);
  fflush(stdout); /* before the next RUN's output, which goes straight to fd 1 */
}

static int push(char ***v, size_t *n, size_t *cap, const char *s) {
  if (array_reserve_sz((void **)v, cap, *n + 2, sizeof **v) < 0)
    return -1;
  (*v)[(*n)++] = (char *)s;
  (*v)[*n] = NULL;
  return 0;
}

/* The Containerfile's text: -f FILE, -f - (stdin), or the context's. */
static char *read_containerfile(const char *file, const char *context, const char **name,
                                size_t *len, err_t *e) {
  if (file && !strcmp(file, "-")) {
    *name = "stdin";
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
      if (array_reserve_sz((void **)&buf, &cap, *len + 65536, 1) < 0) {
        free(buf);
        err_sys(e, "read the Containerfile from stdin");
        return NULL;
      }
      ssize_t r = read(STDIN_FILENO, buf + *len, cap - *len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0) {
        if (r < 0) {
          free(buf);
          err_sys(e, "read the Containerfile from stdin");
          return NULL;
        }
        buf[*len] = '\0';
        return buf;
      }
      *len += (size_t)r;
      if (*len > (1u << 20)) {
        free(buf);
        err_set(e, EFBIG, "the Containerfile on stdin is over 1 MiB");
        return NULL;
      }
    }
  }
  static const char *const defaults[] = {"Containerfile", "Dockerfile"};
  for (size_t i = 0; i < 2 && !file; i++) {
    _cleanup_free_ char *p = path_join(context, defaults[i]);
    if (p && access(p, F_OK) == 0)
      *name = defaults[i];
  }
  if (!file && !*name) {
    err_set(e, ENOENT, "no Containerfile or Dockerfile in %s (use -f FILE)", context);
    return NULL;
  }
  if (file) {
    *name = file;
    return read_file_at(AT_FDCWD, file, 1u << 20, len, e);
  }
  _cleanup_close_ int dir = open(context, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    err_sys(e, "the build context %s", context);
    return NULL;
  }
  return build_context_file(dir, *name, 1u << 20, len, e);
}

static void remove_context(const char *dir) {
  err_t ignored = ERR_INIT;
  remove_tree_at(AT_FDCWD, dir, &ignored);
}

/* stdin into the directory `dir`: a tar (plain, gzip, zstd) is extracted
 * there; anything else is the Containerfile (then *file names it). */
static int stdin_context(const char *dir, const char **file, err_t *e) {
  _cleanup_close_ int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int f = d >= 0 ? openat(d, ".stdin", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
  if (f < 0 || read_chunks(STDIN_FILENO, tar_sink_fd, &f, e) < 0 || lseek(f, 0, SEEK_SET) < 0)
    return e->code ? -1 : err_sys(e, "read the context from stdin");
  unsigned char m[512];
  ssize_t n = pread(f, m, sizeof m, 0);
  bool tar = n >= 4 && ((m[0] == 0x1f && m[1] == 0x8b) ||
                        (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) ||
                        (n >= 262 && !memcmp(m + 257, "ustar", 5)));
  if (!tar) {
    if (renameat(d, ".stdin", d, "Containerfile") < 0)
      return err_sys(e, "the Containerfile from stdin");
    *file = NULL;
    return 0;
  }
  /* Owners as the archive says: COPY makes them root's anyway. */
  struct extract_opts xo = {.keep_owner = true};
  if (tar_extract(f, d, &xo, e) < 0)
    return err_wrap(e, "the context on stdin");
  return unlinkat(d, ".stdin", 0) < 0 ? err_sys(e, "the context on stdin") : 0;
}

struct pulling {
  const struct cli *cli;
  const char *policy;
};

static int pull_base(void *arg, const char *ref, err_t *e) {
  struct pulling *p = arg;
  return cli_run_pull(p->cli, ref, p->policy, e);
}

CAPSULE_COMMAND(cmd_build) {
  struct engine eng = cli_engine(cli);
  _cleanup_free_ char **tags = NULL, **bargs = NULL, **labels = NULL;
  size_t nt = 0, ct = 0, na = 0, ca = 0, nl = 0, cl = 0;
  struct build_opts o = {.context = args->operands[0], .progress = say};
  bool quiet = false;
  struct pulling pulling = {cli, "missing"};
  const char *file = NULL, *v;
  for (int id; (id = cmdline_next(args, &v)) >= 0;) {
    int r = 0;
    if (id == 't')
      r = push(&tags, &nt, &ct, v);
    else if (id == OPT_BUILD_ARG)
      r = push(&bargs, &na, &ca, v);
    else if (id == OPT_LABEL)
      r = push(&labels, &nl, &cl, v);
    else if (id == 'f')
      file = v;
    else if (id == OPT_TARGET)
      o.target = v;
    else if (id == OPT_NO_CACHE)
      o.no_cache = true;
    else if (id == OPT_NETWORK)
      o.network = v;
    else if (id == 'q')
      quiet = true;
    else if (id == OPT_BUILD_PULL)
      pulling.policy = v ? v : "always";
    if (r < 0)
      return err_sys(e, "build");
  }
  if (o.network && strcmp(o.network, "none") && strcmp(o.network, "host") &&
      strcmp(o.network, "bridge"))
    return err_set(e, EINVAL, "--network %s: builds take none, host or bridge", o.network);
  if (strcmp(pulling.policy, "missing") && strcmp(pulling.policy, "always") &&
      strcmp(pulling.policy, "never"))
    return err_set(e, EINVAL, "invalid pull option: '%s': must be one of \"always\", "
                              "\"missing\" or \"never\"", pulling.policy);
  o.pull = pull_base;
  o.pull_arg = &pulling;
  o.tags = tags;
  o.build_args = bargs;
  o.labels = labels;
  /* CONTEXT "-": a tar of the context on stdin, or a Containerfile alone. */
  char tmp[] = "/tmp/capsule-build-context.XXXXXX";
  bool from_stdin = !strcmp(o.context, "-");
  if (from_stdin) {
    if (file && !strcmp(file, "-"))
      return err_set(e, EINVAL, "-f - and a context on stdin: stdin can be only one of them");
    if (!mkdtemp(tmp))
      return err_sys(e, "build context");
    o.context = tmp;
  }
  int r = from_stdin ? stdin_context(tmp, &file, e) : 0;
  _cleanup_free_ char *in_tar = r == 0 && from_stdin && file ? path_join(tmp, file) : NULL;
  if (in_tar)
    file = in_tar; /* -f names a file of the context's tar */
  _cleanup_free_ char *text = r == 0 ? read_containerfile(file, o.context, &o.file, &o.len, e) : NULL;
  if (!text) {
    if (from_stdin)
      remove_context(tmp);
    return -1;
  }
  o.text = text;
  /* RUN steps read nothing from us; with -q their output goes nowhere. */
  _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  _cleanup_close_ int out = quiet ? dup(STDOUT_FILENO) : -1, err = quiet ? dup(STDERR_FILENO) : -1;
  if (null < 0 || dup2(null, STDIN_FILENO) < 0 || (quiet && (out < 0 || err < 0)))
    return err_sys(e, "build: stdio");
  if (quiet) {
    o.progress = NULL;
    fflush(stdout);
    if (dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0)
      return err_sys(e, "build: stdio");
  }
  char id[DIGEST_BUF];
  int status = 0;
  r = build_image(&eng, &o, id, &status, e);
  if (from_stdin)
    remove_context(tmp);
  if (quiet && (dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0))
    return err_sys(e, "build: stdio");
  if (r < 0) {
    if (status == ENGINE_EXIT_ERROR)
      return -1;
    cli_report(e);
    return status;
  }
  printf("%s\n", id + 7);
  return 0;
}
