/* capsule system check. */
#include <stdio.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/commands.h"
#include "engine/engine.h"
#include "image/store.h"
#include "util/cleanup.h"

static void print_check(void *data, const char *kind, const char *text) {
  (void)data;
  printf("%s: %s\n", kind, text);
}

int cmd_system_check(struct cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0}};
  int c;
  while ((c = cli_getopt(cli, argc, argv, "h", opts)) != -1)
    return c == 'h' ? cli_help(cli, "Verifies every blob's digest, every layer, image and reference,\n"
                                    "and every container; repairs what an interrupted command left\n"
                                    "(of an image, or of a container: runtime state, cgroup, mount,\n"
                                    "directory, name, pin) and says so.\n")
                    : EXIT_USAGE;
  if ((c = cli_operands(cli, argc, 0, 0)))
    return c;
  err_t e = ERR_INIT, containers = ERR_INIT;
  /* Held exclusively: no run or rm is half-way while we look. */
  _cleanup_image_store_ struct image_store *s = cli_store(cli, IMAGE_STORE_EXCLUSIVE, &e);
  if (!s)
    return cli_fail(&e);
  /* Containers first: removing one can unpin an image. */
  struct engine eng = {.root = cli->root, .run_root = cli->run_root};
  int rc = engine_check(&eng, s, print_check, NULL, &containers);
  if (image_store_check(s, print_check, NULL, &e) < 0)
    return cli_fail(&e);
  return rc < 0 ? cli_fail(&containers) : 0;
}
