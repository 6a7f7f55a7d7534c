/* The simulated platform: one cluster of hosting nodes and service nodes,
 * written as SimGrid XML (SimGrid's C API has no host-creation calls).
 * Defaults follow the VMPlaceS Euro-Par experiments: one core of 1 Gf, 1 Gb/s
 * NICs with 50 us latency, a 2.25 GB/s backbone with 500 us latency. */
#ifndef CAPSULE_SIM_PLATFORM_H
#define CAPSULE_SIM_PLATFORM_H

#include "util/error.h"

/* Every host's NIC: 1 Gb/s, also the speed of a migration. */
#define PLATFORM_NIC_BW 125e6

struct platform_spec {
  int hosts;         /* hosting nodes: node0 .. node<hosts-1> */
  int services;      /* service nodes: node<hosts> .. */
  double nic_bw;     /* bytes/s */
  double backbone_bw;/* bytes/s */
};

/* The backbone used when none is given: 2.25 GB/s per 1,024 hosts, so the
 * per-host share of VMPlaceS's 1,024-host cluster holds at every size. */
double platform_default_backbone(int hosts);

/* Write the platform as SimGrid XML to `path` (atomically). */
int platform_write(const struct platform_spec *p, const char *path, err_t *e);

#endif
