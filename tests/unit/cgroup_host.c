/* cgroup on the real host, whatever its layout (hybrid here; pure v2 and
 * v1-only under tests/vm/run-in-vm.sh): groups are created under
 * /capsule-test-PID, every resource is applied and read back from the
 * kernel's files, a real child is attached, frozen, signalled and killed,
 * and nothing is left behind. Needs root; without it, it is skipped (exit 77).
 * CAPSULE_EXPECT_CGROUP_MODE=v1|v2|hybrid makes the detected mode a check. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "check.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static char test_root[64];
static enum cgroup_mode mode;

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&t, NULL);
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* The hierarchy that serves `controller` (v1 first, as cgroup_apply does). */
static const struct cgroup_hierarchy *serving(const struct cgroup *cg, const char *controller) {
  const struct cgroup_hierarchy *h = cgroup_v1(cg, controller);
  return h ? h : cgroup_v2(cg);
}

static char *knob(const struct cgroup_hierarchy *h, const char *file) {
  err_t e = ERR_INIT;
  char *s = cgroup_read(h, file, &e);
  if (!s)
    fprintf(stderr, "  read: %s\n", e.msg);
  return s;
}

#define CHECK_KNOB(h, file, want)                                                                \
  do {                                                                                           \
    _cleanup_free_ char *got_ = knob(h, file);                                                   \
    CHECK_STR(got_, want);                                                                       \
  } while (0)

static struct cgroup *new_group(const char *name) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", test_root, name);
  err_t e = ERR_INIT;
  struct cgroup *cg = NULL;
  if (cgroup_resolve(path, "unused", &cg, &e) < 0 || cgroup_create(cg, &e) < 0) {
    fprintf(stderr, "  create %s: %s\n", path, e.msg);
    cgroup_free(cg);
    return NULL;
  }
  return cg;
}

/* Apply a LinuxResources JSON text; returns rc, error in *e. */
static int apply_json(struct cgroup *cg, const char *text, err_t *e) {
  _cleanup_json_ json_t *j = json_load_object_buf(text, strlen(text), "test", e);
  struct cgroup_resources r;
  if (!j || cgroup_resources_from_json(j, "linux.resources", &r, e) < 0)
    return -1;
  int rc = cgroup_apply(cg, &r, e);
  cgroup_resources_free(&r);
  return rc;
}

static void apply_ok(struct cgroup *cg, const char *text) {
  err_t e = ERR_INIT;
  int rc = apply_json(cg, text, &e);
  if (rc < 0)
    fprintf(stderr, "  apply %s: %s\n", text, e.msg);
  CHECK(rc == 0);
}

static void apply_fails(struct cgroup *cg, const char *text, const char *message) {
  err_t e = ERR_INIT;
  CHECK(apply_json(cg, text, &e) == -1);
  if (!strstr(e.msg, message))
    fprintf(stderr, "  apply %s\n  got: %s\n  want: %s\n", text, e.msg, message);
  CHECK(strstr(e.msg, message) != NULL);
}

static void destroy(struct cgroup *cg) {
  err_t e = ERR_INIT;
  if (cgroup_destroy(cg, &e) < 0)
    fprintf(stderr, "  destroy: %s\n", e.msg);
  for (size_t i = 0; i < cg->n_hierarchies; i++)
    CHECK(!exists(cg->hierarchies[i].dir));
  cgroup_free(cg);
}

static void test_detect(void) {
  err_t e = ERR_INIT;
  CHECK(cgroup_detect(&mode, &e) == 0);
  const char *want = getenv("CAPSULE_EXPECT_CGROUP_MODE");
  fprintf(stderr, "cgroup mode: %s\n", cgroup_mode_name(mode));
  if (want)
    CHECK_STR(cgroup_mode_name(mode), want);
}

static void test_create_and_undo(void) {
  struct cgroup *cg = new_group("a/b");
  CHECK(cg != NULL);
  if (!cg)
    return;
  for (size_t i = 0; i < cg->n_hierarchies; i++)
    CHECK(exists(cg->hierarchies[i].dir));
  const struct cgroup_hierarchy *cpuset = cgroup_v1(cg, "cpuset");
  if (cpuset) { /* copied down from the root, or no process could join */
    _cleanup_free_ char *cpus = knob(cpuset, "cpuset.cpus");
    CHECK(cpus && *cpus);
  }
  const struct cgroup_hierarchy *v2 = cgroup_v2(cg);
  if (v2) { /* the parent delegates what the root offers */
    char parent[512];
    snprintf(parent, sizeof parent, "%s/cgroup.subtree_control", v2->dir);
    *strrchr(parent, '/') = '\0';
    *strrchr(parent, '/') = '\0';
    strcat(parent, "/cgroup.subtree_control");
    _cleanup_free_ char *enabled = read_file(parent, 0, NULL, &(err_t)ERR_INIT);
    struct cgroup_hierarchy root = {.dir = v2->mount};
    _cleanup_free_ char *offered = knob(&root, "cgroup.controllers");
    CHECK(enabled && offered && !strncmp(enabled, offered, strlen(offered)));
  }
  /* the group exists already: create again is fine, and changes nothing */
  err_t e = ERR_INIT;
  CHECK(cgroup_create(cg, &e) == 0);
  /* a sub-group (as a nested runtime would make) goes with it */
  _cleanup_free_ char *sub = path_join(cg->hierarchies[0].dir, "sub");
  CHECK(mkdir(sub, 0755) == 0);
  destroy(cg);

  /* a failing hierarchy undoes the directories made in the others */
  struct cgroup *bad = NULL;
  char path[128];
  snprintf(path, sizeof path, "%s/undo/x", test_root);
  CHECK(cgroup_resolve(path, "unused", &bad, &e) == 0);
  struct cgroup_hierarchy *grown = realloc(bad->hierarchies, (bad->n_hierarchies + 1) * sizeof *grown);
  CHECK(grown != NULL);
  bad->hierarchies = grown;
  bad->hierarchies[bad->n_hierarchies++] = (struct cgroup_hierarchy){
      strdup("fake"), strdup("/proc"), strdup("/proc/no/such/group"), strdup("fake"), false};
  CHECK(cgroup_create(bad, &e) == -1);
  CHECK(strstr(e.msg, "/proc/no") != NULL);
  for (size_t i = 0; i + 1 < bad->n_hierarchies; i++) {
    char undo_dir[512];
    snprintf(undo_dir, sizeof undo_dir, "%s%s/undo", bad->hierarchies[i].mount, test_root);
    CHECK(!exists(undo_dir));
  }
  cgroup_free(bad);
}

static void test_memory(struct cgroup *cg) {
  const struct cgroup_hierarchy *h = serving(cg, "memory");
  apply_ok(cg, "{\"memory\": {\"limit\": 268435456, \"reservation\": 134217728}}");
  if (!h->v2) {
    CHECK_KNOB(h, "memory.limit_in_bytes", "268435456");
    CHECK_KNOB(h, "memory.soft_limit_in_bytes", "134217728");
    apply_ok(cg, "{\"memory\": {\"swappiness\": 30, \"disableOOMKiller\": true}}");
    CHECK_KNOB(h, "memory.swappiness", "30");
    _cleanup_free_ char *oom = knob(h, "memory.oom_control");
    CHECK(oom && strstr(oom, "oom_kill_disable 1"));
  } else {
    CHECK_KNOB(h, "memory.max", "268435456");
    CHECK_KNOB(h, "memory.low", "134217728");
    apply_fails(cg, "{\"memory\": {\"swappiness\": 30}}", "memory.swappiness: cgroup v2 has no");
    apply_fails(cg, "{\"memory\": {\"disableOOMKiller\": true}}", "disableOOMKiller");
  }
  bool swap_accounting = exists(h->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
  {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", h->dir, h->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
    swap_accounting = exists(p);
  }
  if (!swap_accounting) {
    apply_fails(cg, "{\"memory\": {\"limit\": 268435456, \"swap\": 536870912}}", "swap");
    return;
  }
  /* raise both above the current memsw (v1 must write memsw first), then lower */
  apply_ok(cg, "{\"memory\": {\"limit\": 1073741824, \"swap\": 2147483648}}");
  CHECK_KNOB(h, h->v2 ? "memory.max" : "memory.limit_in_bytes", "1073741824");
  CHECK_KNOB(h, h->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes",
             h->v2 ? "1073741824" : "2147483648");
  apply_ok(cg, "{\"memory\": {\"limit\": 67108864, \"swap\": 134217728}}");
  CHECK_KNOB(h, h->v2 ? "memory.max" : "memory.limit_in_bytes", "67108864");
  CHECK_KNOB(h, h->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes",
             h->v2 ? "67108864" : "134217728");
  apply_ok(cg, "{\"memory\": {\"swap\": 100663296}}"); /* against the limit in place */
  CHECK_KNOB(h, h->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes",
             h->v2 ? "33554432" : "100663296");
  apply_fails(cg, "{\"memory\": {\"limit\": 67108864, \"swap\": 1000}}", "memory.swap");
  apply_ok(cg, "{\"memory\": {\"limit\": -1}}"); /* unlimited memory, and so swap */
  CHECK_KNOB(h, h->v2 ? "memory.max" : "memory.limit_in_bytes",
             h->v2 ? "max" : "9223372036854771712");
}

static void test_cpu(struct cgroup *cg) {
  const struct cgroup_hierarchy *h = serving(cg, "cpu");
  apply_ok(cg, "{\"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000}}");
  if (!h->v2) {
    CHECK_KNOB(h, "cpu.shares", "512");
    CHECK_KNOB(h, "cpu.cfs_quota_us", "50000");
    CHECK_KNOB(h, "cpu.cfs_period_us", "100000");
    apply_ok(cg, "{\"cpu\": {\"quota\": -1, \"period\": 200000}}");
    CHECK_KNOB(h, "cpu.cfs_quota_us", "-1");
    CHECK_KNOB(h, "cpu.cfs_period_us", "200000");
    char rt[512];
    snprintf(rt, sizeof rt, "%s/cpu.rt_period_us", h->dir);
    if (exists(rt)) {
      apply_ok(cg, "{\"cpu\": {\"realtimePeriod\": 500000}}");
      CHECK_KNOB(h, "cpu.rt_period_us", "500000");
    } else {
      apply_fails(cg, "{\"cpu\": {\"realtimePeriod\": 500000}}", "no realtime group scheduling");
    }
  } else {
    CHECK_KNOB(h, "cpu.weight", "59");
    CHECK_KNOB(h, "cpu.max", "50000 100000");
    apply_ok(cg, "{\"cpu\": {\"period\": 200000}}"); /* keeps the quota */
    CHECK_KNOB(h, "cpu.max", "50000 200000");
    apply_ok(cg, "{\"cpu\": {\"quota\": -1}}");
    CHECK_KNOB(h, "cpu.max", "max 200000");
    apply_fails(cg, "{\"cpu\": {\"realtimeRuntime\": 1000}}", "no realtime");
  }
  char burst_file[512];
  snprintf(burst_file, sizeof burst_file, "%s/%s", h->dir, h->v2 ? "cpu.max.burst" : "cpu.cfs_burst_us");
  if (exists(burst_file)) {
    apply_ok(cg, "{\"cpu\": {\"quota\": 50000, \"burst\": 1000}}");
    CHECK_KNOB(h, h->v2 ? "cpu.max.burst" : "cpu.cfs_burst_us", "1000");
  }
  char idle_file[512];
  snprintf(idle_file, sizeof idle_file, "%s/cpu.idle", h->dir);
  if (exists(idle_file)) {
    apply_ok(cg, "{\"cpu\": {\"idle\": 1}}");
    CHECK_KNOB(h, "cpu.idle", "1");
    apply_ok(cg, "{\"cpu\": {\"idle\": 0}}");
  }
  const struct cgroup_hierarchy *cs = serving(cg, "cpuset");
  apply_ok(cg, "{\"cpu\": {\"cpus\": \"0\", \"mems\": \"0\"}}");
  CHECK_KNOB(cs, "cpuset.cpus", "0");
  CHECK_KNOB(cs, "cpuset.mems", "0");
  apply_fails(cg, "{\"cpu\": {\"cpus\": \"4000\"}}", "linux.resources.cpu.cpus");
}

static void test_pids_io_hugetlb(struct cgroup *cg) {
  const struct cgroup_hierarchy *h = serving(cg, "pids");
  apply_ok(cg, "{\"pids\": {\"limit\": 42}}");
  CHECK_KNOB(h, "pids.max", "42");
  apply_ok(cg, "{\"pids\": {\"limit\": -1}}");
  CHECK_KNOB(h, "pids.max", "max");

  /* a block device of this machine for the throttle */
  _cleanup_free_ char *dev = read_file("/sys/block/vda/dev", 0, NULL, &(err_t)ERR_INIT);
  if (dev) {
    dev[strcspn(dev, "\n")] = '\0';
    unsigned major, minor;
    sscanf(dev, "%u:%u", &major, &minor);
    char text[256];
    snprintf(text, sizeof text,
             "{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": %u, \"minor\": %u, "
             "\"rate\": 1048576}]}}",
             major, minor);
    apply_ok(cg, text);
    const struct cgroup_hierarchy *io = serving(cg, "blkio");
    char want[64];
    snprintf(want, sizeof want, io->v2 ? "%s rbps=1048576 wbps=max riops=max wiops=max" : "%s 1048576",
             dev);
    CHECK_KNOB(io, io->v2 ? "io.max" : "blkio.throttle.read_bps_device", want);
  }
  const struct cgroup_hierarchy *io = serving(cg, "blkio");
  err_t e = ERR_INIT;
  int rc = apply_json(cg, "{\"blockIO\": {\"weight\": 300}}", &e);
  if (rc == 0) {
    _cleanup_free_ char *w = io->v2 ? knob(io, "io.bfq.weight") : knob(io, "blkio.bfq.weight");
    _cleanup_free_ char *w2 = !w && io->v2 ? knob(io, "io.weight") : NULL;
    fprintf(stderr, "  blkio weight 300 reads back as: %s\n", w ? w : w2 ? w2 : "?");
    CHECK((w && strstr(w, "300")) || (w2 && strstr(w2, "default 2930"))); /* 1 + 290 * 9999 / 990 */
  } else { /* no weight knob on this kernel: the error says which */
    fprintf(stderr, "  blkio weight: %s\n", e.msg);
    CHECK(strstr(e.msg, "linux.resources.blockIO.weight") != NULL);
  }
  if (!io->v2)
    apply_fails(cg, "{\"blockIO\": {\"leafWeight\": 100}}", "blockIO.leafWeight");

  char huge[512];
  const struct cgroup_hierarchy *ht = serving(cg, "hugetlb");
  snprintf(huge, sizeof huge, "%s/hugetlb.2MB.%s", ht->dir, ht->v2 ? "max" : "limit_in_bytes");
  if (exists(huge)) {
    apply_ok(cg, "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]}");
    CHECK_KNOB(ht, ht->v2 ? "hugetlb.2MB.max" : "hugetlb.2MB.limit_in_bytes", "4194304");
    apply_fails(cg, "{\"hugepageLimits\": [{\"pageSize\": \"3MB\", \"limit\": 1}]}",
                "hugepageLimits[0] (pageSize 3MB)");
  } else {
    fprintf(stderr, "  no %s: hugetlb not checked\n", huge);
  }
}

static void test_unified(struct cgroup *cg) {
  const struct cgroup_hierarchy *v2 = cgroup_v2(cg);
  if (!v2) {
    apply_fails(cg, "{\"unified\": {\"memory.high\": \"1\"}}", "needs cgroup v2");
    return;
  }
  apply_ok(cg, "{\"unified\": {\"cgroup.max.descendants\": \"5\"}}");
  if (mode == CGROUP_MODE_V2) {
    apply_ok(cg, "{\"pids\": {\"limit\": 10}, \"unified\": {\"pids.max\": \"77\"}}");
    CHECK_KNOB(v2, "pids.max", "77"); /* written last, so it wins */
  }
  CHECK_KNOB(v2, "cgroup.max.descendants", "5");
  if (mode == CGROUP_MODE_HYBRID) /* memory is a v1 controller here */
    apply_fails(cg, "{\"unified\": {\"memory.high\": \"1\"}}",
                "unified.memory.high: ");
}

/* Device nodes of our own (c 1:3 and c 1:5, as /dev/null and /dev/zero),
 * so the probe does not depend on the host's /dev. */
static char null_node[64], zero_node[64];

static void make_device_nodes(void) {
  snprintf(null_node, sizeof null_node, "/tmp/capsule-cgroup-test-%d.null", (int)getpid());
  snprintf(zero_node, sizeof zero_node, "/tmp/capsule-cgroup-test-%d.zero", (int)getpid());
  CHECK(mknod(null_node, S_IFCHR | 0666, makedev(1, 3)) == 0);
  CHECK(mknod(zero_node, S_IFCHR | 0666, makedev(1, 5)) == 0);
}

/* Runs in a child attached to the group: 0 if c 1:3 opens read-write and
 * c 1:5 is refused read-write; bit 1 if c 1:5 opens read-only. */
static int probe_devices(struct cgroup *cg, bool v2_only) {
  pid_t pid = fork();
  if (pid == 0) {
    err_t e = ERR_INIT;
    int rc = v2_only ? cgroup_writef(cgroup_v2(cg), "cgroup.procs", &e, "%d", getpid())
                     : cgroup_attach(cg, getpid(), &e);
    if (rc < 0)
      _exit(100);
    int null = open(null_node, O_RDWR | O_CLOEXEC);
    int zero_rw = open(zero_node, O_RDWR | O_CLOEXEC);
    int zero_ro = open(zero_node, O_RDONLY | O_CLOEXEC);
    _exit((null < 0 ? 4 : 0) | (zero_rw >= 0 ? 8 : 0) | (zero_ro >= 0 ? 2 : 0));
  }
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int attached_programs(const char *dir) {
  _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  uint32_t ids[8], flags;
  return cgroup_devices_bpf_query(fd, ids, 8, &flags);
}

static void test_devices(struct cgroup *cg) {
  const char *rules = "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
                      " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"}]}";
  apply_ok(cg, rules);
  CHECK(probe_devices(cg, false) == 0);
  const struct cgroup_hierarchy *v1 = cgroup_v1(cg, "devices");
  if (v1)
    CHECK_KNOB(v1, "devices.list", "c 1:3 rwm");
  apply_ok(cg, "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
               " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"},"
               " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 5, \"access\": \"r\"}]}");
  CHECK(probe_devices(cg, false) == 2);
  if (!v1)
    CHECK(attached_programs(cgroup_v2(cg)->dir) == 1); /* replaced, not stacked */
}

/* The eBPF device filter itself, on the v2 tree (also of a hybrid host). */
static void test_devices_bpf(void) {
  struct cgroup *cg = new_group("bpf");
  if (!cg)
    return;
  const struct cgroup_hierarchy *v2 = cgroup_v2(cg);
  if (v2) {
    err_t e = ERR_INIT;
    struct device_rule rules[] = {
        {false, 'a', -1, -1, "rwm"},
        {true, 'c', 1, 3, "rw"},
        {true, 'a', 1, 5, "r"}, /* "a" with numbers: c and b alike */
    };
    int rc = cgroup_devices_bpf_install(v2->dir, rules, 3, &e);
    if (rc < 0)
      fprintf(stderr, "  bpf: %s\n", e.msg);
    CHECK(rc == 0);
    CHECK(probe_devices(cg, true) == 2);
    CHECK(cgroup_devices_bpf_install(v2->dir, rules, 2, &e) == 0);
    CHECK(probe_devices(cg, true) == 0);
    CHECK(attached_programs(v2->dir) == 1);
    /* later rules win: a final deny-all refuses even /dev/null */
    struct device_rule deny_last[] = {{true, 'a', -1, -1, "rwm"}, {false, 'c', 1, -1, "w"}};
    CHECK(cgroup_devices_bpf_install(v2->dir, deny_last, 2, &e) == 0);
    int got = probe_devices(cg, true);
    if (got != (4 | 2))
      fprintf(stderr, "  deny-last probe: %d\n", got);
    CHECK(got == (4 | 2));
  }
  destroy(cg);
}

struct shared {
  volatile unsigned long counter;
  volatile int usr1;
};
static struct shared *shm;

static void on_usr1(int sig) {
  (void)sig;
  shm->usr1++;
}

/* A busy loop counting in shared memory, already running on return. */
static pid_t spawn_busy(void) {
  signal(SIGUSR1, on_usr1); /* inherited: no window without the handler */
  pid_t pid = fork();
  if (pid == 0)
    for (;;)
      shm->counter++;
  signal(SIGUSR1, SIG_DFL);
  for (int i = 0; i < 250 && shm->counter == 0; i++)
    sleep_ms(20);
  return pid;
}

static bool in_group(pid_t pid, const struct cgroup *cg) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
  _cleanup_free_ char *text = read_file(path, 0, NULL, &(err_t)ERR_INIT);
  if (!text)
    return false;
  /* every hierarchy's line ends with the group's path */
  for (size_t i = 0; i < cg->n_hierarchies; i++) {
    const char *rel = cg->hierarchies[i].dir + strlen(cg->hierarchies[i].mount);
    char line_end[256];
    snprintf(line_end, sizeof line_end, ":%s\n", rel);
    if (!strstr(text, line_end))
      return false;
  }
  return true;
}

static void test_processes(void) {
  struct cgroup *cg = new_group("procs");
  if (!cg)
    return;
  err_t e = ERR_INIT;
  pid_t pid = spawn_busy();
  CHECK(cgroup_attach(cg, pid, &e) == 0);
  CHECK(in_group(pid, cg));
  pid_t *pids = NULL;
  size_t n = 0;
  CHECK(cgroup_pids(cg, &pids, &n, &e) == 0 && n == 1 && pids[0] == pid);
  free(pids);

  CHECK(cgroup_freeze(cg, true, &e) == 0);
  CHECK(cgroup_is_frozen(cg, &e) == 1);
  const struct cgroup_hierarchy *fz = cgroup_v1(cg, "freezer");
  if (fz)
    CHECK_KNOB(fz, "freezer.state", "FROZEN");
  else {
    _cleanup_free_ char *events = knob(cgroup_v2(cg), "cgroup.events");
    CHECK(events && strstr(events, "frozen 1"));
  }
  unsigned long before = shm->counter;
  sleep_ms(150);
  CHECK(shm->counter == before); /* the busy loop makes no progress */
  char status_path[64];
  snprintf(status_path, sizeof status_path, "/proc/%d/status", (int)pid);
  _cleanup_free_ char *status = read_file(status_path, 0, NULL, &e);
  if (status && strstr(status, "State:"))
    fprintf(stderr, "  frozen task %.*s\n", (int)strcspn(strstr(status, "State:"), "\n"),
            strstr(status, "State:"));

  /* a signal to a paused container is delivered on resume, and it stays paused */
  CHECK(cgroup_signal_all(cg, SIGUSR1, &e) == 0);
  CHECK(cgroup_is_frozen(cg, &e) == 1);
  CHECK(cgroup_freeze(cg, false, &e) == 0);
  CHECK(cgroup_is_frozen(cg, &e) == 0);
  for (int i = 0; i < 50 && shm->counter == before; i++) /* scheduled again soon */
    sleep_ms(20);
  CHECK(shm->counter != before);
  CHECK(shm->usr1 == 1);
  CHECK(cgroup_signal_all(cg, SIGUSR1, &e) == 0);
  for (int i = 0; i < 50 && shm->usr1 != 2; i++)
    sleep_ms(20);
  CHECK(shm->usr1 == 2 && cgroup_is_frozen(cg, &e) == 0);

  /* a live process keeps the group: destroy says so */
  CHECK(cgroup_destroy(cg, &e) == -1 && strstr(e.msg, "still in use"));

  CHECK(cgroup_signal_all(cg, SIGKILL, &e) == 0);
  int st;
  CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  pids = NULL;
  CHECK(cgroup_pids(cg, &pids, &n, &e) == 0 && n == 0); /* an empty group lists nothing */
  free(pids);
  destroy(cg); /* right after the exit: EBUSY is waited out */
}

/* Removes the test parent in every hierarchy (destroy keeps parents). */
static void remove_test_root(void) {
  err_t e = ERR_INIT;
  struct cgroup *cg = NULL;
  if (cgroup_resolve(test_root, "unused", &cg, &e) == 0) {
    CHECK(cgroup_destroy(cg, &e) == 0);
    cgroup_free(cg);
  }
}

int main(void) {
  if (geteuid() != 0) {
    check_skip("cgroup_host", "needs root");
    return CHECK_SKIP_EXIT;
  }
  shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  snprintf(test_root, sizeof test_root, "/capsule-test-%d", (int)getpid());
  test_detect();
  make_device_nodes();
  test_create_and_undo();
  struct cgroup *cg = new_group("res");
  CHECK(cg != NULL);
  if (cg) {
    test_memory(cg);
    test_cpu(cg);
    test_pids_io_hugetlb(cg);
    test_unified(cg);
    test_devices(cg);
    destroy(cg);
  }
  test_devices_bpf();
  test_processes();
  remove_test_root();
  unlink(null_node);
  unlink(zero_node);
  return check_report("cgroup_host");
}
