/* The run options that change a container's privileges and limits, over
 * its OCI config: --cap-add/--cap-drop, --privileged, --security-opt
 * (no-new-privileges, seccomp=FILE|unconfined), --ulimit, --device; and
 * the environment of -e and --env-file. docker's rules throughout. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

#include "engine/internal.h"
#include "oci/names.h"
#include "util/array.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

/* "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" -> its number; -1 unknown. */
static int cap_number(const char *given) {
  char name[64] = "CAP_";
  size_t skip = strncasecmp(given, "CAP_", 4) ? 0 : 4;
  if (strlen(given + skip) + 5 > sizeof name)
    return -1;
  for (size_t i = 0; given[skip + i]; i++)
    name[4 + i] = (char)toupper((unsigned char)given[skip + i]);
  name[4 + strlen(given + skip)] = '\0';
  return cap_from_name(name);
}

static bool has_all(char **list) {
  for (char **p = list; p && *p; p++)
    if (!strcasecmp(*p, "ALL"))
      return true;
  return false;
}

/* The capability set: the defaults, less --cap-drop (ALL: none), plus
 * --cap-add (ALL: every one); --privileged: every one. */
static int capabilities(const struct run_opts *o, json_t *proc, uint64_t *set, err_t *e) {
  uint64_t caps = 0;
  int last = cap_kernel_last();
  json_t *defaults = json_object_get(json_object_get(proc, "capabilities"), "bounding");
  size_t i;
  json_t *c;
  json_array_foreach(defaults, i, c) {
    int n = cap_from_name(json_string_value(c));
    if (n >= 0)
      caps |= 1ULL << n;
  }
  for (int pass = 0; pass < 2; pass++)
    for (char **p = pass ? o->cap_add : o->cap_drop; p && *p; p++) {
      int n = cap_number(*p);
      if (n < 0 && strcasecmp(*p, "ALL"))
        return err_set(e, EINVAL, "invalid %s: unknown capability: \"%s\"",
                       pass ? "CapAdd" : "CapDrop", *p);
      if (n > last)
        return err_set(e, EINVAL, "capability %s: not supported by this kernel", *p);
    }
  if (has_all(o->cap_drop))
    caps = 0;
  for (char **p = o->cap_drop; p && *p; p++)
    if (strcasecmp(*p, "ALL"))
      caps &= ~(1ULL << cap_number(*p));
  /* Every one the kernel has and we hold ourselves: more could not be
   * granted (a host that runs us without CAP_SYS_RESOURCE, say). */
  uint64_t every = 0;
  for (int n = 0; n <= last; n++)
    if (prctl(PR_CAPBSET_READ, n, 0, 0, 0) == 1)
      every |= 1ULL << n;
  if (has_all(o->cap_add) || o->privileged) {
    caps = every;
    for (char **p = o->privileged ? NULL : o->cap_drop; p && *p; p++)
      if (strcasecmp(*p, "ALL"))
        caps &= ~(1ULL << cap_number(*p));
  }
  for (char **p = o->cap_add; p && *p; p++)
    if (strcasecmp(*p, "ALL"))
      caps |= 1ULL << cap_number(*p);
  json_t *list = json_array();
  bool failed = !list;
  for (int n = 0; n <= last; n++)
    if (caps & (1ULL << n) && cap_name(n))
      json_push(list, json_string(cap_name(n)), &failed);
  json_set(proc, "capabilities",
           json_pack("{s:O, s:O, s:O, s:[], s:[]}", "bounding", list, "effective", list,
                     "permitted", list, "inheritable", "ambient"),
           &failed);
  json_decref(list);
  *set = caps;
  return json_built(failed, "capabilities", e);
}

/* ---- seccomp=FILE: docker's profile format to the OCI one ---- */

/* Go's name of this machine's architecture and libseccomp's. */
static void host_arch(const char **go, const char **scmp) {
  struct utsname u;
  uname(&u);
  *go = "amd64", *scmp = "SCMP_ARCH_X86_64";
  if (!strcmp(u.machine, "aarch64"))
    *go = "arm64", *scmp = "SCMP_ARCH_AARCH64";
}

static bool kernel_at_least(const char *want) {
  struct utsname u;
  int a = 0, b = 0, x = 0, y = 0;
  uname(&u);
  sscanf(u.release, "%d.%d", &a, &b);
  sscanf(want, "%d.%d", &x, &y);
  return a > x || (a == x && b >= y);
}

static bool strings_include(json_t *arr, const char *s) {
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    if (json_is_string(v) && !strcmp(json_string_value(v), s))
      return true;
  }
  return false;
}

/* A rule's includes/excludes ({caps, arches, minKernel}) against this
 * container: caps all held (includes) or none (excludes). */
static bool condition_holds(json_t *cond, bool include, uint64_t caps, const char *go_arch) {
  if (!json_is_object(cond))
    return true;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(cond, "caps"), i, c) {
    int n = json_is_string(c) ? cap_from_name(json_string_value(c)) : -1;
    bool held = n >= 0 && (caps & (1ULL << n));
    if (held != include)
      return false;
  }
  json_t *arches = json_object_get(cond, "arches");
  if (json_array_size(arches) && strings_include(arches, go_arch) != include)
    return false;
  const char *min = json_string_value(json_object_get(cond, "minKernel"));
  return !min || kernel_at_least(min) == include;
}

static json_t *seccomp_profile(const char *path, uint64_t caps, err_t *e) {
  _cleanup_json_ json_t *in = json_load_object_file(path, e);
  if (!in) {
    err_wrap(e, "seccomp profile");
    return NULL;
  }
  const char *go_arch, *scmp_arch;
  host_arch(&go_arch, &scmp_arch);
  json_t *out = json_object();
  bool failed = !out;
  const char *keep[] = {"defaultAction", "defaultErrnoRet", "flags", "listenerPath",
                        "listenerMetadata", NULL};
  for (const char **k = keep; *k; k++)
    if (json_object_get(in, *k))
      json_set(out, *k, json_incref(json_object_get(in, *k)), &failed);
  json_t *arches = json_array();
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(in, "archMap"), i, a) {
    if (!strcmp(json_string_value(json_object_get(a, "architecture")) ?: "", scmp_arch)) {
      json_push(arches, json_string(scmp_arch), &failed);
      json_array_extend(arches, json_object_get(a, "subArchitectures"));
    }
  }
  if (!json_object_get(in, "archMap") && json_is_array(json_object_get(in, "architectures")))
    json_array_extend(arches, json_object_get(in, "architectures"));
  json_set(out, "architectures", arches, &failed);
  json_t *rules = json_array();
  json_t *r;
  json_array_foreach(json_object_get(in, "syscalls"), i, r) {
    if (!condition_holds(json_object_get(r, "includes"), true, caps, go_arch) ||
        !condition_holds(json_object_get(r, "excludes"), false, caps, go_arch))
      continue;
    json_t *rule = json_object();
    json_t *names = json_object_get(r, "names");
    const char *one = json_string_value(json_object_get(r, "name")); /* the old form */
    json_set(rule, "names", names ? json_incref(names) : json_pack("[s]", one ? one : ""),
             &failed);
    const char *copy[] = {"action", "errnoRet", "args", NULL};
    for (const char **k = copy; *k; k++)
      if (json_object_get(r, *k) && !json_is_null(json_object_get(r, *k)))
        json_set(rule, *k, json_incref(json_object_get(r, *k)), &failed);
    json_push(rules, rule, &failed);
  }
  json_set(out, "syscalls", rules, &failed);
  if (json_built(failed, "seccomp profile", e) < 0) {
    json_decref(out);
    return NULL;
  }
  if (!json_object_get(out, "defaultAction")) {
    json_decref(out);
    err_set(e, EINVAL, "seccomp profile %s: no defaultAction", path);
    return NULL;
  }
  return out;
}

static int security_opts(json_t *spec, const struct run_opts *o, uint64_t caps, err_t *e) {
  json_t *proc = json_object_get(spec, "process"), *lx = json_object_get(spec, "linux");
  bool failed = false;
  for (char **p = o->security_opt; p && *p; p++) {
    const char *opt = *p;
    /* "key=value", or docker's older "key:value". */
    size_t klen = strcspn(opt, "=:");
    const char *v = opt[klen] ? opt + klen + 1 : NULL;
    if (klen == 17 && !strncmp(opt, "no-new-privileges", 17)) {
      bool on = !v || !strcmp(v, "true");
      if (v && !on && strcmp(v, "false"))
        return err_set(e, EINVAL, "invalid --security-opt %s: expected true or false", opt);
      json_set(proc, "noNewPrivileges", json_boolean(on), &failed);
    } else if (klen == 7 && !strncmp(opt, "seccomp", 7) && v && *v) {
      json_t *profile = NULL;
      if (strcmp(v, "unconfined") && !(profile = seccomp_profile(v, caps, e)))
        return -1;
      if (profile)
        json_set(lx, "seccomp", profile, &failed);
      else
        json_object_del(lx, "seccomp");
    } else if ((klen == 8 && !strncmp(opt, "apparmor", 8) && v && !strcmp(v, "unconfined")) ||
               (klen == 5 && !strncmp(opt, "label", 5) && v && !strcmp(v, "disable"))) {
      /* No LSM profile is applied: unconfined already (compose files say so). */
    } else {
      return err_set(e, EINVAL, "invalid --security-opt: %s (capsule knows no-new-privileges, "
                                "seccomp=FILE|unconfined, apparmor=unconfined, label=disable)",
                     opt);
    }
  }
  return json_built(failed, "security options", e);
}

/* --ulimit NAME=SOFT[:HARD], -1 for unlimited. */
static int ulimits(json_t *proc, char **list, err_t *e) {
  if (!list)
    return 0;
  json_t *rl = json_array();
  bool failed = !rl;
  json_set(proc, "rlimits", rl, &failed);
  for (char **p = list; p && *p; p++) {
    const char *eq = strchr(*p, '=');
    char name[32] = "RLIMIT_";
    size_t len = eq ? (size_t)(eq - *p) : 0;
    if (!eq || !len || len > 20)
      return err_set(e, EINVAL, "invalid ulimit argument: %s", *p);
    for (size_t i = 0; i < len; i++)
      name[7 + i] = (char)toupper((unsigned char)(*p)[i]);
    name[7 + len] = '\0';
    if (rlimit_from_name(name) < 0)
      return err_set(e, EINVAL, "invalid ulimit type: %.*s", (int)len, *p);
    char *end;
    long long soft = strtoll(eq + 1, &end, 10), hard = soft;
    if (end == eq + 1 || (*end && *end != ':'))
      return err_set(e, EINVAL, "invalid ulimit argument: %s", *p);
    if (*end == ':') {
      const char *h = end + 1;
      hard = strtoll(h, &end, 10);
      if (end == h || *end)
        return err_set(e, EINVAL, "invalid ulimit argument: %s", *p);
    }
    if ((hard >= 0 && (soft < 0 || soft > hard)))
      return err_set(e, EINVAL, "ulimit soft limit must be less than or equal to hard limit: %s",
                     *p);
    /* -1 is RLIM_INFINITY; the spec's fields are unsigned. */
    json_push(rl,
              json_pack("{s:s, s:o, s:o}", "type", name, "soft",
                        soft < 0 ? json_real((double)UINT64_MAX) : json_integer(soft), "hard",
                        hard < 0 ? json_real((double)UINT64_MAX) : json_integer(hard)),
              &failed);
  }
  return json_built(failed, "rlimits", e);
}

/* A host device node as linux.devices has it, at `inside`. */
static json_t *device_entry(const char *host, const char *inside, struct stat *st, err_t *e) {
  if (!S_ISCHR(st->st_mode) && !S_ISBLK(st->st_mode)) {
    err_set(e, EINVAL, "error gathering device information while adding custom device \"%s\": "
                       "not a device node", host);
    return NULL;
  }
  return json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path", inside, "type",
                   S_ISCHR(st->st_mode) ? "c" : "b", "major", (json_int_t)major(st->st_rdev),
                   "minor", (json_int_t)minor(st->st_rdev), "fileMode",
                   (int)(st->st_mode & 07777), "uid", 0, "gid", 0);
}

/* One device node, or (docker's rule) the device nodes under a directory,
 * each at the same place under `inside`; in a directory, what is no device
 * is passed over. */
static int add_device(json_t *devs, json_t *rules, const char *host, const char *inside,
                      const char *perms, int depth, err_t *e) {
  struct stat st;
  bool failed = false;
  if (stat(host, &st) < 0)
    return err_sys(e, "error gathering device information while adding custom device \"%s\"",
                   host);
  if (S_ISDIR(st.st_mode) && depth < 8) {
    _cleanup_closedir_ DIR *d = opendir(host);
    if (!d)
      return err_sys(e, "--device %s", host);
    for (struct dirent *de; (de = readdir(d));) {
      char h[PATH_MAX], in[PATH_MAX];
      struct stat sub;
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
          snprintf(h, sizeof h, "%s/%s", host, de->d_name) >= (int)sizeof h ||
          snprintf(in, sizeof in, "%s/%s", inside, de->d_name) >= (int)sizeof in ||
          lstat(h, &sub) < 0 ||
          (!S_ISDIR(sub.st_mode) && !S_ISCHR(sub.st_mode) && !S_ISBLK(sub.st_mode)))
        continue;
      if (add_device(devs, rules, h, in, perms, depth + 1, e) < 0)
        return -1;
    }
    return 0;
  }
  json_t *d = device_entry(host, inside, &st, e);
  if (!d)
    return -1;
  json_push(devs, d, &failed);
  json_push(rules,
            json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type",
                      S_ISCHR(st.st_mode) ? "c" : "b", "major", (json_int_t)major(st.st_rdev),
                      "minor", (json_int_t)minor(st.st_rdev), "access", perms),
            &failed);
  return json_built(failed, "devices", e);
}

/* --device HOST[:CONTAINER[:PERMISSIONS]] */
static int devices(json_t *lx, char **list, err_t *e) {
  json_t *devs = json_object_get(lx, "devices");
  bool failed = false;
  if (!devs)
    json_set(lx, "devices", devs = json_array(), &failed);
  json_t *rules = json_object_get(json_object_get(lx, "resources"), "devices");
  if (json_built(failed, "devices", e) < 0)
    return -1;
  for (char **p = list; p && *p; p++) {
    char host[PATH_MAX], inside[PATH_MAX], perms[8] = "rwm";
    const char *c1 = strchr(*p, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    size_t hl = c1 ? (size_t)(c1 - *p) : strlen(*p);
    size_t il = c1 ? (c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1)) : hl;
    if (hl >= sizeof host || il >= sizeof inside || (c2 && strlen(c2 + 1) >= sizeof perms))
      return err_set(e, EINVAL, "invalid device specification: %s", *p);
    snprintf(host, sizeof host, "%.*s", (int)hl, *p);
    snprintf(inside, sizeof inside, "%.*s", (int)il, c1 ? c1 + 1 : *p);
    if (c2)
      snprintf(perms, sizeof perms, "%s", c2 + 1);
    if (host[0] != '/' || inside[0] != '/' || !*perms || strspn(perms, "rwm") != strlen(perms))
      return err_set(e, EINVAL, "invalid device specification: %s", *p);
    if (add_device(devs, rules, host, inside, perms, 0, e) < 0)
      return -1;
  }
  return 0;
}

/* --privileged: every capability (above), no seccomp, every device,
 * /sys and the cgroups writable, nothing masked. */
static int privileged(json_t *spec, err_t *e) {
  json_t *lx = json_object_get(spec, "linux");
  bool failed = false;
  json_object_del(lx, "seccomp");
  json_object_del(lx, "maskedPaths");
  json_object_del(lx, "readonlyPaths");
  json_set(json_object_get(lx, "resources"), "devices",
           json_pack("[{s:b, s:s}]", "allow", 1, "access", "rwm"), &failed);
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(spec, "mounts"), i, m) {
    const char *type = json_string_value(json_object_get(m, "type"));
    json_t *opts = json_object_get(m, "options");
    if (!type || (strcmp(type, "sysfs") && strcmp(type, "cgroup")))
      continue;
    for (size_t k = json_array_size(opts); k-- > 0;)
      if (!strcmp(json_string_value(json_array_get(opts, k)) ?: "", "ro"))
        json_array_remove(opts, k);
  }
  /* The host's devices, as docker gives them (the top of /dev). */
  json_t *devs = json_array();
  json_set(lx, "devices", devs, &failed);
  _cleanup_closedir_ DIR *d = opendir("/dev");
  for (struct dirent *de; d && (de = readdir(d));) {
    struct stat st;
    char host[PATH_MAX];
    snprintf(host, sizeof host, "/dev/%s", de->d_name);
    if (!strcmp(de->d_name, "console") || !strcmp(de->d_name, "ptmx") ||
        !strcmp(de->d_name, "tty") || lstat(host, &st) < 0 ||
        (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)))
      continue;
    err_t ignored = ERR_INIT;
    json_push(devs, device_entry(host, host, &st, &ignored), &failed);
  }
  return json_built(failed, "--privileged", e);
}

int engine_oci_options(json_t *spec, const struct run_opts *o, err_t *e) {
  json_t *proc = json_object_get(spec, "process"), *lx = json_object_get(spec, "linux");
  uint64_t caps;
  if (capabilities(o, proc, &caps, e) < 0 || (o->privileged && privileged(spec, e) < 0) ||
      security_opts(spec, o, caps, e) < 0 || ulimits(proc, o->ulimits, e) < 0 ||
      devices(lx, o->devices, e) < 0)
    return -1;
  return 0;
}

/* ---- -e/--env-file, -l/--label-file ---- */

/* Append `spec`; for the environment, "NAME" alone takes the caller's
 * value, and is left out when the caller has none (docker's rule). */
static int kv_add(char ***out, size_t *n, size_t *cap, const char *spec, bool env, err_t *e) {
  char *value = NULL;
  if (!*spec || *spec == '=')
    return err_set(e, EINVAL, "invalid %s: %s", env ? "environment variable" : "label", spec);
  if (!env || strchr(spec, '=')) {
    value = strdup(spec);
  } else {
    const char *v = getenv(spec);
    if (!v)
      return 0;
    if (asprintf(&value, "%s=%s", spec, v) < 0)
      value = NULL;
  }
  if (!value || array_reserve_sz((void **)out, cap, *n + 2, sizeof **out) < 0) {
    free(value);
    return err_sys(e, "%s", env ? "environment" : "labels");
  }
  (*out)[(*n)++] = value;
  (*out)[*n] = NULL;
  return 0;
}

/* The files' lines first (docker's format: one a line, '#' comments, no
 * quoting), then the values given one by one. */
static int kv_resolve(char **given, char **files, bool env, char ***out, err_t *e) {
  char **v = NULL;
  size_t n = 0, cap = 0;
  int r = 0;
  for (char **f = files; r == 0 && f && *f; f++) {
    _cleanup_free_ char *text = read_file(*f, 1 << 20, NULL, e);
    if (!text) {
      r = err_wrap(e, "%s", env ? "--env-file" : "--label-file");
      break;
    }
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); r == 0 && line;
         line = strtok_r(NULL, "\n", &save)) {
      while (*line == ' ' || *line == '\t')
        line++;
      line[strcspn(line, "\r")] = '\0';
      if (*line && *line != '#')
        r = kv_add(&v, &n, &cap, line, env, e);
    }
  }
  for (char **p = given; r == 0 && p && *p; p++)
    r = kv_add(&v, &n, &cap, *p, env, e);
  if (r == 0 && !v && !(v = calloc(1, sizeof *v)))
    r = err_sys(e, "%s", env ? "environment" : "labels");
  if (r < 0) {
    strv_free(v);
    return -1;
  }
  *out = v;
  return 0;
}

int engine_env_resolve(char **env, char **env_files, char ***out, err_t *e) {
  return kv_resolve(env, env_files, true, out, e);
}

int engine_labels_resolve(char **labels, char **label_files, char ***out, err_t *e) {
  return kv_resolve(labels, label_files, false, out, e);
}
