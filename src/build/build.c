/* The executor: stages, steps, the cache, RUN. */
#include "build/build.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/args.h"
#include "build/internal.h"
#include "image/create.h"
#include "image/reference.h"
#include "runtime/rootfs_path.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/syscalls.h"

void build_say(struct builder *b, const char *fmt, ...) {
  if (!b->o->progress)
    return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  b->o->progress(b->o->progress_arg, line);
}

/* The value of `name` in an environment array ("K=V"), or NULL. */
static const char *env_get(json_t *env, const char *name) {
  size_t n = strlen(name), i;
  json_t *it;
  const char *found = NULL;
  json_array_foreach(env, i, it) {
    const char *kv = json_string_value(it);
    if (kv && !strncmp(kv, name, n) && kv[n] == '=')
      found = kv + n + 1;
  }
  return found;
}

const char *build_lookup(void *ctx, const char *name) {
  struct lookup *l = ctx;
  json_t *args = l->s ? l->s->args : l->b->global_args;
  if (l->s) {
    const char *v = env_get(json_object_get(l->s->config, "Env"), name);
    if (v)
      return v;
  }
  return json_string_value(json_object_get(args, name));
}

/* ---- the cache: <root>/build-cache/<key hex> holds a manifest digest ---- */

static char *cache_path(struct builder *b, const char *key) {
  char *p = NULL;
  if (asprintf(&p, "%s/build-cache/%s", image_store_root(b->store), key + 7) < 0)
    return NULL;
  return p;
}

int build_cache_get(struct builder *b, const char *key, char manifest[DIGEST_BUF]) {
  _cleanup_free_ char *path = cache_path(b, key);
  err_t ignored = ERR_INIT;
  size_t len;
  _cleanup_free_ char *text = path ? read_file_at(AT_FDCWD, path, DIGEST_BUF, &len, &ignored) : NULL;
  if (!text || len >= DIGEST_BUF)
    return 0;
  text[strcspn(text, "\n")] = '\0';
  _cleanup_image_info_ struct image_info img = {0};
  /* An entry whose image was pruned is a miss. */
  if (!digest_valid(text) || image_store_resolve(b->store, text, &img, &ignored) < 0 ||
      strcmp(img.manifest, text))
    return 0;
  snprintf(manifest, DIGEST_BUF, "%s", text);
  return 1;
}

void build_cache_put(struct builder *b, const char *key, const char *manifest) {
  _cleanup_free_ char *path = cache_path(b, key);
  _cleanup_free_ char *dir = NULL;
  err_t ignored = ERR_INIT; /* a cache entry lost costs a rebuild, nothing more */
  if (!path || asprintf(&dir, "%s/build-cache", image_store_root(b->store)) < 0)
    return;
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return;
  atomic_write_at(AT_FDCWD, path, manifest, strlen(manifest), 0600, &ignored);
}

int build_cached(struct builder *b, struct stage *s, const char *what, char key[DIGEST_BUF],
                 err_t *e) {
  struct sha256 h;
  if (sha256_init(&h, e) < 0)
    return -1;
  sha256_update(&h, s->manifest, strlen(s->manifest));
  sha256_update(&h, "\n", 1);
  sha256_update(&h, what, strlen(what));
  sha256_final(&h, key);
  char hit[DIGEST_BUF];
  if (b->o->no_cache || !build_cache_get(b, key, hit))
    return 0;
  snprintf(s->manifest, DIGEST_BUF, "%s", hit);
  _cleanup_image_info_ struct image_info img = {0};
  if (image_store_resolve(b->store, hit, &img, e) < 0)
    return -1;
  build_say(b, "--> Using cache %s", img.config + 7);
  return 1;
}

int build_commit(struct builder *b, struct stage *s, int dirfd, const char *history, err_t *e) {
  struct image_create_opts co = {.parent = *s->manifest ? s->manifest : NULL,
                                 .config = s->config,
                                 .created_by = history,
                                 .empty_layer = dirfd < 0};
  _cleanup_image_info_ struct image_info img = {0};
  if (image_build_step(b->store, dirfd, &co, &img, e) < 0)
    return -1;
  snprintf(s->manifest, DIGEST_BUF, "%s", img.manifest);
  if (history)
    build_say(b, "--> %.12s", img.config + 7);
  return 0;
}

/* Each cache entry: fn(arg, entry name, manifest digest or NULL). */
static int each_cache_entry(const char *root, void (*fn)(void *, int, const char *, const char *),
                            void *arg, err_t *e) {
  _cleanup_free_ char *dir = NULL;
  if (asprintf(&dir, "%s/build-cache", root) < 0)
    return err_sys(e, "build cache");
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : err_sys(e, "%s", dir);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    size_t len;
    err_t ignored = ERR_INIT;
    _cleanup_free_ char *text = read_file_at(dirfd(d), de->d_name, DIGEST_BUF, &len, &ignored);
    if (text)
      text[strcspn(text, "\n")] = '\0';
    fn(arg, dirfd(d), de->d_name, text && digest_valid(text) ? text : NULL);
  }
  return 0;
}

static void add_image(void *set, int dirfd, const char *name, const char *manifest) {
  (void)dirfd;
  (void)name;
  if (manifest)
    json_object_set_new(set, manifest, json_true());
}

int build_cache_images(const char *root, json_t **out, err_t *e) {
  json_t *set = json_object();
  if (!set)
    return err_set(e, ENOMEM, "build cache");
  if (each_cache_entry(root, add_image, set, e) < 0) {
    json_decref(set);
    return -1;
  }
  *out = set;
  return 0;
}

static void forget_gone(void *store, int dirfd, const char *name, const char *manifest) {
  _cleanup_image_info_ struct image_info img = {0};
  err_t ignored = ERR_INIT;
  if (!manifest || image_store_resolve(store, manifest, &img, &ignored) < 0)
    unlinkat(dirfd, name, 0);
}

void build_cache_forget_gone(struct image_store *s) {
  err_t ignored = ERR_INIT;
  each_cache_entry(image_store_root(s), forget_gone, s, &ignored);
}

struct stage *build_stage_named(struct builder *b, const char *name) {
  char *end;
  unsigned long i = strtoul(name, &end, 10);
  if (*name && !*end)
    return i < b->n_stages ? &b->stages[i] : NULL;
  for (size_t k = 0; k < b->n_stages; k++)
    if (b->stages[k].name && !strcasecmp(b->stages[k].name, name))
      return &b->stages[k];
  return NULL;
}

static void stage_free(struct stage *s) {
  free(s->name);
  json_decref(s->config);
  json_decref(s->args);
  json_decref(s->shell);
  json_decref(s->onbuild);
}

/* ---- FROM ---- */

/* The container config of the stored image `manifest` (a copy). */
static json_t *image_container_config(struct builder *b, const struct image_info *img, err_t *e) {
  size_t len;
  _cleanup_free_ char *text = image_store_read_blob(b->store, img->config, 0, &len, e);
  _cleanup_json_ json_t *cfg = text ? json_load_object_buf(text, len, img->config, e) : NULL;
  if (!cfg)
    return NULL;
  json_t *c = json_object_get(cfg, "config");
  c = json_is_object(c) ? json_deep_copy(c) : json_object();
  if (!c)
    err_set(e, ENOMEM, "image config");
  return c;
}

static int from(struct builder *b, const struct df_instr *in, err_t *e) {
  struct lookup l = {b, NULL};
  _cleanup_strv_ char **w = NULL;
  if (build_words(in->args, b->df.escape, build_lookup, &l, true, &w, e) < 0)
    return -1;
  size_t n = 0;
  while (w[n])
    n++;
  if (!(n == 1 || (n == 3 && !strcasecmp(w[1], "as"))))
    return err_set(e, EINVAL, "FROM requires either one or three arguments (IMAGE [AS NAME])");
  if (!*w[0])
    return err_set(e, EINVAL, "base name (%s) should not be blank", in->args);
  const char *platform = df_flag(in, "platform");
  if (platform && *platform)
    build_say(b, "WARNING: --platform=%s: building for this host's platform", platform);
  struct stage *all = realloc(b->stages, (b->n_stages + 1) * sizeof *all);
  if (!all)
    return err_sys(e, "FROM");
  b->stages = all;
  struct stage *s = &b->stages[b->n_stages];
  *s = (struct stage){.args = json_object(), .shell = json_pack("[s, s]", "/bin/sh", "-c")};
  b->n_stages++;
  if (n == 3 && !(s->name = strdup(w[2])))
    return err_sys(e, "FROM");
  for (char *p = s->name; p && *p; p++)
    *p = (char)tolower((unsigned char)*p);
  if (!s->args || !s->shell)
    return err_set(e, ENOMEM, "FROM");
  /* An earlier stage by name (not by index, as docker), scratch, an image. */
  for (size_t k = 0; k + 1 < b->n_stages; k++)
    if (b->stages[k].name && !strcasecmp(b->stages[k].name, w[0])) {
      memcpy(s->manifest, b->stages[k].manifest, DIGEST_BUF);
      return (s->config = json_deep_copy(b->stages[k].config)) ? 0 : err_set(e, ENOMEM, "FROM");
    }
  if (!strcmp(w[0], "scratch")) {
    if (!(s->config = json_object()))
      return err_set(e, ENOMEM, "FROM");
    return 0;
  }
  _cleanup_image_info_ struct image_info img = {0};
  if ((b->o->pull && b->o->pull(b->o->pull_arg, w[0], e) < 0) ||
      image_store_resolve(b->store, w[0], &img, e) < 0)
    return err_wrap(e, "FROM %s", w[0]);
  snprintf(s->manifest, DIGEST_BUF, "%s", img.manifest);
  if (!(s->config = image_container_config(b, &img, e)))
    return -1;
  /* The base's ONBUILD triggers run now (run_all); the image built from
   * it does not keep them (docker's rule). */
  s->onbuild = json_incref(json_object_get(s->config, "OnBuild"));
  json_object_del(s->config, "OnBuild");
  return 0;
}

/* ---- RUN ---- */

struct run_step {
  struct builder *b;
  struct stage *s;
  const char *history;
};

/* The working directory exists when the command starts (WORKDIR makes it). */
static int run_fill(void *arg, int rootfd, err_t *e) {
  struct run_step *r = arg;
  const char *wd = json_string_value(json_object_get(r->s->config, "WorkingDir"));
  if (!wd || !*wd)
    return 0;
  int fd = rootfs_open_target(rootfd, wd, TARGET_DIR, e);
  if (fd < 0)
    return err_wrap(e, "WORKDIR %s", wd);
  close(fd);
  return 0;
}

static int run_done(void *arg, int upperfd, err_t *e) {
  struct run_step *r = arg;
  return build_commit(r->b, r->s, upperfd, r->history, e);
}

/* The command: exec form as is; a here-document alone is the script;
 * otherwise the shell gets the text (with its here-documents, which it
 * reads itself). */
static char **run_command(struct stage *s, const struct df_instr *in, err_t *e) {
  if (in->exec) {
    size_t n = 0;
    while (in->exec[n])
      n++;
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++)
      if (!(v[i] = strdup(in->exec[i]))) {
        strv_free(v);
        v = NULL;
      }
    if (!v)
      err_sys(e, "RUN");
    return v;
  }
  size_t n = json_array_size(s->shell);
  char **v = calloc(n + 2, sizeof *v);
  if (!v) {
    err_sys(e, "RUN");
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    v[i] = strdup(json_string_value(json_array_get(s->shell, i)));
  const char *a = in->args;
  bool script_only = in->n_heredocs == 1 && !strncmp(a, "<<", 2) && !strpbrk(a + 2, " \t");
  char *text = NULL;
  if (script_only)
    text = strdup(in->heredocs[0].body);
  else {
    FILE *f = open_memstream(&text, &(size_t){0});
    if (f) {
      fputs(a, f);
      for (size_t h = 0; h < in->n_heredocs; h++)
        fprintf(f, "\n%s%s", in->heredocs[h].body, in->heredocs[h].name);
      fclose(f);
    }
  }
  v[n] = text;
  for (size_t i = 0; i <= n; i++)
    if (!v[i]) {
      strv_free(v);
      err_sys(e, "RUN");
      return NULL;
    }
  return v;
}

static char *joined(char **v, const char *prefix) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f)
    return NULL;
  fputs(prefix, f);
  for (size_t i = 0; v[i]; i++)
    fprintf(f, "%s%s", i ? " " : "", v[i]);
  return memstream_text(f, &out);
}

static int run(struct builder *b, struct stage *s, const struct df_instr *in, err_t *e) {
  for (char **f = in->flags; *f; f++)
    if (strncmp(*f, "--network=", 10))
      return err_set(e, EINVAL, "RUN %s is not supported", *f);
  _cleanup_strv_ char **cmd = run_command(s, in, e);
  _cleanup_strv_ char **env = cmd ? build_run_env(b, s, e) : NULL;
  if (!env)
    return -1;
  const char *net = df_flag(in, "network");
  net = net ? net : b->o->network ? b->o->network : "none";
  _cleanup_free_ char *history = joined(cmd, "RUN ");
  _cleanup_json_ json_t *k =
      json_pack("{s:o, s:o, s:s}", "cmd", json_string_array((const char *const *)cmd), "env",
                json_string_array((const char *const *)env), "network", net);
  _cleanup_free_ char *what = k ? json_dump_checked(k, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  if (!history || !what)
    return err_set(e, ENOMEM, "RUN");
  char key[DIGEST_BUF];
  int hit = build_cached(b, s, what, key, e);
  if (hit)
    return hit < 0 ? -1 : 0;
  if (!*s->manifest && build_commit(b, s, -1, NULL, e) < 0)
    return -1;
  struct run_step r = {b, s, history};
  char *no_entrypoint[] = {NULL};
  struct run_opts ro = {.image = s->manifest, .cmd = cmd, .entrypoint = no_entrypoint,
                        .env = env, .rm = true, .network = net};
  struct engine_step step = {.run = true, .fill = run_fill, .done = run_done, .arg = &r};
  int status = 0;
  if (engine_build_step(b->eng, &ro, &step, &status, e) < 0) {
    b->status = status;
    return -1;
  }
  if (status) {
    b->status = status;
    return err_set(e, ECHILD, "the command exited with code %d", status);
  }
  build_cache_put(b, key, s->manifest);
  return 0;
}

/* ---- the driver ---- */

static const char *const known[] = {"FROM",    "RUN",         "COPY",    "ADD",        "ENV",
                                    "ARG",     "WORKDIR",     "USER",    "CMD",        "ENTRYPOINT",
                                    "EXPOSE",  "LABEL",       "VOLUME",  "SHELL",      "STOPSIGNAL",
                                    "HEALTHCHECK", "ONBUILD", "MAINTAINER", NULL};

static bool is_known(const char *k) {
  for (const char *const *p = known; *p; p++)
    if (!strcmp(*p, k))
      return true;
  return false;
}

/* Everything that can be refused before a step runs. */
static int check(struct builder *b, err_t *e) {
  const struct dockerfile *d = &b->df;
  const char *f = b->o->file;
  bool seen_from = false, target_found = !b->o->target;
  for (size_t i = 0; i < d->n; i++) {
    const struct df_instr *in = &d->v[i];
    if (!is_known(in->keyword))
      return err_set(e, EINVAL, "%s:%d: unknown instruction: %s", f, in->line, in->keyword);
    if (!seen_from && strcmp(in->keyword, "FROM") && strcmp(in->keyword, "ARG"))
      return err_set(e, EINVAL, "%s:%d: %s before the first FROM (only ARG may come before it)",
                     f, in->line, in->keyword);
    if (!strcmp(in->keyword, "FROM")) {
      seen_from = true;
      const char *as = NULL;
      for (const char *p = in->args; (p = strcasestr(p, " as "));)
        as = p += 4;
      while (as && *as == ' ')
        as++;
      if (!b->o->target || !target_found)
        b->n_built++;
      if (b->o->target && as && !strcasecmp(as, b->o->target))
        target_found = true;
    }
  }
  if (!seen_from)
    return err_set(e, EINVAL, "%s: no FROM instruction", f);
  if (!target_found)
    return err_set(e, EINVAL, "%s: --target %s: no stage of that name", f, b->o->target);
  return 0;
}

static int build_args(struct builder *b, err_t *e) {
  if (!(b->build_args = json_object()) || !(b->global_args = json_object()))
    return err_set(e, ENOMEM, "build args");
  for (char **a = b->o->build_args; a && *a; a++) {
    const char *eq = strchr(*a, '=');
    _cleanup_free_ char *k = strndup(*a, eq ? (size_t)(eq - *a) : strlen(*a));
    const char *v = eq ? eq + 1 : getenv(*a);
    if (!k)
      return err_sys(e, "--build-arg");
    if (!*k)
      return err_set(e, EINVAL, "--build-arg %s: no name", *a);
    if (v && json_object_set_new(b->build_args, k, json_string(v)) < 0)
      return err_set(e, EINVAL, "--build-arg %s: not UTF-8", *a);
  }
  return 0;
}

char *build_context_file(int context, const char *name, size_t max, size_t *len, err_t *e) {
  _cleanup_close_ int fd = sys_openat2(context, name, O_PATH | O_CLOEXEC, 0,
                                       RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  struct stat st;
  if (fd < 0 && (errno == EXDEV || errno == ELOOP))
    return err_set(e, EXDEV, "%s: outside the build context (refused)", name), NULL;
  if (fd < 0 || fstat(fd, &st) < 0)
    return err_sys(e, "%s", name), NULL;
  if (!S_ISREG(st.st_mode))
    return err_set(e, EINVAL, "%s: not a regular file", name), NULL;
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
  return read_file_at(AT_FDCWD, self, max, len, e);
}

static int read_ignore(struct builder *b, err_t *e) {
  static const char *const names[] = {".containerignore", ".dockerignore"};
  for (size_t i = 0; i < 2; i++) {
    size_t len;
    err_t missing = ERR_INIT;
    _cleanup_free_ char *text = build_context_file(b->context, names[i], 1 << 20, &len, &missing);
    if (text)
      return ignore_parse(text, &b->ignore, e) < 0 ? err_wrap(e, "%s", names[i]) : 0;
    if (missing.code != ENOENT)
      return *e = missing, -1;
  }
  return 0;
}

/* A step that changes only the config: its image is keyed by the config
 * it makes. */
static int config_step(struct builder *b, struct stage *s, const char *history, err_t *e) {
  _cleanup_free_ char *cfg = json_dump_checked(s->config, JSON_COMPACT | JSON_SORT_KEYS);
  _cleanup_free_ char *what = NULL;
  if (!cfg || asprintf(&what, "%s\n%s", history, cfg) < 0)
    return err_set(e, ENOMEM, "%s", history);
  char key[DIGEST_BUF];
  int hit = build_cached(b, s, what, key, e);
  if (hit)
    return hit < 0 ? -1 : 0;
  if (build_commit(b, s, -1, history, e) < 0)
    return -1;
  build_cache_put(b, key, s->manifest);
  return 0;
}

static int step(struct builder *b, struct stage *s, const struct df_instr *in, err_t *e) {
  if (!strcmp(in->keyword, "RUN"))
    return run(b, s, in, e);
  if (!strcmp(in->keyword, "COPY") || !strcmp(in->keyword, "ADD"))
    return build_copy(b, s, in, e);
  _cleanup_free_ char *history = NULL;
  if (build_meta(b, s, in, &history, e) < 0)
    return -1;
  if (!history)
    return 0; /* ARG: no image */
  return config_step(b, s, history, e);
}

/* --label: one more step at the end. */
static int final_labels(struct builder *b, struct stage *s, err_t *e) {
  if (!b->o->labels || !*b->o->labels)
    return 0;
  json_t *labels = json_object_get(s->config, "Labels");
  if (!json_is_object(labels) && json_object_set_new(s->config, "Labels", labels = json_object()))
    return err_set(e, ENOMEM, "--label");
  _cleanup_free_ char *history = joined(b->o->labels, "LABEL ");
  for (char **l = b->o->labels; *l; l++) {
    const char *eq = strchr(*l, '=');
    _cleanup_free_ char *k = strndup(*l, eq ? (size_t)(eq - *l) : strlen(*l));
    if (!k || !history || json_object_set_new(labels, k, json_string(eq ? eq + 1 : "")) < 0)
      return err_set(e, EINVAL, "--label %s", *l);
  }
  return config_step(b, s, history, e);
}

/* The base image's ONBUILD triggers, each parsed as a Containerfile of its
 * own line, run as steps of the stage. */
static int onbuild(struct builder *b, struct stage *s, err_t *e) {
  size_t i;
  json_t *t;
  json_array_foreach(s->onbuild, i, t) {
    const char *text = json_string_value(t);
    struct dockerfile df;
    if (!text || dockerfile_parse(text, strlen(text), "ONBUILD", &df, e) < 0)
      return text ? -1 : err_set(e, EINVAL, "ONBUILD trigger %zu: not a string", i);
    int r = 0;
    for (size_t k = 0; r == 0 && k < df.n; k++) {
      const struct df_instr *in = b->in = &df.v[k];
      if (!is_known(in->keyword) || !strcmp(in->keyword, "FROM") ||
          !strcmp(in->keyword, "ONBUILD") || !strcmp(in->keyword, "MAINTAINER"))
        r = err_set(e, EINVAL, "ONBUILD %s: not allowed as a trigger", in->keyword);
      else {
        build_say(b, "--> ONBUILD %s", in->text);
        r = step(b, s, in, e);
      }
    }
    dockerfile_free(&df);
    if (r < 0)
      return err_wrap(e, "ONBUILD %s", text);
  }
  return 0;
}

static int run_all(struct builder *b, struct stage **last, err_t *e) {
  const struct dockerfile *d = &b->df;
  for (size_t i = 0; i < d->n; i++) {
    const struct df_instr *in = b->in = &d->v[i];
    bool is_from = !strcmp(in->keyword, "FROM");
    if (is_from && b->o->target && b->n_stages &&
        b->stages[b->n_stages - 1].name && !strcasecmp(b->stages[b->n_stages - 1].name, b->o->target))
      break;
    if (!is_from && !b->n_stages) { /* an ARG before the first FROM: no step */
      if (build_arg(b, b->global_args, NULL, in, e) < 0)
        return err_wrap(e, "%s:%d", b->o->file, in->line);
      continue;
    }
    if (is_from) {
      b->step = 0;
      for (b->n_steps = 1; i + b->n_steps < d->n; b->n_steps++)
        if (!strcmp(d->v[i + b->n_steps].keyword, "FROM"))
          break;
    }
    b->step++;
    char label[80] = "";
    if (b->n_built > 1)
      snprintf(label, sizeof label, "[%zu/%zu] ", b->n_stages + is_from, b->n_built);
    snprintf(label + strlen(label), sizeof label - strlen(label), "STEP %zu/%zu", b->step,
             b->n_steps);
    build_say(b, "%s: %s", label, in->text);
    int r;
    if (is_from)
      r = from(b, in, e) < 0 ? -1 : onbuild(b, &b->stages[b->n_stages - 1], e);
    else
      r = step(b, &b->stages[b->n_stages - 1], in, e);
    if (r < 0) {
      char what[100];
      fmt_cut(what, sizeof what, "%s", in->text);
      return err_wrap(e, "%s:%d: building at %s \"%s\"", b->o->file, in->line, label, what);
    }
  }
  *last = &b->stages[b->n_stages - 1];
  return 0;
}

static int tag_all(struct builder *b, struct stage *s, err_t *e) {
  for (char **t = b->o->tags; t && *t; t++) {
    if (image_store_tag(b->store, *t, s->manifest, e) < 0)
      return -1;
    _cleanup_image_ref_ struct image_ref ref = {0};
    _cleanup_free_ char *name = image_ref_parse(*t, &ref, e) == 0 ? image_ref_string(&ref) : NULL;
    build_say(b, "Successfully tagged %s", name ? name : *t);
  }
  return 0;
}

int build_image(const struct engine *eng, const struct build_opts *o, char id[DIGEST_BUF],
                int *status, err_t *e) {
  struct builder b = {.eng = eng, .o = o, .context = -1};
  _cleanup_image_info_ struct image_info img = {0};
  *status = ENGINE_EXIT_ERROR;
  int ret = -1;
  for (char **t = o->tags; t && *t; t++) {
    _cleanup_image_ref_ struct image_ref ref = {0};
    if (image_ref_parse(*t, &ref, e) < 0)
      return err_wrap(e, "-t %s", *t);
  }
  if (dockerfile_parse(o->text, o->len, o->file, &b.df, e) < 0)
    return -1;
  struct stage *last = NULL;
  if (check(&b, e) < 0 || build_args(&b, e) < 0)
    goto out;
  b.context = open(o->context, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (b.context < 0) {
    err_sys(e, "the build context %s", o->context);
    goto out;
  }
  if (read_ignore(&b, e) < 0 || image_store_open(eng->root, 0, &b.store, e) < 0)
    goto out;
  if (run_all(&b, &last, e) < 0 || final_labels(&b, last, e) < 0)
    goto out;
  if (!*last->manifest && build_commit(&b, last, -1, NULL, e) < 0)
    goto out;
  if (image_store_resolve(b.store, last->manifest, &img, e) < 0 || tag_all(&b, last, e) < 0)
    goto out;
  snprintf(id, DIGEST_BUF, "%s", img.config);
  ret = 0;
out:
  if (ret < 0 && b.status)
    *status = b.status;
  if (b.store) {
    if (ret < 0)
      image_store_cleanup(b.store);
    image_store_close(b.store);
  }
  if (b.context >= 0)
    close(b.context);
  for (size_t i = 0; i < b.n_stages; i++)
    stage_free(&b.stages[i]);
  free(b.stages);
  json_decref(b.global_args);
  json_decref(b.build_args);
  ignore_free(&b.ignore);
  dockerfile_free(&b.df);
  return ret;
}
