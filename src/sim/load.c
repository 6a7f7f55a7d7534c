#include "sim/load.h"

#include <math.h>

enum { LOAD_STREAM = 1 };

void load_init(struct load_model *m, unsigned long long seed, int nvms, double period, double mean,
               double std) {
  rng_seed(&m->rng, seed, LOAD_STREAM);
  m->nvms = nvms;
  m->rate = nvms / period;
  m->mean = mean;
  m->std = std;
  m->next = 0;
}

int load_quantize(double g) {
  if (g < 0)
    g = 0;
  if (g > 100)
    g = 100;
  return (int)lround(g / 10.0) * 10;
}

struct load_event load_next(struct load_model *m) {
  struct load_event ev;
  m->next += rng_exponential(&m->rng, m->rate);
  ev.time = m->next;
  ev.vm = (int)rng_below(&m->rng, (unsigned long long)m->nvms);
  ev.demand = load_quantize(rng_gaussian(&m->rng, m->mean, m->std));
  return ev;
}
