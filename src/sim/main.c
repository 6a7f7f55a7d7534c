/* capsule-sim: simulate a cluster under the VMPlaceS load model with one of
 * capsule's schedulers, on SimGrid. See docs/SIMULATION.md. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "util/error.h"

static const char usage[] =
    "usage: capsule-sim [options]\n"
    "  --scheduler NAME   none, dvms, dvms-vmplaces, entropy, snooze (default none)\n"
    "  --hosts N          hosting nodes (default 128)\n"
    "  --vms N            VMs (default 10 per host)\n"
    "  --duration S       simulated seconds (default 3600)\n"
    "  --load PCT         target mean load of the hosts' CPU (sets --load-mean)\n"
    "  --load-mean M      mean of a VM's demand, % of one vCPU, 0..100 (default 60)\n"
    "  --load-std S       its standard deviation, 0..100 (default 20)\n"
    "  --seed N           seed of the load and of the schedulers (default 1)\n"
    "  --out DIR          write summary.json, series.csv, nodes.csv, platform.xml there\n"
    "  --constraints FILE placement constraints (JSON, docs/SCHEDULER-SOLVER.md)\n"
    "  --check            check every plan and every partition; fail the run if one is bad\n"
    "  --sample S         seconds between rows of series.csv (default 10)\n"
    "  --charge MODE      solver time as simulated time: cpu (its measured CPU time, the\n"
    "                     default), model (alpha + beta * VEs: reproducible), wall or zero\n"
    "  --deterministic    the same as --charge model: same seed, same results\n"
    "  --charge-alpha S --charge-beta S   the model (9.8e-6 s, 1.83e-7 s per VE)\n"
    "  --ideas LIST       the scheduler's ideas, for the ablation: all, none, or a list of\n"
    "                     events (act on the monitor's notification; else poll every second),\n"
    "                     ring (grow along the ring, solve from 2 nodes; else VMPlaceS's random\n"
    "                     growth from 4), shortcuts (skip a busy node's whole partition),\n"
    "                     merge (merge tokens into parked partitions), bounded (repair\n"
    "                     partitions of 16 nodes at most, exponential back-off): DVMS only;\n"
    "                     prevention (--threshold 0.98), headroom (--target 0.95 --fill\n"
    "                     0.87), admission (--admission) and yield (no prevention while\n"
    "                     migrations wait for the backbone): every scheduler. Default:\n"
    "                     all for dvms, none for the others\n"
    "  --threshold F      a node above this fraction of its CPU is hot: DVMS starts an ISP,\n"
    "                     Entropy and Snooze solve it (default 0.98 with prevention, else 1)\n"
    "  --target F         a node solved for its load ends at or below this fraction, and\n"
    "                     never above the threshold (0.95 with headroom, else 1)\n"
    "  --fill F           destinations are filled up to this fraction (0.87 with headroom)\n"
    "  --admission N      at most N migrations cross the backbone at once, the others wait,\n"
    "                     overloaded sources first; 0: no limit (default with admission:\n"
    "                     the backbone's bandwidth over a NIC's, 18 per 1,024 hosts)\n"
    "  --admission-wait S a migration not admitted within S s fails (default 30)\n"
    "  --proactive-max N  DVMS: an ISP for a hot, not overloaded node stops at N nodes (16)\n"
    "  --entropy-period S Entropy's period (default 30)\n"
    "  --snooze-group N   local controllers per Snooze group manager (default 32)\n"
    "  --fail NODE@TIME   crash a hosting node at a time (repeatable)\n"
    "  --backbone BPS     backbone bandwidth (default 2.25e9 per 1,024 hosts)\n"
    "exit status: 0 the run completed, 1 the run failed (a file could not be read or\n"
    "written, or --check found a fault), 2 bad usage (an option, its value, or values\n"
    "that do not fit together)\n";

/* Exit statuses (in the usage text). */
enum { EXIT_RUN_FAILED = 1, EXIT_USAGE = 2 };

enum {
  OPT_SCHEDULER = 256, OPT_HOSTS, OPT_VMS, OPT_DURATION, OPT_LOAD, OPT_LOAD_MEAN, OPT_LOAD_STD,
  OPT_SEED, OPT_OUT, OPT_CONSTRAINTS, OPT_CHECK, OPT_SAMPLE, OPT_CHARGE, OPT_CHARGE_ALPHA,
  OPT_CHARGE_BETA, OPT_THRESHOLD, OPT_TARGET, OPT_FILL, OPT_PROACTIVE_MAX, OPT_ENTROPY_PERIOD, OPT_SNOOZE_GROUP, OPT_FAIL, OPT_BACKBONE,
  OPT_DETERMINISTIC, OPT_IDEAS, OPT_ADMISSION, OPT_ADMISSION_WAIT, OPT_HELP,
};

static const struct option options[] = {
    {"scheduler", required_argument, NULL, OPT_SCHEDULER},
    {"hosts", required_argument, NULL, OPT_HOSTS},
    {"vms", required_argument, NULL, OPT_VMS},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"load", required_argument, NULL, OPT_LOAD},
    {"load-mean", required_argument, NULL, OPT_LOAD_MEAN},
    {"load-std", required_argument, NULL, OPT_LOAD_STD},
    {"seed", required_argument, NULL, OPT_SEED},
    {"out", required_argument, NULL, OPT_OUT},
    {"constraints", required_argument, NULL, OPT_CONSTRAINTS},
    {"check", no_argument, NULL, OPT_CHECK},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"charge", required_argument, NULL, OPT_CHARGE},
    {"charge-alpha", required_argument, NULL, OPT_CHARGE_ALPHA},
    {"charge-beta", required_argument, NULL, OPT_CHARGE_BETA},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"target", required_argument, NULL, OPT_TARGET},
    {"fill", required_argument, NULL, OPT_FILL},
    {"proactive-max", required_argument, NULL, OPT_PROACTIVE_MAX},
    {"entropy-period", required_argument, NULL, OPT_ENTROPY_PERIOD},
    {"snooze-group", required_argument, NULL, OPT_SNOOZE_GROUP},
    {"fail", required_argument, NULL, OPT_FAIL},
    {"backbone", required_argument, NULL, OPT_BACKBONE},
    {"deterministic", no_argument, NULL, OPT_DETERMINISTIC},
    {"ideas", required_argument, NULL, OPT_IDEAS},
    {"admission", required_argument, NULL, OPT_ADMISSION},
    {"admission-wait", required_argument, NULL, OPT_ADMISSION_WAIT},
    {"help", no_argument, NULL, OPT_HELP},
    {0},
};

static const char *option_name(int val) {
  for (const struct option *o = options; o->name; o++)
    if (o->val == val)
      return o->name;
  return "";
}

static int parse_double(const char *flag, const char *s, double *out, err_t *e) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !isfinite(v))
    return err_set(e, EINVAL, "--%s: expected a number, got '%s'", flag, s);
  *out = v;
  return 0;
}

static int parse_fraction(const char *flag, const char *s, double *out, err_t *e) {
  double d;
  if (parse_double(flag, s, &d, e) < 0)
    return -1;
  if (!(d > 0 && d <= 1))
    return err_set(e, EINVAL, "--%s: expected a fraction in (0, 1], got '%s'", flag, s);
  *out = d;
  return 0;
}

static int parse_int(const char *flag, const char *s, long min, long max, long *out, err_t *e) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end)
    return err_set(e, EINVAL, "--%s: expected an integer, got '%s'", flag, s);
  if (v < min || v > max)
    return err_set(e, EINVAL, "--%s: %ld is out of range (%ld..%ld)", flag, v, min, max);
  *out = v;
  return 0;
}

static int parse_failure(struct sim_opts *o, const char *s, err_t *e) {
  const char *at = strchr(s, '@');
  if (!at || o->nfail == SIM_MAX_FAILURES)
    return err_set(e, EINVAL, "--fail: expected NODE@TIME (at most %d), got '%s'",
                   SIM_MAX_FAILURES, s);
  char node[32];
  snprintf(node, sizeof node, "%.*s", (int)(at - s), s);
  long n;
  double t;
  if (parse_int("fail", node, 0, 1L << 30, &n, e) < 0 || parse_double("fail", at + 1, &t, e) < 0)
    return -1;
  o->fail[o->nfail++] = (struct sim_failure){.node = (int)n, .at = t};
  return 0;
}

static int parse(int argc, char **argv, struct sim_opts *o, double *load, err_t *e) {
  long v;
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
    const char *flag = option_name(c);
    switch (c) {
    case OPT_SCHEDULER: o->scheduler = optarg; break;
    case OPT_HOSTS:
      if (parse_int(flag, optarg, 0, 1000000, &v, e) < 0) return -1;
      o->hosts = (int)v;
      break;
    case OPT_VMS:
      if (parse_int(flag, optarg, 0, 10000000, &v, e) < 0) return -1;
      o->vms = (int)v;
      break;
    case OPT_SEED:
      if (parse_int(flag, optarg, 0, 1L << 62, &v, e) < 0) return -1;
      o->seed = (uint64_t)v;
      break;
    case OPT_PROACTIVE_MAX:
      if (parse_int(flag, optarg, 2, 1000000, &v, e) < 0) return -1;
      o->proactive_max = (int)v;
      break;
    case OPT_ADMISSION:
      if (parse_int(flag, optarg, 0, 1000000, &v, e) < 0) return -1;
      o->admission = (int)v;
      break;
    case OPT_ADMISSION_WAIT:
      if (parse_double(flag, optarg, &o->admission_wait, e) < 0) return -1;
      break;
    case OPT_SNOOZE_GROUP:
      if (parse_int(flag, optarg, 1, 100000, &v, e) < 0) return -1;
      o->snooze_group = (int)v;
      break;
    case OPT_DURATION: if (parse_double(flag, optarg, &o->duration, e) < 0) return -1; break;
    case OPT_LOAD: if (parse_double(flag, optarg, load, e) < 0) return -1; break;
    case OPT_LOAD_MEAN: if (parse_double(flag, optarg, &o->load_mean, e) < 0) return -1; break;
    case OPT_LOAD_STD: if (parse_double(flag, optarg, &o->load_std, e) < 0) return -1; break;
    case OPT_SAMPLE: if (parse_double(flag, optarg, &o->sample, e) < 0) return -1; break;
    case OPT_THRESHOLD: if (parse_fraction(flag, optarg, &o->threshold, e) < 0) return -1; break;
    case OPT_TARGET: if (parse_fraction(flag, optarg, &o->target, e) < 0) return -1; break;
    case OPT_FILL: if (parse_fraction(flag, optarg, &o->fill, e) < 0) return -1; break;
    case OPT_IDEAS: if (sim_ideas_parse(optarg, &o->ideas, e) < 0) return -1; break;
    case OPT_CHARGE_ALPHA:
      if (parse_double(flag, optarg, &o->charge.alpha, e) < 0) return -1;
      break;
    case OPT_CHARGE_BETA:
      if (parse_double(flag, optarg, &o->charge.beta, e) < 0) return -1;
      break;
    case OPT_ENTROPY_PERIOD:
      if (parse_double(flag, optarg, &o->entropy_period, e) < 0) return -1;
      if (!(o->entropy_period > 0))
        return err_set(e, EINVAL, "--entropy-period: need a positive number of seconds");
      break;
    case OPT_BACKBONE: if (parse_double(flag, optarg, &o->backbone, e) < 0) return -1; break;
    case OPT_CHARGE:
      if (!strcmp(optarg, "cpu")) o->charge.mode = CHARGE_CPU;
      else if (!strcmp(optarg, "model")) o->charge.mode = CHARGE_MODEL;
      else if (!strcmp(optarg, "wall")) o->charge.mode = CHARGE_WALL;
      else if (!strcmp(optarg, "zero")) o->charge.mode = CHARGE_ZERO;
      else return err_set(e, EINVAL, "--charge: expected cpu, model, wall or zero, got '%s'",
                          optarg);
      break;
    case OPT_DETERMINISTIC: o->charge.mode = CHARGE_MODEL; break;
    case OPT_OUT: o->out = optarg; break;
    case OPT_CONSTRAINTS: o->constraints = optarg; break;
    case OPT_CHECK: o->check = true; break;
    case OPT_FAIL: if (parse_failure(o, optarg, e) < 0) return -1; break;
    case OPT_HELP: fputs(usage, stdout); exit(0);
    case ':':
      return err_set(e, EINVAL, "%s: missing value", argv[optind - 1]);
    default:
      return err_set(e, EINVAL, "unknown option '%s' (see --help)", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return err_set(e, EINVAL, "unexpected argument '%s' (see --help)", argv[optind]);
  return 0;
}

/* --load sets the mean demand that gives that host load. */
static int apply_load(struct sim_opts *o, double load, err_t *e) {
  /* mean load = VMs per host x mean demand / capacity */
  int vms = o->vms < 0 ? 10 * o->hosts : o->vms;
  double per_host = o->hosts > 0 ? (double)vms / o->hosts : 0;
  if (!(load > 0 && load <= 100) || per_host <= 0)
    return err_set(e, EINVAL, "--load: expected a percentage in (0, 100] with VMs, got %g", load);
  o->load_mean = load / 100.0 * o->host_cpu / per_host;
  if (o->load_mean > 100)
    return err_set(e, EINVAL, "--load: %g %% needs VMs of %g %% of a vCPU on average (at most "
                   "100): add VMs", load, o->load_mean);
  return 0;
}

int main(int argc, char **argv) {
  struct sim_opts o;
  sim_opts_default(&o);
  err_t e = ERR_INIT;
  double load = -1;
  if (parse(argc, argv, &o, &load, &e) < 0 || (load >= 0 && apply_load(&o, load, &e) < 0) ||
      sim_opts_check(&o, &e) < 0) {
    fprintf(stderr, "capsule-sim: %s\n", e.msg);
    return EXIT_USAGE;
  }
  struct sim_result r;
  if (sim_run(&o, &r, &e) < 0) {
    fprintf(stderr, "capsule-sim: %s\n", e.msg);
    return EXIT_RUN_FAILED;
  }
  printf("%s: %d hosts, %d VMs, %.0f s, load %.1f %%: violation %.0f s (%.2f %% of host-time), "
         "%llu episodes (median %.1f s), wall %.2f s, CPU %.2f s, peak RSS %ld MB\n",
         o.scheduler, o.hosts, o.vms < 0 ? 10 * o.hosts : o.vms, o.duration, r.mean_load_pct,
         r.violation, r.violation_pct, (unsigned long long)r.episodes, r.episode_median, r.wall, r.cpu,
         r.peak_rss_kb / 1024);
  return 0;
}
