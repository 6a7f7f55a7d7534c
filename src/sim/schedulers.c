#include "sim/schedulers.h"

#include <errno.h>
#include <string.h>

#include "sched/dvms.h"
#include "sched/entropy.h"
#include "sched/snooze.h"
#include "sched/vmplaces.h"

const char sim_sched_names[] = "none, dvms, dvms-vmplaces, entropy, snooze";

static void dvms_free_state(void *p) {
  dvms_free(p);
}
static void entropy_free_state(void *p) {
  entropy_free(p);
}
static void snooze_free_state(void *p) {
  snooze_free(p);
}

static void snooze_config(struct snooze_config *c, const struct sim_opts *o) {
  snooze_config_default(c, o->hosts, o->vms);
  c->group = o->snooze_group;
}

int sim_sched_services(const char *name, int hosts, const struct sim_opts *o, err_t *e) {
  (void)hosts;
  if (!strcmp(name, "none") || !strcmp(name, "dvms") || !strcmp(name, "dvms-vmplaces"))
    return 0;
  if (!strcmp(name, "entropy"))
    return 1;
  if (!strcmp(name, "snooze")) {
    struct snooze_config c;
    snooze_config(&c, o);
    return snooze_services(&c);
  }
  return err_set(e, EINVAL, "--scheduler: unknown scheduler '%s' (%s)", name, sim_sched_names);
}

static int create_dvms(struct sim_sched *s, const struct sim_opts *o, const struct transport *tp,
                       const struct sched_cstrs *cstrs, bool vmplaces, err_t *e) {
  struct dvms_config cfg;
  if (vmplaces)
    vmplaces_dvms_config(&cfg, o->hosts, o->vms);
  else
    dvms_config_default(&cfg, o->hosts, o->vms);
  cfg.seed = o->seed;
  cfg.cstrs = cstrs;
  cfg.check = o->check;
  if (!vmplaces) {
    cfg.target = o->target;
    cfg.fill = o->fill;
  }
  cfg.solve.seed = o->seed;
  struct dvms *d = dvms_new(&cfg, tp, e);
  if (!d)
    return -1;
  s->state = d;
  s->ops = &dvms_agent_ops;
  s->stats = dvms_stats(d);
  s->free = dvms_free_state;
  return 0;
}

static int create_entropy(struct sim_sched *s, const struct sim_opts *o,
                          const struct transport *tp, const struct sched_cstrs *cstrs, err_t *e) {
  struct entropy_config c;
  entropy_config_default(&c, o->hosts, o->vms);
  c.period = o->entropy_period;
  c.cstrs = cstrs;
  c.check = o->check;
  c.solve.seed = o->seed;
  struct entropy *x = entropy_new(&c, tp, e);
  if (!x)
    return -1;
  s->state = x;
  s->ops = &entropy_agent_ops;
  s->stats = entropy_stats(x);
  s->free = entropy_free_state;
  return 0;
}

static int create_snooze(struct sim_sched *s, const struct sim_opts *o,
                         const struct transport *tp, const struct sched_cstrs *cstrs, err_t *e) {
  struct snooze_config c;
  snooze_config(&c, o);
  c.cstrs = cstrs;
  c.check = o->check;
  c.solve.seed = o->seed;
  struct snooze *x = snooze_new(&c, tp, e);
  if (!x)
    return -1;
  s->state = x;
  s->ops = &snooze_agent_ops;
  s->stats = snooze_stats(x);
  s->free = snooze_free_state;
  return 0;
}

int sim_sched_create(struct sim_sched *s, const struct sim_opts *o, const struct transport *tp,
                     const struct sched_cstrs *cstrs, err_t *e) {
  memset(s, 0, sizeof *s);
  s->name = o->scheduler;
  if (!strcmp(o->scheduler, "none"))
    return 0;
  if (!strcmp(o->scheduler, "dvms"))
    return create_dvms(s, o, tp, cstrs, false, e);
  if (!strcmp(o->scheduler, "dvms-vmplaces"))
    return create_dvms(s, o, tp, cstrs, true, e);
  if (!strcmp(o->scheduler, "entropy"))
    return create_entropy(s, o, tp, cstrs, e);
  if (!strcmp(o->scheduler, "snooze"))
    return create_snooze(s, o, tp, cstrs, e);
  return err_set(e, EINVAL, "--scheduler: unknown scheduler '%s' (%s)", o->scheduler,
                 sim_sched_names);
}

double sim_sched_threshold(const struct sim_opts *o) {
  /* The baselines act on overload, as VMPlaceS's do; capsule's DVMS acts
   * before it (docs/SIMULATION.md). */
  return !strcmp(o->scheduler, "dvms") ? o->threshold : 1.0;
}

void sim_sched_free(struct sim_sched *s) {
  if (s->free)
    s->free(s->state);
  memset(s, 0, sizeof *s);
}
