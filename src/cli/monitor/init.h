/* capsule-init (init.c): the pid 1 of `run --init`. */
#ifndef CAPSULE_CLI_MONITOR_INIT_H
#define CAPSULE_CLI_MONITOR_INIT_H

/* argv: capsule-init [--] COMMAND [ARG...]; returns its exit status. */
int init_main(int argc, char **argv);

#endif
