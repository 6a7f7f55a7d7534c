/* A constraints file as capsule-sim reads it (--constraints): the JSON file,
 * then the constraints sealed against a small model (ids checked, indexes
 * built), a load increase applied from the preserve constraints and every
 * constraint evaluated on the model's configuration by the checker. */
#include "fuzz.h"
#include "sched/checker.h"
#include "sched/constraints.h"
#include "sched/model.h"

#define NODES 6
#define VES 12

/* Six nodes (one offline), twelve VEs: ten placed round-robin, two ready. */
static void small_model(struct sched_model *m) {
  err_t e = ERR_INIT;
  if (sched_model_init(m, NODES, VES, &e) < 0)
    fuzz_die("model: %s", e.msg);
  for (int32_t n = 0; n < NODES; n++)
    sched_node_set_capacity(m, n, 400, 4096);
  for (int32_t v = 0; v < VES; v++) {
    sched_ve_set_demand(m, v, 50 + 10 * v, 256);
    if (v < VES - 2 && sched_ve_place(m, v, v % (NODES - 1), &e) < 0)
      fuzz_die("model: %s", e.msg);
  }
  sched_node_set_online(m, NODES - 1, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = fuzz_memfd(data, size);
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  err_t e = ERR_INIT;
  int r = sched_cstrs_load_file(&c, fuzz_fd_path(fd).s, &e);
  fuzz_check_result("sched_cstrs_load_file", r, &e);
  close(fd);
  if (r == 0) {
    struct sched_model m;
    small_model(&m);
    r = sched_cstrs_seal(&c, &m, &e);
    fuzz_check_result("sched_cstrs_seal", r, &e);
    if (r == 0) {
      sched_cstrs_apply_preserve(&c, &m);
      r = sched_check_config(&m, &c, NULL, 0, &e);
      fuzz_check_result("sched_check_config", r, &e);
    }
    sched_model_free(&m);
  }
  sched_cstrs_free(&c);
  return 0;
}
