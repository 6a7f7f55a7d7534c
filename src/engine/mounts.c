/* A container's mounts: -v, --mount, --tmpfs and the image's VOLUMEs,
 * parsed after docker's rules into the container's record, in docker's
 * "Mounts" shape, plus private members (lowercase keys) that make the OCI
 * mounts again from the record alone:
 *   volume  {Type, Name, Source (its _data), Destination, Driver, Mode, RW,
 *            Propagation, anonymous, noCopy}
 *   bind    {Type, Source, Destination, Mode, RW, Propagation}
 *   tmpfs   {Type, Source "", Destination, Mode, RW, Propagation, tmpfsOptions}
 * Everything is checked before anything is made: a bad spec leaves nothing. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

struct spec {
  const char *type; /* "volume", "bind", "tmpfs" */
  char source[PATH_MAX]; /* volume name ("" anonymous), host path, "" */
  char target[PATH_MAX];
  char mode[128];         /* -v's mode words, as given */
  char propagation[16];   /* bind only */
  char tmpfs[512];        /* tmpfs options given */
  bool ro, nocopy;
};

/* "/a//b/./c/" -> "/a/b/c"; ".." taken lexically. Refused: relative
 * paths and "/" itself (nothing can be mounted over the root). */
static int clean_target(const char *raw, char out[PATH_MAX], const char *what, err_t *e) {
  if (raw[0] != '/')
    return err_set(e, EINVAL, "%s: invalid mount path: '%s' mount path must be absolute", what,
                   raw);
  size_t len = 0;
  out[0] = '\0';
  _cleanup_free_ char *copy = strdup(raw);
  if (!copy)
    return err_sys(e, "%s", what);
  for (char *save = NULL, *part = strtok_r(copy, "/", &save); part;
       part = strtok_r(NULL, "/", &save)) {
    if (!strcmp(part, "."))
      continue;
    if (!strcmp(part, "..")) {
      char *slash = strrchr(out, '/');
      len = slash ? (size_t)(slash - out) : 0;
      out[len] = '\0';
      continue;
    }
    int n = snprintf(out + len, PATH_MAX - len, "/%s", part);
    if (n < 0 || (size_t)n >= PATH_MAX - len)
      return err_set(e, ENAMETOOLONG, "%s: mount path too long", what);
    len += (size_t)n;
  }
  if (!len)
    return err_set(e, EINVAL, "%s: invalid specification: destination can't be '/'", what);
  /* What a container controls over /proc (a volume it writes, or shares
   * with another) would steer the runtime's writes there (oomScoreAdj,
   * sysctls: CVE-2019-19921). runc refuses such mounts but for the files
   * lxcfs provides; so do we, before anything is made. */
  static const char *const lxcfs[] = {"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo",
                                      "/proc/stat", "/proc/swaps", "/proc/uptime",
                                      "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev",
                                      "/proc/sys/kernel/ns_last_pid", NULL};
  if (strncmp(out, "/proc", 5) || (out[5] && out[5] != '/'))
    return 0;
  for (const char *const *p = lxcfs; *p; p++)
    if (!strcmp(out, *p))
      return 0;
  return err_set(e, EINVAL, "%s: invalid specification: %s is under /proc (only lxcfs's files "
                 "can be mounted there)", what, out);
}

static bool is_propagation(const char *w) {
  static const char *const words[] = {"shared", "rshared", "slave", "rslave", "private",
                                      "rprivate", NULL};
  for (const char *const *p = words; *p; p++)
    if (!strcmp(w, *p))
      return true;
  return false;
}

/* A host path for a bind: absolute, or relative to the current directory
 * when it starts with '.' (docker's rule), and existing. */
static int bind_source(const char *raw, char out[PATH_MAX], const char *what, err_t *e) {
  char cwd[PATH_MAX];
  if (raw[0] == '/')
    snprintf(out, PATH_MAX, "%s", raw);
  else if (!getcwd(cwd, sizeof cwd))
    return err_sys(e, "%s", what);
  else if (snprintf(out, PATH_MAX, "%s/%s", cwd, raw) >= PATH_MAX)
    return err_set(e, ENAMETOOLONG, "%s: path too long", what);
  struct stat st;
  if (stat(out, &st) < 0)
    return errno == ENOENT ? err_set(e, ENOENT, "%s: bind source path does not exist: %s", what, out)
                           : err_sys(e, "%s: %s", what, out);
  return 0;
}

/* -v SOURCE:TARGET[:MODE], or -v TARGET alone (an anonymous volume). */
static int parse_v(const char *arg, struct spec *s, err_t *e) {
  char what[PATH_MAX + 64];
  fmt_cut(what, sizeof what, "invalid volume specification: '%s'", arg);
  _cleanup_free_ char *copy = strdup(arg);
  if (!copy)
    return err_sys(e, "-v");
  char *parts[4] = {0};
  int n = 0;
  for (char *p = copy, *c; n < 4 && p; p = c ? c + 1 : NULL, n++) {
    c = strchr(p, ':');
    if (c)
      *c = '\0';
    parts[n] = p;
  }
  if (n > 3 || (n == 3 && strchr(parts[2], ':')) || !*parts[0] || (n > 1 && !*parts[1]))
    return err_set(e, EINVAL, "%s", what);
  const char *source = n == 1 ? "" : parts[0], *target = n == 1 ? parts[0] : parts[1];
  if (clean_target(target, s->target, what, e) < 0)
    return -1;
  bool bind = source[0] == '/' || source[0] == '.';
  s->type = bind ? "bind" : "volume";
  if (bind && bind_source(source, s->source, what, e) < 0)
    return -1;
  if (!bind) {
    if (*source && volume_name_check(source, e) < 0)
      return err_wrap(e, "create %s", source);
    snprintf(s->source, sizeof s->source, "%s", source);
  }
  if (n < 3)
    return 0;
  snprintf(s->mode, sizeof s->mode, "%s", parts[2]);
  _cleanup_free_ char *words = strdup(parts[2]);
  if (!words)
    return err_sys(e, "-v");
  for (char *save = NULL, *w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
    if (!strcmp(w, "ro") || !strcmp(w, "rw"))
      s->ro = !strcmp(w, "ro");
    else if (!strcmp(w, "nocopy") && !bind)
      s->nocopy = true;
    else if (is_propagation(w) && bind)
      snprintf(s->propagation, sizeof s->propagation, "%s", w);
    else if (strcmp(w, "z") && strcmp(w, "Z") && strcmp(w, "consistent") &&
             strcmp(w, "cached") && strcmp(w, "delegated"))
      return err_set(e, EINVAL, "%s: invalid mode: %s", what, parts[2]);
  }
  return 0;
}

/* "64m", "1g", "512k", "1048576": bytes. */
static int parse_bytes(const char *s, unsigned long long *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  unsigned long long mult = 1;
  switch (tolower((unsigned char)*end)) {
  case 'k': mult = 1ULL << 10; end++; break;
  case 'm': mult = 1ULL << 20; end++; break;
  case 'g': mult = 1ULL << 30; end++; break;
  default: break;
  }
  if (tolower((unsigned char)*end) == 'b')
    end++;
  if (end == s || *end || errno || s[0] == '-' || v > ULLONG_MAX / mult)
    return -1;
  *out = v * mult;
  return 0;
}

static int parse_bool(const char *v, bool *out) {
  if (!v || !strcmp(v, "true") || !strcmp(v, "1"))
    *out = true;
  else if (!strcmp(v, "false") || !strcmp(v, "0"))
    *out = false;
  else
    return -1;
  return 0;
}

/* --mount type=bind|volume|tmpfs,source=...,target=...,readonly,... */
static int parse_mount(const char *arg, struct spec *s, err_t *e) {
  char what[PATH_MAX + 64];
  fmt_cut(what, sizeof what, "invalid argument \"%s\" for \"--mount\" flag", arg);
  _cleanup_free_ char *copy = strdup(arg);
  if (!copy)
    return err_sys(e, "--mount");
  const char *source = NULL, *target = NULL;
  s->type = "volume";
  for (char *save = NULL, *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
    char *v = strchr(f, '=');
    if (v)
      *v++ = '\0';
    if (v && v[0] == '"' && strlen(v) >= 2 && v[strlen(v) - 1] == '"') {
      v[strlen(v) - 1] = '\0';
      v++;
    }
    bool flag;
    unsigned long long n;
    char *end;
    if (!strcmp(f, "type") && v)
      s->type = !strcmp(v, "bind") ? "bind" : !strcmp(v, "volume") ? "volume"
                : !strcmp(v, "tmpfs") ? "tmpfs" : NULL;
    else if ((!strcmp(f, "source") || !strcmp(f, "src")) && v)
      source = v;
    else if ((!strcmp(f, "target") || !strcmp(f, "dst") || !strcmp(f, "destination")) && v)
      target = v;
    else if ((!strcmp(f, "readonly") || !strcmp(f, "ro")) && parse_bool(v, &flag) == 0)
      s->ro = flag;
    else if (!strcmp(f, "volume-nocopy") && parse_bool(v, &flag) == 0)
      s->nocopy = flag;
    else if (!strcmp(f, "bind-propagation") && v && is_propagation(v))
      snprintf(s->propagation, sizeof s->propagation, "%s", v);
    else if (!strcmp(f, "volume-driver") && v && !strcmp(v, "local"))
      ;
    else if (!strcmp(f, "consistency") && v)
      ;
    else if (!strcmp(f, "tmpfs-size") && v && parse_bytes(v, &n) == 0)
      snprintf(s->tmpfs + strlen(s->tmpfs), sizeof s->tmpfs - strlen(s->tmpfs), "%ssize=%llu",
               *s->tmpfs ? "," : "", n);
    else if (!strcmp(f, "tmpfs-mode") && v && (n = strtoull(v, &end, 8), *v && !*end && n <= 07777))
      snprintf(s->tmpfs + strlen(s->tmpfs), sizeof s->tmpfs - strlen(s->tmpfs), "%smode=%llo",
               *s->tmpfs ? "," : "", n);
    else
      return err_set(e, EINVAL, "%s: %s '%s%s%s'", what,
                     v ? "invalid value or key in" : "invalid field", f, v ? "=" : "",
                     v ? v : "");
    if (!s->type)
      return err_set(e, EINVAL, "%s: invalid type '%s'", what, v);
  }
  if (!target)
    return err_set(e, EINVAL, "%s: target is required", what);
  if (clean_target(target, s->target, what, e) < 0)
    return -1;
  bool tmpfs = !strcmp(s->type, "tmpfs"), bind = !strcmp(s->type, "bind");
  if ((tmpfs && source) || (*s->tmpfs && !tmpfs) || (*s->propagation && !bind) ||
      (s->nocopy && strcmp(s->type, "volume")))
    return err_set(e, EINVAL, "%s: an option does not apply to type %s", what, s->type);
  if (bind && !source)
    return err_set(e, EINVAL, "%s: source is required when specifying bind mount", what);
  if (bind && source[0] != '/')
    return err_set(e, EINVAL, "%s: invalid mount path: '%s' mount path must be absolute", what,
                   source);
  if (bind)
    return bind_source(source, s->source, what, e);
  if (source && *source && volume_name_check(source, e) < 0)
    return err_wrap(e, "%s", what);
  snprintf(s->source, sizeof s->source, "%s", source ? source : "");
  return 0;
}

/* --tmpfs /path[:options] */
static int parse_tmpfs(const char *arg, struct spec *s, err_t *e) {
  char what[PATH_MAX + 64];
  fmt_cut(what, sizeof what, "invalid tmpfs specification: '%s'", arg);
  const char *colon = strchr(arg, ':');
  char target[PATH_MAX];
  if (snprintf(target, sizeof target, "%.*s", colon ? (int)(colon - arg) : (int)strlen(arg), arg) >=
          (int)sizeof target ||
      (colon && snprintf(s->tmpfs, sizeof s->tmpfs, "%s", colon + 1) >= (int)sizeof s->tmpfs))
    return err_set(e, ENAMETOOLONG, "%s: too long", what);
  s->type = "tmpfs";
  if (strchr(s->tmpfs, ':') || (colon && !colon[1]))
    return err_set(e, EINVAL, "%s", what);
  return clean_target(target, s->target, what, e);
}

/* docker's tmpfs defaults (noexec, nosuid, nodev) unless the options say
 * otherwise, then the options; "ro" and "rw" go to RW. */
static int tmpfs_options(struct spec *s, char *out, size_t cap, err_t *e) {
  static const char *const defaults[][2] = {{"noexec", "exec"}, {"nosuid", "suid"},
                                            {"nodev", "dev"}};
  _cleanup_free_ char *words = strdup(s->tmpfs);
  if (!words)
    return err_sys(e, "--tmpfs");
  out[0] = '\0';
  for (size_t i = 0; i < 3; i++) {
    char pair[2][16];
    snprintf(pair[0], sizeof pair[0], ",%s,", defaults[i][0]);
    snprintf(pair[1], sizeof pair[1], ",%s,", defaults[i][1]);
    char given[sizeof s->tmpfs + 2];
    snprintf(given, sizeof given, ",%s,", s->tmpfs);
    if (!strstr(given, pair[0]) && !strstr(given, pair[1]))
      snprintf(out + strlen(out), cap - strlen(out), "%s%s", *out ? "," : "", defaults[i][0]);
  }
  for (char *save = NULL, *w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
    if (!strcmp(w, "ro") || !strcmp(w, "rw")) {
      s->ro = !strcmp(w, "ro");
      continue;
    }
    if (strlen(out) + strlen(w) + 2 > cap)
      return err_set(e, EINVAL, "tmpfs options too long: %s", s->tmpfs);
    snprintf(out + strlen(out), cap - strlen(out), "%s%s", *out ? "," : "", w);
  }
  return 0;
}

static json_t *record_entry(const struct engine *eng, struct spec *s, bool anonymous, err_t *e) {
  bool failed = false;
  json_t *m = json_pack("{s:s}", "Type", s->type);
  if (!strcmp(s->type, "volume")) {
    _cleanup_free_ char *data = volume_path(eng, s->source, "_data");
    json_set(m, "Name", json_string(s->source), &failed);
    json_set(m, "Source", data ? json_string(data) : NULL, &failed);
    /* docker's local driver with type=tmpfs: mounted as a tmpfs, not
     * bound from _data. */
    _cleanup_free_ char *tmpfs = volume_tmpfs_options(eng, s->source);
    if (tmpfs)
      json_set(m, "tmpfsOptions", json_string(tmpfs), &failed);
  } else {
    json_set(m, "Source", json_string(s->source), &failed);
  }
  json_set(m, "Destination", json_string(s->target), &failed);
  if (!strcmp(s->type, "volume"))
    json_set(m, "Driver", json_string("local"), &failed);
  char opts[1024];
  if (!strcmp(s->type, "tmpfs")) {
    if (tmpfs_options(s, opts, sizeof opts, e) < 0) {
      json_decref(m);
      return NULL;
    }
    json_set(m, "tmpfsOptions", json_string(opts), &failed);
  }
  json_set(m, "Mode", json_string(s->mode), &failed);
  json_set(m, "RW", json_boolean(!s->ro), &failed);
  json_set(m, "Propagation",
           json_string(!strcmp(s->type, "bind") ? (*s->propagation ? s->propagation : "rprivate")
                                                : ""),
           &failed);
  if (anonymous)
    json_set(m, "anonymous", json_true(), &failed);
  if (s->nocopy)
    json_set(m, "noCopy", json_true(), &failed);
  if (json_built(failed, "mounts", e) < 0) {
    json_decref(m);
    return NULL;
  }
  return m;
}

/* A string member of a record entry, "" if absent (a record is read back
 * from disk). */
static const char *field(json_t *m, const char *key) {
  const char *s = json_string_value(json_object_get(m, key));
  return s ? s : "";
}

static int depth(json_t *m) {
  int n = 0;
  for (const char *p = field(m, "Destination"); *p; p++)
    n += *p == '/';
  return n;
}

/* One more mount: a new anonymous volume gets its name here, so that the
 * record names it before it exists. */
static int add(const struct engine *eng, json_t *list, struct spec *s, err_t *e) {
  size_t i;
  json_t *m;
  json_array_foreach(list, i, m) {
    if (!strcmp(field(m, "Destination"), s->target))
      return err_set(e, EINVAL, "Duplicate mount point: %s", s->target);
  }
  bool anonymous = !strcmp(s->type, "volume") && !*s->source;
  char id[65];
  if (anonymous) {
    if (engine_random_id(id, e) < 0)
      return -1;
    snprintf(s->source, sizeof s->source, "%s", id);
  }
  json_t *entry = record_entry(eng, s, anonymous, e);
  bool failed = false;
  return entry ? json_push(list, entry, &failed) < 0 ? err_set(e, ENOMEM, "mounts") : 0 : -1;
}

json_t *engine_mounts_plan(const struct engine *eng, const struct run_opts *o,
                           const struct image_config *ic, err_t *e) {
  _cleanup_json_ json_t *list = json_array();
  if (!list) {
    err_set(e, ENOMEM, "mounts");
    return NULL;
  }
  struct spec *s = malloc(sizeof *s);
  if (!s) {
    err_sys(e, "mounts");
    return NULL;
  }
  int r = 0;
  for (char **v = o->volumes; r == 0 && v && *v; v++)
    r = (memset(s, 0, sizeof *s), parse_v(*v, s, e) < 0 || add(eng, list, s, e) < 0) ? -1 : 0;
  for (char **v = o->mounts; r == 0 && v && *v; v++)
    r = (memset(s, 0, sizeof *s), parse_mount(*v, s, e) < 0 || add(eng, list, s, e) < 0) ? -1 : 0;
  for (char **v = o->tmpfs; r == 0 && v && *v; v++)
    r = (memset(s, 0, sizeof *s), parse_tmpfs(*v, s, e) < 0 || add(eng, list, s, e) < 0) ? -1 : 0;
  /* The image's VOLUMEs that no mount above covers: anonymous volumes. */
  for (char **v = ic->volumes; r == 0 && v && *v; v++) {
    memset(s, 0, sizeof *s);
    s->type = "volume";
    err_t bad = ERR_INIT;
    if (clean_target(*v, s->target, "image volume", &bad) < 0)
      continue; /* an image's VOLUME "/" or relative one: docker ignores it too */
    size_t i;
    json_t *m;
    bool covered = false;
    json_array_foreach(list, i, m) covered |=
        !strcmp(field(m, "Destination"), s->target);
    if (!covered)
      r = add(eng, list, s, e);
  }
  free(s);
  if (r < 0)
    return NULL;
  /* Parents before children, in the order given otherwise. */
  size_t n = json_array_size(list);
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && depth(json_array_get(list, j - 1)) > depth(json_array_get(list, j));
         j--) {
      json_t *a = json_incref(json_array_get(list, j - 1));
      json_array_set(list, j - 1, json_array_get(list, j));
      json_array_set_new(list, j, a);
    }
  return steal_ptr(&list);
}

int engine_mounts_volumes(const struct engine *eng, json_t *mounts, const char *rootfs,
                          err_t *e) {
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    const char *name = field(m, "Name");
    const char *target = field(m, "Destination");
    bool created;
    if (strcmp(field(m, "Type"), "volume") || !*name)
      continue;
    _cleanup_json_ json_t *labels =
        json_is_true(json_object_get(m, "anonymous")) ? volume_anonymous_labels() : NULL;
    if (volume_make(eng, name, labels, NULL, &created, e) < 0)
      return -1;
    /* A tmpfs volume is a new tmpfs at each start: nothing to copy into. */
    if (!json_is_true(json_object_get(m, "noCopy")) && !json_object_get(m, "tmpfsOptions") &&
        volume_copy_up(eng, name, rootfs, target, e) < 0)
      return -1;
  }
  return 0;
}

bool engine_mounts_have_volumes(json_t *mounts) {
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    if (!strcmp(field(m, "Type"), "volume"))
      return true;
  }
  return false;
}

int engine_oci_mounts(json_t *spec, json_t *mounts, err_t *e) {
  json_t *oci = json_object_get(spec, "mounts");
  bool failed = !oci;
  size_t i;
  json_t *m;
  /* A mount of the user's replaces a default one at the same place
   * (a bigger /dev/shm). */
  json_array_foreach(mounts, i, m) {
    const char *dest = field(m, "Destination");
    for (size_t k = json_array_size(oci); k-- > 0;)
      if (!strcmp(field(json_array_get(oci, k), "destination"), dest))
        json_array_remove(oci, k);
  }
  json_array_foreach(mounts, i, m) {
    const char *type = field(m, "Type");
    bool ro = !json_is_true(json_object_get(m, "RW"));
    json_t *opts = json_array();
    const char *fs = "bind", *source = field(m, "Source");
    if (!strcmp(type, "tmpfs") || json_object_get(m, "tmpfsOptions")) {
      fs = source = "tmpfs";
      _cleanup_free_ char *words = strdup(field(m, "tmpfsOptions"));
      for (char *save = NULL, *w = words ? strtok_r(words, ",", &save) : NULL; w;
           w = strtok_r(NULL, ",", &save))
        json_push(opts, json_string(w), &failed);
      failed |= !words;
    } else {
      const char *prop = field(m, "Propagation");
      json_push(opts, json_string("rbind"), &failed);
      json_push(opts, json_string(prop && *prop ? prop : "rprivate"), &failed);
    }
    json_push(opts, json_string(ro ? "ro" : "rw"), &failed);
    json_push(oci, json_pack("{s:s, s:s, s:s, s:o}", "destination",
                             field(m, "Destination"), "type", fs,
                             "source", source, "options", opts),
              &failed);
  }
  return json_built(failed, "mounts", e);
}

json_t *engine_container_mounts(json_t *record_mounts) {
  json_t *out = json_array();
  bool failed = !out;
  size_t i;
  json_t *m;
  json_array_foreach(record_mounts, i, m) {
    json_t *copy = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
      if (isupper((unsigned char)k[0]))
        json_set(copy, k, json_incref(v), &failed);
    }
    json_push(out, copy, &failed);
  }
  return json_done(out, failed);
}
