/* Cold moves: a container stops on its source, its file system and its
 * run options travel to the destination, which imports them and starts
 * it; only when the destination confirms does the source remove its copy.
 * A refusal or failure at the destination rolls back (the source starts
 * its container again); a destination that never answers leaves the
 * source's copy stopped, never removed nor restarted ("in doubt"), so a
 * workload is neither lost nor run twice (docs/NODE.md).
 *
 * Each side's work runs in a worker process that the agent forks and
 * watches (its exit status is the outcome), so the agent's event loop
 * never blocks. The workers drive the engine through its own command line
 * (`capsule stop|export|import|run|rm|start`) with the agent's --root and
 * --runroot. Live migration and CRIU checkpoint/restore plug in here as
 * other kinds of move. */
#ifndef CAPSULE_NODE_MOVE_H
#define CAPSULE_NODE_MOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "node/frame.h"
#include "node/host.h"
#include "util/error.h"

/* How the workers run capsule. */
struct move_env {
  const char *exe, *root, *run_root;
  const char *self; /* this agent's address */
  uint8_t key[FRAME_KEY_LEN];
};

enum move_outcome { MOVE_OK = 0, MOVE_ROLLED_BACK = 1, MOVE_IN_DOUBT = 2 };

/* A move in doubt is kept as <root>/node/doubt/<VE> ("<container id>
 * <destination>"); the agent asks the destination where the VE is until it
 * gets an answer: running there, the stopped copy is removed; not there
 * and not arriving, it is started again. */
enum move_where { MOVE_ABSENT = 0, MOVE_THERE = 1, MOVE_ARRIVING = 2 };

/* Fork a worker that removes (`keep` false) or starts again the source's
 * copy `id` of a move that was in doubt. */
pid_t move_resolve_start(const struct move_env *m, const char *id, bool keep, err_t *e);

/* Source: fork the worker that moves container `v` to the agent at
 * `dst`. Its pid. */
pid_t move_out_start(const struct move_env *m, const struct host_ve *v, const char *dst,
                     err_t *e);

/* Destination: the VE a MOVE payload names, with its demands (-1 when
 * malformed). */
int32_t move_payload_ve(const uint8_t *payload, size_t len, int32_t *cpu, int32_t *mem);

/* Destination: fork the worker that imports and starts what MOVE
 * `payload` carries; it writes the new container's id to `idfile`. */
pid_t move_in_start(const struct move_env *m, const uint8_t *payload, size_t len,
                    const char *idfile, err_t *e);

#endif
