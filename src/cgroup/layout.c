/* Which cgroup layout the host has, and where its hierarchies are mounted.
 *
 * The mode comes from two statfs calls: /sys/fs/cgroup is cgroup2 (pure v2),
 * or a tmpfs of v1 hierarchies with (hybrid) or without (v1) a cgroup2 tree
 * at /sys/fs/cgroup/unified. The hierarchies come from /proc/self/mountinfo,
 * read once per process: container start is the hot path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_UNIFIED CGROUP_ROOT "/unified"

const char *cgroup_mode_name(enum cgroup_mode mode) {
  switch (mode) {
  case CGROUP_MODE_V1:
    return "v1";
  case CGROUP_MODE_V2:
    return "v2";
  case CGROUP_MODE_HYBRID:
    return "hybrid";
  }
  return "unknown";
}

int cgroup_detect(enum cgroup_mode *mode, err_t *e) {
  static bool known;
  static enum cgroup_mode cached;
  if (known) {
    *mode = cached;
    return 0;
  }
  struct statfs st;
  if (statfs(CGROUP_ROOT, &st) < 0)
    return err_sys(e, "cgroup: statfs %s", CGROUP_ROOT);
  if (st.f_type == CGROUP2_SUPER_MAGIC)
    cached = CGROUP_MODE_V2;
  else if (statfs(CGROUP_UNIFIED, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    cached = CGROUP_MODE_HYBRID;
  else
    cached = CGROUP_MODE_V1; /* confirmed by finding v1 hierarchies in mountinfo */
  known = true;
  *mode = cached;
  return 0;
}

bool cgroup_controllers_have(const char *list, const char *controller) {
  size_t n = strlen(controller);
  for (const char *p = list; *p;) {
    const char *end = strchrnul(p, ',');
    if ((size_t)(end - p) == n && !strncmp(p, controller, n))
      return true;
    p = *end ? end + 1 : end;
  }
  return false;
}

/* The same set of names in any order: mountinfo and /proc/self/cgroup both
 * come from the kernel, but nothing promises they agree on order. */
static bool same_controllers(const char *a, const char *b) {
  size_t na = 0, nb = 0;
  for (const char *p = a; *p;) {
    const char *end = strchrnul(p, ',');
    _cleanup_free_ char *name = strndup(p, (size_t)(end - p));
    if (!name || !cgroup_controllers_have(b, name))
      return false;
    na++;
    p = *end ? end + 1 : end;
  }
  for (const char *p = b; *p; p++)
    nb += *p == ',';
  return na == (*b ? nb + 1 : 0);
}

/* v1 mount options that name a controller; the rest (rw, xattr, ...) do not. */
static bool is_v1_controller(const char *opt) {
  static const char *const known[] = {"cpuset",  "cpu",        "cpuacct",  "blkio",   "memory",
                                      "devices", "freezer",    "net_cls",  "net_prio", "hugetlb",
                                      "pids",    "perf_event", "rdma",     "misc",    "debug"};
  for (size_t i = 0; i < sizeof known / sizeof *known; i++)
    if (!strcmp(opt, known[i]))
      return true;
  return false;
}

/* Mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s) {
  char *w = s;
  for (char *r = s; *r;) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
        r[3] >= '0' && r[3] <= '7') {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 4;
    } else {
      *w++ = *r++;
    }
  }
  *w = '\0';
}

/* The controllers and name= of a v1 mount from its super options,
 * comma-joined in the kernel's order ("cpu,cpuacct", "name=systemd"). */
static char *v1_controllers(const char *superopts) {
  size_t len = strlen(superopts);
  char *out = calloc(1, len + 1);
  if (!out)
    return NULL;
  _cleanup_free_ char *copy = strdup(superopts);
  if (!copy) {
    free(out);
    return NULL;
  }
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (!is_v1_controller(tok) && strncmp(tok, "name=", 5))
      continue;
    if (*out)
      strcat(out, ",");
    strcat(out, tok);
  }
  return out;
}

/* Hierarchies with a controller, and systemd's, which runc also joins. */
static bool wanted_v1(const char *controllers) {
  if (!strcmp(controllers, "name=systemd"))
    return true;
  for (const char *p = controllers; *p;) {
    const char *end = strchrnul(p, ',');
    if (strncmp(p, "name=", 5))
      return true;
    p = *end ? end + 1 : end;
  }
  return false;
}

static void mount_clear(struct cgroup_mount *m) {
  free(m->controllers);
  free(m->mount_point);
  free(m->root);
}

void cgroup_layout_clear(struct cgroup_layout *l) {
  for (size_t i = 0; i < l->n_mounts; i++)
    mount_clear(&l->mounts[i]);
  free(l->mounts);
  l->mounts = NULL;
  l->n_mounts = 0;
}

static bool under_cgroup_root(const char *mount_point) {
  return !strncmp(mount_point, CGROUP_ROOT "/", sizeof CGROUP_ROOT);
}

/* Add or replace a v1 mount: one per hierarchy, preferring /sys/fs/cgroup. */
static int add_v1(struct cgroup_layout *l, struct cgroup_mount *m) {
  for (size_t i = 0; i < l->n_mounts; i++) {
    if (l->mounts[i].v2 || !same_controllers(l->mounts[i].controllers, m->controllers))
      continue;
    if (!under_cgroup_root(l->mounts[i].mount_point) && under_cgroup_root(m->mount_point)) {
      mount_clear(&l->mounts[i]);
      l->mounts[i] = *m;
    } else {
      mount_clear(m);
    }
    return 0;
  }
  struct cgroup_mount *grown = realloc(l->mounts, (l->n_mounts + 1) * sizeof *grown);
  if (!grown)
    return -1;
  l->mounts = grown;
  l->mounts[l->n_mounts++] = *m;
  return 0;
}

/* Split one mountinfo line; fields are separated by single spaces and the
 * optional fields end at " - ". Returns false for a malformed line. */
static bool split_mountinfo(char *line, char **root, char **mount_point, char **fstype,
                            char **superopts) {
  char *f[6];
  char *save = NULL, *tok = strtok_r(line, " ", &save);
  for (int i = 0; i < 6; i++, tok = strtok_r(NULL, " ", &save)) {
    if (!tok)
      return false;
    f[i] = tok;
  }
  while (tok && strcmp(tok, "-"))
    tok = strtok_r(NULL, " ", &save);
  if (!tok || !(*fstype = strtok_r(NULL, " ", &save)) || !strtok_r(NULL, " ", &save) ||
      !(*superopts = strtok_r(NULL, " ", &save)))
    return false;
  *root = f[3];
  *mount_point = f[4];
  unescape_octal(*root);
  unescape_octal(*mount_point);
  return true;
}

/* Call fn for each cgroup or cgroup2 mount of a mountinfo text, with its
 * controllers as a hierarchy's name ("" for cgroup2); stops at fn's -1. */
typedef int (*cgroup_line_fn)(const char *root, const char *mount_point, bool v2,
                              const char *controllers, void *arg, err_t *e);
static int each_cgroup_mount(const char *mountinfo, cgroup_line_fn fn, void *arg, err_t *e) {
  _cleanup_free_ char *text = strdup(mountinfo);
  if (!text)
    return err_sys(e, "cgroup: parse mountinfo");
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *root, *mount_point, *fstype, *superopts;
    if (!split_mountinfo(line, &root, &mount_point, &fstype, &superopts))
      continue;
    bool is_v2 = !strcmp(fstype, "cgroup2");
    if (!is_v2 && strcmp(fstype, "cgroup"))
      continue;
    _cleanup_free_ char *controllers = is_v2 ? strdup("") : v1_controllers(superopts);
    if (!controllers)
      return err_sys(e, "cgroup: parse mountinfo");
    if (fn(root, mount_point, is_v2, controllers, arg, e) < 0)
      return -1;
  }
  return 0;
}

struct layout_parse {
  enum cgroup_mode mode;
  const char *v2_at;
  struct cgroup_layout l;
  struct cgroup_mount v2;
};

static int layout_add(const char *root, const char *mount_point, bool is_v2,
                      const char *controllers, void *arg, err_t *e) {
  struct layout_parse *p = arg;
  if (is_v2 ? p->mode == CGROUP_MODE_V1 || strcmp(mount_point, p->v2_at) || p->v2.mount_point
            : p->mode == CGROUP_MODE_V2)
    return 0;
  if (!is_v2 && !wanted_v1(controllers))
    return 0; /* a named hierarchy of some other tool */
  struct cgroup_mount m = {.v2 = is_v2};
  m.controllers = strdup(controllers);
  m.mount_point = strdup(mount_point);
  m.root = strdup(root);
  if (!m.controllers || !m.mount_point || !m.root || (!is_v2 && add_v1(&p->l, &m) < 0)) {
    mount_clear(&m);
    return err_sys(e, "cgroup: parse mountinfo");
  }
  if (is_v2)
    p->v2 = m;
  return 0;
}

int cgroup_layout_parse(enum cgroup_mode mode, const char *mountinfo, struct cgroup_layout *out,
                        err_t *e) {
  struct layout_parse p = {.mode = mode, .l = {.mode = mode},
                           .v2_at = mode == CGROUP_MODE_V2 ? CGROUP_ROOT : CGROUP_UNIFIED};
  if (each_cgroup_mount(mountinfo, layout_add, &p, e) < 0) {
    mount_clear(&p.v2);
    cgroup_layout_clear(&p.l);
    return -1;
  }
  struct cgroup_layout l = p.l;
  struct cgroup_mount v2 = p.v2;
  const char *v2_at = p.v2_at;
  if (mode != CGROUP_MODE_V1 && !v2.mount_point) {
    cgroup_layout_clear(&l);
    return err_set(e, ENOENT, "cgroup: %s is cgroup2 but mountinfo has no cgroup2 mount there",
                   v2_at);
  }
  if (mode != CGROUP_MODE_V2 && l.n_mounts == 0) {
    cgroup_layout_clear(&l);
    mount_clear(&v2);
    return err_set(e, ENOENT, "cgroup: no cgroup v1 hierarchy or cgroup2 tree is mounted");
  }
  if (v2.mount_point) {
    struct cgroup_mount *grown = realloc(l.mounts, (l.n_mounts + 1) * sizeof *grown);
    if (!grown) {
      mount_clear(&v2);
      cgroup_layout_clear(&l);
      return err_sys(e, "cgroup: parse mountinfo");
    }
    l.mounts = grown;
    l.mounts[l.n_mounts++] = v2;
  }
  *out = l;
  return 0;
}

const struct cgroup_layout *cgroup_layout_get(err_t *e) {
  static struct cgroup_layout cached;
  static bool loaded;
  if (loaded)
    return &cached;
  enum cgroup_mode mode;
  if (cgroup_detect(&mode, e) < 0)
    return NULL;
  _cleanup_free_ char *mountinfo = read_file("/proc/self/mountinfo", 0, NULL, e);
  if (!mountinfo || cgroup_layout_parse(mode, mountinfo, &cached, e) < 0)
    return NULL;
  loaded = true;
  return &cached;
}

int cgroup_own_path(const char *proc_cgroup, const struct cgroup_mount *m, char **out, err_t *e) {
  _cleanup_free_ char *text = strdup(proc_cgroup);
  if (!text)
    return err_sys(e, "cgroup: parse /proc/self/cgroup");
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
      continue;
    *c2 = '\0';
    const char *controllers = c1 + 1, *path = c2 + 1;
    if (m->v2 ? strcmp(line, "0:") || *controllers : !same_controllers(controllers, m->controllers))
      continue;
    size_t rl = strlen(m->root);
    if (!strcmp(m->root, "/"))
      rl = 0;
    else if (strncmp(path, m->root, rl) || (path[rl] && path[rl] != '/'))
      return err_set(e, EINVAL,
                     "cgroup: this process's group %s in hierarchy %s is outside its mount %s",
                     path, m->v2 ? "v2" : m->controllers, m->mount_point);
    *out = strdup(strcmp(path + rl, "/") ? path + rl : "");
    return *out ? 0 : err_sys(e, "cgroup: parse /proc/self/cgroup");
  }
  return err_set(e, ENOENT, "cgroup: /proc/self/cgroup has no line for hierarchy %s",
                 m->v2 ? "v2" : m->controllers);
}

struct bound_filter {
  cgroup_mount_fn fn;
  void *arg;
};

static int bound_only(const char *root, const char *mount_point, bool v2,
                      const char *controllers, void *arg, err_t *e) {
  (void)v2;
  struct bound_filter *f = arg;
  return strcmp(root, "/") ? f->fn(mount_point, controllers, f->arg, e) : 0;
}

int cgroup_bound_mounts(const char *mountinfo, cgroup_mount_fn fn, void *arg, err_t *e) {
  struct bound_filter f = {fn, arg};
  return each_cgroup_mount(mountinfo, bound_only, &f, e);
}

const struct cgroup_hierarchy *cgroup_hierarchy_named(const struct cgroup *cg,
                                                      const char *controllers) {
  for (size_t i = 0; i < cg->n_hierarchies; i++) {
    const struct cgroup_hierarchy *h = &cg->hierarchies[i];
    if (h->v2 ? !*controllers : *controllers && same_controllers(h->name, controllers))
      return h;
  }
  return NULL;
}
