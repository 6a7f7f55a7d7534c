/* capsule-monitor: the per-container monitor (engine/monitor*.c), started
 * by `capsule`, never by hand; named capsule-init (argv[0]) inside a
 * container, the pid 1 of `run --init` (init.c). Like every process that starts containers
 * it runs from a sealed copy of its binary (runtime/self_protect.h), and
 * it is not dumpable: containers sharing its pid namespace cannot open
 * /proc/<pid>/exe or its memory. */
#include <string.h>
#include <sys/prctl.h>

#include "cli/monitor/init.h"

#include "engine/engine.h"
#include "runtime/self_protect.h"

int main(int argc, char **argv) {
  const char *slash = strrchr(argv[0], '/');
  if (!strcmp(slash ? slash + 1 : argv[0], "capsule-init"))
    return init_main(argc, argv);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  err_t e = ERR_INIT;
  /* The watch phase was exec'd from the sealed copy already. */
  if (argc > 3 && argv[3][0] == 's' && runtime_ensure_sealed(argv, &e) < 0)
    return 125;
  return engine_monitor_main(argc, argv);
}
