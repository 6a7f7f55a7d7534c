/* One simulation run: the platform, the cluster, the load injector, the
 * scheduler's agents on SimGrid, and the measurements. */
#include <errno.h>
#include <fcntl.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sched/constraints.h"
#include "sim/load.h"
#include "sim/migrate.h"
#include "sim/platform.h"
#include "sim/report.h"
#include "sim/schedulers.h"
#include "sim/sim.h"
#include "sim/state.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/rng.h"

enum { DIRTY_STREAM = 2 };

void sim_opts_default(struct sim_opts *o) {
  memset(o, 0, sizeof *o);
  o->scheduler = "none";
  o->hosts = 128;
  o->vms = -1; /* 10 per host */
  o->duration = 3600;
  o->load_mean = 60;
  o->load_std = 20;
  o->period = 300;
  o->seed = 1;
  o->sample = 10;
  o->host_cpu = 700;
  o->host_mem = 32768;
  o->vm_mem = 1024;
  /* The model's constants: a fit of bench/sched-solver.sh's CPU medians
   * (docs/SIMULATION.md, "Solver time as simulated time"). */
  o->charge = (struct charge_model){.mode = CHARGE_CPU, .alpha = 9.8e-6, .beta = 1.83e-7};
  o->ideas = -1; /* threshold, target and fill: 0, from the ideas */
  o->admission = -1;
  o->admission_wait = 30;
  o->proactive_max = 16;
  o->entropy_period = 30;
  o->snooze_group = 32;
}

static double now_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void on_level(void *data, int host, int level) {
  struct sim_state *st = data;
  simnet_load(&st->net, host, level);
}

/* The time series: one row per sample period, written as the injector
 * passes each boundary (the state is constant between changes). */
static void sample_until(struct sim_state *st, double t, bool inclusive) {
  while (st->next_sample < t || (inclusive && st->next_sample <= t)) {
    report_series_row(st, st->next_sample);
    st->next_sample += st->o->sample;
  }
}

static void injector(int argc, char **argv) {
  (void)argc, (void)argv;
  struct sim_state *st = sg_actor_self_get_data();
  while (cluster_nvms(&st->cl) > 0) {
    struct load_event ev = load_next(&st->load);
    if (ev.time >= st->o->duration)
      break;
    sg_actor_sleep_until(ev.time);
    sample_until(st, ev.time, false);
    cluster_set_demand(&st->cl, ev.vm, ev.demand, ev.time);
    st->load_events++;
  }
  sg_actor_sleep_until(st->o->duration);
  sample_until(st, st->o->duration, true);
}

static void failer(int argc, char **argv) {
  (void)argc, (void)argv;
  struct sim_state *st = sg_actor_self_get_data();
  for (int i = 0; i < st->o->nfail; i++) {
    sg_actor_sleep_until(st->o->fail[i].at);
    simnet_fail(&st->net, st->o->fail[i].node);
  }
}

static void start_actor(struct sim_state *st, const char *name, void (*code)(int, char **),
                        bool daemon) {
  sg_actor_t a = sg_actor_init(name, simnet_host(&st->net, 0));
  sg_actor_set_data(a, st);
  if (daemon)
    sg_actor_daemonize(a);
  sg_actor_start_(a, code, 0, NULL);
}

/* A VM's demand is a percentage of one vCPU, so both moments stay in
 * 0..100 (a larger one would only be clamped by the load model). */
int sim_opts_check(const struct sim_opts *o, err_t *e) {
  if (o->hosts <= 0)
    return err_set(e, EINVAL, "--hosts: need at least one host, got %d", o->hosts);
  if (!(o->duration > 0))
    return err_set(e, EINVAL, "--duration: need a positive number of seconds");
  if (!(o->load_mean >= 0 && o->load_mean <= 100))
    return err_set(e, EINVAL, "--load-mean: expected a percentage of one vCPU in 0..100, got %g",
                   o->load_mean);
  if (!(o->load_std >= 0 && o->load_std <= 100))
    return err_set(e, EINVAL, "--load-std: expected a percentage of one vCPU in 0..100, got %g",
                   o->load_std);
  if (!(o->sample > 0))
    return err_set(e, EINVAL, "--sample: need a positive number of seconds");
  if (!(o->charge.alpha >= 0 && o->charge.beta >= 0))
    return err_set(e, EINVAL, "--charge-alpha/--charge-beta: need non-negative seconds");
  if (!(o->admission_wait > 0))
    return err_set(e, EINVAL, "--admission-wait: need a positive number of seconds");
  if (!(o->backbone >= 0))
    return err_set(e, EINVAL, "--backbone: need a positive bandwidth, got %g", o->backbone);
  for (int i = 0; i < o->nfail; i++) {
    if (o->fail[i].node < 0 || o->fail[i].node >= o->hosts)
      return err_set(e, EINVAL, "--fail: node %d is not a hosting node (0..%d)",
                     o->fail[i].node, o->hosts - 1);
    if (!(o->fail[i].at >= 0))
      return err_set(e, EINVAL, "--fail: time %g is before the start", o->fail[i].at);
  }
  struct cluster_spec spec = {.nhosts = o->hosts, .nvms = o->vms < 0 ? 10 * o->hosts : o->vms,
                              .host_cpu = o->host_cpu, .host_mem = o->host_mem,
                              .vm_mem = o->vm_mem};
  if (cluster_spec_check(&spec, e) < 0)
    return -1;
  if (sim_sched_services(o->scheduler, o->hosts, o, e) < 0)
    return -1;
  return sim_sched_check_ideas(o, e);
}

/* SimGrid reads its platform from a file: the results directory's copy, or
 * a temporary one removed once loaded. */
static int load_platform(const struct sim_opts *o, int services, err_t *e) {
  struct platform_spec p = {
      .hosts = o->hosts,
      .services = services,
      .nic_bw = PLATFORM_NIC_BW,
      .backbone_bw = o->backbone > 0 ? o->backbone : platform_default_backbone(o->hosts),
  };
  _cleanup_free_ char *path = NULL;
  bool temporary = !o->out;
  if (o->out) {
    path = path_join(o->out, "platform.xml");
  } else {
    path = strdup("/tmp/capsule-sim-platform.XXXXXX");
    if (path) {
      _cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
      if (fd < 0)
        return err_sys(e, "creating a temporary platform file");
    }
  }
  if (!path)
    return err_set(e, ENOMEM, "out of memory");
  int rc = platform_write(&p, path, e);
  if (rc == 0)
    simgrid_load_platform(path);
  if (temporary)
    unlink(path);
  return rc;
}

static void init_simgrid(void) {
  static char *args[] = {"capsule-sim", "--log=root.thres:critical",
                         "--cfg=contexts/stack-size:256", NULL};
  int argc = 3;
  simgrid_init(&argc, args);
}

static void usage_of_self(struct sim_result *r) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) < 0)
    return;
  r->peak_rss_kb = ru.ru_maxrss;
  r->cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static void assign_dirty_rates(struct sim_state *st) {
  /* VMPlaceS's eight m1.small classes: dirty-page intensity 10..80 %. */
  rng_t r;
  rng_seed(&r, st->o->seed, DIRTY_STREAM);
  for (int v = 0; v < cluster_nvms(&st->cl); v++)
    st->cl.vms[v].dirty_pct = 10 * (1 + (int)rng_below(&r, 8));
}

static int setup(struct sim_state *st, err_t *e) {
  const struct sim_opts *o = st->o;
  struct cluster_spec spec = {.nhosts = o->hosts, .nvms = o->vms, .host_cpu = o->host_cpu,
                              .host_mem = o->host_mem, .vm_mem = o->vm_mem};
  int services = sim_sched_services(o->scheduler, o->hosts, o, e);
  if (services < 0 || cluster_init(&st->cl, &spec, e) < 0)
    return -1;
  if (o->constraints) {
    sched_cstrs_init(&st->cstrs);
    st->have_cstrs = true;
    if (sched_cstrs_load_file(&st->cstrs, o->constraints, e) < 0 ||
        sched_cstrs_seal(&st->cstrs, &st->cl.m, e) < 0)
      return err_wrap(e, "--constraints");
  }
  if (o->out && mkdir_p_at(AT_FDCWD, o->out, 0755, e) < 0)
    return err_wrap(e, "--out");
  init_simgrid();
  if (load_platform(o, services, e) < 0 || simnet_init(&st->net, &st->cl, services, e) < 0)
    return -1;
  st->net.charge = o->charge;
  st->net.audit = o->check;
  st->net.cstrs = st->have_cstrs ? &st->cstrs : NULL;
  assign_dirty_rates(st);
  load_init(&st->load, o->seed, o->vms, o->period, o->load_mean, o->load_std);
  struct sim_policy pol;
  sim_sched_policy(o, &pol);
  st->cl.threshold = pol.threshold;
  admit_init(&st->net.admit, pol.admission);
  st->net.admit_wait = o->admission_wait;
  st->cl.on_level = on_level;
  st->cl.on_level_data = st;
  if (sim_sched_create(&st->sched, o, &st->net.tp, st->have_cstrs ? &st->cstrs : NULL, e) < 0)
    return -1;
  if (st->sched.ops)
    simnet_start_agents(&st->net, st->sched.ops, st->sched.state);
  return report_open(st, e);
}

static void teardown(struct sim_state *st) {
  report_close(st);
  sim_sched_free(&st->sched);
  simnet_free(&st->net);
  if (st->have_cstrs)
    sched_cstrs_free(&st->cstrs);
  cluster_free(&st->cl);
}

int sim_run(const struct sim_opts *o_in, struct sim_result *r, err_t *e) {
  struct sim_opts o = *o_in;
  if (o.vms < 0)
    o.vms = 10 * o.hosts;
  if (sim_opts_check(&o, e) < 0)
    return -1;
  struct sim_state st = {.o = &o};
  double t0 = now_wall();
  int rc = setup(&st, e);
  if (rc == 0) {
    start_actor(&st, "injector", injector, false);
    if (o.nfail)
      start_actor(&st, "failures", failer, true);
    simgrid_run();
    cluster_finish(&st.cl, o.duration);
    memset(r, 0, sizeof *r);
    r->wall = now_wall() - t0;
    usage_of_self(r);
    rc = report_finish(&st, r, e);
  }
  teardown(&st);
  return rc;
}
