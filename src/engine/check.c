/* `capsule system check`, the containers' part.
 *
 * Everything a container has carries its id: its pin, its name's link, its
 * directory (under tmp/ while made or removed), the mount of its root,
 * its runtime state, its cgroup (/capsule/<id>). A run makes them in that
 * order and a removal takes them away in the reverse one, so whatever a
 * kill -9 leaves, a cgroup included, comes with something that names the
 * id: the ids are gathered from all those places, and each one is either a
 * container (a whole record) or the remains of one. The run root and the
 * cgroups may serve other roots: their entries count only through an id
 * found here (or a runtime state whose bundle is here). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

struct checker {
  const struct engine *eng;
  struct image_store *s;
  store_note_fn note;
  void *data;
  json_t *pinned; /* owners of pins, as a set */
  json_t *mounts; /* mount points under <root>/containers/, outermost first */
  size_t prefix;  /* strlen("<root>/containers/") in them */
  unsigned containers, live, problems;
  bool failed; /* memory ran out while gathering: the sets are incomplete */
};

/* Every note goes through here, the names' repairs' too. */
static void count_note(void *data, const char *kind, const char *text) {
  struct checker *c = data;
  if (!strcmp(kind, "problem"))
    c->problems++;
  c->note(c->data, kind, text);
}

#define say(c, ...) store_notef(count_note, (c), __VA_ARGS__)

static void add_ids(struct checker *c, json_t *ids, const char *id) {
  if (strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64)
    json_set(ids, id, json_true(), &c->failed);
}

/* mountinfo writes space, tab, newline and backslash as \ooo. */
static void unescape(char *s) {
  char *out = s;
  for (; *s; s++) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
        s[3] <= '7') {
      *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
      s += 3;
    } else {
      *out++ = *s;
    }
  }
  *out = '\0';
}

/* The mount points under <root>/containers/ and the ids in their paths. */
static int find_mounts(struct checker *c, json_t *ids, err_t *e) {
  _cleanup_free_ char *root = realpath(c->eng->root, NULL);
  _cleanup_free_ char *prefix = NULL;
  if (!root || asprintf(&prefix, "%s/containers/", root) < 0)
    return err_sys(e, "%s", c->eng->root);
  c->prefix = strlen(prefix);
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return err_sys(e, "/proc/self/mountinfo");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    char mount_point[4096];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mount_point) != 1)
      continue;
    unescape(mount_point);
    if (strncmp(mount_point, prefix, c->prefix))
      continue;
    json_push(c->mounts, json_string(mount_point), &c->failed);
    const char *rest = mount_point + c->prefix;
    if (!strncmp(rest, "tmp/", 4))
      rest += 4;
    char id[65];
    snprintf(id, sizeof id, "%.64s", rest);
    add_ids(c, ids, id);
  }
  return 0;
}

/* Unmount what is mounted in the container's directory (in place or in
 * tmp/), innermost first; returns how many, or -1. */
static int unmount_all(struct checker *c, const char *id, err_t *e) {
  int n = 0;
  for (size_t i = json_array_size(c->mounts); i-- > 0;) {
    const char *mp = json_string_value(json_array_get(c->mounts, i));
    const char *rest = mp + c->prefix;
    if (!strncmp(rest, "tmp/", 4))
      rest += 4;
    if (strncmp(rest, id, 64) || (rest[64] && rest[64] != '/'))
      continue;
    if (umount2(mp, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
      return err_sys(e, "unmount %s", mp);
    n++;
  }
  return n;
}

/* The runtime states that belong to this root although nothing else here
 * names them (a container directory removed by hand). The run root may
 * serve other roots too: a state counts only if its bundle is here. */
static int add_runtime_ids(struct checker *c, json_t *ids, err_t *e) {
  _cleanup_json_ json_t *states = json_object();
  if (!states || container_ids_in(c->eng->run_root, false, states, e) < 0)
    return -1;
  struct runtime_ctx rt = engine_runtime(c->eng);
  const char *id;
  json_t *unused;
  json_object_foreach(states, id, unused) {
    if (json_object_get(ids, id))
      continue;
    _cleanup_json_ json_t *st = NULL;
    _cleanup_free_ char *bundle = container_path(c->eng, id, NULL);
    err_t ignored = ERR_INIT;
    const char *its = NULL;
    if (bundle && runtime_state(&rt, id, &st, &ignored) == 0 &&
        (its = json_string_value(json_object_get(st, "bundle"))) && !strcmp(its, bundle))
      add_ids(c, ids, id);
  }
  return 0;
}

/* The ids of everything that may belong to a container of this root. */
static int gather(struct checker *c, json_t *ids, err_t *e) {
  if (container_dir_add_ids(c->eng, ids, e) < 0 || find_mounts(c, ids, e) < 0)
    return -1;
  struct image_info *images = NULL;
  size_t n = 0;
  if (image_store_list(c->s, &images, &n, e) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    for (char **owner = images[i].pins; owner && *owner; owner++) {
      add_ids(c, ids, *owner);
      json_set(c->pinned, *owner, json_true(), &c->failed);
    }
    image_info_free(&images[i]);
  }
  free(images);
  /* A container missing from the sets would be taken for a leftover. */
  if (add_runtime_ids(c, ids, e) < 0 || engine_net_add_ids(c->eng, ids, e) < 0)
    return -1;
  return json_built(c->failed, "system check", e);
}

static void list_add(char *list, size_t cap, const char *item) {
  size_t len = strlen(list);
  snprintf(list + len, cap - len, "%s%s", len ? ", " : "", item);
}

/* What a killed monitor leaves of a container that no longer runs: its
 * socket, its runtime's pid file, and a state that still says it runs
 * (recorded as the exit of unknown status it was). */
static int monitor_leftovers(struct checker *c, const char *id, char *what, size_t cap,
                             err_t *e) {
  static const char *const files[] = {MONITOR_SOCKET, "init.pid"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    _cleanup_free_ char *path = container_path(c->eng, id, files[i]);
    if (!path)
      return err_sys(e, "container %s", id);
    if (unlink(path) == 0)
      list_add(what, cap, i == 0 ? "monitor socket" : "pid file");
    else if (errno != ENOENT)
      return err_sys(e, "remove %s", path);
  }
  struct container_state written, now;
  if (container_state_load(c->eng, id, &written, e) < 0 ||
      container_state_current(c->eng, id, &now, e) < 0)
    return -1;
  if (!strcmp(written.status, now.status))
    return 0;
  if (container_state_save(c->eng, id, &now, true, e) < 0)
    return -1;
  list_add(what, cap, "stale state (recorded as exited)");
  return 0;
}

/* Remove what is left of a container that is gone (no whole record), or
 * the runtime side of one that is not running. */
static void check_one(struct checker *c, const char *id) {
  struct container_record r = {0};
  err_t e = ERR_INIT;
  bool recorded = container_dir_load(c->eng, id, &r, &e) == 0;
  _cleanup_close_ int lock = -1;
  char what[256] = "";
  if (recorded) {
    c->containers++;
    /* A record from before summaries, or whose summary a crash left behind. */
    ps_summary_refresh(c->eng, &r);
    struct container_state st;
    /* Held by a command or its monitor, or alive (its cgroup holds
     * processes though its monitor is gone): in use. */
    if ((lock = container_dir_lock(c->eng, id, &e)) < 0 ||
        (container_state_current(c->eng, id, &st, &e) == 0 && container_status_live(st.status))) {
      c->live++;
      if (lock < 0 && e.code != EBUSY)
        say(c, "problem", "container %s (%.12s): %s", r.name, id, e.msg);
      goto out;
    }
  }
  bool state = false, cgroup = false;
  if (engine_runtime_remove(c->eng, id, &state, &cgroup, &e) < 0)
    goto failed;
  if (state)
    list_add(what, sizeof what, "runtime state");
  if (cgroup)
    list_add(what, sizeof what, "cgroup");
  bool had_net = engine_net_has_state(c->eng, id);
  if (had_net && engine_net_down(c->eng, id, &e) < 0)
    goto failed;
  if (had_net)
    list_add(what, sizeof what, "network");
  int mounts = unmount_all(c, id, &e);
  if (mounts < 0)
    goto failed;
  if (mounts)
    list_add(what, sizeof what, "mounted root");
  if (recorded && monitor_leftovers(c, id, what, sizeof what, &e) < 0)
    goto failed;
  /* A killed build's step container is of no use to anyone: it goes too. */
  bool step = recorded && json_object_get(r.labels, ENGINE_BUILD_STEP_LABEL);
  if (!recorded || step) {
    _cleanup_free_ char *dir = container_path(c->eng, id, NULL);
    _cleanup_free_ char *staged = container_path(c->eng, "tmp", id);
    if (!dir || !staged) {
      err_sys(&e, "container %s", id);
      goto failed;
    }
    bool had_dir = access(dir, F_OK) == 0 || access(staged, F_OK) == 0;
    if (container_dir_remove(c->eng, id, step ? r.name : NULL, &e) < 0)
      goto failed;
    if (had_dir)
      list_add(what, sizeof what, step ? "build step's directory" : "directory");
    if (step && volumes_remove_anonymous(c->eng, r.mounts, &e) < 0)
      goto failed;
    /* Last: until now the pin named what was left. */
    if (json_object_get(c->pinned, id)) {
      if (image_store_unpin(c->s, id, 0, &e) < 0)
        goto failed;
      list_add(what, sizeof what, "image pin");
    }
  }
  if (!*what)
    goto out;
  if (recorded)
    say(c, "repaired", "container %s (%.12s) is not running: removed its %s", r.name, id, what);
  else
    say(c, "repaired", "removed what an interrupted command left of container %.12s: %s", id,
        what);
  goto out;
failed:
  say(c, "problem", "container %.12s: %s", id, e.msg);
out:
  container_record_free(&r);
}

int engine_check(const struct engine *eng, struct image_store *s, store_note_fn note, void *data,
                 err_t *e) {
  _cleanup_json_ json_t *ids = json_object();
  _cleanup_json_ json_t *pinned = json_object();
  _cleanup_json_ json_t *mounts = json_array();
  struct checker c = {.eng = eng, .s = s, .note = note, .data = data, .pinned = pinned,
                      .mounts = mounts};
  if (!ids || !pinned || !mounts)
    return err_set(e, ENOMEM, "containers");
  if (gather(&c, ids, e) < 0)
    return err_wrap(e, "containers");
  const char *id;
  json_t *unused;
  json_object_foreach(ids, id, unused) check_one(&c, id);
  if (container_names_repair(eng, count_note, &c, e) < 0)
    return err_wrap(e, "containers");
  if (volumes_check(eng, count_note, &c, e) < 0)
    return err_wrap(e, "volumes");
  char what[256];
  int swept = engine_net_sweep(eng, what, sizeof what, e);
  if (swept < 0)
    say(&c, "problem", "networks: %s", e->msg);
  else if (swept)
    say(&c, "repaired", "removed what no container accounts for: %s", what);
  if (c.problems)
    return err_set(e, EIO, "containers and volumes: %u problem%s left", c.problems,
                   c.problems == 1 ? "" : "s");
  say(&c, "ok", "%u container%s, %u running or in use", c.containers, c.containers == 1 ? "" : "s",
      c.live);
  return 0;
}
