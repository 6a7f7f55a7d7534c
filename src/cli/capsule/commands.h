/* The `capsule` command table: ONE LINE PER COMMAND, in the order `capsule
 * --help` lists them. To add a command, add its line here and define its
 * function (int cmd_x(struct cli *, int argc, char **argv)) in the file of its
 * command group; main.c declares and dispatches from this list.
 *
 *   X(name as typed, function, usage after the name, one-line summary)
 *
 * A name may be two words ("image inspect"); argv[0] of the function is then
 * the second word. Several names may share a function (aliases). */
#ifndef CAPSULE_CLI_COMMANDS_H
#define CAPSULE_CLI_COMMANDS_H

#define CAPSULE_COMMANDS(X)                                                                  \
  X("pull", cmd_pull, "[OPTIONS] IMAGE", "Pull an image from a registry")                    \
  X("push", cmd_push, "[OPTIONS] IMAGE [DESTINATION]", "Push an image to a registry")      \
  X("login", cmd_login, "[OPTIONS] REGISTRY", "Log in to a registry")                       \
  X("logout", cmd_logout, "[OPTIONS] REGISTRY", "Log out of a registry")                    \
  X("version", cmd_version, "", "Show the version")

#endif
