/* cgroup_stats and cgroup_sub over fake v1 and v2 group directories: the
 * values runc's `events` would print for the same files, and the sub-groups
 * exec --cgroup picks. Runs without root (no real cgroup is touched). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "check.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static char top[] = "/tmp/cgroup-stats.XXXXXX";

static void put(const char *dir, const char *file, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen(path, "w");
  CHECK_FATAL(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

static char *mkdirs(const char *sub) {
  char *dir = path_join(top, sub);
  err_t e = ERR_INIT;
  CHECK_FATAL(dir && mkdir_p_at(AT_FDCWD, dir, 0755, &e) == 0);
  return dir;
}

static struct cgroup_hierarchy hierarchy(const char *name, const char *mount, const char *dir,
                                         bool v2) {
  return (struct cgroup_hierarchy){.name = strdup(name), .mount = path_join(top, mount),
                                   .dir = path_join(top, dir), .options = strdup(name), .v2 = v2};
}

static json_int_t at(json_t *j, const char *path) {
  char *copy = strdup(path), *save = NULL;
  for (char *k = strtok_r(copy, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
    j = json_is_array(j) ? json_array_get(j, (size_t)atoi(k)) : json_object_get(j, k);
  free(copy);
  return j ? json_integer_value(j) : -12345;
}

static void test_v2(void) {
  _cleanup_free_ char *d = mkdirs("v2/box");
  put(d, "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\n"
                     "nr_throttled 2\nthrottled_usec 7\n");
  put(d, "memory.current", "4096\n");
  put(d, "memory.max", "max\n");
  put(d, "memory.peak", "8192\n");
  put(d, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n");
  put(d, "memory.stat", "anon 100\nfile 200\n");
  put(d, "memory.swap.current", "10\n");
  put(d, "memory.swap.max", "max\n");
  put(d, "pids.current", "2\n");
  put(d, "pids.max", "max\n");
  put(d, "io.stat", "8:0 rbytes=11 wbytes=12 rios=13 wios=14 dbytes=0 dios=0\n");
  put(d, "cpuset.cpus.effective", "0-2,5\n");
  put(d, "cpuset.mems.effective", "0\n");
  struct cgroup_hierarchy h = hierarchy("", "v2", "v2/box", true);
  struct cgroup cg = {.mode = CGROUP_MODE_V2, .path = "/box", .hierarchies = &h,
                      .n_hierarchies = 1};
  err_t e = ERR_INIT;
  _cleanup_json_ json_t *s = cgroup_stats(&cg, &e);
  CHECK_FATAL(s);
  CHECK(at(s, "cpu.usage.total") == 1500000);
  CHECK(at(s, "cpu.usage.user") == 1000000 && at(s, "cpu.usage.kernel") == 500000);
  CHECK(at(s, "cpu.throttling.periods") == 4 && at(s, "cpu.throttling.throttledPeriods") == 2);
  CHECK(at(s, "cpu.throttling.throttledTime") == 7000);
  CHECK(at(s, "memory.usage.usage") == 4096 && at(s, "memory.usage.max") == 8192);
  CHECK(at(s, "memory.usage.limit") == INT64_MAX && at(s, "memory.usage.failcnt") == 3);
  CHECK(at(s, "memory.cache") == 200 && at(s, "memory.raw.anon") == 100);
  CHECK(at(s, "memory.swap.usage") == 4096 + 10 && at(s, "memory.swap.limit") == INT64_MAX);
  CHECK(at(s, "pids.current") == 2 && !json_object_get(json_object_get(s, "pids"), "limit"));
  CHECK(at(s, "blkio.ioServiceBytesRecursive.0.major") == 8);
  CHECK(at(s, "blkio.ioServiceBytesRecursive.1.value") == 12);
  CHECK_STR(json_string_value(json_object_get(
                json_array_get(json_object_get(json_object_get(s, "blkio"), "ioServicedRecursive"), 0),
                "op")),
            "Read");
  CHECK(at(s, "blkio.ioServicedRecursive.1.value") == 14);
  CHECK(json_array_size(json_object_get(json_object_get(s, "cpuset"), "cpus")) == 4);
  CHECK(at(s, "cpuset.cpus.3") == 5);
  uint64_t ooms;
  CHECK(cgroup_oom_kills(&cg, &ooms, &e) == 0 && ooms == 2);

  /* exec --cgroup */
  struct cgroup *sub = NULL;
  const char *missing[] = {"nope", NULL};
  CHECK(cgroup_sub(&cg, missing, &sub, &e) == -1 && strstr(e.msg, "no group"));
  _cleanup_free_ char *inner = mkdirs("v2/box/a/b");
  const char *ok[] = {"/a//b/", NULL};
  CHECK(cgroup_sub(&cg, ok, &sub, &e) == 0 && sub && !strcmp(sub->hierarchies[0].dir, inner));
  cgroup_free(sub);
  const char *ctrl[] = {"memory:a", NULL};
  CHECK(cgroup_sub(&cg, ctrl, &sub, &e) == -1 && strstr(e.msg, "cgroup v2 only"));
  const char *dots[] = {"a/../..", NULL};
  CHECK(cgroup_sub(&cg, dots, &sub, &e) == -1 && strstr(e.msg, "\"..\" are not allowed"));
  free(h.name);
  free(h.mount);
  free(h.dir);
  free(h.options);
}

static void test_v1(void) {
  _cleanup_free_ char *acct = mkdirs("cpu,cpuacct/box"), *mem = mkdirs("memory/box");
  _cleanup_free_ char *blk = mkdirs("blkio/box");
  put(acct, "cpuacct.usage", "300\n");
  put(acct, "cpuacct.usage_percpu", "100 200 \n");
  put(acct, "cpuacct.usage_all", "cpu user system\n0 60 40\n1 150 50\n");
  put(acct, "cpuacct.stat", "user 2\nsystem 3\n");
  put(acct, "cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");
  put(mem, "memory.usage_in_bytes", "5000\n");
  put(mem, "memory.max_usage_in_bytes", "6000\n");
  put(mem, "memory.limit_in_bytes", "9223372036854771712\n");
  put(mem, "memory.failcnt", "0\n");
  put(mem, "memory.stat", "cache 77\nrss 88\n");
  put(mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
  put(blk, "blkio.io_service_bytes_recursive", "Total 0\n");
  put(blk, "blkio.throttle.io_service_bytes_recursive", "8:0 Read 10\n8:0 Write 20\nTotal 30\n");
  put(blk, "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 2\nTotal 3\n");
  struct cgroup_hierarchy hs[] = {hierarchy("cpu,cpuacct", "cpu,cpuacct", "cpu,cpuacct/box", false),
                                  hierarchy("memory", "memory", "memory/box", false),
                                  hierarchy("blkio", "blkio", "blkio/box", false)};
  struct cgroup cg = {.mode = CGROUP_MODE_V1, .path = "/box", .hierarchies = hs,
                      .n_hierarchies = 3};
  err_t e = ERR_INIT;
  _cleanup_json_ json_t *s = cgroup_stats(&cg, &e);
  CHECK_FATAL(s);
  long hz = sysconf(_SC_CLK_TCK);
  CHECK(at(s, "cpu.usage.total") == 300 && at(s, "cpu.usage.percpu.1") == 200);
  CHECK(at(s, "cpu.usage.percpu_user.1") == 150 && at(s, "cpu.usage.percpu_kernel.0") == 40);
  CHECK(at(s, "cpu.usage.user") == 2 * (1000000000 / hz));
  CHECK(at(s, "cpu.usage.kernel") == 3 * (1000000000 / hz));
  CHECK(json_object_size(json_object_get(json_object_get(s, "cpu"), "throttling")) == 0);
  CHECK(at(s, "memory.usage.usage") == 5000 && at(s, "memory.usage.max") == 6000);
  CHECK(at(s, "memory.usage.limit") == 9223372036854771712LL && at(s, "memory.cache") == 77);
  /* no memsw files: runc's zero entry, limit and failcnt only */
  CHECK(json_object_size(json_object_get(json_object_get(s, "memory"), "swap")) == 2);
  CHECK(at(s, "blkio.ioServiceBytesRecursive.1.value") == 20);
  CHECK(json_array_size(json_object_get(json_object_get(s, "blkio"), "ioServicedRecursive")) == 2);
  uint64_t ooms;
  CHECK(cgroup_oom_kills(&cg, &ooms, &e) == 0 && ooms == 4);

  /* exec --cgroup per controller */
  _cleanup_free_ char *msub = mkdirs("memory/box/m");
  struct cgroup *sub = NULL;
  const char *one[] = {"memory:m", NULL};
  CHECK(cgroup_sub(&cg, one, &sub, &e) == 0 && sub);
  if (sub) {
    CHECK(!strcmp(sub->hierarchies[1].dir, msub));
    CHECK(!strcmp(sub->hierarchies[0].dir, hs[0].dir)); /* cpu keeps the container's */
    cgroup_free(sub);
  }
  const char *twice[] = {"memory:m", "cpu,memory:m", NULL};
  CHECK(cgroup_sub(&cg, twice, &sub, &e) == -1 && strstr(e.msg, "given twice"));
  const char *mixed[] = {"m", "memory:m", NULL};
  CHECK(cgroup_sub(&cg, mixed, &sub, &e) == -1 && strstr(e.msg, "cannot be combined"));
  const char *unknown[] = {"pids:m", NULL};
  CHECK(cgroup_sub(&cg, unknown, &sub, &e) == -1 && strstr(e.msg, "controller pids"));
  const char *empty[] = {",memory:m", NULL};
  CHECK(cgroup_sub(&cg, empty, &sub, &e) == -1 && strstr(e.msg, "empty controller"));
  for (size_t i = 0; i < 3; i++) {
    free(hs[i].name);
    free(hs[i].mount);
    free(hs[i].dir);
    free(hs[i].options);
  }
}

int main(void) {
  CHECK_FATAL(mkdtemp(top));
  test_v2();
  test_v1();
  err_t e = ERR_INIT;
  remove_tree_at(AT_FDCWD, top, &e);
  return check_report("cgroup_stats");
}
