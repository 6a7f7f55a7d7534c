/* A small deterministic random number generator (xoshiro256**, seeded through
 * splitmix64), so that simulations and randomized algorithms replay exactly
 * from a seed on every platform. Independent streams come from distinct
 * (seed, stream) pairs. */
#ifndef CAPSULE_UTIL_RNG_H
#define CAPSULE_UTIL_RNG_H

#include <stdint.h>

typedef struct rng {
  uint64_t s[4];
} rng_t;

/* Seed a stream; the same (seed, stream) always yields the same sequence. */
void rng_seed(rng_t *r, uint64_t seed, uint64_t stream);

uint64_t rng_next(rng_t *r);

/* Uniform in [0, 1). */
double rng_uniform(rng_t *r);

/* Uniform integer in [0, n); n > 0. */
uint64_t rng_below(rng_t *r, uint64_t n);

/* Exponential with the given rate (mean 1/rate). */
double rng_exponential(rng_t *r, double rate);

/* Normal with mean mu and standard deviation sigma. */
double rng_gaussian(rng_t *r, double mu, double sigma);

#endif
