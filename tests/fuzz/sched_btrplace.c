/* A BtrPlace instance (JSON, plain or gzip'd) as capsule-sim and the
 * benchmarks read it: the model (mapping, uCpu and memory views) and the
 * constraints with their ids translated; then the checker evaluates every
 * constraint on the instance's configuration. */
#include "fuzz.h"
#include "sched/btrplace.h"
#include "sched/checker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = fuzz_memfd(data, size);
  struct sched_instance inst;
  err_t e = ERR_INIT;
  int r = sched_instance_load(&inst, fuzz_fd_path(fd).s, &e);
  fuzz_check_result("sched_instance_load", r, &e);
  close(fd);
  if (r < 0)
    return 0;
  if (!inst.cstrs.sealed)
    fuzz_die("sched_instance_load returned unsealed constraints");
  r = sched_check_config(&inst.model, &inst.cstrs, NULL, 0, &e);
  fuzz_check_result("sched_check_config", r, &e);
  sched_instance_free(&inst);
  return 0;
}
