/* The BtrPlace reader on small written instances (gzip'd and plain), its
 * errors, and a real standard instance (li3: 5,000 nodes, 15,000 VMs)
 * solved and checked. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "sched/btrplace.h"
#include "sched_fixture.h"

static char dir[] = "/tmp/sched-btrplace-XXXXXX";

/* Write text to dir/name, gzip'd when the name ends in .gz. */
static const char *write_instance(const char *name, const char *text) {
  static char path[256];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  if (strstr(name, ".gz")) {
    gzFile gz = gzopen(path, "wb");
    CHECK_FATAL(gz != NULL);
    gzputs(gz, text);
    gzclose(gz);
  } else {
    FILE *f = fopen(path, "w");
    CHECK_FATAL(f != NULL);
    fputs(text, f);
    fclose(f);
  }
  return path;
}

/* Nodes 10, 11 online, 12 offline; VMs 0, 1 on 10, 2 on 11, 3 ready. */
#define SMALL_MAPPING                                                                        \
  "\"mapping\":{\"onlineNodes\":{\"10\":{\"runningVMs\":[0,1],\"sleepingVMs\":[]},"        \
  "\"11\":{\"runningVMs\":[2],\"sleepingVMs\":[]}},\"offlineNodes\":[12],\"readyVMs\":[3]}"
#define SMALL_VIEWS                                                                          \
  "\"views\":[{\"id\":\"shareableResource\",\"rcId\":\"uCpu\",\"defCapacity\":100,"          \
  "\"defConsumption\":0,\"nodes\":{},\"vms\":{\"0\":40,\"1\":40,\"2\":30,\"3\":20}},"        \
  "{\"id\":\"ns\",\"type\":\"vm\",\"map\":{}},"                                              \
  "{\"id\":\"shareableResource\",\"rcId\":\"memory\",\"defCapacity\":0,"                     \
  "\"defConsumption\":100,\"nodes\":{\"10\":1000,\"11\":1000,\"12\":500},\"vms\":{\"2\":300}}]"

static const char *small =
    "{\"model\":{" SMALL_MAPPING "," SMALL_VIEWS ",\"attributes\":{}},"
    "\"constraints\":[{\"id\":\"online\",\"node\":10,\"continuous\":false},"
    "{\"id\":\"offline\",\"node\":12,\"continuous\":false},"
    "{\"id\":\"running\",\"vm\":3,\"continuous\":false},"
    "{\"id\":\"preserve\",\"vm\":0,\"rc\":\"uCpu\",\"amount\":70},"
    "{\"id\":\"ban\",\"vm\":1,\"nodes\":[11],\"continuous\":false}],"
    "\"objective\":{\"id\":\"minimizeMTTR\"}}";

static void test_small(const char *name) {
  struct sched_instance inst;
  err_t e = ERR_INIT;
  CHECK(sched_instance_load(&inst, write_instance(name, small), &e) == 0);
  const struct sched_model *m = &inst.model;
  CHECK(m->nnodes == 3 && m->nves == 4 && inst.cstrs.n == 5 && inst.cstrs.sealed);
  CHECK(inst.node_ids[0] == 10 && inst.node_ids[2] == 12 && inst.ve_ids[3] == 3);
  CHECK(m->nodes[0].cap[SCHED_CPU] == 100 && m->nodes[2].cap[SCHED_MEM] == 500);
  CHECK(!m->nodes[2].online && m->nodes[0].online);
  CHECK(m->ves[0].demand[SCHED_CPU] == 70); /* preserve applied: 40 -> 70 */
  CHECK(m->ves[2].demand[SCHED_MEM] == 300 && m->ves[1].demand[SCHED_MEM] == 100);
  CHECK(m->ves[3].host == SCHED_NOWHERE && m->ves[0].host == 0);
  CHECK(m->nbad == 1 && m->bad[0] == 0); /* 70 + 40 > 100 */
  CHECK(!strcmp(inst.objective, "minimizeMTTR"));
  /* ve 1 may not go to node 11 and node 12 must stay off: ve 0 moves and
   * ve 3 boots */
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_stats st;
  int crc = 0;
  CHECK(fx_solve_checked(m, NULL, 0, &inst.cstrs, 1, &p, &st, &crc, &e) == SCHED_SOLVED);
  CHECK(crc == 0);
  CHECK(p.migrations == 1 && p.actions[0].ve == 0 && p.actions[0].dst == 1);
  int boots = 0;
  for (int32_t i = 0; i < p.nactions; i++)
    boots += p.actions[i].kind == SCHED_BOOT_VE && p.actions[i].ve == 3;
  CHECK(boots == 1);
  sched_plan_free(&p);
  sched_instance_free(&inst);
}

static void test_errors(void) {
  static const struct {
    const char *text, *want;
  } cases[] = {
      {"{\"model\": [", "invalid JSON"},
      {"[1]", "expected a JSON object"},
      {"{\"constraints\":[]}", "model: expected an object"},
      {"{\"model\":{\"views\":[]}}", "model.mapping: expected an object"},
      {"{\"model\":{\"mapping\":{\"onlineNodes\":{\"a\":{}}}}}",
       "model.mapping.onlineNodes.a: \"a\" is not a non-negative integer id"},
      {"{\"model\":{\"mapping\":{\"onlineNodes\":{\"1\":{\"runningVMs\":[],"
       "\"sleepingVMs\":[4]}}}}}",
       "onlineNodes.1.sleepingVMs: sleeping VMs are not supported"},
      {"{\"model\":{\"mapping\":{\"onlineNodes\":{\"1\":{\"runningVMs\":[4]},"
       "\"2\":{\"runningVMs\":[4]}}}}}", "runningVMs[0]: id 4 appears twice"},
      {"{\"model\":{\"mapping\":{\"onlineNodes\":{}},\"views\":[]}}",
       "needs shareableResource views for uCpu and memory"},
      /* Found by fuzzing: a missing member's type was read through NULL. */
      {"{\"model\":{" SMALL_MAPPING "}}", "model.views: expected an array, got nothing"},
      {"{\"model\":{\"mapping\":{\"onlineNodes\":{}},\"views\":[{\"id\":\"shareableResource\","
       "\"rcId\":\"disk\"}]}}", "model.views[0]: resource \"disk\" is not supported"},
      {"{\"model\":{" SMALL_MAPPING ",\"views\":[{\"id\":\"shareableResource\",\"rcId\":"
       "\"uCpu\",\"nodes\":{},\"vms\":{\"9\":3}}]}}", "model.views[0].vms.9: not in the mapping"},
      {"{\"model\":{" SMALL_MAPPING "," SMALL_VIEWS "},\"constraints\":[{\"id\":\"seq\","
       "\"vms\":[0,1]}]}", "constraints[0]: unknown constraint \"seq\""},
      {"{\"model\":{" SMALL_MAPPING "," SMALL_VIEWS "},\"constraints\":[{\"id\":\"root\","
       "\"vm\":77}]}", "constraints[0] (root): vm: unknown VM 77"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    struct sched_instance inst;
    err_t e = ERR_INIT;
    const char *path = write_instance(i % 2 ? "bad.json.gz" : "bad.json", cases[i].text);
    int rc = sched_instance_load(&inst, path, &e);
    bool ok = rc < 0 && strstr(e.msg, cases[i].want) && strstr(e.msg, path) &&
              !strchr(e.msg, '\n');
    if (!ok)
      fprintf(stderr, "case %zu: got \"%s\", want \"%s\"\n", i, rc < 0 ? e.msg : "success",
              cases[i].want);
    CHECK(ok);
    CHECK(inst.model.nodes == NULL && inst.cstrs.items == NULL); /* nothing left behind */
  }
  struct sched_instance inst;
  err_t e = ERR_INIT;
  CHECK(sched_instance_load(&inst, "/nonexistent/li9.json.gz", &e) < 0);
  CHECK(strstr(e.msg, "/nonexistent/li9.json.gz: No such file") != NULL);
}

/* The smallest of BtrPlace's standard instances, repaired and checked. */
static void test_li3(void) {
  const char *base = getenv("SCHED_BTRPLACE_DIR");
  char path[512];
  snprintf(path, sizeof(path), "%s/li3.json.gz",
           base ? base : "/work/shared/data/btrplace-std-perf");
  if (access(path, R_OK) != 0) {
    check_skip("sched_btrplace.li3", "%s not found", path);
    return;
  }
  struct sched_instance inst;
  err_t e = ERR_INIT;
  CHECK(sched_instance_load(&inst, path, &e) == 0);
  CHECK(inst.model.nnodes == 5000 && inst.model.nves == 15000);
  CHECK(inst.model.nbad > 0); /* preserve raised some loads past capacity */
  struct sched_plan p;
  sched_plan_init(&p);
  struct sched_solve_stats st;
  int crc = 0;
  CHECK(fx_solve_checked(&inst.model, NULL, 0, &inst.cstrs, 1, &p, &st, &crc, &e) ==
        SCHED_SOLVED);
  CHECK(crc == 0 && p.migrations > 0);
  CHECK(sched_plan_apply(&inst.model, &p, &e) == 0 && sched_model_viable(&inst.model));
  fprintf(stderr, "sched_btrplace: li3 repaired with %d migrations in %.3f s\n", p.migrations,
          st.seconds);
  sched_plan_free(&p);
  sched_instance_free(&inst);
}

int main(void) {
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_small("small.json.gz");
  test_small("small.json");
  test_errors();
  test_li3();
  char path[256];
  const char *names[] = {"small.json.gz", "small.json", "bad.json", "bad.json.gz"};
  for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    unlink(path);
  }
  rmdir(dir);
  return check_report("sched_btrplace");
}
