/* The model: viability per node and overall, kept up to date in O(1) per
 * change, checked against a full recomputation at scale. */
#include <string.h>

#include "check.h"
#include "sched_fixture.h"
#include "util/rng.h"

struct flips {
  int to_bad, to_good;
  int32_t last;
};

static void on_flip(void *data, int32_t node, bool viable) {
  struct flips *f = data;
  if (viable)
    f->to_good++;
  else
    f->to_bad++;
  f->last = node;
}

static void test_viability(void) {
  struct sched_model m;
  fx_model(&m, 3, 700, 32768, 4);
  struct flips f = {0};
  m.on_viability = on_flip;
  m.on_viability_data = &f;
  CHECK(sched_model_viable(&m));
  fx_ve(&m, 0, 0, 400, 1024);
  fx_ve(&m, 1, 0, 300, 1024);
  CHECK(m.nodes[0].used[SCHED_CPU] == 700 && m.nodes[0].used[SCHED_MEM] == 2048);
  CHECK(sched_node_viable(&m, 0) && sched_model_viable(&m)); /* at capacity is fine */
  CHECK(sched_node_slack(&m, 0, SCHED_CPU) == 0);
  sched_ve_set_cpu(&m, 1, 310);
  CHECK(!sched_node_viable(&m, 0) && !sched_model_viable(&m));
  CHECK(m.nbad == 1 && m.bad[0] == 0);
  CHECK(f.to_bad == 1 && f.last == 0);
  CHECK(sched_node_slack(&m, 0, SCHED_CPU) == -10);
  /* moving a VE away repairs it */
  err_t e = ERR_INIT;
  CHECK(sched_ve_place(&m, 1, 1, &e) == 0);
  CHECK(sched_model_viable(&m) && f.to_good == 1);
  CHECK(m.nodes[0].nves == 1 && m.nodes[1].nves == 1 && m.ves[1].host == 1);
  /* memory overload */
  sched_ve_set_demand(&m, 1, 310, 40000);
  CHECK(!sched_node_viable(&m, 1));
  sched_ve_set_demand(&m, 1, 310, 1024);
  /* an offline node hosting VEs is not viable; an empty one is */
  sched_node_set_online(&m, 2, false);
  CHECK(sched_node_viable(&m, 2));
  CHECK(sched_ve_place(&m, 2, 2, &e) == 0);
  CHECK(!sched_node_viable(&m, 2));
  CHECK(sched_ve_place(&m, 2, SCHED_NOWHERE, &e) == 0);
  CHECK(sched_node_viable(&m, 2) && m.ves[2].host == SCHED_NOWHERE);
  /* capacity changes count too */
  sched_node_set_capacity(&m, 0, 300, 32768);
  CHECK(!sched_node_viable(&m, 0));
  CHECK(sched_ve_place(&m, 3, 9, &e) < 0 && strstr(e.msg, "out of range"));
  sched_model_free(&m);
  CHECK(sched_model_init(&m, -1, 3, &e) < 0 && strstr(e.msg, "negative"));
}

static void test_copy(void) {
  struct sched_model m, c;
  fx_model(&m, 2, 100, 100, 3);
  fx_ve(&m, 0, 0, 60, 10);
  fx_ve(&m, 1, 0, 60, 10);
  err_t e = ERR_INIT;
  CHECK(sched_model_copy(&c, &m, &e) == 0);
  CHECK(c.nbad == 1 && c.nodes[0].nves == 2 && c.nodes[0].used[SCHED_CPU] == 120);
  CHECK(sched_ve_place(&c, 1, 1, &e) == 0);
  CHECK(sched_model_viable(&c) && !sched_model_viable(&m)); /* independent */
  CHECK(m.nodes[0].nves == 2 && m.ves[1].host == 0);
  sched_model_free(&c);
  sched_model_free(&m);
}

/* 10,000 nodes, 100,000 VEs, a million random changes: the incremental
 * sums and the set of non-viable nodes match a recomputation. */
static void test_incremental_at_scale(void) {
  enum { NODES = 10000, VES = 100000 };
  struct sched_model m;
  fx_model(&m, NODES, 700, 32768, VES);
  err_t e = ERR_INIT;
  for (int32_t v = 0; v < VES; v++) {
    sched_ve_set_demand(&m, v, 60, 1024);
    fx_ok(sched_ve_place(&m, v, v % NODES, &e), &e, "place");
  }
  rng_t r;
  rng_seed(&r, 42, 0);
  for (int i = 0; i < 1000000; i++) {
    int32_t v = (int32_t)rng_below(&r, VES);
    if (i % 100 == 0)
      fx_ok(sched_ve_place(&m, v, (int32_t)rng_below(&r, NODES), &e), &e, "move");
    else
      sched_ve_set_cpu(&m, v, (int64_t)rng_below(&r, 11) * 10);
  }
  int64_t *cpu = calloc(NODES, sizeof(*cpu));
  int32_t *count = calloc(NODES, sizeof(*count));
  CHECK_FATAL(cpu && count);
  for (int32_t v = 0; v < VES; v++) {
    cpu[m.ves[v].host] += m.ves[v].demand[SCHED_CPU];
    count[m.ves[v].host]++;
  }
  int sums_ok = 1, bad_ok = 1, lists_ok = 1;
  int32_t nbad = 0;
  for (int32_t n = 0; n < NODES; n++) {
    sums_ok &= cpu[n] == m.nodes[n].used[SCHED_CPU] && count[n] == m.nodes[n].nves;
    bool over = cpu[n] > 700;
    nbad += over;
    bad_ok &= over == !sched_node_viable(&m, n);
    for (int32_t i = 0; i < m.nodes[n].nves; i++)
      lists_ok &= m.ves[m.nodes[n].ves[i]].host == n && m.ves[m.nodes[n].ves[i]].slot == i;
  }
  CHECK(sums_ok && bad_ok && lists_ok);
  CHECK(nbad == m.nbad && nbad > 0);
  for (int32_t i = 0; i < m.nbad; i++)
    CHECK(m.nodes[m.bad[i]].bad_slot == i);
  free(cpu);
  free(count);
  sched_model_free(&m);
}

int main(void) {
  test_viability();
  test_copy();
  test_incremental_at_scale();
  return check_report("sched_model");
}
