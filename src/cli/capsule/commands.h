/* The `capsule` command table: ONE LINE PER COMMAND, in the order `capsule
 * --help` lists them. To add a command, add its line here and define its
 * function (int cmd_x(struct cli *, int argc, char **argv)) in the file of its
 * command group, which includes this header (it declares every command);
 * main.c dispatches from this list.
 *
 *   X(name as typed, function, usage after the name, one-line summary)
 *
 * A name may be two words ("image inspect"); argv[0] of the function is then
 * the second word. Several names may share a function (aliases). */
#ifndef CAPSULE_CLI_COMMANDS_H
#define CAPSULE_CLI_COMMANDS_H

#define CAPSULE_COMMANDS(X)                                                                  \
  X("run", cmd_run, "[OPTIONS] IMAGE [COMMAND [ARG...]]", "Run a command in a new container") \
  X("ps", cmd_ps, "[-a] [-q] [--no-trunc] [--format json]", "List containers")              \
  X("rm", cmd_rm, "[-f] CONTAINER...", "Remove containers")                                 \
  X("pull", cmd_pull, "[OPTIONS] IMAGE", "Pull an image from a registry")                    \
  X("push", cmd_push, "[OPTIONS] IMAGE [DESTINATION]", "Push an image to a registry")      \
  X("login", cmd_login, "[OPTIONS] REGISTRY", "Log in to a registry")                       \
  X("logout", cmd_logout, "[OPTIONS] REGISTRY", "Log out of a registry")                    \
  X("images", cmd_images, "[OPTIONS] [REPOSITORY[:TAG]]", "List images")                   \
  X("image ls", cmd_images, "[OPTIONS] [REPOSITORY[:TAG]]", "List images")                 \
  X("tag", cmd_tag, "SOURCE TARGET", "Give an image another name")                         \
  X("image tag", cmd_tag, "SOURCE TARGET", "Give an image another name")                   \
  X("rmi", cmd_rmi, "[-f] IMAGE...", "Remove images")                                       \
  X("image rm", cmd_rmi, "[-f] IMAGE...", "Remove images")                                  \
  X("import", cmd_import, "[OPTIONS] FILE|- [REFERENCE]", "Make a rootfs tarball an image") \
  X("image import", cmd_import, "[OPTIONS] FILE|- [REFERENCE]", "Make a rootfs tarball an image") \
  X("save", cmd_save, "[-o FILE] [--format F] IMAGE...", "Write images to a tarball")      \
  X("image save", cmd_save, "[-o FILE] [--format F] IMAGE...", "Write images to a tarball") \
  X("load", cmd_load, "[-i FILE] [--platform P]", "Load images from a tarball")            \
  X("image load", cmd_load, "[-i FILE] [--platform P]", "Load images from a tarball")      \
  X("image inspect", cmd_image_inspect, "IMAGE...", "Show images' details as JSON")        \
  X("image history", cmd_image_history, "[OPTIONS] IMAGE", "Show an image's layers")       \
  X("image prune", cmd_image_prune, "[-a]", "Remove unused images")                        \
  X("system check", cmd_system_check, "", "Verify and repair the store")                   \
  X("version", cmd_version, "", "Show the version")

struct cli;
#define CAPSULE_DECLARE_COMMAND(name, fn, usage, summary) int fn(struct cli *cli, int argc, char **argv);
CAPSULE_COMMANDS(CAPSULE_DECLARE_COMMAND)

#endif
