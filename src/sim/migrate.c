#include "sim/migrate.h"

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/semaphore.h>
#include <stdint.h>
#include <stdlib.h>

/* Pre-copy parameters: SimGrid's live-migration plugin's defaults (working
 * set 90 % of the memory, 30 ms of downtime) and Xen's stopping rules
 * (at most 30 rounds, at most 3x the memory sent before stop-and-copy). */
#define WORKING_SET 0.9
#define MAX_DOWNTIME 0.030
#define MAX_ROUNDS 30
#define MAX_SENT_FACTOR 3.0

struct migration {
  struct simnet *s;
  int32_t node, ve, dst;
  uint64_t token;
  sg_sem_t wake; /* released when the backbone admits it after a wait */
  bool granted;
};

/* The share of one core the VE gets, as on a VMPlaceS Euro-Par host: one
 * core, shared max-min fairly by the host's VMs, each capped at its demand
 * (one vCPU = 100 units = the core). The other VMs are logical, so their
 * contention is computed here rather than simulated. */
static double cpu_share(const struct simnet *s, int32_t ve) {
  const struct sched_model *m = &s->cl->m;
  const struct sched_node *nd = &m->nodes[m->ves[ve].host];
  double sorted[64], level = 1e300, left = 100;
  int32_t n = nd->nves < 64 ? nd->nves : 64; /* a host holds 32 VMs of 1 GB */
  for (int32_t i = 0; i < n; i++) { /* insertion sort, ascending */
    double d = (double)m->ves[nd->ves[i]].demand[SCHED_CPU];
    int32_t j = i;
    for (; j > 0 && sorted[j - 1] > d; j--)
      sorted[j] = sorted[j - 1];
    sorted[j] = d;
  }
  for (int32_t i = 0; i < n; i++) { /* water-filling */
    double share = left / (n - i);
    if (sorted[i] > share) {
      level = share;
      break;
    }
    left -= sorted[i];
  }
  double d = (double)cluster_demand(s->cl, ve);
  return (d < level ? d : level) / 100.0;
}

/* Bytes dirtied while the VE ran for `seconds`: SimGrid's model, computed
 * flops x migration speed x intensity / host speed, that is the core share
 * x intensity x migration speed. */
static double dirtied(const struct simnet *s, int32_t ve, double seconds) {
  return cpu_share(s, ve) * s->cl->vms[ve].dirty_pct / 100.0 * s->mig_speed * seconds;
}

/* Send `bytes` from src to dst over the simulated network (its sharing
 * with the other transfers included); returns the seconds it took. */
static double transfer(sg_host_t src, sg_host_t dst, double bytes) {
  double t0 = simgrid_get_clock();
  if (bytes > 0)
    sg_host_sendto(src, dst, bytes);
  return simgrid_get_clock() - t0;
}

/* Pre-copy: send the memory, then what was dirtied meanwhile, round after
 * round, until the rest fits in the allowed downtime or a stopping rule
 * ends the rounds; then stop the VE and send the rest. Transfers go at
 * most at the NIC's 1 Gb/s (VMPlaceS's migration speed) and share the NICs
 * and the backbone with everything else. */
static void precopy(struct simnet *s, int32_t ve, sg_host_t src, sg_host_t dst) {
  double mem = (double)s->cl->m.ves[ve].demand[SCHED_MEM] * 1024 * 1024;
  double wset = WORKING_SET * mem, sent = 0, todo = mem;
  for (int round = 0; round < MAX_ROUNDS; round++) {
    double took = transfer(src, dst, todo);
    sent += todo;
    double bw = took > 0 ? todo / took : s->mig_speed;
    if (bw > s->mig_speed)
      bw = s->mig_speed;
    todo = dirtied(s, ve, took);
    if (todo > wset)
      todo = wset;
    if (todo <= bw * MAX_DOWNTIME || sent + todo > MAX_SENT_FACTOR * mem)
      break;
  }
  transfer(src, dst, todo); /* stop and copy */
}

static uint64_t admit_id(struct migration *mg) {
  return (uint64_t)(uintptr_t)mg;
}

/* What a waiting migration is worth now: the part of its source's
 * overload it removes (0 for a source within its capacity). */
static double relief(void *data, uint64_t id) {
  const struct simnet *s = data;
  const struct migration *mg = (const struct migration *)(uintptr_t)id;
  const struct sched_model *m = &s->cl->m;
  double over = (double)(m->nodes[mg->node].used[SCHED_CPU] - m->nodes[mg->node].cap[SCHED_CPU]);
  double d = (double)cluster_demand(s->cl, mg->ve);
  return over <= 0 ? 0 : d < over ? d : over;
}

/* Wait for the backbone to admit the migration (at once without admission
 * control); false when it waited too long (or out of memory). */
static bool admitted(struct simnet *s, struct migration *mg) {
  int rc = admit_request(&s->admit, admit_id(mg), simgrid_get_clock());
  if (rc != 0)
    return rc > 0;
  mg->wake = sg_sem_init(0);
  /* A grant at the deadline's instant still counts: the flag says so. */
  bool in = sg_sem_acquire_timeout(mg->wake, s->admit_wait) == 0 || mg->granted;
  if (!in)
    admit_cancel(&s->admit, admit_id(mg));
  sg_sem_destroy(mg->wake);
  return in;
}

/* The migration left the backbone: its slot goes to the next one. */
static void leave(struct simnet *s) {
  uint64_t id;
  if (!admit_next(&s->admit, simgrid_get_clock(), relief, s, &id))
    return;
  struct migration *next = (struct migration *)(uintptr_t)id;
  next->granted = true;
  sg_sem_release(next->wake);
}

static void migration_actor(int argc, char **argv) {
  (void)argc, (void)argv;
  struct migration *mg = sg_actor_self_get_data();
  struct simnet *s = mg->s;
  /* Actors made by actors daemonize themselves (SimGrid 3.32 does not
   * take it from another actor before the start). */
  sg_actor_daemonize(sg_actor_self());
  bool in = admitted(s, mg);
  double t0 = simgrid_get_clock();
  if (in) {
    precopy(s, mg->ve, simnet_host(s, mg->node), simnet_host(s, mg->dst));
    leave(s);
  } else {
    s->migrations_refused++;
  }
  double took = simgrid_get_clock() - t0;

  err_t e = ERR_INIT;
  bool ok = in && !simnet_failed(s, mg->dst) && !simnet_failed(s, mg->node) &&
            cluster_move_vm(s->cl, mg->ve, mg->dst, simgrid_get_clock(), &e) == 0;
  s->cl->vms[mg->ve].migrating = -1;
  sched_ve_set_pinned(&s->cl->m, mg->ve, false);
  simnet_moving_remove(s, mg->ve);
  s->migrations_active--;
  if (ok) {
    s->migrations_done++;
    series_add(&s->migration_time, took);
  } else {
    s->migrations_failed++;
  }
  simnet_migrated(s, mg->node, mg->token, ok);
  free(mg);
}

int sim_migrate_start(struct simnet *s, int32_t node, int32_t ve, int32_t dst, uint64_t token) {
  struct migration *mg = malloc(sizeof *mg);
  if (!mg || simnet_moving_add(s, ve) < 0) {
    free(mg);
    return -1;
  }
  *mg = (struct migration){.s = s, .node = node, .ve = ve, .dst = dst, .token = token};
  s->cl->vms[ve].migrating = dst;
  sched_ve_set_pinned(&s->cl->m, ve, true); /* reported as migrating */
  s->migrations_started++;
  s->migrations_active++;
  sg_actor_t a = sg_actor_init("migrate", simnet_host(s, node));
  sg_actor_set_data(a, mg);
  sg_actor_start_(a, migration_actor, 0, NULL);
  return 0;
}
