/* The engine the global options (--root, --runroot) name. */
#ifndef CAPSULE_CLI_CAPSULE_CLI_ENGINE_H
#define CAPSULE_CLI_CAPSULE_CLI_ENGINE_H

#include <stdlib.h>

#include "cli/capsule/cli.h"
#include "engine/engine.h"

/* CAPSULE_VM_KERNEL (a vmlinuz), CAPSULE_VM_BOOT_TIMEOUT (seconds) and
 * CAPSULE_VM_CACHE (a directory) override run --vm's kernel, boot deadline
 * and cache (docs/VM.md). */
static inline struct engine cli_engine(const struct cli *cli) {
  const char *timeout = getenv("CAPSULE_VM_BOOT_TIMEOUT");
  return (struct engine){.root = cli->root, .run_root = cli->run_root,
                         .monitor = getenv(CLI_MONITOR_ENV), .vminit = getenv(CLI_VMINIT_ENV),
                         .vm_kernel = getenv("CAPSULE_VM_KERNEL"),
                         .vm_boot_timeout = timeout ? atoi(timeout) : 0,
                         .vm_cache = getenv("CAPSULE_VM_CACHE")};
}

#endif
