/* cgroup: everything that needs no real cgroup: the resources parser and its
 * errors, layout detection from v1, v2 and hybrid mountinfo texts, path
 * resolution, value conversions, the saved state, the device program. */
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "check.h"
#include "util/cleanup.h"
#include "util/json.h"

static json_t *parse_json(const char *text) {
  err_t e = ERR_INIT;
  json_t *j = json_load_object_buf(text, strlen(text), "test", &e);
  if (!j)
    fprintf(stderr, "bad test JSON: %s\n", e.msg);
  return j;
}

/* Parse a LinuxResources text; returns the rc, message in *e. */
static int parse(const char *text, struct cgroup_resources *r, err_t *e) {
  _cleanup_json_ json_t *j = parse_json(text);
  return cgroup_resources_from_json(j, "linux.resources", r, e);
}

static void expect_error(const char *text, const char *message) {
  struct cgroup_resources r;
  err_t e = ERR_INIT;
  CHECK(parse(text, &r, &e) == -1);
  if (!strstr(e.msg, message))
    fprintf(stderr, "  for %s\n  got: %s\n  want: %s\n", text, e.msg, message);
  CHECK(strstr(e.msg, message) != NULL);
  CHECK(r.devices == NULL && r.n_unified == 0); /* left empty */
}

static void test_full_resources(void) {
  struct cgroup_resources r;
  err_t e = ERR_INIT;
  int rc = parse(
      "{\"memory\": {\"limit\": 536870912, \"reservation\": 268435456, \"swap\": 1073741824,"
      "  \"swappiness\": 10, \"disableOOMKiller\": false, \"kernel\": -1},"
      " \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"burst\": 1000,"
      "  \"realtimeRuntime\": 950000, \"realtimePeriod\": 1000000, \"cpus\": \"0-1\","
      "  \"mems\": \"0\", \"idle\": 1},"
      " \"pids\": {\"limit\": 64},"
      " \"blockIO\": {\"weight\": 300, \"leafWeight\": 20,"
      "  \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 500}],"
      "  \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 600}],"
      "  \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 300}]},"
      " \"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
      "  {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\"},"
      "  {\"allow\": true, \"type\": \"b\", \"major\": 8, \"access\": \"r\"}],"
      " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 209715200}],"
      " \"unified\": {\"memory.high\": \"1G\"}, \"network\": {}, \"rdma\": null}",
      &r, &e);
  CHECK(rc == 0);
  if (rc)
    fprintf(stderr, "  %s\n", e.msg);
  CHECK(r.has_mem_limit && r.mem_limit == 536870912);
  CHECK(r.has_mem_reservation && r.mem_reservation == 268435456);
  CHECK(r.has_mem_swap && r.mem_swap == 1073741824);
  CHECK(r.has_swappiness && r.swappiness == 10);
  CHECK(r.has_disable_oom_killer && !r.disable_oom_killer);
  CHECK(r.has_cpu_shares && r.cpu_shares == 512);
  CHECK(r.has_cpu_quota && r.cpu_quota == 50000 && r.has_cpu_period && r.cpu_period == 100000);
  CHECK(r.has_cpu_burst && r.cpu_burst == 1000);
  CHECK(r.has_rt_runtime && r.rt_runtime == 950000 && r.has_rt_period && r.rt_period == 1000000);
  CHECK_STR(r.cpus, "0-1");
  CHECK_STR(r.mems, "0");
  CHECK(r.has_cpu_idle && r.cpu_idle == 1);
  CHECK(r.has_pids_limit && r.pids_limit == 64);
  CHECK(r.has_blkio_weight && r.blkio_weight == 300);
  CHECK(r.has_blkio_leaf_weight && r.blkio_leaf_weight == 20);
  CHECK(r.n_weight_devices == 1 && r.weight_devices[0].major == 8 &&
        r.weight_devices[0].has_weight && r.weight_devices[0].value == 500 &&
        !r.weight_devices[0].has_leaf_weight);
  CHECK(r.n_throttle_read_bps == 1 && r.throttle_read_bps[0].value == 600);
  CHECK(r.n_throttle_write_iops == 1 && r.throttle_write_iops[0].minor == 16);
  CHECK(r.n_devices == 3);
  CHECK(!r.devices[0].allow && r.devices[0].type == 'a' && r.devices[0].major == -1 &&
        r.devices[0].minor == -1);
  CHECK_STR(r.devices[0].access, "rwm");
  CHECK(r.devices[1].allow && r.devices[1].type == 'c' && r.devices[1].major == 1 &&
        r.devices[1].minor == 3);
  CHECK_STR(r.devices[1].access, "rw");
  CHECK(r.devices[2].type == 'b' && r.devices[2].major == 8 && r.devices[2].minor == -1);
  CHECK(r.n_hugepages == 1 && r.hugepages[0].limit == 209715200);
  CHECK_STR(r.hugepages[0].page_size, "2MB");
  CHECK(r.n_unified == 1);
  CHECK_STR(r.unified[0].key, "memory.high");
  CHECK_STR(r.unified[0].value, "1G");
  struct device_rule extra = {.allow = true, .type = 'c', .major = 5, .minor = 0, .access = "r"};
  CHECK(cgroup_resources_add_device(&r, &extra, &e) == 0 && r.n_devices == 4);
  cgroup_resources_free(&r);
  CHECK(r.devices == NULL && r.n_devices == 0);

  /* absent means untouched; shares 0 and "" cpus mean unset */
  CHECK(parse("{\"cpu\": {\"shares\": 0, \"cpus\": \"\"}, \"memory\": {}}", &r, &e) == 0);
  CHECK(!r.has_cpu_shares && !r.cpus && !r.has_mem_limit);
  cgroup_resources_free(&r);
}

static void test_bad_resources(void) {
  expect_error("{\"memory\": {\"limit\": \"1G\"}}",
               "linux.resources.memory.limit: expected an integer, got string");
  expect_error("{\"memory\": []}", "linux.resources.memory: expected an object, got array");
  expect_error("{\"memory\": {\"limit\": -5}}", "linux.resources.memory.limit: -5");
  expect_error("{\"memory\": {\"swappiness\": 101}}", "memory.swappiness: 101 is outside 0..100");
  expect_error("{\"memory\": {\"kernel\": \"1G\"}}", "linux.resources.memory.kernel: expected an integer");
  expect_error("{\"memory\": {\"kernelTCP\": -2}}", "linux.resources.memory.kernelTCP: -2");
  expect_error("{\"memory\": {\"disableOOMKiller\": 1}}",
               "memory.disableOOMKiller: expected a boolean, got integer");
  expect_error("{\"memory\": {\"useHierarchy\": false}}", "memory.useHierarchy: not supported");
  expect_error("{\"cpu\": {\"shares\": 1}}", "cpu.shares: 1 is outside 2..262144");
  expect_error("{\"cpu\": {\"shares\": -3}}", "cpu.shares: must not be negative");
  expect_error("{\"cpu\": {\"quota\": 0}}", "cpu.quota: 0");
  expect_error("{\"cpu\": {\"period\": 1.5}}", "cpu.period: expected a non-negative integer");
  expect_error("{\"cpu\": {\"quota\": 1000, \"burst\": 2000}}", "cpu.burst: 2000 is larger");
  expect_error("{\"cpu\": {\"cpus\": \"0-a\"}}", "linux.resources.cpu.cpus: \"0-a\"");
  expect_error("{\"cpu\": {\"mems\": \"3-1\"}}", "cpu.mems: \"3-1\"");
  expect_error("{\"cpu\": {\"idle\": 2}}", "cpu.idle: 2");
  expect_error("{\"pids\": {}}", "linux.resources.pids.limit: required");
  expect_error("{\"pids\": {\"limit\": true}}", "pids.limit: expected an integer, got boolean");
  expect_error("{\"blockIO\": {\"weight\": 5}}", "blockIO.weight: 5 is outside 10..1000");
  expect_error("{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0}]}}",
               "blockIO.weightDevice[0]: needs weight or leafWeight");
  expect_error("{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"rate\": 1}]}}",
               "throttleReadBpsDevice[0].minor: required");
  expect_error("{\"devices\": [{\"allow\": true, \"type\": \"x\"}]}",
               "linux.resources.devices[0].type: unknown device type \"x\"");
  expect_error("{\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}",
               "devices[0].access: \"rwx\" is not a combination of r, w and m");
  expect_error("{\"devices\": [{\"allow\": true, \"access\": \"rr\"}]}", "devices[0].access");
  expect_error("{\"devices\": [{\"allow\": true, \"access\": \"\"}]}", "devices[0].access: empty");
  expect_error("{\"devices\": [{\"type\": \"c\"}]}", "devices[0].allow: required");
  expect_error("{\"devices\": [{\"allow\": true}, {\"allow\": true, \"major\": -2}]}",
               "devices[1].major: -2 is not a device number");
  expect_error("{\"devices\": {}}", "linux.resources.devices: expected an array, got object");
  expect_error("{\"hugepageLimits\": [{\"pageSize\": \"../2MB\", \"limit\": 1}]}",
               "hugepageLimits[0].pageSize: \"../2MB\"");
  expect_error("{\"hugepageLimits\": [{\"pageSize\": \"2MB\"}]}", "hugepageLimits[0].limit: required");
  expect_error("{\"unified\": {\"../memory.max\": \"1\"}}", "linux.resources.unified: \"../memory.max\"");
  expect_error("{\"unified\": {\"memory\": \"1\"}}", "unified: \"memory\" is not a cgroup file name");
  expect_error("{\"unified\": {\"memory.max\": 5}}",
               "linux.resources.unified.memory.max: expected a string, got integer");
  expect_error("{\"network\": {\"classID\": 1}}", "linux.resources.network: not supported");
  expect_error("{\"rdma\": {\"mlx\": {\"hcaHandles\": 1}}}", "linux.resources.rdma: not supported");
  /* an error late in the object leaves nothing allocated (ASan checks) */
  expect_error("{\"devices\": [{\"allow\": true}], \"unified\": {\"a.b\": \"1\"}, \"pids\": 3}",
               "linux.resources.pids: expected an object");
  err_t e = ERR_INIT;
  struct cgroup_resources r;
  _cleanup_json_ json_t *arr = json_array();
  CHECK(cgroup_resources_from_json(arr, "x", &r, &e) == -1);
  CHECK(strstr(e.msg, "x: expected an object, got array") != NULL);
}

static const char *const mountinfo_hybrid =
    "24 30 0:22 / /sys rw,nosuid - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:5 - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "50 31 0:39 / /sys/fs/cgroup/odd\\040dir rw - cgroup cgroup rw,name=other\n"
    "51 23 0:32 /sub /tmp/memory-again rw - cgroup cgroup rw,memory\n";

static void test_layouts(void) {
  err_t e = ERR_INIT;
  struct cgroup_layout l;
  CHECK(cgroup_layout_parse(CGROUP_MODE_HYBRID, mountinfo_hybrid, &l, &e) == 0);
  CHECK(l.n_mounts == 5); /* cpu, cpuacct, memory, name=systemd, unified */
  if (l.n_mounts == 5) {
    CHECK_STR(l.mounts[0].controllers, "cpu");
    CHECK_STR(l.mounts[2].controllers, "memory");
    CHECK_STR(l.mounts[2].mount_point, "/sys/fs/cgroup/memory"); /* not the /tmp bind */
    CHECK_STR(l.mounts[3].controllers, "name=systemd");
    CHECK(l.mounts[4].v2);
    CHECK_STR(l.mounts[4].mount_point, "/sys/fs/cgroup/unified");
  }
  const char *proc_cgroup = "4:memory:/process_api/abc\n3:name=systemd:/\n2:cpuacct:/\n"
                            "1:cpu:/user\n0::/\n";
  _cleanup_cgroup_ struct cgroup *cg = NULL;
  CHECK(cgroup_resolve_in(&l, proc_cgroup, NULL, "ctr1", &cg, &e) == 0);
  if (cg) {
    CHECK(cg->mode == CGROUP_MODE_HYBRID && cg->n_hierarchies == 5);
    CHECK_STR(cg->path, "/ctr1"); /* as the v2 tree sees it */
    CHECK_STR(cg->hierarchies[0].dir, "/sys/fs/cgroup/cpu/user/ctr1");
    CHECK_STR(cg->hierarchies[2].dir, "/sys/fs/cgroup/memory/process_api/abc/ctr1");
    CHECK_STR(cg->hierarchies[3].options, "none,name=systemd");
    CHECK_STR(cg->hierarchies[0].options, "cpu");
    CHECK_STR(cg->hierarchies[4].dir, "/sys/fs/cgroup/unified/ctr1");
    CHECK_STR(cg->hierarchies[4].name, "");
    CHECK(cgroup_v1(cg, "memory") == &cg->hierarchies[2] && cgroup_v2(cg) == &cg->hierarchies[4]);
    CHECK(cgroup_v1(cg, "cpuset") == NULL);

    /* state round trip */
    _cleanup_json_ json_t *j = cgroup_to_json(cg);
    _cleanup_cgroup_ struct cgroup *back = NULL;
    CHECK(j && cgroup_from_json(j, &back, &e) == 0);
    if (back) {
      CHECK(back->mode == CGROUP_MODE_HYBRID && back->n_hierarchies == 5);
      CHECK_STR(back->path, "/ctr1");
      CHECK_STR(back->hierarchies[2].dir, cg->hierarchies[2].dir);
      CHECK(back->hierarchies[4].v2 && !back->hierarchies[2].v2);
    }
    json_object_set_new(json_array_get(json_object_get(j, "hierarchies"), 1), "dir",
                        json_string("/etc/passwd"));
    CHECK(cgroup_from_json(j, &back, &e) == -1 && strstr(e.msg, "hierarchies[1].dir"));
    json_object_set_new(j, "mode", json_integer(2));
    CHECK(cgroup_from_json(j, &back, &e) == -1 &&
          strstr(e.msg, "cgroup.mode: expected a string, got integer"));
  }
  cgroup_free(cg);
  cg = NULL;
  CHECK(cgroup_resolve_in(&l, proc_cgroup, "//capsule//x/", "id", &cg, &e) == 0);
  if (cg) {
    CHECK_STR(cg->path, "/capsule/x");
    CHECK_STR(cg->hierarchies[2].dir, "/sys/fs/cgroup/memory/capsule/x");
  }
  struct cgroup *bad = NULL;
  CHECK(cgroup_resolve_in(&l, proc_cgroup, "system.slice:capsule:abc", "id", &bad, &e) == -1);
  CHECK(strstr(e.msg, "systemd path") != NULL);
  CHECK(cgroup_resolve_in(&l, proc_cgroup, "/a/../b", "id", &bad, &e) == -1);
  CHECK(strstr(e.msg, "\"..\"") != NULL);
  CHECK(cgroup_resolve_in(&l, proc_cgroup, "//", "id", &bad, &e) == -1);
  CHECK(strstr(e.msg, "root group") != NULL);
  CHECK(cgroup_resolve_in(&l, "1:cpu:/\n", "rel", "id", &bad, &e) == -1); /* no memory line */
  CHECK(strstr(e.msg, "no line for hierarchy cpuacct") != NULL);
  CHECK(bad == NULL);
  cgroup_layout_clear(&l);

  /* pure v2, bind-mounted from a sub-tree */
  const char *v2 = "30 1 0:26 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
  CHECK(cgroup_layout_parse(CGROUP_MODE_V2, v2, &l, &e) == 0 && l.n_mounts == 1 && l.mounts[0].v2);
  _cleanup_free_ char *own = NULL;
  CHECK(cgroup_own_path("0::/kubepods/pod1/ctr\n", &l.mounts[0], &own, &e) == 0);
  CHECK_STR(own, "/ctr");
  CHECK(cgroup_own_path("0::/elsewhere\n", &l.mounts[0], &own, &e) == -1);
  CHECK(strstr(e.msg, "outside its mount") != NULL);
  /* A relative path starts from the parent of our own group, which holds us
   * and so cannot give controllers to its children; from the root, at the root. */
  _cleanup_cgroup_ struct cgroup *v2cg = NULL;
  CHECK(cgroup_resolve_in(&l, "0::/kubepods/pod1/session.scope\n", NULL, "ctr", &v2cg, &e) == 0);
  if (v2cg) {
    CHECK_STR(v2cg->path, "/ctr");
    CHECK_STR(v2cg->hierarchies[0].dir, "/sys/fs/cgroup/ctr");
  }
  cgroup_free(v2cg);
  v2cg = NULL;
  CHECK(cgroup_resolve_in(&l, "0::/kubepods/pod1/a/b\n", "c/d", "id", &v2cg, &e) == 0);
  if (v2cg)
    CHECK_STR(v2cg->hierarchies[0].dir, "/sys/fs/cgroup/a/c/d");
  cgroup_free(v2cg);
  v2cg = NULL;
  CHECK(cgroup_resolve_in(&l, "0::/kubepods/pod1\n", NULL, "ctr", &v2cg, &e) == 0);
  if (v2cg)
    CHECK_STR(v2cg->hierarchies[0].dir, "/sys/fs/cgroup/ctr");
  cgroup_layout_clear(&l);

  /* v1 only: co-mounted controllers, the order in /proc/self/cgroup may differ */
  const char *v1 = "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
                   "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
                   "33 31 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";
  CHECK(cgroup_layout_parse(CGROUP_MODE_V1, v1, &l, &e) == 0 && l.n_mounts == 2);
  free(own);
  own = NULL;
  CHECK(cgroup_own_path("2:cpuacct,cpu:/a\n1:pids:/\n", &l.mounts[0], &own, &e) == 0);
  CHECK_STR(own, "/a");
  cgroup_layout_clear(&l);
  CHECK(cgroup_layout_parse(CGROUP_MODE_V2, mountinfo_hybrid, &l, &e) == -1); /* no cgroup2 at / */
  CHECK(cgroup_layout_parse(CGROUP_MODE_V1, "1 0 0:1 / / rw - ext4 /dev/sda rw\n", &l, &e) == -1);
  CHECK(strstr(e.msg, "no cgroup v1 hierarchy") != NULL);
}

static void test_conversions(void) {
  /* the two ends and the defaults map onto each other */
  CHECK(cgroup_shares_to_weight(2) == 1);
  CHECK(cgroup_shares_to_weight(1024) == 100);
  CHECK(cgroup_shares_to_weight(262144) == 10000);
  /* values runc 1.3.2's formula gives (ceil(10^((l^2+125l)/612 - 7/34))) */
  CHECK(cgroup_shares_to_weight(3) == 2);
  CHECK(cgroup_shares_to_weight(128) == 21);
  CHECK(cgroup_shares_to_weight(512) == 59);
  CHECK(cgroup_shares_to_weight(2048) == 174);
  CHECK(cgroup_shares_to_weight(4096) == 303);
  CHECK(cgroup_shares_to_weight(100000) == 4340);
  CHECK(cgroup_shares_to_weight(262143) == 10000);
  for (uint64_t s = 2, last = 0; s <= 262144; s += 97) { /* monotonic, in range */
    uint64_t w = cgroup_shares_to_weight(s);
    CHECK(w >= last && w >= 1 && w <= 10000);
    last = w;
  }
  CHECK(cgroup_blkio_to_io_weight(10) == 1);
  CHECK(cgroup_blkio_to_io_weight(1000) == 10000);
  CHECK(cgroup_blkio_to_io_weight(500) == 4950);
  err_t e = ERR_INIT;
  int64_t out;
  CHECK(cgroup_swap_to_v2(1024, 512, &out, &e) == 0 && out == 512);
  CHECK(cgroup_swap_to_v2(512, 512, &out, &e) == 0 && out == 0);
  CHECK(cgroup_swap_to_v2(-1, 512, &out, &e) == 0 && out == -1);
  CHECK(cgroup_swap_to_v2(100, 512, &out, &e) == -1 && strstr(e.msg, "below the memory limit"));
  CHECK(cgroup_swap_to_v2(100, -1, &out, &e) == -1 && strstr(e.msg, "needs a memory limit"));
}

static void test_device_program(void) {
  struct device_rule rules[] = {
      {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
      {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rw"},
  };
  _cleanup_free_ struct bpf_insn *insns = NULL;
  int n = cgroup_devices_program(rules, 2, &insns);
  /* 6 loads + rule 2 (3 checks, and, jeq) + rule 1 (jset) + 2 exits of 2 */
  CHECK(n == 6 + 5 + 1 + 4);
  if (n == 16) {
    CHECK(insns[n - 1].code == (BPF_JMP | BPF_EXIT) && insns[n - 2].imm == 0);
    CHECK(insns[n - 3].code == (BPF_JMP | BPF_EXIT) && insns[n - 4].imm == 1);
    /* every jump lands inside the program */
    for (int i = 0; i < n; i++)
      if (BPF_CLASS(insns[i].code) == BPF_JMP && BPF_OP(insns[i].code) != BPF_EXIT)
        CHECK(i + 1 + insns[i].off > i && i + 1 + insns[i].off < n);
    CHECK(insns[11].code == (BPF_JMP | BPF_JSET | BPF_K) && insns[11].imm == 7);
    CHECK(insns[11].off == 14 - 12); /* to the deny exit */
  }
}

int main(void) {
  test_full_resources();
  test_bad_resources();
  test_layouts();
  test_conversions();
  test_device_program();
  return check_report("cgroup_parse");
}
