/* What capsule-sim writes: series.csv (one row per sample period: hosts
 * overloaded, cumulated violation, load, migrations, messages),
 * nodes.csv (violation per node) and summary.json (everything measured). */
#ifndef CAPSULE_SIM_REPORT_H
#define CAPSULE_SIM_REPORT_H

#include "sim/state.h"

int report_open(struct sim_state *st, err_t *e);
void report_series_row(struct sim_state *st, double t);
/* Fill `r`, write nodes.csv and summary.json; fails when --check found a
 * bad plan or a node in two partitions. */
int report_finish(struct sim_state *st, struct sim_result *r, err_t *e);
void report_close(struct sim_state *st);

#endif
