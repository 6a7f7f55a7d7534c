/* Fetching a resolved pull into the store. The config comes first (its diff
 * ids key the layers); then the missing layer blobs download in parallel
 * straight into the store's verifying blob writers, and each downloaded
 * layer is handed to a pool of unpack threads at once, which commit its blob
 * (verify, sync, publish) and unpack it, so syncs and unpacking overlap the
 * downloads. The manifest (and index) are stored, the image recorded and the
 * reference tagged only when every blob and layer is durable. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/blobs.h"
#include "registry/pull_internal.h"
#include "util/cleanup.h"

struct fetch {
  struct pull_plan *p;
  struct image_store *s;
  struct image_config config;
  size_t n_layers;
  char (*chains)[DIGEST_BUF]; /* chain id of each layer */
  /* Downloads: blob i of `want` is layer want_layer[i] (SIZE_MAX: the config). */
  struct blob_request *want;
  size_t *want_layer;
  struct blob_writer **writers;
  /* Downloaded layer blobs that an unpack thread commits (verifies, syncs,
   * publishes) before unpacking: the download loop never waits on a sync. */
  struct blob_writer **pending;
  /* Unpack queue of layer indexes, and its workers' verdict. */
  pthread_mutex_t lock;
  pthread_cond_t ready;
  size_t *queue;
  size_t queued, taken;
  bool closed, failed;
  err_t unpack_err;
};

#define CONFIG_INDEX SIZE_MAX

static void report(struct fetch *f, size_t layer, enum transfer_stage stage, uint64_t done) {
  const struct pull_opts *o = &f->p->opts;
  if (!o->progress)
    return;
  const struct manifest *m = &f->p->parsed;
  const struct descriptor *d = layer == CONFIG_INDEX ? &m->config : &m->layers[layer];
  struct transfer_progress tp = {.index = layer == CONFIG_INDEX ? 0 : layer + 1,
                                 .count = m->n_layers + 1,
                                 .kind = layer == CONFIG_INDEX ? "config" : "layer",
                                 .digest = d->digest, .stage = stage, .done = done,
                                 .total = (uint64_t)d->size};
  o->progress(o->progress_data, &tp);
}

/* report() under the lock: download callbacks and unpack threads both report. */
static void report_locked(struct fetch *f, size_t layer, enum transfer_stage stage,
                          uint64_t done) {
  pthread_mutex_lock(&f->lock);
  report(f, layer, stage, done);
  pthread_mutex_unlock(&f->lock);
}

static void enqueue_unpack(struct fetch *f, size_t layer) {
  pthread_mutex_lock(&f->lock);
  f->queue[f->queued++] = layer;
  pthread_cond_signal(&f->ready);
  pthread_mutex_unlock(&f->lock);
}

/* Take the largest queued layer (under the lock): the biggest layers are the
 * longest unpacks, and starting them first shortens the whole pull. */
static size_t take_largest(struct fetch *f) {
  const struct descriptor *layers = f->p->parsed.layers;
  size_t best = f->taken;
  for (size_t k = f->taken + 1; k < f->queued; k++)
    if (layers[f->queue[k]].size > layers[f->queue[best]].size)
      best = k;
  size_t layer = f->queue[best];
  f->queue[best] = f->queue[f->taken++];
  return layer;
}

/* Commit a downloaded layer's blob (when it was downloaded), then unpack it. */
static int finish_layer(struct fetch *f, size_t i, err_t *e) {
  const struct descriptor *d = &f->p->parsed.layers[i];
  struct blob_writer *w = steal_ptr(&f->pending[i]);
  if (w) {
    if (blob_writer_commit(w, NULL, e) < 0)
      return -1;
    report_locked(f, i, XFER_DONE, (uint64_t)d->size);
  }
  if (image_store_unpack_layer(f->s, d->digest, i ? f->chains[i - 1] : NULL,
                               f->config.diff_ids[i], NULL, e) < 0)
    return err_wrap(e, "layer %zu", i + 1);
  report_locked(f, i, XFER_UNPACKED, (uint64_t)d->size);
  return 0;
}

static void *unpack_worker(void *data) {
  struct fetch *f = data;
  pthread_mutex_lock(&f->lock);
  for (;;) {
    while (f->taken == f->queued && !f->closed)
      pthread_cond_wait(&f->ready, &f->lock);
    if (f->taken == f->queued)
      break;
    size_t i = take_largest(f);
    if (f->failed)
      continue; /* its pending blob is aborted when the pull ends */
    pthread_mutex_unlock(&f->lock);
    err_t e = ERR_INIT;
    int rc = finish_layer(f, i, &e);
    pthread_mutex_lock(&f->lock);
    if (rc < 0 && !f->failed) {
      f->failed = true;
      f->unpack_err = e;
    }
  }
  pthread_mutex_unlock(&f->lock);
  return NULL;
}

/* ---- the blob sink: the store's blob writers ---- */

static int sink_begin(void *ctx, size_t i, err_t *e) {
  struct fetch *f = ctx;
  report_locked(f, f->want_layer[i], XFER_RUNNING, 0);
  return blob_writer_new(f->s, f->want[i].digest, (int64_t)f->want[i].size, &f->writers[i], e);
}

static int sink_write(void *ctx, size_t i, const void *buf, size_t len, err_t *e) {
  struct fetch *f = ctx;
  pthread_mutex_lock(&f->lock);
  bool failed = f->failed;
  if (failed)
    *e = f->unpack_err; /* stop downloading for an image that cannot be unpacked */
  pthread_mutex_unlock(&f->lock);
  return failed ? -1 : blob_writer_write(f->writers[i], buf, len, e);
}

static int sink_commit(void *ctx, size_t i, err_t *e) {
  struct fetch *f = ctx;
  struct blob_writer *w = steal_ptr(&f->writers[i]);
  size_t layer = f->want_layer[i];
  if (layer != CONFIG_INDEX) {
    f->pending[layer] = w; /* handed over with the queue entry */
    enqueue_unpack(f, layer);
    return 0;
  }
  if (blob_writer_commit(w, NULL, e) < 0)
    return -1;
  report_locked(f, layer, XFER_DONE, f->want[i].size);
  return 0;
}

static void sink_discard(void *ctx, size_t i) {
  struct fetch *f = ctx;
  blob_writer_abort(steal_ptr(&f->writers[i]));
}

static void sink_progress(void *ctx, size_t i, uint64_t done) {
  struct fetch *f = ctx;
  report_locked(f, f->want_layer[i], XFER_RUNNING, done);
}

static int download(struct fetch *f, size_t n, err_t *e) {
  struct blob_sink sink = {.begin = sink_begin, .write = sink_write, .commit = sink_commit,
                           .discard = sink_discard, .progress = sink_progress, .ctx = f};
  unsigned parallel = f->p->opts.parallel ? f->p->opts.parallel : PULL_PARALLEL_DEFAULT;
  return registry_download_blobs(f->p->registry, f->p->ref.repository, f->want, n, parallel,
                                 &sink, e);
}

static int fetch_config(struct fetch *f, err_t *e) {
  const struct descriptor *c = &f->p->parsed.config;
  if (image_store_has_blob(f->s, c->digest, NULL) == 1) {
    report(f, CONFIG_INDEX, XFER_SKIPPED, 0);
  } else {
    f->want[0] = (struct blob_request){.digest = c->digest, .size = (uint64_t)c->size};
    f->want_layer[0] = CONFIG_INDEX;
    if (download(f, 1, e) < 0)
      return -1;
  }
  size_t len;
  _cleanup_free_ char *buf = image_store_read_blob(f->s, c->digest, 0, &len, e);
  if (!buf || image_config_parse(buf, len, &f->config, e) < 0)
    return err_wrap(e, "config %s", c->digest);
  if (f->config.n_diff_ids != f->n_layers)
    return err_set(e, EINVAL, "config %s: %zu diff ids for %zu layers", c->digest,
                   f->config.n_diff_ids, f->n_layers);
  for (size_t i = 0; i < f->n_layers; i++)
    if (chain_id_next(i ? f->chains[i - 1] : NULL, f->config.diff_ids[i], f->chains[i], e) < 0)
      return -1;
  return 0;
}

/* Queue what is missing: blobs to download, present blobs to unpack. */
static size_t plan_layers(struct fetch *f) {
  size_t n = 0;
  for (size_t i = 0; i < f->n_layers; i++) {
    const struct descriptor *d = &f->p->parsed.layers[i];
    if (image_store_has_blob(f->s, d->digest, NULL) == 1) {
      report(f, i, XFER_SKIPPED, 0);
      if (!image_store_has_layer(f->s, f->chains[i]))
        enqueue_unpack(f, i);
      continue;
    }
    report(f, i, XFER_WAITING, 0);
    /* Largest first, so the longest unpacks can start earliest. */
    size_t k = n++;
    for (; k > 0 && f->want[k - 1].size < (uint64_t)d->size; k--) {
      f->want[k] = f->want[k - 1];
      f->want_layer[k] = f->want_layer[k - 1];
    }
    f->want[k] = (struct blob_request){.digest = d->digest, .size = (uint64_t)d->size};
    f->want_layer[k] = i;
  }
  return n;
}

static unsigned unpack_threads(size_t n_layers) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  size_t n = cpus > 0 ? (size_t)cpus : 1;
  return (unsigned)(n < n_layers ? n : n_layers ? n_layers : 1);
}

static int fetch_layers(struct fetch *f, err_t *e) {
  unsigned n_threads = unpack_threads(f->n_layers), started = 0;
  pthread_t threads[64];
  if (n_threads > 64)
    n_threads = 64;
  for (; started < n_threads; started++)
    if (pthread_create(&threads[started], NULL, unpack_worker, f) != 0)
      break;
  int rc = started ? 0 : err_set(e, EAGAIN, "cannot start unpack threads");
  if (rc == 0)
    rc = download(f, plan_layers(f), e);
  pthread_mutex_lock(&f->lock);
  if (rc < 0)
    f->failed = true; /* queued unpacks are skipped */
  f->closed = true;
  pthread_cond_broadcast(&f->ready);
  pthread_mutex_unlock(&f->lock);
  for (unsigned i = 0; i < started; i++)
    pthread_join(threads[i], NULL);
  for (size_t i = 0; i < f->n_layers; i++)
    blob_writer_abort(steal_ptr(&f->pending[i]));
  /* A layer that could not be unpacked (hostile, past the decompression
   * limit) will not unpack on a retry either: free what this pull stored, as
   * load and import do. Blobs of a pull that failed while downloading stay,
   * for the next pull to reuse. */
  if (f->unpack_err.code)
    image_store_cleanup(f->s);
  if (rc == 0 && f->failed) {
    *e = f->unpack_err;
    rc = -1;
  }
  return rc;
}

static int record_image(struct fetch *f, struct image_info *out, err_t *e) {
  struct pull_plan *p = f->p;
  const char *index = p->index.body ? p->index.digest : NULL;
  if (image_store_put_blob(f->s, p->manifest.body, p->manifest.len, p->manifest.digest, NULL,
                           e) < 0 ||
      (index && image_store_put_blob(f->s, p->index.body, p->index.len, index, NULL, e) < 0))
    return -1;
  struct image_info info = {0};
  if (image_store_add_image(f->s, p->manifest.digest, index, &info, e) < 0)
    return -1;
  int rc = image_store_tag(f->s, p->ref_string, p->manifest.digest, e);
  if (rc == 0 && out)
    *out = info;
  else
    image_info_free(&info);
  return rc;
}

int registry_pull_fetch(struct pull_plan *p, struct image_store *s, struct image_info *out,
                        err_t *e) {
  size_t n = p->parsed.n_layers;
  struct fetch f = {.p = p, .s = s, .n_layers = n};
  pthread_mutex_init(&f.lock, NULL);
  pthread_cond_init(&f.ready, NULL);
  f.chains = calloc(n ? n : 1, sizeof *f.chains);
  f.want = calloc(n + 1, sizeof *f.want);
  f.want_layer = calloc(n + 1, sizeof *f.want_layer);
  f.writers = calloc(n + 1, sizeof *f.writers);
  f.pending = calloc(n ? n : 1, sizeof *f.pending);
  f.queue = calloc(n ? n : 1, sizeof *f.queue);
  int rc;
  if (!f.chains || !f.want || !f.want_layer || !f.writers || !f.pending || !f.queue)
    rc = err_sys(e, "pull %s", p->ref_string);
  else
    rc = fetch_config(&f, e) < 0 || fetch_layers(&f, e) < 0 || record_image(&f, out, e) < 0
             ? -1
             : 0;
  image_config_free(&f.config);
  free(f.chains);
  free(f.want);
  free(f.want_layer);
  free(f.writers);
  free(f.pending);
  free(f.queue);
  pthread_cond_destroy(&f.ready);
  pthread_mutex_destroy(&f.lock);
  return rc < 0 ? err_wrap(e, "pull %s", p->ref_string) : 0;
}
