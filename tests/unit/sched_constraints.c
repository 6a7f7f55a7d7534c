/* Constraints: each kind accepts and rejects configurations with BtrPlace's
 * discrete semantics; the constraints-file parser reports bad input on one
 * line that names the entry. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sched_fixture.h"

/* ves 0, 1 on node 0; ve 2 on node 1; ve 3 on node 2; ve 4 ready. */
static void layout(struct sched_model *m) {
  fx_model(m, 3, 100, 1000, 5);
  fx_ve(m, 0, 0, 10, 100);
  fx_ve(m, 1, 0, 10, 100);
  fx_ve(m, 2, 1, 10, 100);
  fx_ve(m, 3, 2, 10, 100);
  sched_ve_set_demand(m, 4, 10, 100);
}

/* 0 when the layout satisfies the constraint, -1 otherwise (message in e). */
static int config_with(const struct sched_model *m, const char *json, err_t *e) {
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  fx_cstr(&c, json);
  fx_ok(sched_cstrs_seal(&c, m, e), e, json);
  int rc = sched_check_config(m, &c, NULL, 0, e);
  sched_cstrs_free(&c);
  return rc;
}

static void test_each_kind(void) {
  static const struct {
    const char *json;
    bool holds;
  } cases[] = {
      {"{\"id\":\"ban\",\"vm\":0,\"nodes\":[1,2]}", true},
      {"{\"id\":\"ban\",\"vm\":0,\"nodes\":[0]}", false},
      {"{\"id\":\"fence\",\"vms\":[0,1],\"nodes\":[0]}", true},
      {"{\"id\":\"fence\",\"vms\":[0,2],\"nodes\":[0]}", false},
      {"{\"id\":\"spread\",\"vms\":[0,2,3,4]}", true},
      {"{\"id\":\"spread\",\"vms\":[0,1]}", false},
      {"{\"id\":\"gather\",\"vms\":[0,1,4]}", true},
      {"{\"id\":\"gather\",\"vms\":[0,2]}", false},
      {"{\"id\":\"among\",\"vms\":[0,1],\"parts\":[[0],[1,2]]}", true},
      {"{\"id\":\"among\",\"vms\":[2,3],\"parts\":[[0],[1,2]]}", true},
      {"{\"id\":\"among\",\"vms\":[0,2],\"parts\":[[0],[1,2]]}", false},
      {"{\"id\":\"latency\",\"vms\":[1,3],\"parts\":[[0,1],[2]]}", false},
      {"{\"id\":\"lonely\",\"vms\":[2]}", true},
      {"{\"id\":\"lonely\",\"vms\":[0,1]}", true},
      {"{\"id\":\"lonely\",\"vms\":[0]}", false},
      {"{\"id\":\"split\",\"parts\":[[0,1],[2,3]]}", true},
      {"{\"id\":\"split\",\"parts\":[[0],[1]]}", false},
      {"{\"id\":\"resourceCapacity\",\"nodes\":[0],\"rc\":\"cpu\",\"amount\":20}", true},
      {"{\"id\":\"resourceCapacity\",\"nodes\":[0],\"rc\":\"cpu\",\"amount\":19}", false},
      {"{\"id\":\"resourceCapacity\",\"nodes\":[0,1],\"rc\":\"memory\",\"amount\":299}", false},
      {"{\"id\":\"runningCapacity\",\"nodes\":[0],\"amount\":2}", true},
      {"{\"id\":\"runningCapacity\",\"nodes\":[0,1],\"amount\":2}", false},
      {"{\"id\":\"maxOnline\",\"nodes\":[0,1,2],\"amount\":3}", true},
      {"{\"id\":\"maxOnline\",\"nodes\":[0,1,2],\"amount\":2}", false},
      {"{\"id\":\"online\",\"nodes\":[0,1]}", true},
      {"{\"id\":\"offline\",\"node\":1}", false},
      {"{\"id\":\"running\",\"vms\":[0,1,2,3]}", true},
      {"{\"id\":\"running\",\"vm\":4}", false},
      {"{\"id\":\"preserve\",\"vm\":0,\"rc\":\"uCpu\",\"amount\":10}", true},
      {"{\"id\":\"preserve\",\"vm\":0,\"rc\":\"uCpu\",\"amount\":11}", false},
      {"{\"id\":\"root\",\"vm\":0}", true},
      {"{\"id\":\"quarantine\",\"node\":0}", true},
  };
  struct sched_model m;
  layout(&m);
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    err_t e = ERR_INIT;
    int rc = config_with(&m, cases[i].json, &e);
    if ((rc == 0) != cases[i].holds)
      fprintf(stderr, "%s: expected %s, got \"%s\"\n", cases[i].json,
              cases[i].holds ? "to hold" : "a violation", rc ? e.msg : "holds");
    CHECK((rc == 0) == cases[i].holds);
    if (!cases[i].holds)
      CHECK(strstr(e.msg, "at the end: ") == e.msg);
  }
  sched_model_free(&m);
}

/* The parser's message for `text` (a JSON document); "" when it parses. */
static const char *parse_error(const char *text, char *buf, size_t size) {
  json_error_t je;
  json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
  if (!j) {
    snprintf(buf, size, "bad test JSON");
    return buf;
  }
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  err_t e = ERR_INIT;
  int rc = sched_cstrs_load_json(&c, j, "cstrs.json", &e);
  snprintf(buf, size, "%s", rc < 0 ? e.msg : "");
  sched_cstrs_free(&c);
  json_decref(j);
  return buf;
}

static void test_parser_errors(void) {
  static const struct {
    const char *text, *want;
  } cases[] = {
      {"5", "cstrs.json: expected an array of constraints, got integer"},
      {"{\"rules\":[]}", "cstrs.json: missing \"constraints\""},
      {"[3]", "cstrs.json[0]: expected an object, got integer"},
      {"[{\"vms\":[1]}]", "cstrs.json[0]: missing \"id\""},
      {"[{\"id\":\"banana\"}]", "cstrs.json[0]: unknown constraint \"banana\""},
      {"[{\"id\":\"spread\",\"vms\":[1],\"vmz\":[2]}]",
       "cstrs.json[0] (spread): unknown key \"vmz\""},
      {"[{\"id\":\"spread\",\"vms\":\"1,2\"}]",
       "cstrs.json[0] (spread): vms: expected an array, got string"},
      {"[{\"id\":\"root\",\"vm\":\"a\"}]",
       "cstrs.json[0] (root): vm: expected an integer id, got string"},
      {"[{\"id\":\"root\",\"vms\":[-1]}]", "(root): vms[0]: VE id -1 out of range"},
      {"[{\"id\":\"ban\",\"vm\":1}]", "cstrs.json[0]: ban: needs at least one node"},
      {"[{\"id\":\"spread\",\"vms\":[1],\"nodes\":[2]}]", "spread: takes no nodes"},
      {"[{\"id\":\"among\",\"vms\":[1]}]", "among: needs at least one node"},
      {"[{\"id\":\"among\",\"vms\":[1],\"parts\":[[0],[]]}]", "among: group 1 is empty"},
      {"[{\"id\":\"among\",\"vms\":[1],\"parts\":[0]}]",
       "parts[0]: expected an array, got integer"},
      {"[{\"id\":\"resourceCapacity\",\"nodes\":[0],\"rc\":\"disk\",\"amount\":3}]",
       "rc: unknown resource \"disk\""},
      {"[{\"id\":\"runningCapacity\",\"nodes\":[0],\"amount\":-2}]",
       "runningCapacity: amount must not be negative"},
      {"[{\"id\":\"maxOnline\",\"nodes\":[0],\"amount\":1.5}]", "amount: expected an integer"},
      {"[{\"id\":\"ban\",\"vm\":1,\"nodes\":[0],\"continuous\":\"yes\"}]",
       "continuous: expected a boolean"},
      {"[{\"id\":\"ban\",\"vm\":1,\"nodes\":[0],\"continuous\":true}, {\"id\":\"root\"}]",
       "cstrs.json[1]: root: needs at least one VE"},
      {"[{\"id\":\"split\",\"parts\":[[0,1],[2]]}, {\"id\":\"latency\",\"vms\":[0],"
       "\"parts\":[[0],[1]]}]", ""},
      {"{\"constraints\":[{\"id\":\"offline\",\"nodes\":[3,1,3]}]}", ""},
  };
  char buf[ERR_MSG_MAX];
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    const char *got = parse_error(cases[i].text, buf, sizeof(buf));
    bool ok = cases[i].want[0] ? strstr(got, cases[i].want) != NULL : got[0] == 0;
    if (!ok)
      fprintf(stderr, "%s: got \"%s\", want \"%s\"\n", cases[i].text, got, cases[i].want);
    CHECK(ok);
    CHECK(!strchr(got, '\n'));
  }
}

static void test_seal_and_index(void) {
  struct sched_model m;
  layout(&m);
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  err_t e = ERR_INIT;
  fx_cstr(&c, "{\"id\":\"ban\",\"vms\":[3,0,3],\"nodes\":[2,1]}");
  fx_cstr(&c, "{\"id\":\"spread\",\"vms\":[0,2]}");
  CHECK(c.items[0].nves == 2 && c.items[0].ves[0] == 0 && c.items[0].ves[1] == 3);
  CHECK(!c.sealed);
  CHECK(sched_cstrs_seal(&c, &m, &e) == 0 && c.sealed);
  int32_t n;
  const int32_t *idx = sched_cstrs_of_ve(&c, 0, &n);
  CHECK(n == 2 && idx[0] == 0 && idx[1] == 1);
  sched_cstrs_of_ve(&c, 1, &n);
  CHECK(n == 0);
  idx = sched_cstrs_of_node(&c, 2, &n);
  CHECK(n == 1 && idx[0] == 0);
  CHECK(sched_cstrs_has(&c, SCHED_SPREAD) && !sched_cstrs_has(&c, SCHED_GATHER));
  fx_cstr(&c, "{\"id\":\"fence\",\"vm\":9,\"nodes\":[0]}");
  CHECK(!c.sealed);
  CHECK(sched_cstrs_seal(&c, &m, &e) < 0);
  CHECK(strstr(e.msg, "fence #2: VE 9 out of range (model has 5 VEs)") != NULL);
  sched_cstrs_free(&c);
  sched_cstrs_init(&c);
  fx_cstr(&c, "{\"id\":\"ban\",\"vm\":1,\"nodes\":[7]}");
  CHECK(sched_cstrs_seal(&c, &m, &e) < 0 && strstr(e.msg, "node 7 out of range"));
  sched_cstrs_free(&c);
  sched_cstrs_init(&c);
  fx_cstr(&c, "{\"id\":\"among\",\"vm\":1,\"parts\":[[0,1],[1,2]]}");
  CHECK(sched_cstrs_seal(&c, &m, &e) < 0 && strstr(e.msg, "node 1 is in groups 0 and 1"));
  CHECK(sched_cstr_group_of(&c.items[0], 2) == 1 && sched_cstr_group_of(&c.items[0], 5) == -1);
  sched_cstrs_free(&c);
  sched_cstrs_init(&c);
  fx_cstr(&c, "{\"id\":\"online\",\"nodes\":[0,1]}");
  fx_cstr(&c, "{\"id\":\"offline\",\"nodes\":[2,1]}");
  CHECK(sched_cstrs_seal(&c, &m, &e) < 0 &&
        strstr(e.msg, "online #0 and offline #1 both name node 1"));
  CHECK(!c.sealed);
  sched_cstrs_free(&c);
  sched_model_free(&m);
}

static void test_preserve_applied(void) {
  struct sched_model m;
  layout(&m);
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  err_t e = ERR_INIT;
  fx_cstr(&c, "{\"id\":\"preserve\",\"vms\":[0,1],\"rc\":\"cpu\",\"amount\":60}");
  fx_cstr(&c, "{\"id\":\"preserve\",\"vm\":2,\"rc\":\"mem\",\"amount\":50}");
  CHECK(sched_cstrs_seal(&c, &m, &e) == 0);
  sched_cstrs_apply_preserve(&c, &m);
  CHECK(m.ves[0].demand[SCHED_CPU] == 60 && m.ves[1].demand[SCHED_CPU] == 60);
  CHECK(m.ves[2].demand[SCHED_MEM] == 100); /* already above */
  CHECK(!sched_node_viable(&m, 0));         /* 120 > 100: the load increase */
  sched_cstrs_free(&c);
  sched_model_free(&m);
}

static void test_load_file(void) {
  char dir[] = "/tmp/sched-cstrs-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[128];
  snprintf(path, sizeof(path), "%s/c.json", dir);
  struct sched_cstrs c;
  sched_cstrs_init(&c);
  err_t e = ERR_INIT;
  CHECK(sched_cstrs_load_file(&c, path, &e) < 0 && strstr(e.msg, path) && e.code == ENOENT);
  FILE *f = fopen(path, "w");
  CHECK_FATAL(f != NULL);
  fputs("[{\"id\":\"spread\", \"vms\": [1, 2],}]", f);
  fclose(f);
  CHECK(sched_cstrs_load_file(&c, path, &e) < 0 && strstr(e.msg, "invalid JSON at line 1"));
  f = fopen(path, "w");
  CHECK_FATAL(f != NULL);
  fputs("[{\"id\":\"spread\", \"vms\": [1, 2], \"continuous\": true}]\n", f);
  fclose(f);
  CHECK(sched_cstrs_load_file(&c, path, &e) == 0 && c.n == 1 && c.items[0].continuous);
  sched_cstrs_free(&c);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  test_each_kind();
  test_parser_errors();
  test_seal_and_index();
  test_preserve_applied();
  test_load_file();
  return check_report("sched_constraints");
}
