/* OCI values are v1 values; on cgroup v2 some need converting.
 *
 * cpu.shares (2..262144, default 1024) -> cpu.weight (1..10000, default 100)
 * uses the curve runc >= 1.3.2 and crun >= 1.23 adopted, which maps the two
 * ends and the two defaults onto each other (the older linear formula sent
 * 1024 shares to weight 39):
 *     l = log2(shares);  weight = ceil(10^((l^2 + 125 l) / 612 - 7/34))
 * The library is not linked with libm, so log2 and 10^x are computed here
 * with short series (exact to ~1e-15, far below the rounding that matters). */
#include <errno.h>

#include "cgroup/internal.h"

#define LN2 0.69314718055994530942
#define LN10 2.30258509299404568402

/* ln(m) for m in [1, 2): 2 atanh((m-1)/(m+1)), |z| <= 1/3. */
static double ln_mantissa(double m) {
  double z = (m - 1) / (m + 1), z2 = z * z, term = z, sum = 0;
  for (int k = 1; k < 60; k += 2) {
    sum += term / k;
    term *= z2;
  }
  return 2 * sum;
}

static double log2_u64(uint64_t v) {
  int k = 63 - __builtin_clzll(v);
  return k + ln_mantissa((double)v / (double)(1ULL << k)) / LN2;
}

/* e^x for x in [0, ln 2). */
static double exp_small(double x) {
  double sum = 1, term = 1;
  for (int k = 1; k < 30; k++) {
    term *= x / k;
    sum += term;
  }
  return sum;
}

/* 10^y for y >= 0, as 2^n * e^(f ln 2). */
static double pow10_pos(double y) {
  double t = y * (LN10 / LN2);
  int n = (int)t;
  return (double)(1ULL << n) * exp_small((t - n) * LN2);
}

uint64_t cgroup_shares_to_weight(uint64_t shares) {
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  double l = log2_u64(shares);
  double w = pow10_pos((l * l + 125 * l) / 612.0 - 7.0 / 34.0);
  uint64_t whole = (uint64_t)w;
  /* ceil, but a value a rounding error above an integer is that integer */
  if (w - (double)whole > 1e-9 * w)
    whole++;
  return whole > 10000 ? 10000 : whole;
}

/* blkio.weight 10..1000 onto io.weight 1..10000, linearly, as runc and crun do. */
uint64_t cgroup_blkio_to_io_weight(uint64_t weight) {
  if (weight < 10)
    weight = 10;
  return 1 + (weight - 10) * 9999 / 990;
}

int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, err_t *e) {
  if (swap == -1) {
    *out = -1;
    return 0;
  }
  if (limit < 0)
    return err_set(e, EINVAL,
                   "swap %lld needs a memory limit: OCI swap is memory+swap, cgroup v2 limits "
                   "swap alone (memory.swap.max = swap - limit)",
                   (long long)swap);
  if (swap < limit)
    return err_set(e, EINVAL, "swap %lld is below the memory limit %lld (swap is memory+swap)",
                   (long long)swap, (long long)limit);
  *out = swap - limit;
  return 0;
}
