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

CAPSULE_COMMAND(cmd_system_check) {
  (void)args;
  err_t containers = ERR_INIT;
  /* Held exclusively: no run or rm is half-way while we look. */
  _cleanup_image_store_ struct image_store *s = cli_store(cli, IMAGE_STORE_EXCLUSIVE, e);
  if (!s)
    return -1;
  /* Containers first: removing one can unpin an image. */
  struct engine eng = {.root = cli->root, .run_root = cli->run_root};
  int rc = engine_check(&eng, s, print_check, NULL, &containers);
  if (image_store_check(s, print_check, NULL, e) < 0)
    return -1;
  if (rc < 0)
    *e = containers;
  return rc < 0 ? -1 : 0;
}
