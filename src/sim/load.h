/* The load injector's model, as in VMPlaceS (Injector.generateLoadQueue):
 * one Poisson process for the whole platform with rate #VMs / period; each
 * event picks a VM uniformly and draws its new CPU demand from N(mean, std),
 * clamped to 0..100 % of one vCPU and rounded to steps of 10. The stream
 * depends only on the seed, so every scheduler sees the same load trace. */
#ifndef CAPSULE_SIM_LOAD_H
#define CAPSULE_SIM_LOAD_H

#include "util/rng.h"

struct load_model {
  rng_t rng;
  int nvms;
  double rate;        /* events per second */
  double mean, std;   /* of the demand, in % of one vCPU */
  double next;        /* time of the next event */
};

struct load_event {
  double time;
  int vm;
  int demand; /* 0..100 in steps of 10 */
};

void load_init(struct load_model *m, unsigned long long seed, int nvms, double period, double mean,
               double std);

/* The next event (times increase); the model must have nvms > 0. */
struct load_event load_next(struct load_model *m);

/* The demand step for a draw: round(clamp(g, 0, 100) / 10) * 10. */
int load_quantize(double g);

#endif
