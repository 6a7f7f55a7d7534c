/* Disk use: container prune, system df, system prune. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/commands.h"
#include "cli/capsule/human.h"
#include "cli/capsule/table.h"
#include "engine/engine.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/json.h"

/* docker's prompt; anything but y/yes (or the end of input) declines. */
static bool confirmed(const char *warning) {
  char answer[16] = "";
  fprintf(stderr, "%s\nAre you sure you want to continue? [y/N] ", warning);
  if (!fgets(answer, sizeof answer, stdin))
    return false;
  answer[strcspn(answer, "\n")] = '\0';
  return !strcasecmp(answer, "y") || !strcasecmp(answer, "yes");
}

static void print_total(uint64_t bytes) {
  char size[16];
  human_size(size, sizeof size, bytes);
  printf("Total reclaimed space: %s\n", size);
}

void cli_print_removed(const char *title, json_t *names, bool gap) {
  if (!json_array_size(names))
    return;
  printf("%s\n", title);
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n) printf("%s\n", json_string_value(n));
  if (gap)
    printf("\n");
}

/* Removes the stopped containers; lists them under "Deleted Containers:". */
static int prune_containers(const struct cli *cli, uint64_t *reclaimed, err_t *e) {
  struct engine eng = {.root = cli->root, .run_root = cli->run_root};
  _cleanup_json_ json_t *ids = NULL;
  if (engine_container_prune(&eng, &ids, reclaimed, e) < 0)
    return -1;
  cli_print_removed("Deleted Containers:", ids, true);
  return 0;
}

const struct cmdline_option container_prune_options[] = {
    {'f', 'f', "force", CMDLINE_FLAG, NULL, "Do not prompt for confirmation"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_container_prune) {
  uint64_t reclaimed = 0;
  if (!cmdline_has(args, 'f') && !confirmed("WARNING! This will remove all stopped containers."))
    return 0;
  if (prune_containers(cli, &reclaimed, e) < 0)
    return -1;
  print_total(reclaimed);
  return 0;
}

static void print_image_note(void *data, const char *kind, const char *text) {
  bool *first = data;
  if (*first)
    printf("Deleted Images:\n");
  *first = false;
  printf("%s: %s\n", kind, text);
}

enum { OPT_VOLUMES = 256 };

const struct cmdline_option system_prune_options[] = {
    {'a', 'a', "all", CMDLINE_FLAG, NULL, "Every image no container uses, not only dangling ones"},
    {'f', 'f', "force", CMDLINE_FLAG, NULL, "Do not prompt for confirmation"},
    {OPT_VOLUMES, 0, "volumes", CMDLINE_FLAG, NULL, "Anonymous volumes no container uses too"},
    CMDLINE_OPTIONS_END,
};

CAPSULE_COMMAND(cmd_system_prune) {
  bool all = cmdline_has(args, 'a'), volumes = cmdline_has(args, OPT_VOLUMES);
  char warning[512];
  snprintf(warning, sizeof warning,
           "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used "
           "by at least one container\n%s  - %s\n",
           volumes ? "  - all anonymous volumes not used by at least one container\n" : "",
           all ? "all images without at least one container associated to them"
               : "all dangling images");
  if (!cmdline_has(args, 'f') && !confirmed(warning))
    return 0;
  uint64_t containers = 0, images = 0, vol_bytes = 0;
  if (prune_containers(cli, &containers, e) < 0)
    return -1;
  struct engine eng = {.root = cli->root, .run_root = cli->run_root};
  _cleanup_json_ json_t *networks = NULL;
  if (engine_network_prune(&eng, &networks, e) < 0)
    return -1;
  cli_print_removed("Deleted Networks:", networks, true);
  _cleanup_json_ json_t *vols = NULL;
  if (volumes && engine_volume_prune(&eng, false, NULL, &vols, &vol_bytes, e) < 0)
    return -1;
  cli_print_removed("Deleted Volumes:", vols, true);
  /* After the containers: removing them unpins their images. */
  _cleanup_image_store_ struct image_store *s = cli_store(cli, IMAGE_STORE_EXCLUSIVE, e);
  bool first = true;
  if (!s || image_store_prune(s, all, &images, print_image_note, &first, e) < 0)
    return -1;
  if (!first)
    printf("\n");
  print_total(containers + images + vol_bytes);
  return 0;
}
