/* capsule import, load, save: images in and out of tarballs. */
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

#define MAX_CHANGES 64

/* An input file operand ("-": stdin), opened for reading. */
static int open_input(const char *path, err_t *e) {
  if (!strcmp(path, "-")) {
    int fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
    return fd < 0 ? err_sys(e, "stdin") : fd;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  return fd < 0 ? err_sys(e, "open %s", path) : fd;
}

int cmd_import(struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"change", required_argument, 0, 'c'},
                                       {"message", required_argument, 0, 'm'},
                                       {"help", no_argument, 0, 'h'},
                                       {0}};
  const char *changes[MAX_CHANGES + 1] = {0};
  size_t n_changes = 0;
  struct image_create_opts o = {.changes = changes};
  int c;
  while ((c = cli_getopt(cli, argc, argv, "c:m:h", opts)) != -1) {
    if (c == 'c' && n_changes < MAX_CHANGES)
      changes[n_changes++] = optarg;
    else if (c == 'c')
      return cli_usage_error(cli, "more than %d --change flags", MAX_CHANGES);
    else if (c == 'm')
      o.comment = optarg;
    else
      return c == 'h' ? cli_help(cli, "  -c, --change INSTR   CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
                                      "STOPSIGNAL, USER, VOLUME, WORKDIR\n"
                                      "  -m, --message TEXT   history comment\n"
                                      "FILE is a tar, tar+gzip or tar+zstd rootfs; - reads stdin.\n")
                      : EXIT_USAGE;
  }
  if ((c = cli_operands(cli, argc, 1, 2)))
    return c;
  o.reference = optind + 1 < argc ? argv[optind + 1] : NULL;
  err_t e = ERR_INIT;
  _cleanup_close_ int fd = open_input(argv[optind], &e);
  if (fd < 0)
    return cli_fail(&e);
  _cleanup_image_store_ struct image_store *s = cli_store(cli, 0, &e);
  _cleanup_image_info_ struct image_info img = {0};
  if (!s || image_import(s, fd, &o, &img, &e) < 0)
    return cli_fail(&e);
  printf("%s\n", img.config);
  return 0;
}

int cmd_load(struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"input", required_argument, 0, 'i'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"platform", required_argument, 0, 'p'},
                                       {"help", no_argument, 0, 'h'},
                                       {0}};
  const char *input = "-";
  bool quiet = false;
  struct platform platform, *want = NULL;
  err_t e = ERR_INIT;
  int c;
  while ((c = cli_getopt(cli, argc, argv, "i:qh", opts)) != -1) {
    if (c == 'i')
      input = optarg;
    else if (c == 'q')
      quiet = true;
    else if (c == 'p') {
      if (platform_parse(optarg, &platform, &e) < 0)
        return cli_fail(&e);
      want = &platform;
    } else
      return c == 'h' ? cli_help(cli, "  -i, --input FILE     docker-archive or oci-archive "
                                      "(default: stdin)\n"
                                      "      --platform P     os/arch[/variant] to take from an "
                                      "index (default: this host's)\n"
                                      "  -q, --quiet          print nothing\n")
                      : EXIT_USAGE;
  }
  if ((c = cli_operands(cli, argc, 0, 0)))
    return c;
  if (!strcmp(input, "-") && isatty(STDIN_FILENO))
    return cli_usage_error(cli, "no input: use -i FILE or redirect stdin");
  _cleanup_close_ int fd = open_input(input, &e);
  if (fd < 0)
    return cli_fail(&e);
  _cleanup_image_store_ struct image_store *s = cli_store(cli, 0, &e);
  _cleanup_strv_ char **loaded = NULL;
  if (!s || image_load(s, fd, want, &loaded, &e) < 0)
    return cli_fail(&e);
  for (char **l = loaded; !quiet && *l; l++)
    printf("Loaded image%s: %s\n", strncmp(*l, "sha256:", 7) ? "" : " ID", *l);
  return 0;
}

/* Write to `path` through a temp file renamed at the end: no half archive.
 * What exists and is not a regular file (/dev/null, a fifo) is written into,
 * never replaced. */
static int save_to_file(struct image_store *s, const char *const *names, enum archive_format f,
                        const char *path, err_t *e) {
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode))
      return err_set(e, EISDIR, "%s is a directory", path);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      return err_sys(e, "open %s", path);
    return image_save(s, names, f, fd, e);
  }
  _cleanup_free_ char *tmp = NULL;
  if (asprintf(&tmp, "%s.tmp-%d", path, (int)getpid()) < 0)
    return err_sys(e, "%s", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return err_sys(e, "create %s", tmp);
  int r = image_save(s, names, f, fd, e);
  if (r == 0 && fsync(fd) < 0)
    r = err_sys(e, "write %s", tmp);
  close(fd);
  if (r == 0 && rename(tmp, path) < 0)
    r = err_sys(e, "rename %s", tmp);
  if (r < 0)
    unlink(tmp);
  return r;
}

int cmd_save(struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"format", required_argument, 0, 'f'},
                                       {"help", no_argument, 0, 'h'},
                                       {0}};
  const char *output = NULL;
  enum archive_format format = ARCHIVE_DOCKER;
  err_t e = ERR_INIT;
  int c;
  while ((c = cli_getopt(cli, argc, argv, "o:h", opts)) != -1) {
    if (c == 'o')
      output = optarg;
    else if (c == 'f') {
      if (archive_format_parse(optarg, &format, &e) < 0)
        return cli_usage_error(cli, "%s", e.msg);
    } else
      return c == 'h' ? cli_help(cli, "  -o, --output FILE   write there (default: stdout)\n"
                                      "      --format F      docker-archive (default) or "
                                      "oci-archive\n")
                      : EXIT_USAGE;
  }
  if ((c = cli_operands(cli, argc, 1, -1)))
    return c;
  if (!output && isatty(STDOUT_FILENO))
    return cli_usage_error(cli, "refusing to write an archive to a terminal: use -o FILE or "
                                "redirect stdout");
  _cleanup_image_store_ struct image_store *s = cli_store(cli, 0, &e);
  if (!s)
    return cli_fail(&e);
  const char *const *names = (const char *const *)argv + optind;
  int r = output ? save_to_file(s, names, format, output, &e)
                 : image_save(s, names, format, STDOUT_FILENO, &e);
  return r < 0 ? cli_fail(&e) : 0;
}
