#include "sim/schedulers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "baselines/entropy.h"
#include "baselines/snooze.h"
#include "dvms/dvms.h"
#include "dvms/vmplaces.h"
#include "sim/platform.h"

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

static const char *const idea_names[] = {"events",     "ring",     "shortcuts", "merge",
                                         "prevention", "headroom", "admission", "yield",
                                         "bounded"};
enum { NIDEAS = sizeof idea_names / sizeof *idea_names };

void sim_ideas_format(int ideas, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = 0;
  for (int i = 0; i < NIDEAS && len < size; i++)
    if (ideas & (1 << i))
      len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "", idea_names[i]);
  if (!len)
    snprintf(buf, size, "none");
}

int sim_ideas_parse(const char *s, int *ideas, err_t *e) {
  if (!strcmp(s, "all")) {
    *ideas = SIM_IDEAS_ALL;
    return 0;
  }
  *ideas = 0;
  if (!strcmp(s, "none"))
    return 0;
  for (const char *p = s;;) {
    size_t n = strcspn(p, ",");
    int i = 0;
    while (i < NIDEAS && !(strlen(idea_names[i]) == n && !strncmp(p, idea_names[i], n)))
      i++;
    if (i == NIDEAS)
      return err_set(e, EINVAL,
                     "--ideas: unknown idea '%.*s' (all, none, or a list of events, ring, "
                     "shortcuts, merge, prevention, headroom, admission, yield, bounded)",
                     (int)n, p);
    *ideas |= 1 << i;
    if (!p[n])
      return 0;
    p += n + 1;
  }
}

/* DVMS has every idea by default; the baselines have none of the policies,
 * as VMPlaceS ran them. */
static int default_ideas(const char *scheduler) {
  return !strcmp(scheduler, "dvms") ? SIM_IDEAS_ALL : 0;
}

void sim_sched_policy(const struct sim_opts *o, struct sim_policy *p) {
  p->ideas = o->ideas >= 0 ? o->ideas : default_ideas(o->scheduler);
  bool headroom = p->ideas & IDEA_HEADROOM;
  p->threshold = o->threshold > 0 ? o->threshold : p->ideas & IDEA_PREVENTION ? 0.98 : 1;
  p->target = o->target > 0 ? o->target : headroom ? 0.95 : 1;
  p->fill = o->fill > 0 ? o->fill : headroom ? 0.87 : 1;
  if (p->target > p->threshold)
    p->target = p->threshold;
  if (p->fill > p->target)
    p->fill = p->target;
  double backbone = o->backbone > 0 ? o->backbone : platform_default_backbone(o->hosts);
  int full_speed = (int)(backbone / PLATFORM_NIC_BW);
  p->admission = o->admission >= 0      ? o->admission
                 : p->ideas & IDEA_ADMISSION ? (full_speed > 1 ? full_speed : 1)
                                             : 0;
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

int sim_sched_check_ideas(const struct sim_opts *o, err_t *e) {
  if (o->ideas > 0 && (o->ideas & SIM_IDEAS_PROTOCOL) && strcmp(o->scheduler, "dvms"))
    return err_set(e, EINVAL,
                   "--ideas: events, ring, shortcuts, merge and bounded are DVMS's; %s takes prevention, "
                   "headroom, admission and yield only",
                   o->scheduler);
  return 0;
}

static void round_policy(struct round_config *c, const struct sim_policy *p) {
  c->threshold = p->threshold;
  c->target = p->target;
  c->fill = p->fill;
  c->yield = p->ideas & IDEA_YIELD;
}

/* Each scheduler's own configuration, with what every run shares. */
static void *create(const struct sim_opts *o, const struct transport *tp,
                    const struct sched_cstrs *cstrs, const struct agent_ops **ops,
                    struct sched_run_stats **stats, void (**destroy)(void *), err_t *e) {
  bool vmplaces = !strcmp(o->scheduler, "dvms-vmplaces");
  struct sim_policy pol;
  sim_sched_policy(o, &pol);
  if (vmplaces || !strcmp(o->scheduler, "dvms")) {
    struct dvms_config c;
    if (vmplaces) {
      vmplaces_dvms_config(&c, o->hosts, o->vms);
    } else {
      dvms_config_default(&c, o->hosts, o->vms);
      dvms_config_ideas(&c, (pol.ideas & IDEA_EVENTS ? DVMS_IDEA_EVENTS : 0) |
                                (pol.ideas & IDEA_RING ? DVMS_IDEA_RING : 0) |
                                (pol.ideas & IDEA_SHORTCUTS ? DVMS_IDEA_SHORTCUTS : 0) |
                                (pol.ideas & IDEA_MERGE ? DVMS_IDEA_MERGE : 0) |
                                (pol.ideas & IDEA_BOUNDED ? DVMS_IDEA_BOUNDED : 0));
      c.proactive_max = o->proactive_max;
    }
    c.target = pol.target;
    c.fill = pol.fill;
    c.yield = pol.ideas & IDEA_YIELD;
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
    round_policy(&c.round, &pol);
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
    round_policy(&c.round, &pol);
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

void sim_sched_free(struct sim_sched *s) {
  if (s->free)
    s->free(s->state);
  memset(s, 0, sizeof *s);
}
