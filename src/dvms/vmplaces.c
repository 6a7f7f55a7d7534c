#include "dvms/vmplaces.h"

void vmplaces_dvms_config(struct dvms_config *c, int32_t nodes, int32_t nves) {
  dvms_config_default(c, nodes, nves);
  c->next = DVMS_NEXT_RANDOM;
  c->min_partition = 4;
  c->empty_plan_fails = true;
  c->merge = false;
  c->monitor_period = 1.0;
  c->partition_timeout = 4.5;
  c->keepalive = 2.0;
  c->max_partition = 0; /* VMPlaceS's partitions grow until their timeout */
}
