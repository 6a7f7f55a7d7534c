/* capsule import, load, save: images in and out of tarballs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/commands.h"
#include "image/archive.h"
#include "image/create.h"
#include "image/store.h"
#include "util/cleanup.h"

/* An input file operand ("-": stdin), opened for reading. */
static int open_input(const char *path, err_t *e) {
  if (!strcmp(path, "-")) {
    int fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
    return fd < 0 ? err_sys(e, "stdin") : fd;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  return fd < 0 ? err_sys(e, "open %s", path) : fd;
}

const struct cmdline_option import_options[] = {
    {'c', 'c', "change", CMDLINE_LIST, "INSTR",
     "Apply CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME or WORKDIR"},
    {'m', 'm', "message", CMDLINE_VALUE, "TEXT", "History comment"},
    CMDLINE_OPTIONS_END,
};

/* FILE is a tar, tar+gzip or tar+zstd rootfs; "-" reads stdin. */
CAPSULE_COMMAND(cmd_import) {
  _cleanup_free_ char **changes = cmdline_values(args, 'c', e);
  if (!changes)
    return -1;
  struct image_create_opts o = {.changes = (const char *const *)changes,
                                .comment = cmdline_value(args, 'm'),
                                .reference = args->operands[1]};
  _cleanup_close_ int fd = open_input(args->operands[0], e);
  if (fd < 0)
    return -1;
  _cleanup_image_store_ struct image_store *s = cli_store(cli, 0, e);
  _cleanup_image_info_ struct image_info img = {0};
  if (!s || image_import(s, fd, &o, &img, e) < 0)
    return -1;
  printf("%s\n", img.config);
  return 0;
}

enum { OPT_PLATFORM = 256, OPT_FORMAT };

const struct cmdline_option load_options[] = {
    {'i', 'i', "input", CMDLINE_VALUE, "FILE", "docker-archive or oci-archive (default: stdin)"},
    {OPT_PLATFORM, 0, "platform", CMDLINE_VALUE, "OS/ARCH[/VARIANT]",
     "The platform to take from an index (default: this host's)"},
    {'q', 'q', "quiet", CMDLINE_FLAG, NULL, "Print nothing"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_load) {
  const char *input = cmdline_value(args, 'i'), *platform_arg = cmdline_value(args, OPT_PLATFORM);
  struct platform platform;
  if (platform_arg && platform_parse(platform_arg, &platform, e) < 0)
    return -1;
  if (!input)
    input = "-";
  if (!strcmp(input, "-") && isatty(STDIN_FILENO))
    return err_set(e, EINVAL, "load: no input: use -i FILE or redirect stdin");
  _cleanup_close_ int fd = open_input(input, e);
  if (fd < 0)
    return -1;
  _cleanup_image_store_ struct image_store *s = cli_store(cli, 0, e);
  _cleanup_strv_ char **loaded = NULL;
  if (!s || image_load(s, fd, platform_arg ? &platform : NULL, &loaded, e) < 0)
    return -1;
  for (char **l = loaded; !cmdline_has(args, 'q') && *l; l++)
    printf("Loaded image%s: %s\n", strncmp(*l, "sha256:", 7) ? "" : " ID", *l);
  return 0;
}

int cli_write_output(const char *path, cli_writer_fn write, void *ctx, err_t *e) {
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode))
      return err_set(e, EISDIR, "%s is a directory", path);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      return err_sys(e, "open %s", path);
    return write(ctx, fd, e);
  }
  _cleanup_free_ char *dir = strdup(path), *tmp = NULL;
  char *slash = dir ? strrchr(dir, '/') : NULL;
  const char *base = slash ? path + (slash - dir) + 1 : path;
  if (!dir || asprintf(&tmp, "%s.tmp-%d", base, (int)getpid()) < 0)
    return err_sys(e, "%s", path);
  if (slash)
    slash[slash == dir] = '\0'; /* "/x" keeps "/" */
  /* Everything relative to the directory as opened now: `write` may move
   * us to another mount namespace (export), where a link across would fail. */
  _cleanup_close_ int dirfd = open(slash ? dir : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return err_sys(e, "open %s", slash ? dir : ".");
  /* Unnamed while written (O_TMPFILE): a kill leaves nothing behind. */
  int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  bool named = fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR); /* no O_TMPFILE there */
  if (named)
    fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return err_sys(e, "create %s", path);
  int r = write(ctx, fd, e);
  if (r == 0 && fsync(fd) < 0)
    r = err_sys(e, "write %s", path);
  if (r == 0 && !named && linkat(fd, "", dirfd, tmp, AT_EMPTY_PATH) < 0)
    r = err_sys(e, "create %s", path);
  close(fd);
  if (r == 0 && renameat(dirfd, tmp, dirfd, base) < 0)
    r = err_sys(e, "rename to %s", path);
  if (r < 0)
    unlinkat(dirfd, tmp, 0);
  return r;
}

struct save_job {
  struct image_store *s;
  const char *const *names;
  enum archive_format f;
};

static int save_into(void *ctx, int fd, err_t *e) {
  struct save_job *j = ctx;
  return image_save(j->s, j->names, j->f, fd, e);
}

const struct cmdline_option save_options[] = {
    {'o', 'o', "output", CMDLINE_VALUE, "FILE", "Write there (default: stdout)"},
    {OPT_FORMAT, 0, "format", CMDLINE_VALUE, "FORMAT", "docker-archive (default) or oci-archive"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_save) {
  const char *output = cmdline_value(args, 'o'), *format_arg = cmdline_value(args, OPT_FORMAT);
  enum archive_format format = ARCHIVE_DOCKER;
  if (format_arg && archive_format_parse(format_arg, &format, e) < 0)
    return -1;
  if (!output && isatty(STDOUT_FILENO))
    return err_set(e, EINVAL, "save: refusing to write an archive to a terminal: use -o FILE or "
                              "redirect stdout");
  _cleanup_image_store_ struct image_store *s = cli_store(cli, 0, e);
  if (!s)
    return -1;
  const char *const *names = (const char *const *)args->operands;
  struct save_job job = {s, names, format};
  int r = output ? cli_write_output(output, save_into, &job, e)
                 : image_save(s, names, format, STDOUT_FILENO, e);
  return r < 0 ? -1 : 0;
}
