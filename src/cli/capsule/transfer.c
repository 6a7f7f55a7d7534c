/* capsule import, load, save: images in and out of tarballs. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/commands.h"
#include "image/create.h"
#include "image/store.h"
#include "util/cleanup.h"

#define MAX_CHANGES 64

/* An input file operand ("-": stdin), opened for reading. */
static int open_input(const char *path, err_t *e) {
  if (!strcmp(path, "-"))
    return dup(STDIN_FILENO) < 0 ? err_sys(e, "stdin") : dup(STDIN_FILENO);
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
