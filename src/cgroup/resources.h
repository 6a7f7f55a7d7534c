/* OCI linux.resources, parsed once into plain C: what the container may use.
 * The same struct comes from config.json, from `update` flags and from
 * `update --resources FILE`. Each field has a has_ flag: absent means
 * "leave as the kernel has it". */
#ifndef CAPSULE_CGROUP_RESOURCES_H
#define CAPSULE_CGROUP_RESOURCES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

struct device_rule {
  bool allow;
  char type;        /* 'a', 'c' or 'b' */
  int64_t major;    /* -1: any */
  int64_t minor;    /* -1: any */
  char access[4];   /* subset of "rwm" */
};

struct blkio_device_value { /* weightDevice / throttle entries */
  int64_t major, minor;
  uint64_t value;      /* rate, or weight */
  uint64_t leaf_weight;
  bool has_weight, has_leaf_weight;
};

struct hugepage_limit {
  char *page_size; /* "2MB" */
  uint64_t limit;
};

struct unified_entry {
  char *key; /* a file name in the v2 group, e.g. "memory.high" */
  char *value;
};

struct cgroup_resources {
  /* memory, bytes; -1 means unlimited */
  bool has_mem_limit, has_mem_reservation, has_mem_swap, has_swappiness;
  bool has_disable_oom_killer;
  bool has_mem_kernel_tcp; /* v1 only */
  int64_t mem_kernel_tcp;
  bool mem_check_before_update; /* refuse a limit below the current usage */
  int64_t mem_limit, mem_reservation, mem_swap; /* swap is memory+swap, as in OCI */
  uint64_t swappiness;
  bool disable_oom_killer;

  /* cpu */
  bool has_cpu_shares, has_cpu_quota, has_cpu_period, has_cpu_idle;
  bool has_rt_runtime, has_rt_period, has_cpu_burst;
  uint64_t cpu_shares, cpu_period, rt_period, cpu_burst;
  int64_t cpu_quota, rt_runtime, cpu_idle;
  char *cpus, *mems; /* cpuset lists, NULL if absent */

  /* pids; <= 0 means unlimited */
  bool has_pids_limit;
  int64_t pids_limit;

  /* block I/O */
  bool has_blkio_weight, has_blkio_leaf_weight;
  uint16_t blkio_weight, blkio_leaf_weight;
  struct blkio_device_value *weight_devices, *throttle_read_bps, *throttle_write_bps,
      *throttle_read_iops, *throttle_write_iops;
  size_t n_weight_devices, n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
      n_throttle_write_iops;

  struct device_rule *devices;
  size_t n_devices;

  struct hugepage_limit *hugepages;
  size_t n_hugepages;

  struct unified_entry *unified; /* v2 only */
  size_t n_unified;
};

/* Parse an OCI LinuxResources object; `where` names it in messages
 * ("linux.resources"). On error *out is left empty. */
int cgroup_resources_from_json(json_t *obj, const char *where, struct cgroup_resources *out,
                               err_t *e);
void cgroup_resources_free(struct cgroup_resources *r);

/* Append a device rule (the runtime adds the default devices this way). */
int cgroup_resources_add_device(struct cgroup_resources *r, const struct device_rule *rule,
                                err_t *e);

#endif
