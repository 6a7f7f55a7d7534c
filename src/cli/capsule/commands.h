/* The `capsule` command table: ONE LINE PER COMMAND, in the order `capsule
 * --help` lists them. To add a command, add its line here and define its
 * function (int cmd_x(struct cli *, int argc, char **argv)) in the file of its
 * command group, which includes this header (it declares every command);
 * main.c dispatches from this list.
 *
 *   X(name as typed, function, usage after the name, one-line summary, flags)
 *
 * flags: CMD_SEALED for a command that starts processes in containers: it
 * runs from a sealed copy of the binary (runtime/self_protect.h).
 *
 * A name may be two words ("image inspect"); argv[0] of the function is then
 * the second word. Several names may share a function (aliases). */
#ifndef CAPSULE_CLI_COMMANDS_H
#define CAPSULE_CLI_COMMANDS_H

#define CAPSULE_COMMANDS(X)                                                                  \
  X("run", cmd_run, "[OPTIONS] IMAGE [COMMAND [ARG...]]", "Run a command in a new container",      \
    CMD_SEALED)                                                                                 \
  X("ps", cmd_ps, "[-a] [-q] [--no-trunc] [--format json]", "List containers", 0)               \
  X("rm", cmd_rm, "[-f] CONTAINER...", "Remove containers", 0)                                  \
  X("pull", cmd_pull, "[OPTIONS] IMAGE", "Pull an image from a registry", 0)                    \
  X("push", cmd_push, "[OPTIONS] IMAGE [DESTINATION]", "Push an image to a registry", 0)        \
  X("login", cmd_login, "[OPTIONS] REGISTRY", "Log in to a registry", 0)                        \
  X("logout", cmd_logout, "[OPTIONS] REGISTRY", "Log out of a registry", 0)                     \
  X("images", cmd_images, "[OPTIONS] [REPOSITORY[:TAG]]", "List images", 0)                     \
  X("image ls", cmd_images, "[OPTIONS] [REPOSITORY[:TAG]]", "List images", 0)                   \
  X("tag", cmd_tag, "SOURCE TARGET", "Give an image another name", 0)                           \
  X("image tag", cmd_tag, "SOURCE TARGET", "Give an image another name", 0)                     \
  X("rmi", cmd_rmi, "[-f] IMAGE...", "Remove images", 0)                                        \
  X("image rm", cmd_rmi, "[-f] IMAGE...", "Remove images", 0)                                   \
  X("import", cmd_import, "[OPTIONS] FILE|- [REFERENCE]", "Make a rootfs tarball an image", 0)  \
  X("image import", cmd_import, "[OPTIONS] FILE|- [REFERENCE]", "Make a rootfs tarball an image", 0) \
  X("save", cmd_save, "[-o FILE] [--format F] IMAGE...", "Write images to a tarball", 0)        \
  X("image save", cmd_save, "[-o FILE] [--format F] IMAGE...", "Write images to a tarball", 0)  \
  X("load", cmd_load, "[-i FILE] [--platform P]", "Load images from a tarball", 0)              \
  X("image load", cmd_load, "[-i FILE] [--platform P]", "Load images from a tarball", 0)        \
  X("image inspect", cmd_image_inspect, "IMAGE...", "Show images' details as JSON", 0)          \
  X("image history", cmd_image_history, "[OPTIONS] IMAGE", "Show an image's layers", 0)         \
  X("image prune", cmd_image_prune, "[-a]", "Remove unused images", 0)                          \
  X("system check", cmd_system_check, "", "Verify and repair the store", 0)                     \
  X("version", cmd_version, "", "Show the version", 0)

struct cli;
#define CMD_SEALED 1
#define CAPSULE_DECLARE_COMMAND(name, fn, usage, summary, flags) int fn(struct cli *cli, int argc, char **argv);
CAPSULE_COMMANDS(CAPSULE_DECLARE_COMMAND)

#endif
