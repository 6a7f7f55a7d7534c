#include "sim/schedulers.h"

#include <errno.h>
#include <string.h>

#include "baselines/entropy.h"
#include "baselines/snooze.h"
#include "dvms/dvms.h"
#include "dvms/vmplaces.h"

const char sim_sched_names[] = "none, dvms, dvms-vmplaces, entropy, snooze";

static void free_dvms(void *p) {
  dvms_free(p);
}
static void free_entropy(void *p) {
  entropy_free(p);
}
static void free_snooze(void *p) {
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

/* Each scheduler's own configuration, with what every run shares. */
static void *create(const struct sim_opts *o, const struct transport *tp,
                    const struct sched_cstrs *cstrs, const struct agent_ops **ops,
                    struct sched_run_stats **stats, void (**destroy)(void *), err_t *e) {
  bool vmplaces = !strcmp(o->scheduler, "dvms-vmplaces");
  if (vmplaces || !strcmp(o->scheduler, "dvms")) {
    struct dvms_config c;
    if (vmplaces) {
      vmplaces_dvms_config(&c, o->hosts, o->vms);
    } else {
      dvms_config_default(&c, o->hosts, o->vms);
      c.target = o->target;
      c.fill = o->fill;
      c.proactive_max = o->proactive_max;
    }
    c.seed = c.solve.seed = o->seed;
    c.cstrs = cstrs;
    c.check = o->check;
    struct dvms *d = dvms_new(&c, tp, e);
    *ops = &dvms_agent_ops;
    *destroy = free_dvms;
    *stats = d ? dvms_stats(d) : NULL;
    return d;
  }
  if (!strcmp(o->scheduler, "entropy")) {
    struct entropy_config c;
    entropy_config_default(&c, o->hosts, o->vms);
    c.period = o->entropy_period;
    c.round.solve.seed = o->seed;
    c.round.cstrs = cstrs;
    c.round.check = o->check;
    struct entropy *x = entropy_new(&c, tp, e);
    *ops = &entropy_agent_ops;
    *destroy = free_entropy;
    *stats = x ? entropy_stats(x) : NULL;
    return x;
  }
  if (!strcmp(o->scheduler, "snooze")) {
    struct snooze_config c;
    snooze_config(&c, o);
    c.round.solve.seed = o->seed;
    c.round.cstrs = cstrs;
    c.round.check = o->check;
    struct snooze *x = snooze_new(&c, tp, e);
    *ops = &snooze_agent_ops;
    *destroy = free_snooze;
    *stats = x ? snooze_stats(x) : NULL;
    return x;
  }
  return err_set(e, EINVAL, "--scheduler: unknown scheduler '%s' (%s)", o->scheduler,
                 sim_sched_names),
         NULL;
}

int sim_sched_create(struct sim_sched *s, const struct sim_opts *o, const struct transport *tp,
                     const struct sched_cstrs *cstrs, err_t *e) {
  memset(s, 0, sizeof *s);
  s->name = o->scheduler;
  if (!strcmp(o->scheduler, "none"))
    return 0;
  s->state = create(o, tp, cstrs, &s->ops, &s->stats, &s->free, e);
  if (!s->state) {
    memset(s, 0, sizeof *s);
    return -1;
  }
  return 0;
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
