/* run and create --pull always|missing|never: the image from the registry
 * before the container is made (the engine itself never reaches the
 * network). Progress goes to stderr: a container's stdout is its own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/capsule/cli.h"
#include "cli/capsule/progress.h"
#include "cli/capsule/run_flags.h"
#include "image/store.h"
#include "registry/auth.h"
#include "registry/pull.h"
#include "util/cleanup.h"

static bool image_present(const struct cli *cli, const char *ref) {
  _cleanup_image_store_ struct image_store *s = NULL;
  _cleanup_image_info_ struct image_info img = {0};
  err_t e = ERR_INIT;
  return image_store_open(cli->root, 0, &s, &e) == 0 && image_store_resolve(s, ref, &img, &e) == 0;
}

int cli_run_pull(const struct cli *cli, const char *ref, const char *policy, err_t *e) {
  if (!policy)
    policy = "missing";
  bool always = !strcmp(policy, "always");
  if (!always && strcmp(policy, "missing") && strcmp(policy, "never"))
    return err_set(e, EINVAL, "invalid pull option: '%s': must be one of \"always\", "
                              "\"missing\" or \"never\"", policy);
  if (!always && image_present(cli, ref))
    return 0;
  if (!strcmp(policy, "never"))
    return err_set(e, ENOENT, "no such image: %s", ref);
  _cleanup_free_ char *authfile = authfile_path(NULL, cli->root);
  if (!authfile)
    return err_sys(e, "auth file path");
  struct progress_view *view = progress_view_new(stderr, false, "downloading");
  struct pull_opts o = {.registry = {.tls_verify = true, .authfile = authfile},
                        .progress = progress_view_update, .progress_data = view};
  struct pull_plan *plan = NULL;
  _cleanup_image_store_ struct image_store *s = NULL;
  _cleanup_image_info_ struct image_info img = {0};
  int rc = registry_pull_resolve(ref, &o, &plan, e);
  if (rc == 0)
    rc = image_store_open(cli->root, 0, &s, e);
  if (rc == 0)
    rc = registry_pull_fetch(plan, s, &img, e);
  progress_view_done(view);
  if (rc == 0)
    fprintf(stderr, "Digest: %s\nStatus: Downloaded newer image for %s\n",
            pull_plan_digest(plan), pull_plan_reference(plan));
  pull_plan_free(plan);
  /* One line that says both: not here, and not to be had. */
  return rc < 0 && !always ? err_wrap(e, "no such image: %s, and pulling it failed", ref) : rc;
}
