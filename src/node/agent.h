/* `capsule node run`: the DVMS agent of one host (docs/NODE.md).
 *
 * One process per host, single-threaded around the event loop of node/net.
 * It runs the same DVMS code as the simulator (dvms/), for its own slot of
 * a ring of HOST_SLOTS slots, a host's slot being the last byte of its
 * IPv4 address; the slots of hosts that are not members are marked absent
 * so that tokens skip them at once. Membership: every agent pings the
 * members it knows each second with the list of those it hears; a member
 * not heard for NODE_MEMBER_TIMEOUT seconds is dropped, one that leaves
 * says so. The host's tracker (node/host.h) turns its load into DVMS's
 * events; plans run as cold moves (node/move.h). Every plan step is
 * checked again with the sched checker against the agent's own live
 * state before it runs, and every arrival before it is accepted.
 *
 * Files: <root>/node/key (the cluster key), <root>/node/ves.json,
 * <root>/node/members (the ring as last heard, to start from again),
 * <root>/node/doubt/<VE> (moves in doubt),
 * <root>/node/events.jsonl (what happened, one JSON object a line),
 * <run_root>/node/status.json (rewritten every second), and
 * <run_root>/node/ctl.sock (join, leave). */
#ifndef CAPSULE_NODE_AGENT_H
#define CAPSULE_NODE_AGENT_H

#include <stdbool.h>

#include "util/error.h"

#define NODE_MEMBER_TIMEOUT 4.0

struct node_opts {
  const char *exe;      /* this binary, for the move workers */
  const char *root, *run_root;
  const char *listen;   /* IPV4:PORT */
  const char *join;     /* a member to join through, or NULL */
  double cpus;          /* capacity override, 0: the cgroup's */
  double target;        /* the load a relieved host ends at (fraction of its CPU) */
};

/* Run the agent until SIGTERM, SIGINT or `node leave`. */
int node_agent_run(const struct node_opts *o, err_t *e);

/* The control socket: send one command ("join ADDR", "leave") to the
 * agent of `run_root`. */
int node_agent_control(const char *run_root, const char *cmd, err_t *e);

/* `capsule node init`: the cluster key, new or copied from `from`. */
int node_init(const char *root, const char *from, err_t *e);

#endif
