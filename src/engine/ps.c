/* ps: every container, its record and its state checked against the
 * system.
 *
 * containers/<id>/summary: what `ps` needs of a container's record, in a
 * form read without a JSON parser (ps over 1,000 containers spent most of
 * its time parsing records). The record stays the truth: the summary names
 * the record it was made from (inode, size, modification time: a record is
 * only ever replaced whole, by a new file), and one that does not match the
 * record on disk, or does not read, is ignored for the record itself. So
 * it needs no fsync and no lock: a crash between the record and its
 * summary, a summary lost with the machine, or records written before
 * summaries existed, all cost ps one parse, not a wrong line (and `system
 * check` writes the summaries that are missing).
 *
 * Format: NUL-terminated strings, in order: the magic, the record's inode,
 * size, mtime seconds and nanoseconds, then id, name, created, image ref,
 * manifest and id, "1" if ports are published, the runtime ("runc", or "vm"
 * for run --vm), labels and mounts (compact
 * JSON, the record's), the networks as ps names them (a count, then each),
 * the command (a count, then each argument). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/proc.h"

#define SUMMARY_MAGIC "capsule-ps-summary-1"
#define SUMMARY_MAX_BYTES (1u << 20)

/* What ps shows of a record besides its fields. */
struct ps_extra {
  json_t *networks; /* names: the networks, else the mode ("none", "host") */
  bool ports;       /* ports are to be published (their state is worth reading) */
};

static json_t *ps_network_names(const struct container_record *r) {
  json_t *names = json_object_get(engine_net_plan_of(r), "networks");
  if (json_array_size(names))
    return json_deep_copy(names);
  return json_pack("[s]", engine_net_mode_of(r));
}

static bool ps_ports_planned(const struct container_record *r) {
  return json_array_size(json_object_get(engine_net_plan_of(r), "ports")) > 0;
}

static void put(FILE *f, const char *s) {
  fputs(s, f);
  fputc('\0', f);
}

static void put_json(FILE *f, const json_t *j) {
  _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
  put(f, text ? text : "");
}

static void put_strings(FILE *f, json_t *arr) {
  size_t i;
  json_t *v;
  fprintf(f, "%zu%c", json_array_size(arr), '\0');
  json_array_foreach(arr, i, v) put(f, json_string_value(v) ?: "");
}

int ps_summary_write(const char *dir, const struct container_record *r, err_t *e) {
  _cleanup_free_ char *record = path_join(dir, "container.json");
  _cleanup_free_ char *path = path_join(dir, "summary");
  struct stat st;
  if (!record || !path)
    return err_sys(e, "container summary");
  if (stat(record, &st) < 0)
    return err_sys(e, "%s", record);
  _cleanup_json_ json_t *networks = ps_network_names(r);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f || !networks) {
    if (f)
      fclose(f);
    free(text);
    return err_sys(e, "container summary");
  }
  put(f, SUMMARY_MAGIC);
  fprintf(f, "%llu%c%llu%c%llu%c%llu%c", (unsigned long long)st.st_ino, '\0',
          (unsigned long long)st.st_size, '\0', (unsigned long long)st.st_mtim.tv_sec, '\0',
          (unsigned long long)st.st_mtim.tv_nsec, '\0');
  put(f, r->id);
  put(f, r->name);
  put(f, r->created);
  put(f, r->image_ref);
  put(f, r->image_manifest);
  put(f, r->image_id);
  put(f, ps_ports_planned(r) ? "1" : "0");
  put(f, r->run.vm ? "vm" : "runc");
  put_json(f, r->labels);
  put_json(f, r->mounts);
  put_strings(f, networks);
  put_strings(f, r->command);
  bool failed = ferror(f);
  if (fclose(f) != 0 || failed) {
    free(text);
    return err_set(e, ENOMEM, "container summary");
  }
  /* A cache of the record: a crash or power loss only costs a parse. */
  int rc = atomic_replace_at(AT_FDCWD, path, text, len, 0600, e);
  free(text);
  return rc;
}

/* The summary's strings, one after the other. */
struct cursor {
  const char *p, *end;
};

static const char *next(struct cursor *c) {
  const char *nul = c->p < c->end ? memchr(c->p, '\0', (size_t)(c->end - c->p)) : NULL;
  if (!nul)
    return NULL;
  const char *s = c->p;
  c->p = nul + 1;
  return s;
}

/* Whether the next string is the number `want`. */
static bool next_is(struct cursor *c, unsigned long long want) {
  char buf[32];
  const char *s = next(c);
  snprintf(buf, sizeof buf, "%llu", want);
  return s && !strcmp(s, buf);
}

static json_t *next_json(struct cursor *c, bool object) {
  const char *s = next(c);
  if (!s)
    return NULL;
  if (!strcmp(s, object ? "{}" : "[]")) /* the common case, without a parse */
    return object ? json_object() : json_array();
  json_t *j = json_loads(s, 0, NULL);
  if (j && (object ? json_is_object(j) : json_is_array(j)))
    return j;
  json_decref(j);
  return NULL;
}

static json_t *next_strings(struct cursor *c) {
  const char *s = next(c);
  char *end;
  unsigned long n = s ? strtoul(s, &end, 10) : 0;
  if (!s || !*s || *end || n > SUMMARY_MAX_BYTES)
    return NULL;
  json_t *arr = json_array();
  bool failed = !arr;
  for (unsigned long i = 0; i < n && !failed; i++) {
    const char *v = next(c);
    failed = !v || json_array_append_new(arr, json_string(v)) < 0;
  }
  return json_done(arr, failed);
}

static int parse(struct cursor *c, const struct stat *st, const char *id,
                 struct container_record *r, struct ps_extra *x) {
  const char *magic = next(c);
  if (!magic || strcmp(magic, SUMMARY_MAGIC) || !next_is(c, (unsigned long long)st->st_ino) ||
      !next_is(c, (unsigned long long)st->st_size) ||
      !next_is(c, (unsigned long long)st->st_mtim.tv_sec) ||
      !next_is(c, (unsigned long long)st->st_mtim.tv_nsec))
    return -1; /* made from another record, or not a summary */
  const char *sid = next(c), *name = next(c), *created = next(c), *ref = next(c),
             *manifest = next(c), *image_id = next(c), *ports = next(c), *runtime = next(c);
  if (!runtime || strcmp(sid, id))
    return -1;
  r->run.vm = !strcmp(runtime, "vm");
  snprintf(r->id, sizeof r->id, "%s", sid);
  r->name = strdup(name);
  r->created = strdup(created);
  r->image_ref = strdup(ref);
  r->image_manifest = strdup(manifest);
  r->image_id = strdup(image_id);
  x->ports = !strcmp(ports, "1");
  r->labels = next_json(c, true);
  r->mounts = next_json(c, false);
  x->networks = next_strings(c);
  r->command = next_strings(c);
  bool ok = r->name && r->created && r->image_ref && r->image_manifest && r->image_id &&
            r->labels && r->mounts && x->networks && r->command;
  return ok ? 0 : -1;
}

/* The record `id` (a directory under `containers`) as far as ps needs it
 * (no run configuration, no network plan), from its summary; -1 when there
 * is none that matches the record on disk (then read the record). */
static int ps_summary_load(int containers, const char *id, struct container_record *r,
                           struct ps_extra *x) {
  memset(r, 0, sizeof *r);
  *x = (struct ps_extra){0};
  char path[128];
  struct stat st;
  snprintf(path, sizeof path, "%s/container.json", id);
  if (fstatat(containers, path, &st, 0) < 0)
    return -1;
  snprintf(path, sizeof path, "%s/summary", id);
  size_t len;
  err_t ignored = ERR_INIT;
  _cleanup_free_ char *text = read_file_at(containers, path, SUMMARY_MAX_BYTES, &len, &ignored);
  struct cursor c = {text, text ? text + len : NULL};
  if (text && parse(&c, &st, id, r, x) == 0)
    return 0;
  container_record_free(r);
  json_decref(x->networks);
  x->networks = NULL;
  return -1;
}

void ps_summary_refresh(const struct engine *eng, const struct container_record *r) {
  _cleanup_free_ char *containers = container_path(eng, "", NULL);
  _cleanup_free_ char *dir = container_path(eng, r->id, NULL);
  _cleanup_close_ int fd = containers ? open(containers, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  struct container_record old;
  struct ps_extra x;
  if (fd < 0 || !dir)
    return;
  if (ps_summary_load(fd, r->id, &old, &x) == 0) {
    container_record_free(&old);
    json_decref(x.networks);
    return;
  }
  err_t ignored = ERR_INIT;
  ps_summary_write(dir, r, &ignored);
}

struct ps_entry {
  struct container_record r;
  struct ps_extra x;
  unsigned long long ino; /* of its directory, which its lock is on */
};

/* Newest first: RFC 3339 times in UTC sort as strings. */
static int newest_first(const void *a, const void *b) {
  const struct ps_entry *ea = a, *eb = b;
  return strcmp(eb->r.created, ea->r.created);
}

/* Every container's record as ps needs it: from its summary, else (no
 * summary, or one of another record) from the record itself. */
static int ps_list(const struct engine *eng, struct ps_entry **out, size_t *n, dev_t *dev,
                   err_t *e) {
  *out = NULL;
  *n = 0;
  _cleanup_free_ char *dir = NULL;
  if (asprintf(&dir, "%s/containers", eng->root) < 0)
    return err_sys(e, "containers");
  _cleanup_closedir_ DIR *d = opendir(dir);
  struct stat st;
  if (!d || fstat(dirfd(d), &st) < 0)
    return errno == ENOENT ? 0 : err_sys(e, "list %s", dir);
  *dev = st.st_dev;
  size_t cap = 0;
  for (struct dirent *de; (de = readdir(d));) {
    if (strlen(de->d_name) != 64)
      continue;
    struct ps_entry x;
    err_t skip = ERR_INIT; /* one being created or removed right now */
    if (ps_summary_load(dirfd(d), de->d_name, &x.r, &x.x) < 0) {
      if (container_dir_load(eng, de->d_name, &x.r, &skip) < 0)
        continue;
      x.x.networks = ps_network_names(&x.r);
      x.x.ports = ps_ports_planned(&x.r);
    }
    if (!x.x.networks || array_reserve_sz((void **)out, &cap, *n + 1, sizeof **out) < 0) {
      container_record_free(&x.r);
      json_decref(x.x.networks);
      return err_sys(e, "containers");
    }
    x.ino = de->d_ino;
    (*out)[(*n)++] = x;
  }
  return 0;
}

static int by_ino(const void *a, const void *b) {
  unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
  return x < y ? -1 : x > y;
}

int engine_ps(const struct engine *eng, bool all, json_t **out, err_t *e) {
  struct ps_entry *list = NULL;
  size_t n = 0, n_locked = 0;
  dev_t dev = 0;
  if (ps_list(eng, &list, &n, &dev, e) < 0)
    return -1;
  qsort(list, n, sizeof *list, newest_first);
  /* Whose lock is held, at once (else each monitor's /proc/<pid>/stat:
   * most of ps's time at 1,000 running containers). None known: each is
   * checked alone. */
  _cleanup_free_ unsigned long long *locked = NULL;
  if (n && proc_flocked_inodes(dev, &locked, &n_locked) < 0)
    n_locked = 0;
  json_t *arr = json_array();
  bool failed = false;
  for (size_t i = 0; i < n; i++) {
    struct container_record *r = &list[i].r;
    struct container_state st;
    err_t damaged = ERR_INIT;
    bool held = n_locked && bsearch(&list[i].ino, locked, n_locked, sizeof *locked, by_ino);
    if (container_state_watched(eng, r->id, held, &st, &damaged) < 0)
      snprintf(st.status, sizeof st.status, "dead");
    _cleanup_free_ char *ports = list[i].x.ports ? engine_net_ports_text(eng, r->id) : NULL;
    if (all || container_status_live(st.status))
      json_push(arr,
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:i, s:i, s:s, s:s, s:i, "
                          "s:b, s:O, s:s, s:o, s:O, s:s}",
                          "id", r->id, "name", r->name, "image", r->image_ref, "imageId",
                          r->image_id, "imageManifest", r->image_manifest, "command", r->command,
                          "created", r->created, "status", st.status, "pid", st.pid, "exitCode",
                          st.exit_code, "startedAt", st.started_at, "finishedAt", st.finished_at,
                          "restartCount", st.restart_count, "oomKilled", st.oom_killed, "labels",
                          r->labels, "ports", ports ? ports : "", "mounts",
                          engine_container_mounts(r->mounts), "networks", list[i].x.networks,
                          "runtime", r->run.vm ? "vm" : "runc"),
                &failed);
    container_record_free(r);
    json_decref(list[i].x.networks);
  }
  free(list);
  if (json_built(failed, "ps", e) < 0) {
    json_decref(arr);
    return -1;
  }
  *out = arr;
  return 0;
}
