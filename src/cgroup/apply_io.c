/* linux.resources.blockIO on blkio (v1) or io (v2).
 *
 * Weights: v1 has blkio.weight under CFQ (gone since Linux 5.0) and
 * blkio.bfq.weight under BFQ; v2 has io.bfq.weight (same 1..1000 scale, used
 * as given) or io.weight (1..10000, converted). Throttles: one v1 file per
 * kind, or one io.max line per device on v2 ("max" lifts a limit). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "cgroup/internal.h"

#define WHERE "linux.resources.blockIO"

/* The CFQ file, else the BFQ one. */
static int write_weight_v1(const struct cgroup_hierarchy *h, const char *const files[2],
                           const char *value, err_t *e) {
  for (size_t i = 0; i < 2; i++) {
    if (cgroup_write(h, files[i], value, e) == 0)
      return 0;
    if (errno != ENOENT)
      return -1;
  }
  return err_set(e, ENOTSUP, "neither %s nor %s exists: weights need the CFQ or BFQ I/O scheduler",
                 files[0], files[1]);
}

static int apply_v1(const struct cgroup_hierarchy *h, const struct cgroup_resources *r, err_t *e) {
  static const char *const weight_files[] = {"blkio.weight", "blkio.bfq.weight"};
  static const char *const device_files[] = {"blkio.weight_device", "blkio.bfq.weight_device"};
  char buf[64];
  if (r->has_blkio_weight) {
    snprintf(buf, sizeof buf, "%u", r->blkio_weight);
    if (write_weight_v1(h, weight_files, buf, e) < 0)
      return err_wrap(e, WHERE ".weight");
  }
  if (r->has_blkio_leaf_weight &&
      cgroup_writef(h, "blkio.leaf_weight", e, "%u", r->blkio_leaf_weight) < 0)
    return err_wrap(e, WHERE ".leafWeight (CFQ only, gone since Linux 5.0)");
  for (size_t i = 0; i < r->n_weight_devices; i++) {
    const struct blkio_device_value *d = &r->weight_devices[i];
    if (d->has_weight) {
      snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, d->value);
      if (write_weight_v1(h, device_files, buf, e) < 0)
        return err_wrap(e, WHERE ".weightDevice[%zu]", i);
    }
    if (d->has_leaf_weight &&
        cgroup_writef(h, "blkio.leaf_weight_device", e, "%" PRId64 ":%" PRId64 " %" PRIu64,
                      d->major, d->minor, d->leaf_weight) < 0)
      return err_wrap(e, WHERE ".weightDevice[%zu].leafWeight (CFQ only)", i);
  }
  const struct {
    const char *file, *field;
    const struct blkio_device_value *list;
    size_t n;
  } throttles[] = {
      {"blkio.throttle.read_bps_device", "throttleReadBpsDevice", r->throttle_read_bps,
       r->n_throttle_read_bps},
      {"blkio.throttle.write_bps_device", "throttleWriteBpsDevice", r->throttle_write_bps,
       r->n_throttle_write_bps},
      {"blkio.throttle.read_iops_device", "throttleReadIOPSDevice", r->throttle_read_iops,
       r->n_throttle_read_iops},
      {"blkio.throttle.write_iops_device", "throttleWriteIOPSDevice", r->throttle_write_iops,
       r->n_throttle_write_iops},
  };
  for (size_t t = 0; t < 4; t++)
    for (size_t i = 0; i < throttles[t].n; i++) {
      const struct blkio_device_value *d = &throttles[t].list[i];
      if (cgroup_writef(h, throttles[t].file, e, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major,
                        d->minor, d->value) < 0)
        return err_wrap(e, WHERE ".%s[%zu]", throttles[t].field, i);
    }
  return 0;
}

/* v2 weight: io.bfq.weight as given where BFQ is loaded, else io.weight. */
static int v2_weight(const struct cgroup_hierarchy *h, const char *device, uint64_t weight,
                     err_t *e) {
  if (cgroup_writef(h, "io.bfq.weight", e, "%s %" PRIu64, device, weight) == 0)
    return 0;
  if (errno != ENOENT)
    return -1;
  return cgroup_writef(h, "io.weight", e, "%s %" PRIu64, device,
                       cgroup_blkio_to_io_weight(weight));
}

static int apply_v2(const struct cgroup_hierarchy *h, const struct cgroup_resources *r, err_t *e) {
  if (r->has_blkio_leaf_weight)
    return err_set(e, ENOTSUP, WHERE ".leafWeight: cgroup v2 has no leaf weights");
  if (r->has_blkio_weight && v2_weight(h, "default", r->blkio_weight, e) < 0)
    return err_wrap(e, WHERE ".weight");
  for (size_t i = 0; i < r->n_weight_devices; i++) {
    const struct blkio_device_value *d = &r->weight_devices[i];
    char device[48];
    snprintf(device, sizeof device, "%" PRId64 ":%" PRId64, d->major, d->minor);
    if (d->has_leaf_weight)
      return err_set(e, ENOTSUP, WHERE ".weightDevice[%zu].leafWeight: cgroup v2 has no leaf "
                                       "weights", i);
    if (v2_weight(h, device, d->value, e) < 0)
      return err_wrap(e, WHERE ".weightDevice[%zu]", i);
  }
  const struct {
    const char *key, *field;
    const struct blkio_device_value *list;
    size_t n;
  } throttles[] = {
      {"rbps", "throttleReadBpsDevice", r->throttle_read_bps, r->n_throttle_read_bps},
      {"wbps", "throttleWriteBpsDevice", r->throttle_write_bps, r->n_throttle_write_bps},
      {"riops", "throttleReadIOPSDevice", r->throttle_read_iops, r->n_throttle_read_iops},
      {"wiops", "throttleWriteIOPSDevice", r->throttle_write_iops, r->n_throttle_write_iops},
  };
  for (size_t t = 0; t < 4; t++)
    for (size_t i = 0; i < throttles[t].n; i++) {
      const struct blkio_device_value *d = &throttles[t].list[i];
      char rate[24] = "max"; /* v1's 0 means "no limit" */
      if (d->value)
        snprintf(rate, sizeof rate, "%" PRIu64, d->value);
      if (cgroup_writef(h, "io.max", e, "%" PRId64 ":%" PRId64 " %s=%s", d->major, d->minor,
                        throttles[t].key, rate) < 0)
        return err_wrap(e, WHERE ".%s[%zu]", throttles[t].field, i);
    }
  return 0;
}

int cgroup_apply_io(struct cgroup *cg, const struct cgroup_resources *r, err_t *e) {
  if (!r->has_blkio_weight && !r->has_blkio_leaf_weight && !r->n_weight_devices &&
      !r->n_throttle_read_bps && !r->n_throttle_write_bps && !r->n_throttle_read_iops &&
      !r->n_throttle_write_iops)
    return 0;
  const struct cgroup_hierarchy *h = cgroup_v1(cg, "blkio");
  if (h)
    return apply_v1(h, r, e);
  if ((h = cgroup_v2(cg)))
    return apply_v2(h, r, e);
  return err_set(e, ENOTSUP, WHERE ": the host has no blkio or io controller");
}
