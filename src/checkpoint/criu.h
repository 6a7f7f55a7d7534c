/* CRIU, driven through its RPC: `criu swrk FD` serves one request (a
 * protobuf criu_req, docs/CHECKPOINT.md) on a SOCK_SEQPACKET socket we hand
 * it, sending criu_notify messages for the caller to answer on the way.
 *
 * criu_host_find() locates a CRIU that works here and learns the host's
 * quirks once per boot (cached in /run/capsule/criu.json): a CRIU older than
 * 4 or failing `criu check` is refused with one line saying what to install,
 * and where hardware breakpoints never fire (some VMs) CRIU is told not to use
 * them (CRIU_FAULT=130), else every dump would hang. */
#ifndef CAPSULE_CHECKPOINT_CRIU_H
#define CAPSULE_CHECKPOINT_CRIU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "rpc.pb-c.h"
#include "util/error.h"

/* scripts/deps/criu installs here when the packaged CRIU does not work. */
#define CRIU_PRIVATE_PATH "/usr/local/lib/capsule/criu/sbin/criu"

struct criu_host {
  char path[4096];
  int major, minor, sublevel;
  bool no_breakpoints; /* hardware breakpoints do not trap here */
};

/* The CRIU to use: $CAPSULE_CRIU, else CRIU_PRIVATE_PATH, else `criu` in
 * PATH; checked once per boot. Fails with ENOTSUP and the reason. */
int criu_host_find(struct criu_host *h, err_t *e);

/* Whether a hardware execution breakpoint set through ptrace traps (probe.c). */
bool criu_breakpoints_work(void);

/* The caller's answer to one notification ("post-dump", "setup-namespaces",
 * "post-restore", "orphan-pts-master", ...); `fd` is a descriptor CRIU sent
 * with it, or -1 (the callback owns it). Non-zero fails the request. */
typedef int (*criu_notify_fn)(const char *script, pid_t pid, int fd, void *arg, err_t *e);

struct criu_call {
  const struct criu_host *host;
  CriuReq *req;
  criu_notify_fn notify; /* NULL: every notification is acknowledged */
  void *arg;
  /* Run in the swrk process before it execs CRIU (restore: its own mount
   * namespace with the root bound); fds to keep open across that exec
   * (inherit_fd entries name them by number). */
  int (*setup)(void *arg);
  const int *keep_fds;
  size_t n_keep;
  bool quiet; /* CRIU's stdout and stderr to /dev/null (`check` prints there) */
  /* Called in the parent once CRIU runs, before the request is sent (restore:
   * put it into the container's cgroup). */
  int (*started)(pid_t criu, void *arg, err_t *e);
  /* The work directory and log file name, for the error message: CRIU's
   * own reason is its log's last "Error" line. */
  int work_dirfd;
  const char *log_name;
};

/* Run one request; on success *resp is CRIU's answer (free it with
 * criu_resp__free_unpacked(resp, NULL)). The CRIU process is reaped. */
int criu_call(const struct criu_call *c, CriuResp **resp, err_t *e);

#endif
