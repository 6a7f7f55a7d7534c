/* The engine the global options (--root, --runroot) name. */
#ifndef CAPSULE_CLI_CAPSULE_CLI_ENGINE_H
#define CAPSULE_CLI_CAPSULE_CLI_ENGINE_H

#include <stdlib.h>

#include "cli/capsule/cli.h"
#include "engine/engine.h"

static inline struct engine cli_engine(const struct cli *cli) {
  return (struct engine){.root = cli->root, .run_root = cli->run_root,
                         .monitor = getenv(CLI_MONITOR_ENV)};
}

#endif
